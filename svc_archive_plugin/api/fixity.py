"""Thin, read-only DRF views over the fixity checks 四性检测 and what they found."""

from __future__ import annotations

from django_filters.rest_framework import NumberFilter
from documents.filters import DATETIME_KWARGS
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.viewsets import ReadOnlyModelViewSet

from svc_archive_plugin.api.filters import ArchiveFilterSet
from svc_archive_plugin.api.serializers import FixityFindingSerializer
from svc_archive_plugin.api.serializers import FixityRunSerializer
from svc_archive_plugin.api.views import RegisterViewSetMixin
from svc_archive_plugin.models import FixityFinding
from svc_archive_plugin.models import FixityRun


class FixityRunFilterSet(ArchiveFilterSet):
    class Meta:
        model = FixityRun
        fields = {
            "state": ["exact", "in"],
            "started_at": DATETIME_KWARGS,
            "problems": ["exact", "gt"],
        }


class FixityFindingFilterSet(ArchiveFilterSet):
    # The id as it is: a finding's document may be in the trash or purged since.
    document = NumberFilter(field_name="document_id")

    class Meta:
        model = FixityFinding
        fields = {
            "problem": ["exact", "in"],
            "file": ["exact"],
        }


class FixityRunViewSet(RegisterViewSetMixin, ReadOnlyModelViewSet):
    """The fixity checks: dated runs with their counts; ``findings/`` lists what each found."""

    queryset = FixityRun.objects.select_related("started_by").order_by(
        "-started_at",
        "-pk",
    )
    serializer_class = FixityRunSerializer
    filterset_class = FixityRunFilterSet
    ordering_fields = ("started_at", "problems")

    def _view_findings(self) -> None:
        if not self.request.user.has_perm("svc_archive_plugin.view_fixityfinding"):
            raise exceptions.PermissionDenied

    # The findings' own filters, not the runs' that the list declares.
    @extend_schema(
        responses=FixityFindingSerializer(many=True),
        filters=False,
        parameters=[
            OpenApiParameter("problem", str, enum=FixityFinding.Problem.values),
            OpenApiParameter(
                "problem__in",
                str,
                description="comma-separated problems",
            ),
            OpenApiParameter("file", str, enum=FixityFinding.File.values),
            OpenApiParameter("document", OpenApiTypes.INT, description="document id"),
        ],
    )
    @action(detail=True, methods=["get"])
    def findings(self, request, pk=None):
        """The run's findings, paginated (``?problem=``, ``?file=``, ``?document=``)."""
        self._view_findings()
        run = self.get_object()
        filterset = FixityFindingFilterSet(
            request.query_params,
            queryset=run.findings.order_by("document_id", "file", "pk"),
            request=request,
        )
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        return self.get_paginated_response(
            FixityFindingSerializer(page, many=True).data,
        )

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="csv")
    def export_csv(self, request, pk=None):
        """The run's findings as CSV."""
        from svc_archive_plugin.reports.fixity_csv import fixity_csv_response

        self._view_findings()
        return fixity_csv_response(self.get_object())
