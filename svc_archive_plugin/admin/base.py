"""What every plugin admin screen shares: people by name, and errors in the admin's own look.

``PluginAdmin`` is the base of the plugin's ModelAdmins, ``PeopleByName`` also of its
inlines. An unknown id (Django's change, delete and history pages, step pages, the custom
views) answers a translated 404 page in the admin's frame instead of a bare "Not Found" or
a redirect; a filter value the list cannot use is named on the list, which then shows
without it, instead of Django's silent redirect to ``?e=1``.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import admin
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.admin.views.main import IGNORED_PARAMS
from django.contrib.admin.views.main import ORDER_VAR
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from svc_archive_plugin.services import records
from svc_archive_plugin.services.people import name_of

# Columns that show a person, named ``<foreign key>_person``, or a document (``_label``).
PERSON = "_person"
LABEL = "_label"
# The list's own parameters; every other one is a filter.
LIST_PARAMS = {*IGNORED_PARAMS, ORDER_VAR, PAGE_VAR, SEARCH_VAR, ERROR_FLAG}
NOT_FOUND_TEMPLATE = "admin/svc_archive_plugin/not_found.html"


def _user_field(model, name: str):
    """The model's foreign key ``name`` to a user, or None."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not field.many_to_one or field.related_model is None:
        return None
    if field.related_model._meta.label != settings.AUTH_USER_MODEL:
        return None
    return field


def _document_field(model, name: str):
    """The model's foreign key ``name`` to a paperless document, or None."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not field.many_to_one or field.related_model is None:
        return None
    if field.related_model._meta.label != "documents.Document":
        return None
    return field


# The admin's empty value, spelled out: a read-only field shows a callable's None as "None".
NOBODY = admin.site.empty_value_display


def _document_column(field):
    def column(obj) -> str:
        pk = getattr(obj, field.attname)
        return NOBODY if pk is None else records.document_labels([pk])[pk]

    column.short_description = field.verbose_name
    column.admin_order_field = field.attname
    return column


def _shown_as(model, name) -> str | None:
    """The column that shows field ``name`` by name, if it is a person or a document."""
    if not isinstance(name, str):
        return None
    if _user_field(model, name):
        return f"{name}{PERSON}"
    if _document_field(model, name):
        return f"{name}{LABEL}"
    return None


def _person_column(field):
    def column(obj) -> str:
        return name_of(getattr(obj, field.name)) or NOBODY

    column.short_description = field.verbose_name
    column.admin_order_field = field.name
    return column


class PeopleByName:
    """Shows people by name (``name_of``), not user name, and documents by 档号 and title.

    A user key in ``list_display`` or among the read-only fields is shown through the
    column ``<key>_person``; a read-only document key through ``<key>_label`` (lists label
    their documents in their queryset instead, see ``records.with_document_labels``).
    """

    def __getattr__(self, name: str):
        if not name.startswith("_") and name.endswith((PERSON, LABEL)):
            model = self.__dict__.get("model") or getattr(type(self), "model", None)
            if model is not None and name.endswith(PERSON):
                field = _user_field(model, name[: -len(PERSON)])
                if field is not None:
                    return _person_column(field)
            if model is not None and name.endswith(LABEL):
                field = _document_field(model, name[: -len(LABEL)])
                if field is not None:
                    return _document_column(field)
        raise AttributeError(name)

    def _by_name(self, names, readonly) -> list:
        return [
            (name in readonly and _shown_as(self.model, name)) or name for name in names
        ]

    def get_list_display(self, request):
        return [
            f"{name}{PERSON}"
            if isinstance(name, str) and _user_field(self.model, name)
            else name
            for name in super().get_list_display(request)
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return self._by_name(readonly, set(readonly))

    def get_fieldsets(self, request, obj=None):
        # The original read-only names (``super``), as those are the ones shown by name.
        readonly = set(super().get_readonly_fields(request, obj))
        return [
            (title, {**options, "fields": self._fields_by_name(options, readonly)})
            for title, options in super().get_fieldsets(request, obj)
        ]

    def _fields_by_name(self, options, readonly) -> list:
        return [
            tuple(self._by_name(row, readonly))
            if isinstance(row, (list, tuple))
            else self._by_name([row], readonly)[0]
            for row in options["fields"]
        ]


def not_found_page(request, modeladmin, object_id=None) -> TemplateResponse:
    """The admin's 404: what was not found, and the way back to its list."""
    opts = modeladmin.model._meta
    if object_id is None:
        message = _("This page does not exist, or you may not see it.")
    else:
        message = _(
            "There is no %(name)s with number %(id)s, or you may not see it. "
            "It may have been deleted.",
        ) % {"name": opts.verbose_name, "id": object_id}
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": opts,
        "title": _("Not found"),
        "message": message,
    }
    return TemplateResponse(request, NOT_FOUND_TEMPLATE, context, status=404)


class PluginAdmin(PeopleByName, admin.ModelAdmin):
    """The base of the plugin's ModelAdmins."""

    @property
    def urls(self):
        # Every view of this admin, the mixins' and the custom ones included.
        patterns = self.get_urls()
        for pattern in patterns:
            if hasattr(pattern, "callback"):
                pattern.callback = self._found_or_page(pattern.callback)
        return patterns

    def _found_or_page(self, view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except Http404:
                object_id = kwargs.get("pk", kwargs.get("object_id"))
                return not_found_page(request, self, object_id)

        return wrapper

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django would redirect to the index with a warning; say it where it was asked.
        return not_found_page(request, self, object_id)

    def changelist_view(self, request, extra_context=None):
        bad = self.bad_choice_filters(request)
        if not bad:
            response = super().changelist_view(request, extra_context)
            if not _error_redirect(response):
                return response
            bad = self.bad_filters(request)
        request.GET = request.GET.copy()
        for key in bad:
            request.GET.pop(key, None)
        messages.error(
            request,
            _("These filter values are not valid and were left out: %(filters)s")
            % {
                "filters": _(", ").join(f"{key}={value}" for key, value in bad.items()),
            },
        )
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse):
            response.status_code = 400
        return response

    def bad_choice_filters(self, request) -> dict[str, str]:
        """Filter values outside a field's choices (Django would show an empty list)."""
        bad = {}
        for key, value in request.GET.items():
            name, _sep, lookup = key.partition("__")
            if key in LIST_PARAMS or lookup not in ("", "exact"):
                continue
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.choices and value not in {
                str(k) for k, _label in field.flatchoices
            }:
                bad[key] = value
        return bad

    def bad_filters(self, request) -> dict[str, str]:
        """The filter parameters the list cannot use, each tried alone."""
        bad = {}
        original = request.GET
        try:
            for key, value in original.items():
                if key in LIST_PARAMS:
                    continue
                request.GET = original.copy()
                for other in list(request.GET):
                    if other != key and other not in LIST_PARAMS:
                        request.GET.pop(other)
                try:
                    self.get_changelist_instance(request)
                except IncorrectLookupParameters:
                    bad[key] = value
        finally:
            request.GET = original
        # Something the list cannot use, found in no single parameter: leave them all out.
        return bad or {k: v for k, v in original.items() if k not in LIST_PARAMS}


def _error_redirect(response) -> bool:
    return isinstance(response, HttpResponseRedirect) and response.url.endswith(
        f"?{ERROR_FLAG}=1",
    )
