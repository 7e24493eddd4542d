"""Admin of access 查阅: requests with their decisions, the access log, withdrawn permissions."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.contrib.admin.widgets import AdminDateWidget
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from svc_archive_plugin.admin.evidence import DepartmentFilter
from svc_archive_plugin.admin.evidence import EvidenceAdmin
from svc_archive_plugin.admin.evidence import EvidenceInline
from svc_archive_plugin.admin.evidence import StepsAdmin
from svc_archive_plugin.admin.evidence import form_page
from svc_archive_plugin.admin.links import document_link
from svc_archive_plugin.admin.pickers import DocumentsField
from svc_archive_plugin.admin.pickers import DossiersField
from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import AccessRequest
from svc_archive_plugin.models import AccessRequestItem
from svc_archive_plugin.models import WithdrawnPermission
from svc_archive_plugin.reports.access_log_csv import access_log_csv_response
from svc_archive_plugin.services import access
from svc_archive_plugin.services import records
from svc_archive_plugin.services.people import name_of
from svc_archive_plugin.steps import ACCESS_REQUEST


class AccessRequestForm(forms.Form):
    purpose = forms.CharField(
        label=_("Purpose of consultation"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    starts = forms.DateField(
        label=_("Access from"),
        initial=timezone.localdate,
        widget=AdminDateWidget,
    )
    ends = forms.DateField(label=_("Access until (inclusive)"), widget=AdminDateWidget)
    dossiers = DossiersField(label=_("Dossiers to consult"), required=False)
    documents = DocumentsField(
        label=_("Documents to consult"),
        required=False,
        help_text=_("Type a word of its title or its archive code."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AwaitingMeFilter(admin.SimpleListFilter):
    title = _("my decisions")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return (("me", _("Awaiting my decision")),)

    def queryset(self, request, queryset):
        if self.value() == "me":
            return access.awaiting_decision(request.user, queryset)
        return queryset


class AccessRequestItemInline(EvidenceInline):
    model = AccessRequestItem
    fields = ("dossier", "document")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        # Whoever may open the request sees what it asks for (the requester too).
        return True


@admin.register(AccessRequest)
class AccessRequestAdmin(StepsAdmin, EvidenceAdmin):
    """Access requests 查阅申请: one's own, a head's department's, or all for the archive."""

    list_display = (
        "number",
        "requester",
        "department",
        "purpose",
        "starts",
        "ends",
        "state",
        "decided_by",
    )
    list_filter = (AwaitingMeFilter, "state", ("department", DepartmentFilter))
    list_select_related = ("requester", "department", "decided_by")
    search_fields = ("purpose", "requester__username")
    readonly_fields = (
        "requester",
        "department",
        "purpose",
        "starts",
        "ends",
        "state",
        "waiting",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_reason",
        "closed_by",
        "closed_at",
        "close_reason",
    )
    fields = readonly_fields
    inlines = (AccessRequestItemInline,)
    actions = ("approve_selected", "refuse_selected", "revoke_selected")
    change_form_template = "admin/svc_archive_plugin/accessrequest/change_form.html"
    steps = ACCESS_REQUEST
    step_form = ReasonForm

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj: AccessRequest) -> int:
        return obj.pk

    def has_view_permission(self, request, obj=None) -> bool:
        return any(
            request.user.has_perm(f"svc_archive_plugin.{p}")
            for p in (
                "view_accessrequest",
                "approve_accessrequest",
                "add_accessrequest",
            )
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("svc_archive_plugin.add_accessrequest")

    def get_queryset(self, request):
        return access.visible_requests(request.user, super().get_queryset(request))

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise Http404
        form = AccessRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = access.request_access(
                    request.user,
                    purpose=data["purpose"],
                    starts=data["starts"],
                    ends=data["ends"],
                    document_ids=[d.pk for d in data["documents"]],
                    dossiers=data["dossiers"],
                )
            except access.AccessError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("Access requested."), messages.SUCCESS)
                return redirect(
                    "admin:svc_archive_plugin_accessrequest_change",
                    created.pk,
                )
        return form_page(
            self,
            request,
            title=_("Request access to archived records"),
            form=form,
            intro=_("The head of your department decides."),
        )

    def next_steps(self, request, obj: AccessRequest) -> list[str]:
        return access.allowed_steps(obj, request.user)

    def waiting_for(self, obj: AccessRequest) -> str:
        return access.waiting_for(obj)

    def step_object(self, request, pk: int) -> AccessRequest:
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _bulk(self, request, queryset, step: str):
        label = self.steps[step].label
        return self.run_step_on_each(
            request,
            queryset,
            step,
            lambda n: (
                ngettext(
                    "%(label)s: %(n)d request.",
                    "%(label)s: %(n)d requests.",
                    n,
                )
                % {"label": label, "n": n}
            ),
        )

    @admin.action(description=_("Approve the selected requests"))
    def approve_selected(self, request, queryset):
        return self._bulk(request, queryset, "approve")

    @admin.action(description=_("Refuse the selected requests"))
    def refuse_selected(self, request, queryset):
        return self._bulk(request, queryset, "refuse")

    @admin.action(description=_("Revoke the selected requests"))
    def revoke_selected(self, request, queryset):
        return self._bulk(request, queryset, "revoke")


class TypedFilter(admin.SimpleListFilter):
    """A filter the manager types into (a code or a user name), instead of a list of links.

    The access log has a million rows and the registers thousands of entries: a list of
    every project would be a page of links, and the typed value is looked up by index.
    """

    template = "admin/svc_archive_plugin/typed_filter.html"
    lookup: str

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def choices(self, changelist):
        # One "choice": the form, carrying the other filters along.
        yield {
            "value": self.value() or "",
            "others": [
                (key, value)
                for key, value in changelist.params.items()
                if key != self.parameter_name
            ],
        }

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(**{self.lookup: value}) if value else queryset


class PersonFilter(TypedFilter):
    title = _("person (user name)")
    parameter_name = "person"
    lookup = "user__username"


class CustomerCodeFilter(TypedFilter):
    title = _("customer (code)")
    parameter_name = "customer_code"
    lookup = "customer__code"


class ProjectCodeFilter(TypedFilter):
    title = _("service project (code)")
    parameter_name = "project_code"
    lookup = "project__code"


@admin.register(AccessLogEntry)
class AccessLogAdmin(EvidenceAdmin):
    """The access log 查阅登记: read by the archive department, exported as CSV."""

    # Two facts to a cell where they belong together: the list fits a 1366-pixel screen.
    list_display = (
        "at",
        "person",
        "department_name",
        "document_link",
        "customer_and_project",
        "kind_and_way",
        "request",
    )
    list_filter = (
        "at",
        "kind",
        "via",
        ("department", DepartmentFilter),
        PersonFilter,
        CustomerCodeFilter,
        ProjectCodeFilter,
    )
    list_select_related = ("user", "customer", "project")
    list_per_page = 100
    # A million rows: one COUNT for the page, not a second one for the total.
    show_full_result_count = False
    change_list_template = "admin/svc_archive_plugin/accesslogentry/change_list.html"

    @admin.display(description=_("person"), ordering="username")
    def person(self, obj: AccessLogEntry) -> str:
        # The user name as logged, where the log names no account (a share link's visitor).
        return name_of(obj.user) if obj.user_id else obj.username

    @admin.display(description=_("document"), ordering="document_id")
    def document_link(self, obj: AccessLogEntry) -> str:
        return document_link(obj.document_id, obj.title)

    @admin.display(description=_("customer and service project"))
    def customer_and_project(self, obj: AccessLogEntry) -> str:
        return format_html(
            "{}<br>{}",
            obj.customer or "-",
            obj.project or "-",
        )

    @admin.display(description=_("kind of access and way"), ordering="kind")
    def kind_and_way(self, obj: AccessLogEntry) -> str:
        return format_html(
            "{}<br>{}",
            obj.get_kind_display(),
            obj.get_via_display(),
        )

    def get_urls(self):
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.csv_view),
                name="svc_archive_plugin_accesslogentry_csv",
            ),
            *super().get_urls(),
        ]

    def csv_view(self, request):
        """The log as the list shows it (same filters), as CSV."""
        if not self.has_view_permission(request):
            raise Http404
        changelist = self.get_changelist_instance(request)
        return access_log_csv_response(
            changelist.get_queryset(request),
            "access-log.csv",
        )


class WithdrawnPermissionFilter(admin.SimpleListFilter):
    """By the permission withdrawn, named as people read it."""

    title = _("permission withdrawn")
    parameter_name = "permission"

    def lookups(self, request, model_admin):
        kinds = WithdrawnPermission.objects.values_list("permission", flat=True)
        return [
            (p, WithdrawnPermission.label_of(p)) for p in kinds.distinct().order_by()
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(permission=self.value())
        return queryset


@admin.register(WithdrawnPermission)
class WithdrawnPermissionAdmin(EvidenceAdmin):
    """Permissions taken from confidential records when they were sealed."""

    list_display = ("at", "document", "user", "group", "permission_name", "reason")
    list_select_related = ("user", "group")
    list_filter = (WithdrawnPermissionFilter,)
    fields = ("at", "document", "user", "group", "permission_name", "reason")
    readonly_fields = fields

    def get_queryset(self, request):
        return records.with_document_labels(super().get_queryset(request))

    @admin.display(description=_("document"), ordering="document_id")
    def document(self, obj: WithdrawnPermission) -> str:
        return records.document_label(
            obj.document_id,
            obj.document_title,
            obj.document_code,
        )

    @admin.display(description=_("permission withdrawn"), ordering="permission")
    def permission_name(self, obj: WithdrawnPermission) -> str:
        return WithdrawnPermission.label_of(obj.permission)
