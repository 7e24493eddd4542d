"""Statistics 统计分析 in the API: the list of figures, each as JSON and as CSV.

Holders of ``view_statistics`` read them; every figure counts what the reader may see
(``services.statistics``), exactly as the admin's dashboard does.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from svc_archive_plugin.services import statistics


class HasStatisticsPermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(statistics.PERMISSION)


class StatisticsFiltersSerializer(serializers.Serializer):
    """The query parameters: ``from``, ``to`` (dates, inclusive), ``department``, ``customer``."""

    def get_fields(self):
        return {
            "from": serializers.DateField(required=False),
            "to": serializers.DateField(required=False),
            "department": serializers.IntegerField(required=False, min_value=1),
            "customer": serializers.IntegerField(required=False, min_value=1),
        }

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"to": _("The period ends before it starts.")},
            )
        return attrs

    def filters(self) -> statistics.Filters:
        data = self.validated_data
        return statistics.Filters(
            date_from=data.get("from"),
            date_to=data.get("to"),
            department=data.get("department"),
            customer=data.get("customer"),
        )


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.BooleanField(help_text="a count (the others label the row)")


class FigureSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=["ranking", "timeline"])
    label = serializers.CharField(help_text="the column that labels each row")
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(
        child=serializers.DictField(),
        source="records",
        help_text="one object per row, keyed by the columns' keys",
    )
    total = serializers.IntegerField()
    filters = serializers.SerializerMethodField()

    def get_filters(self, figure) -> dict[str, str]:
        return self.context["filters"].as_params()


class FigureEntrySerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    section = serializers.CharField()
    url = serializers.CharField()
    csv = serializers.CharField()


FILTER_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="first day (inclusive)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="last day (inclusive)"),
    OpenApiParameter("department", OpenApiTypes.INT, description="department id"),
    OpenApiParameter("customer", OpenApiTypes.INT, description="customer id"),
]
FIGURE_PARAMETER = OpenApiParameter(
    "figure",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=list(statistics.FIGURES),
)


class _StatisticsView(APIView):
    permission_classes = (IsAuthenticated, HasStatisticsPermission)

    def _figure(
        self,
        request,
        name: str,
    ) -> tuple[statistics.Figure, statistics.Filters]:
        if name not in statistics.FIGURES:
            raise Http404
        params = StatisticsFiltersSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.filters()
        return statistics.figure(name, request.user, filters), filters


class StatisticsIndexView(_StatisticsView):
    """The statistics figures, with the address of each as JSON and as CSV."""

    @extend_schema(
        responses=FigureEntrySerializer(many=True),
        operation_id="svc_archive_statistics",
    )
    def get(self, request, *args, **kwargs):
        entries = []
        for section in statistics.SECTIONS:
            for name in section.figures:
                url = reverse("svc_archive:statistics_figure", args=[name])
                entries.append(
                    {
                        "name": name,
                        "title": str(statistics.TITLES[name]),
                        "section": section.key,
                        "url": request.build_absolute_uri(url),
                        "csv": request.build_absolute_uri(f"{url}csv/"),
                    },
                )
        return Response(FigureEntrySerializer(entries, many=True).data)


class StatisticsFigureView(_StatisticsView):
    """One figure's table, counted over what the reader may see."""

    @extend_schema(
        parameters=[FIGURE_PARAMETER, *FILTER_PARAMETERS],
        responses=FigureSerializer,
        operation_id="svc_archive_statistics_figure",
    )
    def get(self, request, figure: str, *args, **kwargs):
        computed, filters = self._figure(request, figure)
        return Response(
            FigureSerializer(computed, context={"filters": filters}).data,
        )


class StatisticsCsvView(_StatisticsView):
    """One figure as CSV (UTF-8 with BOM, a header row of column labels)."""

    @extend_schema(
        parameters=[FIGURE_PARAMETER, *FILTER_PARAMETERS],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        operation_id="svc_archive_statistics_csv",
    )
    def get(self, request, figure: str, *args, **kwargs):
        from svc_archive_plugin.reports.statistics_csv import figure_csv_response

        computed, filters = self._figure(request, figure)
        return figure_csv_response(computed, filters)
