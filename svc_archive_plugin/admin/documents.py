"""paperless's document admin: protected records refused on the delete pages; views logged."""

from __future__ import annotations

from django.contrib import admin
from documents.admin import DocumentAdmin
from documents.models import Document

from svc_archive_plugin.services import protection


class GuardedDocumentAdmin(DocumentAdmin):
    """Lists each protected record, with the reason, where Django lists protected objects.

    Django's delete page and the *delete selected* action then refuse to delete
    anything, before paperless's admin would drop the search-index entries.
    """

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from svc_archive_plugin.access_taps import log_response

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
