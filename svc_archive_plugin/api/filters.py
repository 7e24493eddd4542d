"""django-filter filtersets in paperless's style (``documents.filters`` lookups)."""

from __future__ import annotations

from django_filters.rest_framework import FilterSet
from documents.filters import CHAR_KWARGS
from documents.filters import DATE_KWARGS
from documents.filters import ID_KWARGS

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject


class CustomerFilterSet(FilterSet):
    class Meta:
        model = Customer
        fields = {
            "id": ID_KWARGS,
            "code": CHAR_KWARGS,
            "name": CHAR_KWARGS,
            "nature": ["exact"],
            "size": ["exact"],
            "industry": CHAR_KWARGS,
        }


class ServiceProjectFilterSet(FilterSet):
    class Meta:
        model = ServiceProject
        fields = {
            "id": ID_KWARGS,
            "code": CHAR_KWARGS,
            "name": CHAR_KWARGS,
            "customer__id": ID_KWARGS,
            "service_type__id": ID_KWARGS,
            "department__id": ID_KWARGS,
            "is_major": ["exact"],
            "end_date": DATE_KWARGS,
        }


class DossierFilterSet(FilterSet):
    class Meta:
        model = Dossier
        fields = {
            "id": ID_KWARGS,
            "state": ["exact", "in"],
            "category__id": ID_KWARGS,
            "project__id": ID_KWARGS,
            "project__customer__id": ID_KWARGS,
            "archive_code": CHAR_KWARGS,
        }
