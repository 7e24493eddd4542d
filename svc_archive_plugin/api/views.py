"""Thin DRF views over the services."""

from __future__ import annotations

import keyword
import logging

from django.db import DatabaseError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from documents.permissions import PaperlessAdminPermissions
from documents.permissions import PaperlessObjectPermissions
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from paperless.views import StandardPagination
from rest_framework import exceptions
from rest_framework import serializers
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
from svc_archive_plugin.reports import catalogues as catalogue_reports
from svc_archive_plugin.reports.cover_sheet import cover_sheet_response
from svc_archive_plugin.reports.pdf_download import pdf_response
from svc_archive_plugin.services import catalogues
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

logger = logging.getLogger("paperless.svc_archive")


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


class StepInterrupted(exceptions.APIException):
    status_code = 503
    default_code = "step_interrupted"


def run_step(step, *args, **kwargs):
    """Call a service; a forbidden step answers 403, a refused one 409.

    A database that could not be reached (a dropped connection, a locked SQLite file)
    answers 503 with what to do, not paperless's bare 500: the step's transaction was
    rolled back with it, and the connection is replaced for the next request.
    """
    try:
        return step(*args, **kwargs)
    except Forbidden as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc
    except Refused as exc:
        raise StepRefused(str(exc)) from exc
    except IntegrityError:
        raise
    except DatabaseError as exc:
        logger.warning("A step was interrupted by the database: %s", exc)
        raise StepInterrupted(
            _(
                "The step was interrupted: the database could not be reached. Reload "
                "the page to see whether it was taken, and try again if not.",
            ),
        ) from exc


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


# The catalogues and paperwork of dossiers (services/catalogues.py), as PDF and CSV.

PDF = {(200, "application/pdf"): OpenApiTypes.BINARY}
CSV = {(200, "text/csv"): OpenApiTypes.BINARY}
DOSSIERS_PARAMETER = OpenApiParameter(
    "dossier",
    OpenApiTypes.INT,
    many=True,
    required=True,
    description="a dossier id; repeat it for several dossiers",
)
FILED_RECORDS_PARAMETERS = [
    OpenApiParameter(
        "year",
        OpenApiTypes.INT,
        required=True,
        description="the year of the archive codes (the projects' end), e.g. 2026",
    ),
    OpenApiParameter(
        "category",
        OpenApiTypes.STR,
        required=True,
        description="the archive category's code, e.g. KF",
    ),
]


class DossierIdsSerializer(serializers.Serializer):
    dossier = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=500,
    )


class FiledRecordsSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1900, max_value=9999)
    category = serializers.CharField(max_length=16)

    def validate_category(self, value):
        try:
            return catalogues.category_of(value)
        except catalogues.CatalogueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class DossierPaperworkMixin:
    """The dossier's catalogues, handover list and spine labels (PDF and CSV)."""

    def _chosen(self, request):
        params = DossierIdsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        ids = set(params.validated_data["dossier"])
        found = list(self.get_queryset().filter(pk__in=ids))
        unknown = ids - {d.pk for d in found}
        if unknown:
            raise exceptions.ValidationError(
                {
                    "dossier": _("No dossier has the id %(ids)s.")
                    % {"ids": ", ".join(str(i) for i in sorted(unknown))},
                },
            )
        return found

    def _filed_records(self, request):
        params = FiledRecordsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return params.validated_data["year"], params.validated_data["category"]

    @extend_schema(responses=PDF, filters=False)
    @action(detail=True, methods=["get"])
    def catalogue(self, request, pk=None):
        """The in-dossier catalogue 卷内目录 (PDF): 件号, 责任者, 文号, 题名, 日期, 页数, 备注."""
        return pdf_response(*catalogue_reports.catalogue_pdf(self.get_object()))

    @extend_schema(responses=CSV, filters=False)
    @action(detail=True, methods=["get"], url_path="catalogue_csv")
    def catalogue_csv(self, request, pk=None):
        """The in-dossier catalogue as CSV (UTF-8 with BOM), one row per record."""
        return catalogue_reports.catalogue_csv_response(self.get_object())

    @extend_schema(responses=PDF, filters=False)
    @action(detail=True, methods=["get"])
    def label(self, request, pk=None):
        """The dossier's spine label 档案盒脊背 (PDF): QR code of the 档号, barcode of the
        label code (the project code)."""
        return pdf_response(*catalogue_reports.labels_pdf([self.get_object()]))

    @extend_schema(parameters=[DOSSIERS_PARAMETER], responses=PDF, filters=False)
    @action(detail=False, methods=["get"])
    def labels(self, request):
        """Spine labels of several dossiers (PDF), three to a page."""
        return pdf_response(*catalogue_reports.labels_pdf(self._chosen(request)))

    @extend_schema(parameters=[DOSSIERS_PARAMETER], responses=PDF, filters=False)
    @action(detail=False, methods=["get"])
    def handover(self, request):
        """The handover list 移交清单 of the dossiers (PDF), with both signatures."""
        return pdf_response(*catalogue_reports.handover_pdf(self._chosen(request)))

    @extend_schema(parameters=[DOSSIERS_PARAMETER], responses=CSV, filters=False)
    @action(detail=False, methods=["get"], url_path="handover_csv")
    def handover_csv(self, request):
        """The handover list as CSV: a row per dossier, the totals last."""
        return catalogue_reports.handover_csv_response(self._chosen(request))

    @extend_schema(parameters=FILED_RECORDS_PARAMETERS, responses=PDF, filters=False)
    @action(detail=False, methods=["get"], url_path="filed_records")
    def filed_records(self, request):
        """The catalogue of filed records 归档文件目录 of a year and category (PDF)."""
        return pdf_response(
            *catalogue_reports.filed_records_pdf(*self._filed_records(request)),
        )

    @extend_schema(parameters=FILED_RECORDS_PARAMETERS, responses=CSV, filters=False)
    @action(detail=False, methods=["get"], url_path="filed_records_csv")
    def filed_records_csv(self, request):
        """The catalogue of filed records as CSV, by 档号 then 件号."""
        return catalogue_reports.filed_records_csv_response(
            *self._filed_records(request),
        )


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
    DossierPaperworkMixin,
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
