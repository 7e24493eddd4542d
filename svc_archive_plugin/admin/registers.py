"""Admin of the registers: customers, service types, service projects and dossiers."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services.registers import RegisterInUse
from svc_archive_plugin.services.registers import check_deletable


class RegisterAdmin(admin.ModelAdmin):
    """Shared by customers and projects: deletion is refused while anything refers to one."""

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(
            objs,
            request,
        )
        protected = list(protected)
        for obj in objs:
            try:
                check_deletable(obj)
            except RegisterInUse as exc:
                protected.append(str(exc))
        return to_delete, model_count, perms_needed, protected


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    """Service type admin interface."""

    list_display = ("code", "name", "category")
    list_select_related = ("category",)


@admin.register(Customer)
class CustomerAdmin(RegisterAdmin):
    """Customer register admin interface."""

    list_display = (
        "code",
        "name",
        "contact_person",
        "phone",
        "nature",
        "size",
        "industry",
    )
    list_filter = ("nature", "size")
    search_fields = ("code", "name", "contact_person", "industry")


@admin.register(ServiceProject)
class ServiceProjectAdmin(RegisterAdmin):
    """Service project register admin interface."""

    list_display = (
        "code",
        "name",
        "customer",
        "service_type",
        "department",
        "end_date",
        "is_major",
    )
    list_filter = ("service_type", "is_major", "department")
    list_select_related = ("customer", "service_type", "department")
    search_fields = ("code", "name", "customer__code", "customer__name")
    autocomplete_fields = ("customer",)
    date_hierarchy = "end_date"


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    """Dossier admin interface: filing moves through the filing actions, never by editing."""

    list_display = (
        "project",
        "customer",
        "category",
        "state",
        "archive_code",
        "location",
    )
    list_filter = ("state", "category")
    list_select_related = ("project__customer", "category")
    search_fields = (
        "archive_code",
        "project__code",
        "project__name",
        "project__customer__name",
    )
    readonly_fields = (
        "project",
        "state",
        "archive_code",
        "completeness_override",
        "completeness_override_by",
    )
    fields = (
        "project",
        "category",
        "state",
        "archive_code",
        ("location_cabinet", "location_shelf", "location_box"),
        "paper_pages",
        "completeness_override",
        "completeness_override_by",
    )

    @admin.display(description=_("customer"), ordering="project__customer__code")
    def customer(self, obj: Dossier) -> str:
        return str(obj.project.customer)

    def has_add_permission(self, request) -> bool:
        # Every project has its dossier, made with the project.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
