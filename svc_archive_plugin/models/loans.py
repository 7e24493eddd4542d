"""Loans 借阅 (policy §6.2): the loan, its append-only history, liability after inspection."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models.evidence import AppendOnlyModel


class Loan(models.Model):
    """The loan of a dossier's or a document's paper original (or an electronic copy)."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Awaiting approval")
        APPROVED = "approved", _("Approved; to be issued at the desk")
        ISSUED = "issued", _("Out on loan")
        RETURNED = "returned", _("Returned; to be inspected")
        CLOSED = "closed", _("Returned and inspected")
        REFUSED = "refused", _("Refused")
        CANCELLED = "cancelled", _("Cancelled")

    class Medium(models.TextChoices):
        PAPER = "paper", _("Paper original")
        ELECTRONIC = "electronic", _("Electronic copy")

    class Condition(models.TextChoices):
        INTACT = "intact", _("Intact")
        DAMAGED = "damaged", _("Damaged")
        PAGES_MISSING = "pages_missing", _("Pages missing")
        LOST = "lost", _("Lost")

    number = models.CharField(_("loan number"), max_length=32, unique=True)
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="svc_archive_loans",
        verbose_name=_("borrower"),
    )
    department = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("borrower's department"),
    )
    dossier = models.ForeignKey(
        "svc_archive_plugin.Dossier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
        verbose_name=_("dossier"),
    )
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    medium = models.CharField(
        _("what is lent"),
        max_length=16,
        choices=Medium.choices,
        default=Medium.PAPER,
    )
    reason = models.TextField(_("reason for the loan"))
    days = models.PositiveSmallIntegerField(_("loan period (working days)"))
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=State.choices,
        default=State.REQUESTED,
        db_index=True,
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    head_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by the department head"),
    )
    archive_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by the archive department head"),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    location_out = models.CharField(
        _("location it left"),
        max_length=200,
        blank=True,
    )
    due = models.DateField(_("due back"), null=True, blank=True, db_index=True)
    renewals = models.PositiveSmallIntegerField(_("renewals granted"), default=0)
    # A renewal asked for and not yet decided: the working days wanted.
    renewal_days = models.PositiveSmallIntegerField(
        _("renewal asked for (working days)"),
        null=True,
        blank=True,
    )
    renewal_reason = models.TextField(_("reason for the renewal"), blank=True)
    renewal_head_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("renewal approved by the department head"),
    )
    renewal_archive_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("renewal approved by the archive department head"),
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received at the desk by"),
    )
    condition = models.CharField(
        _("condition on return"),
        max_length=16,
        choices=Condition.choices,
        blank=True,
    )
    inspection_note = models.TextField(_("inspection note"), blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inspected by"),
    )
    last_reminded_on = models.DateField(_("last reminded on"), null=True, blank=True)
    # Set while the item is out (or its copy is with the borrower): the database lets one
    # loan hold each key, so an item cannot be issued twice, even by two desks at once.
    out_key = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ("-requested_at", "-pk")
        permissions = [
            (
                "approve_loan",
                _("Can approve loans of the department (department head)"),
            ),
            (
                "approve_loan_for_archive",
                _("Can approve loans for the archive department (archive head)"),
            ),
            ("issue_loan", _("Can issue, receive and inspect loans at the desk")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(document__isnull=False, dossier__isnull=True)
                | Q(document__isnull=True, dossier__isnull=False),
                name="svc_archive_loan_item_one",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due"], name="svc_archive_loan_due"),
            # The register's order: newest first, without sorting 100,000 loans.
            models.Index(fields=["requested_at", "id"], name="svc_archive_loan_order"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.item_label}"

    @property
    def item_label(self) -> str:
        if self.dossier_id:
            return str(self.dossier)
        # The one label of a document (档号 and title), for messages, reminders and titles.
        from svc_archive_plugin.services.records import document_labels

        return document_labels([self.document_id])[self.document_id]

    @property
    def item_key(self) -> str:
        return (
            f"dossier:{self.dossier_id}"
            if self.dossier_id
            else f"document:{self.document_id}"
        )


class LoanEvent(AppendOnlyModel):
    """One step in a loan's life, kept as evidence."""

    class Action(models.TextChoices):
        REQUEST = "request", _("Requested")
        APPROVE_HEAD = "approve_head", _("Approved by the department head")
        APPROVE_ARCHIVE = (
            "approve_archive",
            _("Approved by the archive department head"),
        )
        REFUSE = "refuse", _("Refused")
        CANCEL = "cancel", _("Cancelled")
        ISSUE = "issue", _("Issued at the desk")
        REQUEST_RENEWAL = "request_renewal", _("Renewal requested")
        APPROVE_RENEWAL_HEAD = (
            "approve_renewal_head",
            _(
                "Renewal approved by the department head",
            ),
        )
        APPROVE_RENEWAL_ARCHIVE = (
            "approve_renewal_archive",
            _(
                "Renewal approved by the archive department head",
            ),
        )
        RENEW = "renew", _("Renewed")
        REFUSE_RENEWAL = "refuse_renewal", _("Renewal refused")
        RETURN = "return", _("Returned at the desk")
        INSPECT = "inspect", _("Inspected")
        REMIND = "remind", _("Reminder sent")
        FOUND = "found", _("Found and back in the archive")

    loan = models.ForeignKey(
        Loan,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("loan"),
    )
    action = models.CharField(_("loan step"), max_length=32, choices=Action.choices)
    from_state = models.CharField(_("loan state before"), max_length=16, blank=True)
    to_state = models.CharField(_("loan state after"), max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("step taken by"),
    )
    at = models.DateTimeField(_("step taken at"), auto_now_add=True)
    note = models.TextField(_("note on the step"), blank=True)

    class Meta:
        verbose_name = _("loan event")
        verbose_name_plural = _("loan history")
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.loan.number}: {self.get_action_display()}"


class LoanLiability(AppendOnlyModel):
    """The borrower's liability for an item not returned intact 追究责任; kept as evidence."""

    loan = models.OneToOneField(
        Loan,
        on_delete=models.PROTECT,
        related_name="liability",
        verbose_name=_("loan"),
    )
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("borrower"),
    )
    condition = models.CharField(
        _("condition on return"),
        max_length=16,
        choices=Loan.Condition.choices,
    )
    note = models.TextField(_("what was found"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("loan liability")
        verbose_name_plural = _("loan liabilities")
        ordering = ("-recorded_at", "-pk")

    def __str__(self) -> str:
        return f"{self.loan.number}: {self.get_condition_display()}"


class LoanOccupancy(models.Model):
    """An original a paper loan keeps off the shelf: its dossier, or one of the documents.

    A dossier loan holds ``dossier:<id>`` and ``document:<id>`` of every document in it; a
    document loan holds its ``document:<id>``. The key is unique, so the database lets a
    dossier and one of its documents be out only once between them, whichever desk is
    faster. The keys are held from issue until the inspection shelves the item, and
    after an inspection that finds it lost, until the found step brings it back.
    """

    key = models.CharField(_("original held"), max_length=64, unique=True)
    loan = models.ForeignKey(
        Loan,
        on_delete=models.PROTECT,
        related_name="occupancies",
        verbose_name=_("loan"),
    )

    class Meta:
        verbose_name = _("original off the shelf")
        verbose_name_plural = _("originals off the shelf")

    def __str__(self) -> str:
        return f"{self.key} ({self.loan_id})"


# The desk screens 借阅台: one changelist each, over the same loans.


class LoanApprovalQueue(Loan):
    class Meta:
        proxy = True
        verbose_name = _("loan awaiting my approval")
        verbose_name_plural = _("desk: loans awaiting my approval")


class LoanToIssue(Loan):
    class Meta:
        proxy = True
        verbose_name = _("loan to issue")
        verbose_name_plural = _("desk: loans to issue")


class LoanOut(Loan):
    class Meta:
        proxy = True
        verbose_name = _("loan out")
        verbose_name_plural = _("desk: items out")


class OverdueLoan(Loan):
    class Meta:
        proxy = True
        verbose_name = _("overdue loan")
        verbose_name_plural = _("desk: overdue and due soon")


class LoanToInspect(Loan):
    class Meta:
        proxy = True
        verbose_name = _("return to inspect")
        verbose_name_plural = _("desk: returns to inspect")
