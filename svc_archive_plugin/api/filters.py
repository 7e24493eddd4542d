"""django-filter filtersets in paperless's style (``documents.filters`` lookups)."""

from __future__ import annotations

from django import forms
from django_filters import filters
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet
from documents.filters import CHAR_KWARGS
from documents.filters import DATE_KWARGS
from documents.filters import ID_KWARGS

from svc_archive_plugin.api.bounds import LARGEST_INTEGER
from svc_archive_plugin.api.bounds import SMALLEST_INTEGER
from svc_archive_plugin.api.bounds import fits
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject

_INTEGER_BOUNDS = {"min_value": SMALLEST_INTEGER, "max_value": LARGEST_INTEGER}
_YEAR_BOUNDS = {"min_value": 1, "max_value": 9999}  # Python's dates
_DATE_PARTS = ("year", "iso_year")


class _BoundedChoice:
    """A related id beyond 64 bits is "not a valid choice" rather than an overflow."""

    def to_python(self, value):
        if value not in self.empty_values and not fits(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


def _bounded(field_class: type) -> type:
    # The single and the comma-separated (``__in``) choice fields alike.
    return type(f"Bounded{field_class.__name__}", (_BoundedChoice, field_class), {})


class ArchiveFilterSet(FilterSet):
    """paperless's filtersets, with numbers checked before they reach the database.

    ``?end_date__year=0`` or ``?id__in=10**23`` would otherwise be a ``ValueError`` or
    an ``OverflowError`` in the query, an HTTP 500; here they are a 400 that names the
    parameter and the allowed range.
    """

    @classmethod
    def get_filters(cls):
        built = super().get_filters()  # generated and declared ones alike
        for made in built.values():
            if isinstance(made, filters.NumberFilter):
                first = (made.lookup_expr or "").split("__")[0]
                bounds = _YEAR_BOUNDS if first in _DATE_PARTS else _INTEGER_BOUNDS
                made.extra = {**bounds, **made.extra}
            elif isinstance(made, filters.ModelChoiceFilter):
                made.field_class = _bounded(made.field_class)
        return built


class ArchiveFilterBackend(DjangoFilterBackend):
    """Builds the filtersets of ``filterset_fields`` on :class:`ArchiveFilterSet` too."""

    filterset_base = ArchiveFilterSet


class CustomerFilterSet(ArchiveFilterSet):
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


class ServiceProjectFilterSet(ArchiveFilterSet):
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


class DossierFilterSet(ArchiveFilterSet):
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
