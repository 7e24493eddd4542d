"""Admin of the registers: customers, service types, service projects and dossiers."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from svc_archive_plugin.admin.base import PeopleByName
from svc_archive_plugin.admin.base import PluginAdmin
from svc_archive_plugin.admin.evidence import StepsAdmin
from svc_archive_plugin.admin.evidence import form_page
from svc_archive_plugin.admin.work import WaitingFilter
from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import FilingEvent
from svc_archive_plugin.models import RequiredDocumentType
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.reports import catalogues
from svc_archive_plugin.reports import dossier_sheets
from svc_archive_plugin.reports.cover_sheet import cover_sheet_response
from svc_archive_plugin.reports.pdf_download import pdf_response
from svc_archive_plugin.services import deadlines
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import registers
from svc_archive_plugin.services import retention
from svc_archive_plugin.services.refusals import Refused
from svc_archive_plugin.services.registers import RegisterInUse
from svc_archive_plugin.services.registers import check_deletable
from svc_archive_plugin.steps import FILING
from svc_archive_plugin.steps import take


class RegisterAdmin(PluginAdmin):
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


def guarded_form(form_class, check, user, obj):
    """The change form, refusing what ``check(user, obj, changes)`` refuses, with why."""

    class GuardedForm(form_class):
        def clean(self):
            data = super().clean()
            try:
                check(user, obj, data)
            except (registers.RegisterFrozen, registers.RegisterEditForbidden) as exc:
                raise ValidationError(str(exc)) from exc
            return data

    return GuardedForm


@admin.register(ServiceType)
class ServiceTypeAdmin(PluginAdmin):
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
        "cover_sheet_link",
    )
    list_filter = ("service_type", "is_major", "department")
    list_select_related = ("customer", "service_type", "department")
    search_fields = ("code", "name", "customer__code", "customer__name")
    autocomplete_fields = ("customer",)
    date_hierarchy = "end_date"

    def get_form(self, request, obj=None, change=False, **kwargs):  # noqa: FBT002  (Django's signature)
        form = super().get_form(request, obj, change, **kwargs)
        return guarded_form(form, registers.check_project_edit, request.user, obj)

    def get_urls(self):
        return [
            path(
                "<int:pk>/cover_sheet/",
                self.admin_site.admin_view(self.cover_sheet_view),
                name="svc_archive_plugin_serviceproject_cover_sheet",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("scan separator sheet"))
    def cover_sheet_link(self, obj: ServiceProject) -> str:
        return format_html('<a href="{}/cover_sheet/" target="_blank">PDF</a>', obj.pk)

    def cover_sheet_view(self, request, pk: int):
        project = get_object_or_404(ServiceProject, pk=pk)
        if not self.has_view_permission(request, project):
            raise PermissionDenied
        try:
            return cover_sheet_response(project, request.GET.get("document_type"))
        except LookupError as exc:
            raise Http404(str(exc)) from exc


class DeadlineFilter(admin.SimpleListFilter):
    title = _("filing deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return (("overdue", _("Overdue")), ("due_soon", _("Due soon")))

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.filter(pk__in=deadlines.overdue().values("pk"))
        if self.value() == "due_soon":
            return queryset.filter(pk__in=deadlines.due_soon().values("pk"))
        return queryset


class CollectionDeadlineFilter(admin.SimpleListFilter):
    """Dossiers still collecting whose collection deadline is past or near."""

    title = _("collection deadline")
    parameter_name = "collection"

    def lookups(self, request, model_admin):
        return (("overdue", _("Overdue")), ("due_soon", _("Due soon")))

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.filter(pk__in=deadlines.collection_overdue().values("pk"))
        if self.value() == "due_soon":
            return queryset.filter(pk__in=deadlines.collection_due_soon().values("pk"))
        return queryset


class FilingEventInline(PeopleByName, admin.TabularInline):
    """The dossier's filing history: shown, never edited."""

    model = FilingEvent
    fields = ("at", "action", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _step_action(name: str):
    """An admin action that takes a filing step on each selected dossier and reports each."""
    step = FILING[name]

    def run(modeladmin, request, queryset):
        done = 0
        for dossier in queryset.select_related("project"):
            try:
                take(step, dossier, request.user, {})
                done += 1
            except Refused as exc:
                modeladmin.message_user(
                    request,
                    f"{dossier.project}: {exc}",
                    messages.ERROR,
                )
        if done:
            modeladmin.message_user(
                request,
                ngettext(
                    "%(count)d dossier: %(step)s.",
                    "%(count)d dossiers: %(step)s.",
                    done,
                )
                % {"count": done, "step": step.label},
                messages.SUCCESS,
            )

    run.__name__ = f"{step.run.__name__}_selected"
    return admin.action(description=step.label)(run)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RetentionOverrideForm(forms.Form):
    retention = forms.ChoiceField(
        label=_("retention class"),
        choices=Dossier.Retention.choices,
    )
    reason = forms.CharField(
        label=_("Reason for overriding the schedule"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FiledRecordsForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=9999)
    category = forms.ModelChoiceField(
        label=_("Archive category"),
        queryset=ArchiveCategory.objects.order_by("code"),
    )
    output = forms.ChoiceField(
        label=_("Print as"),
        choices=(("pdf", "PDF"), ("csv", "CSV")),
        initial="pdf",
        widget=forms.RadioSelect,
    )


@admin.register(Dossier)
class DossierAdmin(StepsAdmin, PluginAdmin):
    """Dossier admin interface: filing moves through the filing steps, never by editing."""

    list_display = (
        "project",
        "customer",
        "category",
        "state",
        "retention",
        "archive_code",
        "place",
    )
    list_filter = (
        "state",
        CollectionDeadlineFilter,
        DeadlineFilter,
        "category",
        "retention",
        WaitingFilter,
    )
    list_select_related = ("project__customer", "project__department", "category")
    search_fields = (
        "archive_code",
        "project__code",
        "project__name",
        "project__customer__name",
    )
    readonly_fields = (
        "project",
        "state",
        "waiting",
        "archive_code",
        "completeness_summary",
        "deadlines_summary",
        "completeness_override",
        "completeness_override_by",
        "retention",
        "retention_override_reason",
        "retention_override_by",
    )
    fields = (
        "project",
        "category",
        "state",
        "waiting",
        "retention",
        "archive_code",
        "deadlines_summary",
        "completeness_summary",
        ("location_cabinet", "location_shelf", "location_box"),
        "paper_pages",
        "completeness_override",
        "completeness_override_by",
        "retention_override_reason",
        "retention_override_by",
    )
    inlines = (FilingEventInline,)
    actions = (
        _step_action("submit"),
        _step_action("approve"),
        _step_action("receive"),
        _step_action("file"),
        "handover_selected",
        "labels_selected",
    )
    change_list_template = "admin/svc_archive_plugin/dossier/change_list.html"
    steps = FILING
    step_form = ReasonForm

    def get_queryset(self, request):
        return filing.with_last_submitter(super().get_queryset(request))

    def next_steps(self, request, obj: Dossier) -> list[str]:
        return filing.allowed_steps(obj, request.user)

    def waiting_for(self, obj: Dossier) -> str:
        return filing.waiting_for(obj)

    def step_object(self, request, pk: int) -> Dossier:
        dossier = get_object_or_404(Dossier.objects.select_related("project"), pk=pk)
        if not self.has_view_permission(request, dossier):
            raise Http404
        return dossier

    def get_form(self, request, obj=None, change=False, **kwargs):  # noqa: FBT002  (Django's signature)
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            return form
        return guarded_form(form, registers.check_dossier_edit, request.user, obj)

    @admin.display(description=_("customer"), ordering="project__customer__code")
    def customer(self, obj: Dossier) -> str:
        return str(obj.project.customer)

    @admin.display(description=_("location"), ordering="location_cabinet")
    def place(self, obj: Dossier) -> str:
        return obj.location or "-"

    @admin.display(description=_("completeness"))
    def completeness_summary(self, obj: Dossier) -> str:
        result = filing.completeness(obj)
        return format_html(
            "{}: {} &nbsp; {}: {} &nbsp; ({})",
            _("types present"),
            ", ".join(filing.type_names(result.present)) or "—",
            _("types missing"),
            ", ".join(filing.type_names(result.missing)) or "—",
            ngettext("%(count)d document", "%(count)d documents", result.documents)
            % {"count": result.documents},
        )

    @admin.display(description=_("deadlines"))
    def deadlines_summary(self, obj: Dossier) -> str:
        collect = deadlines.collection_deadline(obj.project)
        file_by = deadlines.filing_deadline(obj.project)
        if file_by is None:
            return _("no end date yet")
        return format_html(
            "{}: {} &nbsp; {}: {}",
            _("collect by"),
            collect,
            _("file by"),
            file_by,
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/override_retention/",
                self.admin_site.admin_view(self.override_retention_view),
                name="svc_archive_plugin_dossier_override_retention",
            ),
            *self.sheet_urls(),
            *super().get_urls(),
        ]

    # The dossier's printed sheets: its cover 案卷封面, note sheet 备考表, in-dossier
    # catalogue 卷内目录, handover list 移交清单 and spine label 档案盒脊背.

    SHEETS = (
        "cover.pdf",
        "note.pdf",
        "catalogue.pdf",
        "catalogue.csv",
        "handover.pdf",
        "handover.csv",
        "label.pdf",
    )

    def sheet_urls(self):
        return [
            path(
                "filed_records/",
                self.admin_site.admin_view(self.filed_records_view),
                name="svc_archive_plugin_dossier_filed_records",
            ),
            *(
                path(
                    f"<int:pk>/{sheet}",
                    self.admin_site.admin_view(self.sheet_view),
                    {"sheet": sheet},
                    name="svc_archive_plugin_dossier_"
                    + sheet.replace(".pdf", "").replace(".", "_"),
                )
                for sheet in self.SHEETS
            ),
        ]

    def sheet_view(self, request, pk: int, sheet: str):

        dossier = get_object_or_404(Dossier, pk=pk)
        if not self.has_view_permission(request, dossier):
            raise PermissionDenied
        pdfs = {
            "cover.pdf": dossier_sheets.dossier_cover_pdf,
            "note.pdf": dossier_sheets.dossier_note_pdf,
            "catalogue.pdf": catalogues.catalogue_pdf,
            "handover.pdf": lambda d: catalogues.handover_pdf([d]),
            "label.pdf": lambda d: catalogues.labels_pdf([d]),
        }
        if sheet in pdfs:
            return pdf_response(*pdfs[sheet](dossier))
        if sheet == "catalogue.csv":
            return catalogues.catalogue_csv_response(dossier)
        return catalogues.handover_csv_response([dossier])

    @admin.action(
        description=_("Print the handover list of the selected dossiers (PDF)"),
    )
    def handover_selected(self, request, queryset):

        return pdf_response(*catalogues.handover_pdf(queryset))

    @admin.action(description=_("Print spine labels of the selected dossiers (PDF)"))
    def labels_selected(self, request, queryset):

        return pdf_response(*catalogues.labels_pdf(queryset))

    def filed_records_view(self, request):
        """The catalogue of filed records 归档文件目录 of a year and category, as PDF or CSV."""

        if not self.has_view_permission(request):
            raise PermissionDenied
        data = request.POST or request.GET or None
        form = FiledRecordsForm(data)
        if data is not None and form.is_valid():
            year, category = form.cleaned_data["year"], form.cleaned_data["category"]
            if form.cleaned_data["output"] == "csv":
                return catalogues.filed_records_csv_response(year, category)
            return pdf_response(*catalogues.filed_records_pdf(year, category))
        response = form_page(
            self,
            request,
            title=_("Catalogue of filed records"),
            form=form,
            intro=_(
                "Every filed record of the year and archive category, by archive code "
                "then item number. The year is the one in the archive code: the "
                "project's end.",
            ),
        )
        if data is not None:
            response.status_code = 400  # named on the page, as a bad list filter is
        return response

    def override_retention_view(self, request, pk: int):
        """Give the dossier's records a class other than the schedule's, with the reason."""

        dossier = get_object_or_404(Dossier.objects.select_related("project"), pk=pk)
        form = RetentionOverrideForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                retention.override_dossier_retention(
                    dossier,
                    request.user,
                    form.cleaned_data["retention"],
                    form.cleaned_data["reason"],
                )
            except retention.RetentionError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("Done."), messages.SUCCESS)
                return redirect("admin:svc_archive_plugin_dossier_change", dossier.pk)
        return form_page(
            self,
            request,
            title=_("Override the retention schedule"),
            form=form,
            original=dossier,
        )

    def has_add_permission(self, request) -> bool:
        # Every project has its dossier, made with the project.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RequiredDocumentType)
class RequiredDocumentTypeAdmin(PluginAdmin):
    """The checklist: document types each service type's dossiers must contain."""

    list_display = ("service_type", "document_type")
    list_filter = ("service_type",)
    list_select_related = ("service_type", "document_type__document_type")
