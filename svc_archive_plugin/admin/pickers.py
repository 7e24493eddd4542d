"""Pickers for the request forms: documents and dossiers found by search, not typed ids.

The widgets are Django's admin autocomplete (select2), pointed at the plugin's own search
views: a document is found by a word of its title or 档号 among those the person may see
(``records.find_documents``), a dossier by its 档号, project or customer.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.db.models import Q
from django.http import JsonResponse
from django.urls import reverse
from documents.models import Document

from svc_archive_plugin.models import AccessRequestItem
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.services import records

PAGE = 20


class _Picker:
    """An admin autocomplete widget whose results come from ``url_name``."""

    url_name = ""

    def __init__(self, field, attrs=None):
        super().__init__(field, admin.site, attrs=attrs)

    def get_url(self):
        return reverse(self.url_name)


class DocumentPicker(_Picker, AutocompleteSelect):
    url_name = "admin:svc_archive_pick_document"


class DocumentsPicker(_Picker, AutocompleteSelectMultiple):
    url_name = "admin:svc_archive_pick_document"


class DossierPicker(_Picker, AutocompleteSelect):
    url_name = "admin:svc_archive_pick_dossier"


class DossiersPicker(_Picker, AutocompleteSelectMultiple):
    url_name = "admin:svc_archive_pick_dossier"


# The widgets need a model field to name what they pick; the access request item has both.
_DOCUMENT = AccessRequestItem._meta.get_field("document")
_DOSSIER = AccessRequestItem._meta.get_field("dossier")


class DocumentField(forms.ModelChoiceField):
    """A document picked by search, shown by 档号 and title."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Document.objects.all(),
            widget=DocumentPicker(_DOCUMENT),
            **kwargs,
        )

    def label_from_instance(self, obj) -> str:
        return records.document_labels([obj.pk])[obj.pk]


class DocumentsField(forms.ModelMultipleChoiceField):
    """Documents picked by search, shown by 档号 and title."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Document.objects.all(),
            widget=DocumentsPicker(_DOCUMENT),
            **kwargs,
        )

    def label_from_instance(self, obj) -> str:
        return records.document_labels([obj.pk])[obj.pk]


class DossierField(forms.ModelChoiceField):
    """A dossier picked by search, shown by 档号 and project."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Dossier.objects.select_related("project"),
            widget=DossierPicker(_DOSSIER),
            **kwargs,
        )

    def label_from_instance(self, obj) -> str:
        return dossier_label(obj)


class DossiersField(forms.ModelMultipleChoiceField):
    """Dossiers picked by search, shown by 档号 and project."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Dossier.objects.select_related("project"),
            widget=DossiersPicker(_DOSSIER),
            **kwargs,
        )

    def label_from_instance(self, obj) -> str:
        return dossier_label(obj)


def _answer(found: list[tuple[int, str]]) -> JsonResponse:
    return JsonResponse(
        {
            "results": [{"id": str(pk), "text": label} for pk, label in found[:PAGE]],
            "pagination": {"more": False},
        },
    )


def pick_document(request) -> JsonResponse:
    """Documents for the picker: those the person may see, by title or 档号."""
    return _answer(
        records.find_documents(request.user, request.GET.get("term", ""), PAGE),
    )


def pick_dossier(request) -> JsonResponse:
    """Dossiers for the picker, by 档号, project code or name, or customer."""
    term = request.GET.get("term", "").strip()
    dossiers = Dossier.objects.select_related("project").order_by("-pk")
    if term:
        dossiers = dossiers.filter(
            Q(archive_code__icontains=term)
            | Q(project__code__icontains=term)
            | Q(project__name__icontains=term)
            | Q(project__customer__name__icontains=term),
        )
    return _answer([(d.pk, dossier_label(d)) for d in dossiers[:PAGE]])


def dossier_label(dossier: Dossier) -> str:
    project = dossier.project
    return f"{dossier.archive_code or project.code} {project.name}"
