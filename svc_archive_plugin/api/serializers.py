"""Serializers of the plugin's API."""

from __future__ import annotations

from rest_framework import serializers

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import FilingEvent
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType


class StatusCountsSerializer(serializers.Serializer):
    archive_categories = serializers.IntegerField()
    document_type_codes = serializers.IntegerField()
    open_capture_reports = serializers.IntegerField()
    documents_by_category = serializers.DictField(child=serializers.IntegerField())


class StatusSerializer(serializers.Serializer):
    version = serializers.CharField()
    provisioned = serializers.BooleanField()
    settings = serializers.DictField()
    counts = StatusCountsSerializer()


class ServiceTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceType
        fields = ("id", "code", "name", "category")


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = (
            "id",
            "code",
            "name",
            "contact_person",
            "phone",
            "address",
            "nature",
            "size",
            "industry",
            "option_id",
        )
        read_only_fields = ("option_id",)


class ServiceProjectSerializer(serializers.ModelSerializer):
    dossier = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ServiceProject
        fields = (
            "id",
            "code",
            "name",
            "customer",
            "service_type",
            "department",
            "start_date",
            "end_date",
            "is_major",
            "option_id",
            "dossier",
        )
        read_only_fields = ("option_id",)

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": "The end date is before the start date."},
            )
        return attrs


class DossierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dossier
        fields = (
            "id",
            "project",
            "category",
            "archive_code",
            "state",
            "location_cabinet",
            "location_shelf",
            "location_box",
            "paper_pages",
            "completeness_override",
            "retention",
            "retention_override_reason",
        )
        # The class changes only through override_retention, which records the reason.
        read_only_fields = (
            "project",
            "archive_code",
            "state",
            "completeness_override",
            "retention",
            "retention_override_reason",
        )


class RetentionOverrideSerializer(serializers.Serializer):
    retention = serializers.ChoiceField(choices=Dossier.Retention.choices)
    reason = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class FilingEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = FilingEvent
        fields = ("id", "action", "from_state", "to_state", "actor", "at", "reason")


class CompletenessSerializer(serializers.Serializer):
    required = serializers.ListField(child=serializers.CharField())
    present = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())
    documents = serializers.IntegerField()
