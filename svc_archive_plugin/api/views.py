"""Thin DRF views over the services."""

from __future__ import annotations

from documents.permissions import PaperlessAdminPermissions
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from svc_archive_plugin.api.serializers import StatusSerializer
from svc_archive_plugin.services.status import plugin_status


class StatusView(APIView):
    """Version, effective settings and counts of the service-archive plugin."""

    permission_classes = (IsAuthenticated, PaperlessAdminPermissions)

    @extend_schema(responses=StatusSerializer, operation_id="svc_archive_status")
    def get(self, request, *args, **kwargs):
        return Response(StatusSerializer(plugin_status()).data)
