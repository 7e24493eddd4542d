"""Thin DRF views over inventory rounds 清查盘点 and their items.

Archive managers read rounds (``view_inventoryround``), start and close them
(``add_inventoryround``) and record results (``change_inventoryitem``); each step's
service decides, answering 403 for the wrong person and 409 for the wrong moment.
"""

from __future__ import annotations

from documents.filters import ID_KWARGS
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.mixins import CreateModelMixin
from rest_framework.mixins import ListModelMixin
from rest_framework.mixins import RetrieveModelMixin
from rest_framework.permissions import SAFE_METHODS
from rest_framework.permissions import BasePermission
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from svc_archive_plugin.api.filters import ArchiveFilterSet
from svc_archive_plugin.api.serializers import InventoryCheckSerializer
from svc_archive_plugin.api.serializers import InventoryDiscrepancySerializer
from svc_archive_plugin.api.serializers import InventoryItemSerializer
from svc_archive_plugin.api.serializers import InventoryRoundSerializer
from svc_archive_plugin.api.serializers import InventoryUnlistedSerializer
from svc_archive_plugin.api.serializers import NoteSerializer
from svc_archive_plugin.api.serializers import ScanSerializer
from svc_archive_plugin.api.views import RegisterViewSetMixin
from svc_archive_plugin.api.views import run_step
from svc_archive_plugin.models import InventoryItem
from svc_archive_plugin.models import InventoryRound
from svc_archive_plugin.reports.pdf_download import pdf_response
from svc_archive_plugin.services import inventory


class InventoryPermission(BasePermission):
    """Reading needs ``view_inventoryround``; each step's service checks its own right
    (``add_inventoryround``, ``change_inventoryitem``) and answers 403 without it."""

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return inventory.can_view(request.user)
        return True


class InventoryRoundFilterSet(ArchiveFilterSet):
    class Meta:
        model = InventoryRound
        fields = {
            "cabinet": ["exact"],
            "closed_at": ["isnull"],
        }


class InventoryRoundViewSet(
    RegisterViewSetMixin,
    CreateModelMixin,
    ListModelMixin,
    RetrieveModelMixin,
    GenericViewSet,
):
    """Inventory rounds of the paper originals: the list, its results, its report."""

    queryset = (
        InventoryRound.objects.select_related("started_by", "closed_by")
        .annotate(**inventory.progress_counts())
        .order_by("-started_at", "-pk")
    )
    serializer_class = InventoryRoundSerializer
    filterset_class = InventoryRoundFilterSet
    ordering_fields = ("started_at", "name")
    permission_classes = (IsAuthenticated, InventoryPermission)

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        created = run_step(
            inventory.start_round,
            request.user,
            values["name"],
            values.get("cabinet", ""),
            values.get("note", ""),
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=created.pk)).data,
            status=201,
        )

    @extend_schema(request=NoteSerializer, responses=InventoryRoundSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the round: no result changes after; unchecked items are reported."""
        inventory_round = self.get_object()
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run_step(
            inventory.close_round,
            inventory_round,
            request.user,
            data.validated_data["note"],
        )
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=ScanSerializer, responses=InventoryItemSerializer)
    @action(detail=True, methods=["post"])
    def scan(self, request, pk=None):
        """Record present the listed dossier whose label was scanned (档号 or label code)."""
        inventory_round = self.get_object()
        data = ScanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = run_step(
            inventory.check_scanned,
            inventory_round,
            request.user,
            data.validated_data["code"],
        )
        return Response(InventoryItemSerializer(item).data)

    # 201 for a new unlisted item, 200 for a listed one found misplaced.
    @extend_schema(
        request=InventoryUnlistedSerializer,
        responses={200: InventoryItemSerializer, 201: InventoryItemSerializer},
    )
    @action(detail=True, methods=["post"])
    def unlisted(self, request, pk=None):
        """Record something found that the list did not expect there.

        A dossier the list has elsewhere is recorded as that item, misplaced.
        """
        inventory_round = self.get_object()
        data = InventoryUnlistedSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = run_step(
            inventory.record_unlisted,
            inventory_round,
            request.user,
            dossier=values["dossier"],
            archive_code=values["archive_code"],
            found_at=values["found_at"],
            note=values["note"],
        )
        return Response(
            InventoryItemSerializer(item).data,
            status=201 if item.unlisted else 200,
        )

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="list_pdf")
    def list_pdf(self, request, pk=None):
        """The list to tick off (PDF), by cabinet, shelf and box."""
        from svc_archive_plugin.reports.inventory_list import inventory_list_pdf

        return pdf_response(*inventory_list_pdf(self.get_object()))

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="list_csv")
    def list_csv(self, request, pk=None):
        """The list with its results as CSV, in location order."""
        from svc_archive_plugin.reports.inventory_csv import inventory_list_csv_response

        return inventory_list_csv_response(self.get_object())

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def discrepancies(self, request, pk=None):
        """The round's counts and its discrepancies by kind (out on loan: explained)."""
        inventory_round = self.get_object()
        rows = inventory.discrepancies(inventory_round)
        return Response(
            {
                "round": inventory_round.pk,
                "closed": inventory_round.closed_at is not None,
                "progress": inventory.progress(inventory_round),
                "discrepancies": sum(1 for row in rows if not row.explained),
                "results": InventoryDiscrepancySerializer(rows, many=True).data,
            },
        )

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="discrepancies_csv")
    def discrepancies_csv(self, request, pk=None):
        """The discrepancy report as CSV."""
        from svc_archive_plugin.reports.inventory_csv import discrepancies_csv_response

        return discrepancies_csv_response(self.get_object())

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="discrepancies_pdf")
    def discrepancies_pdf(self, request, pk=None):
        """The discrepancy report (PDF) with the checkers' signature lines."""
        from svc_archive_plugin.reports.inventory_discrepancies import (
            discrepancy_report_pdf,
        )

        return pdf_response(*discrepancy_report_pdf(self.get_object()))


class InventoryItemFilterSet(ArchiveFilterSet):
    class Meta:
        model = InventoryItem
        fields = {
            "round": ID_KWARGS,
            "dossier": ID_KWARGS,
            "result": ["exact", "in"],
            "cabinet": ["exact"],
            "shelf": ["exact"],
            "box": ["exact"],
            "unlisted": ["exact"],
        }


class InventoryItemViewSet(
    RegisterViewSetMixin,
    ListModelMixin,
    RetrieveModelMixin,
    GenericViewSet,
):
    """The items of the rounds, in list order; ``record/`` records a check."""

    queryset = InventoryItem.objects.select_related(
        "loan__borrower",
        "checked_by",
    ).order_by("round", "unlisted", "cabinet", "shelf", "box", "archive_code", "pk")
    serializer_class = InventoryItemSerializer
    filterset_class = InventoryItemFilterSet
    ordering_fields = ("cabinet", "result", "checked_at")
    permission_classes = (IsAuthenticated, InventoryPermission)

    @extend_schema(request=InventoryCheckSerializer, responses=InventoryItemSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        """Record what the check found: present, missing, or misplaced with ``found_at``."""
        item = self.get_object()
        data = InventoryCheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = run_step(
            inventory.record_check,
            item,
            request.user,
            values["result"],
            values["found_at"],
            values["note"],
        )
        return Response(self.get_serializer(item).data)
