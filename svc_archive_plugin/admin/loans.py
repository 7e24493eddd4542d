"""Admin of loans 借阅: the register, its steps, the loan slip, and the desk screens.

The desk screens are changelists over the same loans, each with the actions of its
moment: loans awaiting my approval, loans to issue, items out, overdue and due soon,
returns to inspect. Every list is a fixed number of queries, however long it is.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.urls import path
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from svc_archive_plugin.admin.evidence import DepartmentFilter
from svc_archive_plugin.admin.evidence import EvidenceAdmin
from svc_archive_plugin.admin.evidence import EvidenceInline
from svc_archive_plugin.admin.evidence import NextStepsColumns
from svc_archive_plugin.admin.evidence import StepsAdmin
from svc_archive_plugin.admin.evidence import form_page
from svc_archive_plugin.admin.evidence import take_on_each
from svc_archive_plugin.admin.pickers import DocumentField
from svc_archive_plugin.admin.pickers import DossierField
from svc_archive_plugin.admin.pickers import dossier_label
from svc_archive_plugin.admin.work import WaitingFilter
from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import LoanApprovalQueue
from svc_archive_plugin.models import LoanEvent
from svc_archive_plugin.models import LoanLiability
from svc_archive_plugin.models import LoanOut
from svc_archive_plugin.models import LoanToInspect
from svc_archive_plugin.models import LoanToIssue
from svc_archive_plugin.models import OverdueLoan
from svc_archive_plugin.reports.pdf_download import pdf_response
from svc_archive_plugin.services import catalogues
from svc_archive_plugin.services import loans
from svc_archive_plugin.services import records
from svc_archive_plugin.steps import LOAN

State = Loan.State


class LoanRequestForm(forms.Form):
    dossier = DossierField(label=_("Dossier to borrow"), required=False)
    label_code = forms.CharField(
        label=_("or scan its label"),
        required=False,
        max_length=64,
        help_text=_(
            "The archive code or the label code under the barcode of the box, typed "
            "or scanned.",
        ),
    )
    document = DocumentField(
        label=_("or one document"),
        required=False,
        help_text=_("Type a word of its title or its archive code."),
    )
    medium = forms.ChoiceField(label=_("What is lent"), choices=Loan.Medium.choices)
    reason = forms.CharField(
        label=_("Reason for the loan"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    days = forms.IntegerField(label=_("Loan period (working days)"), min_value=1)

    def clean_label_code(self):
        code = self.cleaned_data["label_code"].strip()
        if code and catalogues.find_dossier(code) is None:
            raise forms.ValidationError(
                _("No dossier has the archive code or label code '%(code)s'.")
                % {"code": code},
            )
        return code

    def clean(self):
        data = super().clean()
        found = catalogues.find_dossier(data.get("label_code", ""))
        if found is not None:
            picked = data.get("dossier")
            if picked is not None and picked.pk != found.pk:
                raise forms.ValidationError(
                    _("The dossier picked and the label scanned are not the same."),
                )
            data["dossier"] = found
        return data


class StepForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason or note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for refusing"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RenewalForm(forms.Form):
    days = forms.IntegerField(label=_("Renew by (working days)"), min_value=1)
    reason = forms.CharField(
        label=_("Reason for the renewal"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InspectionForm(forms.Form):
    condition = forms.ChoiceField(
        label=_("Condition on return"),
        choices=Loan.Condition.choices,
    )
    note = forms.CharField(
        label=_("What was found (required unless intact)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FoundForm(forms.Form):
    note = forms.CharField(
        label=_("Where and how it was found"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# The steps whose form is not ``StepForm`` (fields named as the steps' inputs).
STEP_FORMS = {
    "refuse": RefusalForm,
    "renew": RenewalForm,
    "inspect": InspectionForm,
    "found": FoundForm,
}


class LoanEventInline(EvidenceInline):
    model = LoanEvent
    fields = ("at", "action", "actor", "note")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class LoanLiabilityInline(EvidenceInline):
    model = LoanLiability
    fields = ("condition", "note", "recorded_by", "recorded_at")
    readonly_fields = fields


def _can_see_loans(user) -> bool:
    return any(
        user.has_perm(p)
        for p in ("svc_archive_plugin.view_loan", loans.HEAD, loans.ARCHIVE, loans.DESK)
    )


class LoanListAdmin(NextStepsColumns, EvidenceAdmin):
    """What every loan list shows; the rows come with their people in one query."""

    # Each row's buttons open the step's page in the loan register.
    step_model_name = "loan"
    step_labels = {name: step.label for name, step in LOAN.items()}

    list_display = (
        "number",
        "borrower",
        "department",
        "item",
        "medium",
        "state",
        "days",
        "due",
        "slip_link",
    )
    list_select_related = (
        "borrower",
        "department",
        "dossier__project__customer",
    )
    search_fields = (
        "number",
        "borrower__username",
        "borrower__first_name",
        "borrower__last_name",
        "dossier__archive_code",
        "dossier__project__code",
    )
    list_per_page = 50
    show_full_result_count = False

    def has_view_permission(self, request, obj=None) -> bool:
        return _can_see_loans(request.user)

    def get_queryset(self, request):
        return records.with_document_labels(
            loans.visible_loans(request.user, super().get_queryset(request)),
        )

    def next_steps(self, request, obj: Loan) -> list[str]:
        return loans.allowed_steps(obj, request.user)

    def waiting_for(self, obj: Loan) -> str:
        return loans.waiting_for(obj)

    @admin.display(description=_("item lent"))
    def item(self, obj: Loan) -> str:
        if obj.dossier_id:
            return dossier_label(obj.dossier)
        return records.document_label(
            obj.document_id,
            obj.document_title,
            obj.document_code,
        )

    @admin.display(description=_("loan slip"))
    def slip_link(self, obj: Loan) -> str:
        return format_html(
            '<a href="{}" target="_blank">{}</a>',
            reverse("admin:svc_archive_plugin_loan_slip", args=[obj.pk]),
            _("print the slip"),
        )

    def _bulk(self, request, queryset, step: str):
        """Run a step on each selected loan; each refusal is reported, not fatal."""
        label = LOAN[step].label
        return take_on_each(
            self,
            request,
            queryset,
            LOAN[step],
            STEP_FORMS.get(step, StepForm),
            lambda n: (
                ngettext(
                    "%(label)s: %(n)d loan.",
                    "%(label)s: %(n)d loans.",
                    n,
                )
                % {"label": label, "n": n}
            ),
        )

    @admin.action(description=_("Approve the selected loans"))
    def approve_selected(self, request, queryset):
        return self._bulk(request, queryset, "approve")

    @admin.action(description=_("Refuse the selected loans"))
    def refuse_selected(self, request, queryset):
        return self._bulk(request, queryset, "refuse")

    @admin.action(description=_("Issue the selected loans"))
    def issue_selected(self, request, queryset):
        return self._bulk(request, queryset, "issue")

    @admin.action(description=_("Take the selected items back"))
    def receive_selected(self, request, queryset):
        return self._bulk(request, queryset, "receive")

    @admin.action(description=_("Inspect the selected returns"))
    def inspect_selected(self, request, queryset):
        return self._bulk(request, queryset, "inspect")


@admin.register(Loan)
class LoanAdmin(StepsAdmin, LoanListAdmin):
    """The loan register 借阅登记: every loan, its history, its slip; steps on its page."""

    list_filter = (
        "state",
        "medium",
        ("department", DepartmentFilter),
        "requested_at",
        WaitingFilter,
    )
    readonly_fields = (
        "number",
        "borrower",
        "department",
        "dossier",
        "document",
        "medium",
        "reason",
        "days",
        "state",
        "waiting",
        "requested_at",
        "head_approved_by",
        "archive_approved_by",
        "issued_by",
        "issued_at",
        "location_out",
        "due",
        "renewals",
        "renewal_days",
        "renewal_reason",
        "returned_at",
        "received_by",
        "condition",
        "inspection_note",
        "inspected_by",
    )
    fields = readonly_fields
    inlines = (LoanEventInline, LoanLiabilityInline)
    change_form_template = "admin/svc_archive_plugin/loan/change_form.html"
    steps = LOAN
    step_form = StepForm
    step_forms = STEP_FORMS

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("svc_archive_plugin.add_loan")

    def has_view_permission(self, request, obj=None) -> bool:
        # Borrowers open their own loans' pages (to renew, to print the slip).
        if obj is not None and obj.borrower_id == request.user.pk:
            return True
        return super().has_view_permission(request, obj)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise Http404
        form = LoanRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                loan = loans.request_loan(
                    request.user,
                    reason=data["reason"],
                    days=data["days"],
                    dossier=data["dossier"],
                    document_id=data["document"].pk if data["document"] else None,
                    medium=data["medium"],
                )
            except loans.LoanError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    _("Loan %(number)s requested.") % {"number": loan.number},
                    messages.SUCCESS,
                )
                return redirect("admin:svc_archive_plugin_loan_change", loan.pk)
        return form_page(
            self,
            request,
            title=_("Request a loan"),
            form=form,
            intro=_(
                "The head of your department and the archive department head approve "
                "it; the desk then hands it out. At most %(days)s working days.",
            )
            % {"days": archive_settings.LOAN_MAX_DAYS},
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/slip.pdf",
                self.admin_site.admin_view(self.slip_view),
                name="svc_archive_plugin_loan_slip",
            ),
            *super().get_urls(),
        ]

    def _visible(self, request, pk: int) -> Loan:
        loan = get_object_or_404(loans.visible_loans(request.user), pk=pk)
        if not self.has_view_permission(request, loan):
            raise Http404
        return loan

    def step_object(self, request, pk: int) -> Loan:
        return self._visible(request, pk)

    def slip_view(self, request, pk: int):
        from svc_archive_plugin.reports.loan_slip import loan_slip_pdf

        loan = self._visible(request, pk)
        return pdf_response(loan_slip_pdf(loan), f"{loan.number}.pdf")


# The desk screens --------------------------------------------------------------------------


class DeskAdmin(LoanListAdmin):
    """A desk screen: the archive desk's (``issue_loan``) unless it says otherwise."""

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(loans.DESK)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(state=self.state)


@admin.register(LoanApprovalQueue)
class LoanApprovalQueueAdmin(LoanListAdmin):
    """Loans and renewals waiting for an approval I may give."""

    list_display = (*LoanListAdmin.list_display[:-1], "reason", "renewal_days")
    actions = ("approve_selected", "refuse_selected")

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(loans.HEAD) or request.user.has_perm(
            loans.ARCHIVE,
        )

    def get_queryset(self, request):
        return loans.awaiting_approval(request.user, super().get_queryset(request))


@admin.register(LoanToIssue)
class LoanToIssueAdmin(DeskAdmin):
    """Approved loans waiting to be handed out."""

    state = State.APPROVED
    actions = ("issue_selected",)


@admin.register(LoanOut)
class LoanOutAdmin(DeskAdmin):
    """Items out on loan now."""

    state = State.ISSUED
    list_filter = (("department", DepartmentFilter), "medium")
    actions = ("receive_selected",)


class DueFilter(admin.SimpleListFilter):
    title = _("due back")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return (
            ("overdue", _("Overdue")),
            ("today", _("Due today")),
            ("week", _("Due this week")),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "today":
            return queryset.filter(due=today)
        if self.value() == "week":
            return queryset.filter(
                due__gte=today,
                due__lte=today + datetime.timedelta(days=6 - today.weekday()),
            )
        if self.value() == "overdue":
            return queryset.filter(due__lt=today)
        return queryset


@admin.register(OverdueLoan)
class OverdueLoanAdmin(DeskAdmin):
    """The reminder queue 催还: overdue loans, and those due today or this week."""

    state = State.ISSUED
    list_display = (
        *LoanListAdmin.list_display[:-1],
        "days_overdue",
        "last_reminded_on",
    )
    list_filter = (DueFilter, ("department", DepartmentFilter))
    actions = ("receive_selected",)
    ordering = ("due", "pk")

    def get_queryset(self, request):
        today = timezone.localdate()
        week_end = today + datetime.timedelta(days=6 - today.weekday())
        return super().get_queryset(request).filter(due__lte=week_end)

    @admin.display(description=_("days overdue"), ordering="due")
    def days_overdue(self, obj: Loan) -> int:
        return max((timezone.localdate() - obj.due).days, 0)


@admin.register(LoanToInspect)
class LoanToInspectAdmin(DeskAdmin):
    """Items back at the desk, to inspect before they go back on the shelf."""

    state = State.RETURNED
    list_display = (*LoanListAdmin.list_display[:-1], "returned_at", "received_by")
    list_select_related = (*LoanListAdmin.list_select_related, "received_by")
    actions = ("inspect_selected",)


@admin.register(LoanLiability)
class LoanLiabilityAdmin(EvidenceAdmin):
    """Liability records: items that came back damaged, with pages missing, or not at all."""

    list_display = (
        "loan",
        "borrower",
        "condition",
        "note",
        "recorded_by",
        "recorded_at",
    )
    list_filter = ("condition",)
    list_select_related = ("loan__dossier__project", "borrower", "recorded_by")
    search_fields = ("loan__number", "borrower__username")
