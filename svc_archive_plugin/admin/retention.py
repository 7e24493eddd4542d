"""Admin of retention: the schedule, the appraisal queue, legal holds and refused deletions."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from svc_archive_plugin.admin.base import PluginAdmin
from svc_archive_plugin.admin.evidence import EvidenceAdmin
from svc_archive_plugin.admin.evidence import EvidenceInline
from svc_archive_plugin.admin.evidence import action_fields
from svc_archive_plugin.admin.evidence import form_page
from svc_archive_plugin.admin.links import DocumentIdColumn
from svc_archive_plugin.admin.links import document_link
from svc_archive_plugin.admin.pickers import DocumentsField
from svc_archive_plugin.admin.pickers import DossiersField
from svc_archive_plugin.models import AppraisalDecision
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import HoldEvent
from svc_archive_plugin.models import HoldScope
from svc_archive_plugin.models import LegalHold
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import RefusedDeletion
from svc_archive_plugin.models import RetentionRule
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import SweepRun
from svc_archive_plugin.models.retention import AppraisalQueueEntry
from svc_archive_plugin.services import destruction
from svc_archive_plugin.services import holds
from svc_archive_plugin.services import records
from svc_archive_plugin.services import retention


@admin.register(RetentionRule)
class RetentionRuleAdmin(PluginAdmin):
    """The retention schedule: which class of records is kept how long."""

    list_display = ("document_type", "category", "retention")
    list_filter = ("retention", "category")
    list_select_related = ("document_type__document_type", "category")


class AppraisalForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Appraisal decision"),
        choices=AppraisalDecision.Decision.choices,
    )
    years = forms.IntegerField(
        label=_("Extend by (years)"),
        min_value=1,
        required=False,
        help_text=_("Only for extending the retention."),
    )
    reason = forms.CharField(
        label=_("Reason for the decision"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DestructionListForm(forms.Form):
    title = forms.CharField(label=_("Title of the destruction list"), max_length=200)
    reason = forms.CharField(
        label=_("Reason for destruction"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(AppraisalQueueEntry)
class AppraisalQueueAdmin(EvidenceAdmin):
    """The appraisal queue 鉴定: records whose retention ran out, waiting for a decision."""

    list_display = (
        "document_link",
        "retention",
        "period_years",
        "until",
        "due_since",
        "filed",
        "state",
    )
    list_filter = ("state", "retention", "filed")
    list_select_related = ("document",)
    search_fields = ("document__title",)
    date_hierarchy = "until"
    actions = ("appraise_selected", "prepare_destruction_list")

    def get_queryset(self, request):
        return retention.appraisal_queue(super().get_queryset(request))

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("svc_archive_plugin.appraise_record")

    def has_appraise_permission(self, request) -> bool:
        return request.user.has_perm("svc_archive_plugin.appraise_record")

    def has_prepare_permission(self, request) -> bool:
        return request.user.has_perm("svc_archive_plugin.prepare_destruction")

    @admin.display(description=_("document"), ordering="document__title")
    def document_link(self, obj: RecordRetention) -> str:
        return document_link(obj.document_id, obj.document.title)

    @admin.action(
        description=_("Appraise the selected records"),
        permissions=["appraise"],
    )
    def appraise_selected(self, request, queryset):
        form = AppraisalForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                done = retention.appraise(
                    request.user,
                    list(queryset.values_list("document_id", flat=True)),
                    form.cleaned_data["decision"],
                    form.cleaned_data["reason"],
                    years=form.cleaned_data["years"],
                )
            except retention.RetentionError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d record appraised.",
                        "%(count)d records appraised.",
                        len(done),
                    )
                    % {"count": len(done)},
                    messages.SUCCESS,
                )
                return None
        return form_page(
            self,
            request,
            title=_("Appraise the selected records"),
            form=form,
            intro=_(
                "Destroy: the records wait for a destruction list. Extend: they are kept "
                "for the given number of years more. Keep permanently: they are never "
                "destroyed. Every decision is kept with its reason.",
            ),
            hidden=action_fields(request, queryset),
        )

    @admin.action(
        description=_("Prepare a destruction list of the selected records"),
        permissions=["prepare"],
    )
    def prepare_destruction_list(self, request, queryset):
        form = DestructionListForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                destruction_list = destruction.prepare(
                    request.user,
                    title=form.cleaned_data["title"],
                    reason=form.cleaned_data["reason"],
                    document_ids=list(queryset.values_list("document_id", flat=True)),
                )
            except destruction.DestructionError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect(
                    "admin:svc_archive_plugin_destructionlist_change",
                    destruction_list.pk,
                )
        return form_page(
            self,
            request,
            title=_("Prepare a destruction list of the selected records"),
            form=form,
            hidden=action_fields(request, queryset),
        )


@admin.register(AppraisalDecision)
class AppraisalDecisionAdmin(DocumentIdColumn, EvidenceAdmin):
    list_display = (
        "decided_at",
        "document_number",
        "decision",
        "years",
        "until_before",
        "until_after",
        "decided_by",
        "reason",
    )
    list_filter = ("decision",)
    list_select_related = ("decided_by",)
    date_hierarchy = "decided_at"


@admin.register(SweepRun)
class SweepRunAdmin(EvidenceAdmin):
    list_display = ("started_at", "as_of", "queued")


@admin.register(RefusedDeletion)
class RefusedDeletionAdmin(DocumentIdColumn, EvidenceAdmin):
    """Attempts to delete protected records: who tried, through which door, why refused."""

    list_display = ("at", "document_number", "user", "path", "reason")
    list_filter = ("path",)
    list_select_related = ("user",)
    search_fields = ("reason", "user__username")
    date_hierarchy = "at"


# Legal holds ------------------------------------------------------------------------------


def _codes(text: str) -> list[str]:
    return [c for c in text.replace(",", " ").replace("，", " ").split() if c]


class PlaceHoldForm(forms.Form):
    name = forms.CharField(label=_("Name of the hold"), max_length=128)
    reason = forms.CharField(
        label=_("Reason for the hold"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    customers = forms.CharField(
        label=_("Customer codes"),
        required=False,
        help_text=_("Separated by spaces or commas, e.g. C001 C002."),
    )
    projects = forms.CharField(label=_("Service project codes"), required=False)
    dossiers = DossiersField(label=_("Dossiers"), required=False)
    documents = DocumentsField(
        label=_("Documents"),
        required=False,
        help_text=_("Type a word of its title or its archive code."),
    )

    def _lookup(self, field: str, model, key: str):
        codes = _codes(self.cleaned_data.get(field, ""))
        found = {
            getattr(o, key): o for o in model.objects.filter(**{f"{key}__in": codes})
        }
        if missing := [c for c in codes if c not in found]:
            self.add_error(field, _("Not found: %s") % ", ".join(missing))
        return list(found.values())

    def clean(self):
        data = super().clean()
        data["customer_objects"] = self._lookup("customers", Customer, "code")
        data["project_objects"] = self._lookup("projects", ServiceProject, "code")
        data["dossier_objects"] = list(data.get("dossiers") or [])
        data["document_ids"] = [d.pk for d in data.get("documents") or []]
        return data


class HoldScopeInline(EvidenceInline):
    model = HoldScope
    fields = ("document", "dossier", "customer", "project")
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "dossier__project",
                "customer",
                "project",
            )
        )


class HoldEventInline(EvidenceInline):
    model = HoldEvent
    fields = ("at", "action", "document", "actor", "reason")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class ReleaseHoldForm(forms.Form):
    note = forms.CharField(
        label=_("Reason for the release"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(HoldEvent)
class HoldEventAdmin(EvidenceAdmin):
    """What happened to each hold: placed, documents joined, released, by whom and why."""

    list_display = ("at", "hold", "action", "document_shown", "actor", "reason")
    list_filter = ("action",)
    list_select_related = ("hold", "actor")
    search_fields = ("hold__name", "reason")
    date_hierarchy = "at"

    def get_queryset(self, request):
        return records.with_document_labels(super().get_queryset(request))

    @admin.display(description=_("document"), ordering="document_id")
    def document_shown(self, obj: HoldEvent) -> str:
        if obj.document_id is None:
            return ""
        return records.document_label(
            obj.document_id,
            obj.document_title,
            obj.document_code,
        )


@admin.register(LegalHold)
class LegalHoldAdmin(PluginAdmin):
    """Legal holds 冻结: placed and released with reasons, never edited or deleted."""

    list_display = ("name", "placed_at", "placed_by", "released_at", "released_by")
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    list_select_related = ("placed_by", "released_by")
    search_fields = ("name", "reason")
    readonly_fields = (
        "name",
        "reason",
        "placed_by",
        "placed_at",
        "released_by",
        "released_at",
        "release_reason",
        "covered",
    )
    fields = readonly_fields
    inlines = (HoldScopeInline, HoldEventInline)
    change_form_template = "admin/svc_archive_plugin/legalhold/change_form.html"

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm("svc_archive_plugin.place_legalhold")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("documents it holds"))
    def covered(self, obj: LegalHold) -> str:
        documents = holds.held_documents(obj)
        count = documents.count()
        shown = ", ".join(
            f"#{pk} {title}" for pk, title in documents.values_list("pk", "title")[:20]
        )
        return f"{count}: {shown}{' …' if count > 20 else ''}"

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            return self.changelist_view(request)  # the admin shows the refusal
        form = PlaceHoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                hold = holds.place_hold(
                    request.user,
                    name=data["name"],
                    reason=data["reason"],
                    documents=data["document_ids"],
                    dossiers=data["dossier_objects"],
                    customers=data["customer_objects"],
                    projects=data["project_objects"],
                )
            except holds.HoldError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    _("The legal hold is in force."),
                    messages.SUCCESS,
                )
                return redirect("admin:svc_archive_plugin_legalhold_change", hold.pk)
        return form_page(self, request, title=_("Place a legal hold"), form=form)

    def get_urls(self):
        return [
            path(
                "<int:pk>/release/",
                self.admin_site.admin_view(self.release_view),
                name="svc_archive_plugin_legalhold_release",
            ),
            *super().get_urls(),
        ]

    def release_view(self, request, pk: int):
        hold = get_object_or_404(LegalHold, pk=pk)
        if not self.has_view_permission(request, hold):
            raise PermissionDenied
        form = ReleaseHoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                holds.release_hold(hold, request.user, form.cleaned_data["note"])
            except holds.HoldError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    _("The legal hold is released."),
                    messages.SUCCESS,
                )
                return redirect("admin:svc_archive_plugin_legalhold_change", hold.pk)
        return form_page(
            self,
            request,
            title=_("Release the legal hold"),
            form=form,
            original=hold,
        )
