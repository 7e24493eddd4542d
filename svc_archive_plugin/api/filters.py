"""django-filter filtersets in paperless's style (``documents.filters`` lookups)."""

from __future__ import annotations

from django import forms
from django_filters import fields
from django_filters import filters
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet
from documents.filters import CHAR_KWARGS
from documents.filters import DATE_KWARGS
from documents.filters import ID_KWARGS

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject

# The largest integer SQLite and PostgreSQL's bigint store; Python's dates end in 9999.
_INTEGER_BOUNDS = {"min_value": -(2**63), "max_value": 2**63 - 1}
_YEAR_BOUNDS = {"min_value": 1, "max_value": 9999}
_DATE_PARTS = ("year", "iso_year")


class BoundedModelChoiceField(fields.ModelChoiceField):
    """A related id beyond 64 bits is "not a valid choice" rather than an overflow."""

    def to_python(self, value):
        if value not in self.empty_values:
            try:
                number = int(str(value))
            except ValueError:
                number = None
            if number is not None and not (
                _INTEGER_BOUNDS["min_value"] <= number <= _INTEGER_BOUNDS["max_value"]
            ):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                )
        return super().to_python(value)


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
                made.field_class = BoundedModelChoiceField
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
