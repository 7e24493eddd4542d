"""Thin DRF views over corrections 更正: propose, approve (applies it), refuse.

Archive managers read them (``view_correction``); the service decides who may propose
(``propose_correction``) and who may decide (``approve_correction``, never the proposer).
"""

from __future__ import annotations

from documents.filters import DATETIME_KWARGS
from documents.filters import ID_KWARGS
from rest_framework import serializers
from rest_framework.mixins import CreateModelMixin
from rest_framework.mixins import ListModelMixin
from rest_framework.mixins import RetrieveModelMixin
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from svc_archive_plugin import steps
from svc_archive_plugin.api.bounds import LARGEST_INTEGER
from svc_archive_plugin.api.bounds import IdField
from svc_archive_plugin.api.filters import ArchiveFilterSet
from svc_archive_plugin.api.views import RegisterViewSetMixin
from svc_archive_plugin.api.views import run_step
from svc_archive_plugin.api.views import step_action
from svc_archive_plugin.models import Correction
from svc_archive_plugin.models import CorrectionEvent
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services import corrections


class CorrectionEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CorrectionEvent
        fields = (
            "id",
            "action",
            "actor",
            "at",
            "reason",
            "fact",
            "old_value",
            "old_label",
            "new_value",
            "new_label",
            "documents",
            "effects",
        )
        read_only_fields = fields


class CorrectionSerializer(serializers.ModelSerializer):
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
    )
    events = CorrectionEventSerializer(many=True, read_only=True)
    # What to correct, on proposal: a record (document id), a dossier or a project.
    document = serializers.IntegerField(
        source="document_id",
        min_value=1,
        max_value=LARGEST_INTEGER,
        required=False,
        allow_null=True,
    )
    dossier = IdField(queryset=Dossier.objects.all(), required=False, allow_null=True)
    project = IdField(
        queryset=ServiceProject.objects.all(),
        required=False,
        allow_null=True,
    )
    value = serializers.CharField(
        write_only=True,
        help_text="the new value: an id, a confidentiality code, or YYYY-MM-DD",
    )

    class Meta:
        model = Correction
        fields = (
            "id",
            "fact",
            "document",
            "dossier",
            "project",
            "value",
            "old_value",
            "old_label",
            "new_value",
            "new_label",
            "reason",
            "state",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "events",
        )
        read_only_fields = (
            "old_value",
            "old_label",
            "new_value",
            "new_label",
            "state",
            "proposed_at",
            "decided_at",
            "decision_reason",
        )


class CorrectionFilterSet(ArchiveFilterSet):
    class Meta:
        model = Correction
        fields = {
            "state": ["exact", "in"],
            "fact": ["exact", "in"],
            "document": ID_KWARGS,
            "dossier": ID_KWARGS,
            "project": ID_KWARGS,
            "proposed_by": ID_KWARGS,
            "proposed_at": DATETIME_KWARGS,
        }


class CorrectionViewSet(
    RegisterViewSetMixin,
    CreateModelMixin,
    ListModelMixin,
    RetrieveModelMixin,
    GenericViewSet,
):
    """Corrections 更正 of frozen facts: proposed by one archive manager, decided by another."""

    queryset = (
        Correction.objects.select_related("proposed_by", "decided_by")
        .prefetch_related("events__actor")
        .order_by("-proposed_at", "-pk")
    )
    serializer_class = CorrectionSerializer
    filterset_class = CorrectionFilterSet
    ordering_fields = ("proposed_at", "decided_at", "state")

    def get_permissions(self):
        if self.action in ("create", "approve", "refuse"):
            # The service checks who may propose and who may decide.
            return [IsAuthenticated()]
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        created = run_step(
            corrections.propose,
            request.user,
            fact=values["fact"],
            value=values["value"],
            reason=values["reason"],
            document_id=values.get("document_id"),
            dossier=values.get("dossier"),
            project=values.get("project"),
        )
        return Response(self.get_serializer(created).data, status=201)

    approve = step_action(steps.CORRECTION, "approve")
    refuse = step_action(steps.CORRECTION, "refuse")
