"""Thin DRF views over the services."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from documents.permissions import PaperlessAdminPermissions
from documents.permissions import PaperlessObjectPermissions
from drf_spectacular.utils import extend_schema
from paperless.views import StandardPagination
from rest_framework import exceptions
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

from svc_archive_plugin.api.filters import CustomerFilterSet
from svc_archive_plugin.api.filters import DossierFilterSet
from svc_archive_plugin.api.filters import ServiceProjectFilterSet
from svc_archive_plugin.api.serializers import CustomerSerializer
from svc_archive_plugin.api.serializers import DossierSerializer
from svc_archive_plugin.api.serializers import ServiceProjectSerializer
from svc_archive_plugin.api.serializers import ServiceTypeSerializer
from svc_archive_plugin.api.serializers import StatusSerializer
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services.registers import RegisterInUse
from svc_archive_plugin.services.registers import delete_entry
from svc_archive_plugin.services.status import plugin_status


class StatusView(APIView):
    """Version, effective settings and counts of the service-archive plugin."""

    permission_classes = (IsAuthenticated, PaperlessAdminPermissions)

    @extend_schema(responses=StatusSerializer, operation_id="svc_archive_status")
    def get(self, request, *args, **kwargs):
        return Response(StatusSerializer(plugin_status()).data)


class RegisterViewSetMixin:
    """Paperless's conventions: its permissions, pagination and filter backends."""

    pagination_class = StandardPagination
    permission_classes = (IsAuthenticated, PaperlessObjectPermissions)
    filter_backends = (DjangoFilterBackend, OrderingFilter)


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
