"""paperless's document admin: protected records refused on the delete pages; views logged.

A declared or held record's frozen facts are read-only on its change page, and a save that
would change them anyway is refused (``records.check``).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib import messages
from django.urls import path
from documents.admin import DocumentAdmin
from documents.models import Document

from svc_archive_plugin.services import protection
from svc_archive_plugin.services import records

# The admin form's fields that carry a record's frozen facts.
FROZEN_FORM_FIELDS = ("document_type", "owner", "root_document", "version_index")


class GuardedDocumentAdmin(DocumentAdmin):
    """Lists each protected record, with the reason, where Django lists protected objects.

    Django's delete page and the *delete selected* action then refuse to delete
    anything, before paperless's admin would drop the search-index entries.
    """

    def get_urls(self):
        from svc_archive_plugin.admin import pickers

        return [
            path(
                "svc_archive_pick/",
                self.admin_site.admin_view(pickers.pick_document),
                name="svc_archive_pick_document",
            ),
            path(
                "svc_archive_pick_dossier/",
                self.admin_site.admin_view(pickers.pick_dossier),
                name="svc_archive_pick_dossier",
            ),
            *super().get_urls(),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and records.frozen([obj.pk]):
            fields += tuple(f for f in FROZEN_FORM_FIELDS if f not in fields)
        return fields

    def save_model(self, request, obj, form, change):
        if change:
            records.check(
                records.save_changes(obj, None),
                user=request.user,
                path="admin",
            )
        super().save_model(request, obj, form, change)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from svc_archive_plugin.access_taps import log_response

        if request.method == "GET" and str(object_id).isdigit():
            found = records.refusals(
                {int(object_id): {"document_type", "owner", "versions"}},
            )
            for message in found.values():
                messages.warning(request, message)
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET":
            log_response(request, object_id, "view", "admin", response)
        return response

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(
            objs,
            request,
        )
        found = protection.reasons([obj.pk for obj in objs], request.user)
        if found and request.method == "POST":
            protection.record_refusal(found, user=request.user, path="admin")
        protected = [*protected, *(line for lines in found.values() for line in lines)]
        return to_delete, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        protection.check([obj.pk], user=request.user, path="admin")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        protection.check(
            list(queryset.values_list("pk", flat=True)),
            user=request.user,
            path="admin",
        )
        super().delete_queryset(request, queryset)


if admin.site.is_registered(Document):
    admin.site.unregister(Document)
admin.site.register(Document, GuardedDocumentAdmin)
