"""Thin DRF views over access requests 查阅申请, the access log 查阅登记 and loans 借阅.

Requests and loans are read by whom they concern (``visible_requests``/``visible_loans``:
one's own, a head's department's, everything for the archive department); each step's
service decides who may take it. The access log is for holders of ``view_accesslogentry``.
"""

from __future__ import annotations

from documents.filters import DATE_KWARGS
from documents.filters import DATETIME_KWARGS
from documents.filters import ID_KWARGS
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.mixins import CreateModelMixin
from rest_framework.mixins import ListModelMixin
from rest_framework.mixins import RetrieveModelMixin
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet
from rest_framework.viewsets import ReadOnlyModelViewSet

from svc_archive_plugin import steps
from svc_archive_plugin.api.filters import ArchiveFilterSet
from svc_archive_plugin.api.serializers import AccessLogEntrySerializer
from svc_archive_plugin.api.serializers import AccessRequestSerializer
from svc_archive_plugin.api.serializers import FoundSerializer
from svc_archive_plugin.api.serializers import InspectionSerializer
from svc_archive_plugin.api.serializers import LoanSerializer
from svc_archive_plugin.api.serializers import RenewalSerializer
from svc_archive_plugin.api.views import RegisterViewSetMixin
from svc_archive_plugin.api.views import run_step
from svc_archive_plugin.api.views import step_action
from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import AccessRequest
from svc_archive_plugin.models import Loan
from svc_archive_plugin.reports.pdf_download import pdf_response
from svc_archive_plugin.services import access
from svc_archive_plugin.services import loans


class _ScopedViewSet(
    RegisterViewSetMixin,
    CreateModelMixin,
    ListModelMixin,
    RetrieveModelMixin,
    GenericViewSet,
):
    # Everyone may ask; what they may read is scoped in ``get_queryset``.
    permission_classes = (IsAuthenticated,)


class AccessRequestFilterSet(ArchiveFilterSet):
    class Meta:
        model = AccessRequest
        fields = {
            "state": ["exact", "in"],
            "requester": ID_KWARGS,
            "department": ID_KWARGS,
            "starts": DATE_KWARGS,
            "ends": DATE_KWARGS,
        }


class AccessRequestViewSet(_ScopedViewSet):
    """Access requests 查阅申请: asked by anyone, decided by the department head."""

    queryset = (
        AccessRequest.objects.select_related(
            "requester",
            "department",
            "decided_by",
            "closed_by",
        )
        .prefetch_related("items")
        .order_by("-created_at", "-pk")
    )
    serializer_class = AccessRequestSerializer
    filterset_class = AccessRequestFilterSet
    ordering_fields = ("created_at", "starts", "ends", "state")

    def get_queryset(self):
        return access.visible_requests(self.request.user, super().get_queryset())

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        created = run_step(
            access.request_access,
            request.user,
            purpose=values["purpose"],
            starts=values["starts"],
            ends=values["ends"],
            document_ids=values.get("documents", []),
            dossiers=values.get("dossiers", []),
        )
        return Response(self.get_serializer(created).data, status=201)

    approve = step_action(steps.ACCESS_REQUEST, "approve")
    refuse = step_action(steps.ACCESS_REQUEST, "refuse")
    revoke = step_action(steps.ACCESS_REQUEST, "revoke")
    withdraw = step_action(steps.ACCESS_REQUEST, "withdraw")


class AccessLogFilterSet(ArchiveFilterSet):
    class Meta:
        model = AccessLogEntry
        fields = {
            "at": DATETIME_KWARGS,
            "user": ID_KWARGS,
            "department": ID_KWARGS,
            "customer": ID_KWARGS,
            "project": ID_KWARGS,
            "document": ID_KWARGS,
            "kind": ["exact", "in"],
            "request": ID_KWARGS,
        }


class AccessLogViewSet(RegisterViewSetMixin, ReadOnlyModelViewSet):
    """The access log 查阅登记: who viewed, previewed or downloaded what, and when."""

    queryset = AccessLogEntry.objects.select_related("customer", "project").order_by(
        "-at",
        "-pk",
    )
    serializer_class = AccessLogEntrySerializer
    filterset_class = AccessLogFilterSet
    ordering_fields = ("at",)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"], url_path="csv")
    def export_csv(self, request):
        """The log (filtered as the list is) as CSV."""
        from svc_archive_plugin.reports.access_log_csv import access_log_csv_response

        if not request.user.has_perm("svc_archive_plugin.view_accesslogentry"):
            raise exceptions.PermissionDenied
        return access_log_csv_response(
            self.filter_queryset(self.get_queryset()),
            "access-log.csv",
        )


class LoanFilterSet(ArchiveFilterSet):
    class Meta:
        model = Loan
        fields = {
            "state": ["exact", "in"],
            "borrower": ID_KWARGS,
            "department": ID_KWARGS,
            "dossier": ID_KWARGS,
            "document": ID_KWARGS,
            "medium": ["exact"],
            "due": DATE_KWARGS,
        }


class LoanViewSet(_ScopedViewSet):
    """Loans 借阅 of paper originals (and electronic copies where configured)."""

    queryset = (
        # Two joins only: a nine-table join costs more to plan (~50 ms) than to run.
        Loan.objects.select_related("borrower", "department")
        .prefetch_related(
            "head_approved_by",
            "archive_approved_by",
            "issued_by",
            "received_by",
            "inspected_by",
            "events__actor",
            "liability__recorded_by",
        )
        .order_by("-requested_at", "-pk")
    )
    serializer_class = LoanSerializer
    filterset_class = LoanFilterSet
    ordering_fields = ("requested_at", "due", "state", "number")

    def get_queryset(self):
        return loans.visible_loans(self.request.user, super().get_queryset())

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        loan = run_step(
            loans.request_loan,
            request.user,
            reason=values["reason"],
            days=values["days"],
            dossier=values.get("dossier"),
            document_id=values.get("document_id"),
            medium=values.get("medium", Loan.Medium.PAPER),
        )
        return Response(self.get_serializer(loan).data, status=201)

    approve = step_action(steps.LOAN, "approve")
    refuse = step_action(steps.LOAN, "refuse")
    cancel = step_action(steps.LOAN, "cancel")
    issue = step_action(steps.LOAN, "issue")
    renew = step_action(steps.LOAN, "renew", RenewalSerializer)
    receive = step_action(steps.LOAN, "receive")
    inspect = step_action(steps.LOAN, "inspect", InspectionSerializer)
    found = step_action(steps.LOAN, "found", FoundSerializer)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def slip(self, request, pk=None):
        """The printable loan slip 借阅单 (PDF) with the signature lines."""
        from svc_archive_plugin.reports.loan_slip import loan_slip_pdf

        loan = self.get_object()
        return pdf_response(loan_slip_pdf(loan), f"{loan.number}.pdf")
