"""Admin of the codes that name categories and document types."""

from __future__ import annotations

from django.contrib import admin

from svc_archive_plugin.admin.base import PluginAdmin
from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import DocumentTypeCode


@admin.register(ArchiveCategory)
class ArchiveCategoryAdmin(PluginAdmin):
    """Archive category admin interface."""

    list_display = ("code", "name")
    search_fields = ("code", "name")
    readonly_fields = ("option_id",)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Documents carry the category's option id; deleting would orphan them.
        return False


@admin.register(DocumentTypeCode)
class DocumentTypeCodeAdmin(PluginAdmin):
    """Document type code admin interface."""

    list_display = (
        "code",
        "document_type",
        "default_category",
        "requires_customer",
        "requires_project",
        "requires_confidentiality",
        "requires_text",
    )
    list_select_related = ("document_type", "default_category")
    search_fields = ("code", "document_type__name")
    autocomplete_fields = ("default_category",)
    raw_id_fields = ("document_type",)
