"""Routes of the plugin's REST API and their mount under paperless's ``/api/``."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import include
from django.urls import path
from django.urls import re_path
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from svc_archive_plugin.api.access import AccessLogViewSet
from svc_archive_plugin.api.access import AccessRequestViewSet
from svc_archive_plugin.api.access import LoanViewSet
from svc_archive_plugin.api.corrections import CorrectionViewSet
from svc_archive_plugin.api.fixity import FixityRunViewSet
from svc_archive_plugin.api.inventory import InventoryItemViewSet
from svc_archive_plugin.api.inventory import InventoryRoundViewSet
from svc_archive_plugin.api.retention import AppraisalDecisionViewSet
from svc_archive_plugin.api.retention import DestructionListViewSet
from svc_archive_plugin.api.retention import LegalHoldViewSet
from svc_archive_plugin.api.retention import RecordRetentionViewSet
from svc_archive_plugin.api.retention import RegisterEntryViewSet
from svc_archive_plugin.api.statistics import StatisticsCsvView
from svc_archive_plugin.api.statistics import StatisticsFigureView
from svc_archive_plugin.api.statistics import StatisticsIndexView
from svc_archive_plugin.api.views import ArchiveCodeGapsView
from svc_archive_plugin.api.views import CustomerViewSet
from svc_archive_plugin.api.views import DossierViewSet
from svc_archive_plugin.api.views import ServiceProjectViewSet
from svc_archive_plugin.api.views import ServiceTypeViewSet
from svc_archive_plugin.api.views import StatusView

app_name = "svc_archive"
PREFIX = "api/svc_archive/"

router = SimpleRouter()
router.register("customers", CustomerViewSet)
router.register("projects", ServiceProjectViewSet)
router.register("service_types", ServiceTypeViewSet)
router.register("dossiers", DossierViewSet)
router.register("retention", RecordRetentionViewSet)
router.register("appraisals", AppraisalDecisionViewSet)
router.register("holds", LegalHoldViewSet)
router.register("destruction_lists", DestructionListViewSet)
router.register("destruction_register", RegisterEntryViewSet)
router.register("access_requests", AccessRequestViewSet)
router.register("access_log", AccessLogViewSet)
router.register("loans", LoanViewSet)
router.register("fixity_runs", FixityRunViewSet)
router.register("inventory_rounds", InventoryRoundViewSet)
router.register("inventory_items", InventoryItemViewSet)
router.register("corrections", CorrectionViewSet)


class ApiRootView(APIView):
    """``/api/svc_archive/``: the plugin's endpoints, as DRF's browsable root lists them."""

    permission_classes = (IsAuthenticated,)
    schema = None  # an index, not an operation

    def get(self, request, *args, **kwargs):
        endpoints = {
            name: reverse(f"svc_archive:{name}", request=request)
            for name in ("status", "archive_code_gaps", "statistics")
        }
        for prefix, _viewset, basename in router.registry:
            endpoints[prefix] = reverse(f"svc_archive:{basename}-list", request=request)
        return Response(endpoints)


def api_not_found(request, *args, **kwargs):
    """A JSON 404 for an unknown path under ``/api/``, where paperless would serve its UI."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)


urlpatterns = [
    path("", ApiRootView.as_view(), name="root"),
    path("status/", StatusView.as_view(), name="status"),
    path("archive_code_gaps/", ArchiveCodeGapsView.as_view(), name="archive_code_gaps"),
    path("statistics/", StatisticsIndexView.as_view(), name="statistics"),
    path(
        "statistics/<str:figure>/",
        StatisticsFigureView.as_view(),
        name="statistics_figure",
    ),
    path(
        "statistics/<str:figure>/csv/",
        StatisticsCsvView.as_view(),
        name="statistics_csv",
    ),
    *router.urls,
]


def mount_api() -> None:
    """Put the plugin's routes ahead of paperless's catch-all, once.

    paperless-ngx 3.0.5 has no URL hook for apps; its ``urlpatterns`` list is the one place.
    """
    from django.urls import clear_url_caches
    from paperless import urls as paperless_urls

    if any(
        getattr(p, "app_name", None) == app_name for p in paperless_urls.urlpatterns
    ):
        return
    paperless_urls.urlpatterns.insert(
        0,
        path(PREFIX, include("svc_archive_plugin.api.urls")),
    )
    # Just before the UI's catch-all: no path under /api/ answers with the UI's page.
    catch_all = next(
        (
            i
            for i, p in enumerate(paperless_urls.urlpatterns)
            if getattr(p, "name", None) == "base"
        ),
        len(paperless_urls.urlpatterns),
    )
    paperless_urls.urlpatterns.insert(
        catch_all,
        re_path(r"^api/", api_not_found, name="svc_archive_api_not_found"),
    )
    clear_url_caches()
