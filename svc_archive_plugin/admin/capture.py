"""Admin of what capture could not classify: the archive manager's queue."""

from __future__ import annotations

from django.contrib import admin
from django.contrib import messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from svc_archive_plugin.admin.base import PluginAdmin
from svc_archive_plugin.admin.links import DocumentIdColumn
from svc_archive_plugin.models import CaptureReport
from svc_archive_plugin.services.capture import resolve_reports


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return (("yes", _("Not resolved yet")), ("no", _("Resolved reports")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(resolved__isnull=True)
        if self.value() == "no":
            return queryset.filter(resolved__isnull=False)
        return queryset


@admin.register(CaptureReport)
class CaptureReportAdmin(DocumentIdColumn, PluginAdmin):
    """Capture report admin interface: shows, never edits; resolving is an action."""

    list_display = (
        "created",
        "path",
        "reason",
        "detail",
        "held_file",
        "document_number",
        "document_title",
        "resolved",
        "resolved_by",
    )
    list_filter = (OpenFilter, "reason")
    list_select_related = ("resolved_by",)
    search_fields = ("path", "document_title", "detail")
    date_hierarchy = "created"
    actions = ("mark_resolved",)
    change_list_template = "admin/svc_archive_plugin/capturereport/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The change view is read-only; the action below needs the change permission.
        return obj is None and super().has_change_permission(request, obj)

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(
            request,
            obj,
        ) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request,
            {"title": _("Capture reports"), **(extra_context or {})},
        )

    @admin.action(
        description=_("Mark selected reports as resolved"),
        permissions=["change"],
    )
    def mark_resolved(self, request, queryset):
        count = resolve_reports(
            list(queryset.values_list("pk", flat=True)),
            request.user,
        )
        self.message_user(
            request,
            ngettext(
                "%d report marked as resolved.",
                "%d reports marked as resolved.",
                count,
            )
            % count,
            messages.SUCCESS,
        )
