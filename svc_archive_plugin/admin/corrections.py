"""Admin of corrections 更正: propose, then a second person approves (applies) or refuses."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.admin.evidence import EvidenceAdmin
from svc_archive_plugin.admin.evidence import EvidenceInline
from svc_archive_plugin.admin.evidence import StepsAdmin
from svc_archive_plugin.admin.evidence import form_page
from svc_archive_plugin.admin.pickers import DocumentField
from svc_archive_plugin.models import Correction
from svc_archive_plugin.models import CorrectionEvent
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services import corrections
from svc_archive_plugin.steps import CORRECTION


class ProposalForm(forms.Form):
    fact = forms.ChoiceField(
        label=_("Fact to correct"),
        choices=Correction.Fact.choices,
    )
    document = DocumentField(
        label=_("Record, for a record's fact"),
        required=False,
        help_text=_("Type a word of its title or its archive code."),
    )
    dossier = forms.ModelChoiceField(
        label=_("Dossier, for a dossier's fact"),
        queryset=Dossier.objects.filter(state=Dossier.State.FILED).select_related(
            "project",
        ),
        required=False,
    )
    project = forms.ModelChoiceField(
        label=_("Service project, for a project's fact"),
        queryset=ServiceProject.objects.all(),
        required=False,
    )
    value = forms.CharField(
        label=_("New value"),
        help_text=_(
            "An id (document type, project, category, customer, department), a "
            "confidentiality code (<code>public</code>, <code>internal</code>, "
            "<code>confidential</code>, <code>customer_private</code>) "
            "or a date YYYY-MM-DD.",
        ),
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CorrectionEventInline(EvidenceInline):
    model = CorrectionEvent
    fields = (
        "at",
        "action",
        "actor",
        "old_label",
        "new_label",
        "reason",
        "documents",
        "effects",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Correction)
class CorrectionAdmin(StepsAdmin, EvidenceAdmin):
    """Corrections of frozen facts: the proposal, its decision and its evidence."""

    list_display = (
        "number",
        "fact",
        "target",
        "old_label",
        "new_label",
        "state",
        "proposed_by",
        "proposed_at",
        "decided_by",
    )
    list_filter = ("state", "fact", "proposed_at")
    list_select_related = ("proposed_by", "decided_by", "dossier", "project")
    readonly_fields = (
        "fact",
        "document",
        "dossier",
        "project",
        "old_label",
        "new_label",
        "reason",
        "state",
        "proposed_by",
        "proposed_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    )
    fields = readonly_fields
    inlines = (CorrectionEventInline,)
    change_form_template = "admin/svc_archive_plugin/correction/change_form.html"
    steps = CORRECTION
    step_form = DecisionForm

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj: Correction) -> int:
        return obj.pk

    @admin.display(description=_("corrects"))
    def target(self, obj: Correction) -> str:
        return obj.target

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(corrections.PROPOSE)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise Http404
        form = ProposalForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                correction = corrections.propose(
                    request.user,
                    fact=data["fact"],
                    value=data["value"],
                    reason=data["reason"],
                    document_id=data["document"].pk if data["document"] else None,
                    dossier=data["dossier"],
                    project=data["project"],
                )
            except corrections.CorrectionError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("Correction proposed."), messages.SUCCESS)
                return redirect(
                    "admin:svc_archive_plugin_correction_change",
                    correction.pk,
                )
        return form_page(
            self,
            request,
            title=_("Propose a correction"),
            form=form,
            intro=_(
                "A second archive manager or the archive head approves it; only then is "
                "the fact changed, and the values before and after are kept.",
            ),
        )

    def next_steps(self, request, obj: Correction) -> list[str]:
        return list(self.steps) if corrections.may_decide(request.user, obj) else []

    def waiting_for(self, obj: Correction) -> str:
        return corrections.waiting_for(obj)

    def step_object(self, request, pk: int) -> Correction:
        if not self.has_view_permission(request):
            raise Http404
        return get_object_or_404(Correction, pk=pk)
