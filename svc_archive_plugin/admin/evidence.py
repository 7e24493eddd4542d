"""Shared admin for evidence: shown to those allowed to see it, never added, edited or deleted."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _


class EvidenceAdmin(admin.ModelAdmin):
    """Read-only: the rows are written by the services, never through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EvidenceInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Reason or note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def form_page(
    modeladmin,
    request,
    *,
    title: str,
    form,
    original=None,
    intro: str = "",
    hidden: list[tuple[str, str]] | None = None,
):
    """Render a step's form in the admin's frame (breadcrumbs back to the object)."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "original": original,
        "title": title,
        "intro": intro,
        "form": form,
        "hidden": hidden or [],
    }
    return TemplateResponse(request, "admin/svc_archive_plugin/form.html", context)


class DepartmentFilter(admin.RelatedFieldListFilter):
    """Departments only: the role groups (档案管理员, 员工, …) are not departments."""

    def field_choices(self, field, request, model_admin):
        from svc_archive_plugin.services.people import role_group_ids

        roles = role_group_ids()
        return [
            (pk, name)
            for pk, name in field.get_choices(include_blank=False)
            if pk not in roles
        ]
