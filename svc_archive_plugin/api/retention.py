"""Thin DRF views over retention, legal holds, appraisal and destruction."""

from __future__ import annotations

from documents.filters import DATE_KWARGS
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
from svc_archive_plugin.api.serializers import AppraisalDecisionSerializer
from svc_archive_plugin.api.serializers import AppraiseSerializer
from svc_archive_plugin.api.serializers import DestructionExecutionSerializer
from svc_archive_plugin.api.serializers import DestructionListSerializer
from svc_archive_plugin.api.serializers import LegalHoldSerializer
from svc_archive_plugin.api.serializers import NoteSerializer
from svc_archive_plugin.api.serializers import ReasonSerializer
from svc_archive_plugin.api.serializers import RecordRetentionSerializer
from svc_archive_plugin.api.serializers import RegisterEntrySerializer
from svc_archive_plugin.api.views import RegisterViewSetMixin
from svc_archive_plugin.api.views import run_step
from svc_archive_plugin.api.views import step_action
from svc_archive_plugin.models import AppraisalDecision
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import LegalHold
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import RegisterEntry
from svc_archive_plugin.reports.pdf_download import pdf_response
from svc_archive_plugin.services import destruction
from svc_archive_plugin.services import holds
from svc_archive_plugin.services import register
from svc_archive_plugin.services import retention


class RecordRetentionFilterSet(ArchiveFilterSet):
    class Meta:
        model = RecordRetention
        fields = {
            "document": ID_KWARGS,
            "state": ["exact", "in"],
            "retention": ["exact", "in"],
            "filed": ["exact"],
            "until": DATE_KWARGS,
        }


class RecordRetentionViewSet(RegisterViewSetMixin, ReadOnlyModelViewSet):
    """Each record's retention; ``?state=due`` is the appraisal queue 鉴定."""

    queryset = RecordRetention.objects.select_related("document").order_by(
        "until",
        "document_id",
    )
    serializer_class = RecordRetentionSerializer
    filterset_class = RecordRetentionFilterSet
    ordering_fields = ("until", "due_since", "document")
    lookup_field = "document"

    def get_object(self):
        # The lookup goes through the document's foreign key, which Django does not
        # range-check: past 64 bits SQLite raises OverflowError. No such document exists.
        value = str(self.kwargs[self.lookup_field])
        if not value.isdigit() or int(value) > 2**63 - 1:
            raise exceptions.NotFound
        return super().get_object()

    def get_permissions(self):
        if self.action == "appraise":
            return [IsAuthenticated()]  # the service checks appraise_record
        return super().get_permissions()

    # The decisions just taken, as a plain list: a POST is neither paginated nor filtered.
    @extend_schema(
        request=AppraiseSerializer,
        responses=AppraisalDecisionSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def appraise(self, request):
        """Decide on records in the appraisal queue: destroy, extend or keep permanently."""
        data = AppraiseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decisions = run_step(
            retention.appraise,
            request.user,
            data.validated_data["documents"],
            data.validated_data["decision"],
            data.validated_data["reason"],
            years=data.validated_data.get("years"),
        )
        return Response(AppraisalDecisionSerializer(decisions, many=True).data)


class AppraisalDecisionViewSet(RegisterViewSetMixin, ReadOnlyModelViewSet):
    """The appraisal decisions, with their reasons."""

    queryset = AppraisalDecision.objects.select_related("decided_by").order_by(
        "-decided_at",
        "-pk",
    )
    serializer_class = AppraisalDecisionSerializer
    filterset_fields = ("document", "decision", "dossier")


class LegalHoldViewSet(
    RegisterViewSetMixin,
    CreateModelMixin,
    ListModelMixin,
    RetrieveModelMixin,
    GenericViewSet,
):
    """Legal holds 冻结: placed with a reason and scope, released with a reason."""

    queryset = (
        LegalHold.objects.select_related("placed_by", "released_by")
        .prefetch_related("scope", "members", "events__actor")
        .order_by("-placed_at", "-pk")
    )
    serializer_class = LegalHoldSerializer
    filterset_fields = ("released_at",)

    def get_permissions(self):
        if self.action in ("create", "release"):
            return [IsAuthenticated()]  # the service checks place/release_legalhold
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        hold = run_step(
            holds.place_hold,
            request.user,
            name=values["name"],
            reason=values["reason"],
            documents=values.get("documents", []),
            dossiers=values.get("dossiers", []),
            customers=values.get("customers", []),
            projects=values.get("projects", []),
        )
        return Response(self.get_serializer(hold).data, status=201)

    @extend_schema(request=ReasonSerializer, responses=LegalHoldSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Release the hold; its records stay held while another hold covers them."""
        hold = LegalHold.objects.filter(pk=pk).first()
        if hold is None or not request.user.has_perm(
            "svc_archive_plugin.view_legalhold",
        ):
            raise exceptions.NotFound
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hold = run_step(
            holds.release_hold,
            hold,
            request.user,
            data.validated_data["reason"],
        )
        return Response(self.get_serializer(hold).data)


class DestructionListViewSet(
    RegisterViewSetMixin,
    CreateModelMixin,
    ListModelMixin,
    RetrieveModelMixin,
    GenericViewSet,
):
    """Destruction lists 销毁清单 and their supervised steps."""

    queryset = (
        DestructionList.objects.select_related("prepared_by")
        .prefetch_related("items", "events__actor")
        .order_by("-created_at", "-pk")
    )
    serializer_class = DestructionListSerializer
    filterset_fields = ("state",)
    STEPS = (
        "submit",
        "approve",
        "reject",
        "check",
        "discrepancy",
        "supervise",
        "cancel",
        "execute",
    )

    def get_permissions(self):
        if self.action in (*self.STEPS, "create"):
            # Each step's service checks its own permission and who may not take it.
            return [IsAuthenticated()]
        return super().get_permissions()

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action in self.STEPS and not self.request.user.has_perm(
            "svc_archive_plugin.view_destructionlist",
        ):
            return queryset.none()
        return queryset

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        destruction_list = run_step(
            destruction.prepare,
            request.user,
            title=data.validated_data["title"],
            reason=data.validated_data["reason"],
            document_ids=data.validated_data["documents"],
        )
        return Response(self.get_serializer(destruction_list).data, status=201)

    submit = step_action(steps.DESTRUCTION_LIST, "submit", NoteSerializer)
    approve = step_action(steps.DESTRUCTION_LIST, "approve", NoteSerializer)
    reject = step_action(steps.DESTRUCTION_LIST, "reject", NoteSerializer)
    check = step_action(steps.DESTRUCTION_LIST, "check", NoteSerializer)
    discrepancy = step_action(steps.DESTRUCTION_LIST, "discrepancy", NoteSerializer)
    supervise = step_action(steps.DESTRUCTION_LIST, "supervise", NoteSerializer)
    cancel = step_action(steps.DESTRUCTION_LIST, "cancel", NoteSerializer)
    execute = step_action(
        steps.DESTRUCTION_LIST,
        "execute",
        DestructionExecutionSerializer,
    )

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def register_pdf(self, request, pk=None):
        """The list's printable destruction register (PDF) with its signature block."""
        from svc_archive_plugin.reports.destruction_register import (
            destruction_register_pdf,
        )

        return pdf_response(*destruction_register_pdf(self.get_object()))


class RegisterEntryViewSet(RegisterViewSetMixin, ReadOnlyModelViewSet):
    """The destruction register 销毁清册: tombstones chained by hash."""

    queryset = RegisterEntry.objects.order_by("sequence")
    serializer_class = RegisterEntrySerializer
    filterset_fields = ("destruction_list", "document_id")
    lookup_field = "sequence"

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"], url_path="csv")
    def export_csv(self, request):
        """The register (filtered as the list is) as CSV."""
        from svc_archive_plugin.reports.register_csv import register_csv_response

        return register_csv_response(
            self.filter_queryset(self.get_queryset()),
            "destruction-register.csv",
        )

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def verify(self, request):
        """Whether the hash chain is intact, and where it is not."""
        problems = list(register.verify())
        return Response(
            {
                "intact": not problems,
                "entries": RegisterEntry.objects.count(),
                "problems": [
                    {"sequence": p.sequence, "detail": p.detail} for p in problems
                ],
            },
        )
