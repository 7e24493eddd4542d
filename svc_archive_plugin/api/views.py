"""Thin DRF views over the services."""

from __future__ import annotations

import keyword

from documents.permissions import PaperlessAdminPermissions
from documents.permissions import PaperlessObjectPermissions
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from paperless.views import StandardPagination
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.mixins import ListModelMixin
from rest_framework.mixins import RetrieveModelMixin
from rest_framework.mixins import UpdateModelMixin
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet
from rest_framework.viewsets import ModelViewSet
from rest_framework.viewsets import ReadOnlyModelViewSet

from svc_archive_plugin import steps
from svc_archive_plugin.api.filters import ArchiveFilterBackend
from svc_archive_plugin.api.filters import CustomerFilterSet
from svc_archive_plugin.api.filters import DossierFilterSet
from svc_archive_plugin.api.filters import ServiceProjectFilterSet
from svc_archive_plugin.api.serializers import CompletenessSerializer
from svc_archive_plugin.api.serializers import CustomerSerializer
from svc_archive_plugin.api.serializers import DossierSerializer
from svc_archive_plugin.api.serializers import FilingEventSerializer
from svc_archive_plugin.api.serializers import ReasonSerializer
from svc_archive_plugin.api.serializers import RetentionOverrideSerializer
from svc_archive_plugin.api.serializers import ServiceProjectSerializer
from svc_archive_plugin.api.serializers import ServiceTypeSerializer
from svc_archive_plugin.api.serializers import StatusSerializer
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.reports.cover_sheet import cover_sheet_response
from svc_archive_plugin.services import deadlines
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import registers
from svc_archive_plugin.services import retention
from svc_archive_plugin.services.refusals import Forbidden
from svc_archive_plugin.services.refusals import Refused
from svc_archive_plugin.services.registers import RegisterInUse
from svc_archive_plugin.services.registers import delete_entry
from svc_archive_plugin.services.status import plugin_status
from svc_archive_plugin.steps import Step
from svc_archive_plugin.steps import take


class StatusView(APIView):
    """Version, effective settings and counts of the service-archive plugin."""

    permission_classes = (IsAuthenticated, PaperlessAdminPermissions)

    @extend_schema(responses=StatusSerializer, operation_id="svc_archive_status")
    def get(self, request, *args, **kwargs):
        return Response(StatusSerializer(plugin_status()).data)


class RegisterPagination(StandardPagination):
    """paperless's pages, without API version 9's list of every id.

    The plugin's API is new (no version 9 clients), and its registers grow without end:
    the access log's ``all`` would be a million ids on every page.
    """

    def _should_include_all(self) -> bool:
        return False


class RegisterViewSetMixin:
    """Paperless's conventions: its permissions, pagination and filter backends."""

    pagination_class = RegisterPagination
    permission_classes = (IsAuthenticated, PaperlessObjectPermissions)
    filter_backends = (ArchiveFilterBackend, OrderingFilter)
    # Ids are numbers: ``holds/abc/release/`` is an unknown path (a JSON 404), not a
    # ``ValueError`` in the step.
    lookup_value_regex = r"\d+"


class RegisterInUseError(exceptions.APIException):
    status_code = 409
    default_code = "in_use"


class DeletableRegisterViewSet(RegisterViewSetMixin, ModelViewSet):
    def perform_destroy(self, instance):
        try:
            delete_entry(instance)
        except RegisterInUse as exc:
            raise RegisterInUseError(str(exc)) from exc


class ServiceTypeViewSet(RegisterViewSetMixin, ReadOnlyModelViewSet):
    """Service types (technical, consulting, repair, after-sales, …)."""

    queryset = ServiceType.objects.order_by("code")
    serializer_class = ServiceTypeSerializer
    ordering_fields = ("code", "name")


class CustomerViewSet(DeletableRegisterViewSet):
    """The customer register 客户."""

    queryset = Customer.objects.order_by("code")
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    ordering_fields = ("code", "name", "industry")


class ServiceProjectViewSet(DeletableRegisterViewSet):
    """The service project register 服务项目."""

    queryset = ServiceProject.objects.select_related("dossier").order_by("code")
    serializer_class = ServiceProjectSerializer
    filterset_class = ServiceProjectFilterSet
    ordering_fields = ("code", "name", "end_date", "start_date")

    def perform_create(self, serializer):
        self._save(serializer, None)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def _save(self, serializer, project):
        # Heads edit their own department's projects; filed records' facts are frozen.
        try:
            registers.check_project_edit(
                self.request.user,
                project,
                serializer.validated_data,
            )
            serializer.save()
        except (registers.RegisterFrozen, registers.RegisterEditForbidden) as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "document_type",
                str,
                description="document-type code, e.g. HT",
            ),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def cover_sheet(self, request, pk=None):
        """The project's scan separator sheet 扫描分隔页 (PDF), optionally for one document type."""
        try:
            return cover_sheet_response(
                self.get_object(),
                request.query_params.get("document_type"),
            )
        except LookupError as exc:
            raise exceptions.ValidationError({"document_type": str(exc)}) from exc


class StepRefused(exceptions.APIException):
    status_code = 409
    default_code = "step_refused"


def run_step(step, *args, **kwargs):
    """Call a service; a forbidden step answers 403, a refused one 409."""
    try:
        return step(*args, **kwargs)
    except Forbidden as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc
    except Refused as exc:
        raise StepRefused(str(exc)) from exc


def step_action(
    table: dict[str, Step],
    name: str,
    request_serializer: type = ReasonSerializer,
):
    """A POST action ``<id>/<name>/`` that takes a step of ``table`` and answers with the object."""
    step = table[name]

    @extend_schema(request=request_serializer)
    def run(self, request, pk=None):
        obj = self.get_object()
        data = request_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = run_step(take, step, obj, request.user, data.validated_data)
        if not isinstance(result, type(obj)):
            obj.refresh_from_db()
            result = obj
        return Response(self.get_serializer(result).data)

    # DRF dispatches to the attribute named like the function: ``return_`` for "return".
    run.__name__ = f"{name}_" if keyword.iskeyword(name) else name
    run.__doc__ = getattr(step.run, "__doc__", None) or str(step.label)
    return action(detail=True, methods=["post"], url_path=name, url_name=name)(run)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "deadline",
                str,
                enum=["overdue", "due_soon"],
                description="only dossiers past their filing deadline, or due soon",
            ),
        ],
    ),
)
class DossierViewSet(
    RegisterViewSetMixin,
    ListModelMixin,
    RetrieveModelMixin,
    UpdateModelMixin,
    GenericViewSet,
):
    """Dossiers 案卷: one per project; filing moves through its actions."""

    queryset = Dossier.objects.order_by("project__code")
    serializer_class = DossierSerializer
    filterset_class = DossierFilterSet
    ordering_fields = ("project__code", "archive_code", "state")

    FILING_ACTIONS = (
        "submit",
        "approve",
        "receive",
        "file",
        "return_",
        "accept_incomplete",
        "override_retention",
    )

    def get_permissions(self):
        if self.action in self.FILING_ACTIONS:
            # The filing service checks each step's own permission, department and role.
            return [IsAuthenticated()]
        return super().get_permissions()

    def perform_update(self, serializer):
        # A filed dossier's category is frozen; heads edit their department's only.
        try:
            registers.check_dossier_edit(
                self.request.user,
                serializer.instance,
                serializer.validated_data,
            )
            serializer.save()
        except (registers.RegisterFrozen, registers.RegisterEditForbidden) as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc

    def get_queryset(self):
        queryset = super().get_queryset()
        deadline = self.request.query_params.get("deadline")
        if deadline == "overdue":
            return queryset.filter(pk__in=deadlines.overdue().values("pk"))
        if deadline == "due_soon":
            return queryset.filter(pk__in=deadlines.due_soon().values("pk"))
        return queryset

    submit = step_action(steps.FILING, "submit")
    approve = step_action(steps.FILING, "approve")
    receive = step_action(steps.FILING, "receive")
    file = step_action(steps.FILING, "file")
    return_ = step_action(steps.FILING, "return")
    accept_incomplete = step_action(steps.FILING, "accept_incomplete")

    @extend_schema(request=RetentionOverrideSerializer, responses=DossierSerializer)
    @action(detail=True, methods=["post"], url_path="override_retention")
    def override_retention(self, request, pk=None):
        """Give the dossier's records a retention class other than the schedule's."""
        dossier = self.get_object()
        data = RetentionOverrideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dossier = run_step(
            retention.override_dossier_retention,
            dossier,
            request.user,
            data.validated_data["retention"],
            data.validated_data["reason"],
        )
        return Response(DossierSerializer(dossier).data)

    @extend_schema(responses=CompletenessSerializer)
    @action(detail=True, methods=["get"])
    def completeness(self, request, pk=None):
        """Required document types present and missing."""
        return Response(
            CompletenessSerializer(filing.completeness(self.get_object())).data,
        )

    # One dossier's steps are few: a plain list, neither paginated nor filtered.
    @extend_schema(responses=FilingEventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        """Every filing step of the dossier, oldest first."""
        events = (
            self.get_object().filing_events.select_related("actor").order_by("at", "pk")
        )
        return Response(FilingEventSerializer(events, many=True).data)


class ArchiveCodeGapsView(APIView):
    """Numbers given out in each archive-code series that no dossier carries."""

    permission_classes = (IsAuthenticated, PaperlessAdminPermissions)

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        operation_id="svc_archive_code_gaps",
    )
    def get(self, request, *args, **kwargs):
        return Response(filing.archive_code_gaps())
