"""Serializers of the plugin's API."""

from __future__ import annotations

from rest_framework import serializers


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
