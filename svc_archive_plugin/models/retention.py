"""Retention 保管期限 (policy §5.3): the schedule, each record's clock, appraisal, legal holds.

References to paperless documents use ``db_constraint=False, on_delete=DO_NOTHING``: a
document moved to the trash must keep its rows (django-soft-delete hard-deletes CASCADE
rows on a mere trash), and the history must outlive the document itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models.evidence import AppendOnlyModel
from svc_archive_plugin.models.registers import Customer
from svc_archive_plugin.models.registers import Dossier
from svc_archive_plugin.models.registers import ServiceProject
from svc_archive_plugin.models.vocabulary import ArchiveCategory
from svc_archive_plugin.models.vocabulary import DocumentTypeCode
from svc_archive_plugin.services.vocabulary import retention_choices

Retention = Dossier.Retention


class RetentionRule(models.Model):
    """The retention schedule: a class of records (type and category) and its retention.

    The most specific rule wins: type and category, then type alone, then category alone.
    """

    document_type = models.ForeignKey(
        DocumentTypeCode,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="retention_rules",
        verbose_name=_("document type"),
        help_text=_("Empty: every type of the category."),
    )
    category = models.ForeignKey(
        ArchiveCategory,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="retention_rules",
        verbose_name=_("archive category"),
        help_text=_("Empty: this type in every category."),
    )
    retention = models.CharField(
        _("retention class"),
        max_length=16,
        choices=retention_choices,
    )

    class Meta:
        verbose_name = _("retention schedule rule")
        verbose_name_plural = _("retention schedule")
        ordering = ("document_type__code", "category__code")
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "category"],
                name="svc_archive_rule_once",
            ),
            models.UniqueConstraint(
                fields=["document_type"],
                condition=models.Q(category__isnull=True),
                name="svc_archive_type_rule_once",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(document_type__isnull=True),
                name="svc_archive_category_rule_once",
            ),
            models.CheckConstraint(
                condition=models.Q(document_type__isnull=False)
                | models.Q(category__isnull=False),
                name="svc_archive_rule_names_a_class",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_type or '*'} × {self.category or '*'}: {self.get_retention_display()}"


class RecordRetention(models.Model):
    """One record's retention: its class, the period, when it runs out, where it stands."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Retained")
        DUE = "due", _("Due for appraisal")
        DESTROY = "destroy", _("Appraised: to be destroyed")
        DESTROYED = "destroyed", _("Destroyed record")

    class Basis(models.TextChoices):
        SCHEDULE = "schedule", _("Retention schedule")
        DOSSIER = "dossier", _("Dossier override")
        APPRAISAL = "appraisal", _("Appraisal decision")

    # No reverse accessor on Document: django-softdelete's restore walks the document's
    # one-to-one relations and fails on a model that is not soft-deletable.
    document = models.OneToOneField(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("document"),
    )
    retention = models.CharField(
        _("retention class"),
        max_length=16,
        choices=retention_choices,
    )
    period_years = models.PositiveIntegerField(
        _("retention period (years)"),
        null=True,
        blank=True,
        help_text=_("Empty for permanent records."),
    )
    basis = models.CharField(
        _("decided by"),
        max_length=16,
        choices=Basis.choices,
        default=Basis.SCHEDULE,
    )
    starts = models.DateField(_("retention counted from"), null=True, blank=True)
    until = models.DateField(
        _("retention until"),
        null=True,
        blank=True,
        help_text=_("Empty while permanent or while the project has not ended."),
    )
    filed = models.BooleanField(_("filed record"), default=False)
    state = models.CharField(
        _("appraisal state"),
        max_length=16,
        choices=State.choices,
        default=State.ACTIVE,
    )
    due_since = models.DateField(
        _("in the appraisal queue since"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("record retention")
        verbose_name_plural = _("record retention")
        ordering = ("until", "document_id")
        # The sweep's only question: which retained records have run out.
        indexes = [models.Index(fields=["state", "until"], name="svc_archive_sweep")]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.until or self.get_retention_display()}"


class AppraisalDecision(AppendOnlyModel):
    """The archive department's decision on one expired record 鉴定; kept as evidence."""

    class Decision(models.TextChoices):
        DESTROY = "destroy", _("Destroy the record")
        EXTEND = "extend", _("Extend retention")
        PERMANENT = "permanent", _("Keep permanently")

    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("document"),
    )
    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appraisals",
        verbose_name=_("decided for the dossier"),
    )
    decision = models.CharField(
        _("decision taken"),
        max_length=16,
        choices=Decision.choices,
    )
    years = models.PositiveIntegerField(_("extended by (years)"), null=True, blank=True)
    until_before = models.DateField(_("retention until, before"), null=True, blank=True)
    until_after = models.DateField(_("retention until, after"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("appraisal decision")
        verbose_name_plural = _("appraisal decisions")
        ordering = ("-decided_at", "-pk")
        permissions = [("appraise_record", _("Can appraise expired records"))]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.get_decision_display()}"


class SweepRun(models.Model):
    """One run of the retention sweep: how many records it put in the appraisal queue."""

    started_at = models.DateTimeField(_("sweep started at"), auto_now_add=True)
    as_of = models.DateField(_("retention ended before"))
    queued = models.PositiveIntegerField(_("records queued"), default=0)

    class Meta:
        verbose_name = _("retention sweep run")
        verbose_name_plural = _("retention sweep runs")
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return f"{self.as_of}: {self.queued}"


class LegalHold(models.Model):
    """A named legal hold 冻结: while active, nothing in its scope can be deleted."""

    name = models.CharField(_("name"), max_length=128)
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("placed by"),
    )
    placed_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.TextField(_("reason for release"), blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ("-placed_at", "-pk")
        permissions = [
            ("place_legalhold", _("Can place a legal hold")),
            ("release_legalhold", _("Can release a legal hold")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.released_at is None


SCOPE_FIELDS = ("document", "dossier", "customer", "project")


def _exactly_one(fields: tuple[str, ...]) -> models.Q:
    """A condition true when exactly one of ``fields`` is set."""
    one_each = [
        models.Q(**{f"{f}__isnull": f != chosen for f in fields}) for chosen in fields
    ]
    condition = one_each[0]
    for other in one_each[1:]:
        condition |= other
    return condition


class HoldScope(models.Model):
    """One thing a hold covers: a document, a dossier, a customer or a project."""

    hold = models.ForeignKey(
        LegalHold,
        on_delete=models.PROTECT,
        related_name="scope",
        verbose_name=_("legal hold"),
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
    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dossier"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    project = models.ForeignKey(
        ServiceProject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service project"),
    )

    class Meta:
        verbose_name = _("legal hold scope")
        verbose_name_plural = _("legal hold scope")
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one(SCOPE_FIELDS),
                name="svc_archive_scope_names_one_thing",
            ),
        ]

    def __str__(self) -> str:
        if self.document_id:
            return f"#{self.document_id}"
        return str(self.dossier or self.customer or self.project)


class HoldMember(AppendOnlyModel):
    """A document a hold covers, recorded when the hold is placed or when it joins later.

    A member stays one until the hold is released, whatever happens to its fields.
    """

    class How(models.TextChoices):
        PLACED = "placed", _("In the scope when the hold was placed")
        JOINED = "joined", _("Joined later through the scope")
        RECORDED = (
            "recorded",
            _("In the scope when holds began to record their documents"),
        )

    hold = models.ForeignKey(
        LegalHold,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("legal hold"),
    )
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("document"),
    )
    joined_at = models.DateTimeField(_("held since"), default=timezone.now)
    how = models.CharField(_("how it joined"), max_length=16, choices=How.choices)

    class Meta:
        verbose_name = _("document under a legal hold")
        verbose_name_plural = _("documents under legal holds")
        ordering = ("hold", "joined_at", "document_id")
        constraints = [
            models.UniqueConstraint(
                fields=["hold", "document"],
                name="svc_archive_hold_member_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hold_id}: #{self.document_id}"


class HoldEvent(AppendOnlyModel):
    """What happened to a hold: placed, a document joined, released; kept as evidence."""

    class Action(models.TextChoices):
        PLACED = "placed", _("Hold placed")
        JOINED = "joined", _("Document joined the hold")
        RELEASED = "released", _("Hold released")

    hold = models.ForeignKey(
        LegalHold,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("legal hold"),
    )
    action = models.CharField(_("hold event"), max_length=16, choices=Action.choices)
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("step taken by"),
    )
    at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)
    reason = models.TextField(_("Reason or note"), blank=True)

    class Meta:
        verbose_name = _("legal hold event")
        verbose_name_plural = _("legal hold events")
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.hold_id}: {self.get_action_display()}"


class RefusedDeletion(AppendOnlyModel):
    """An attempt to delete a protected record, refused: who, how, and why."""

    document_id = models.BigIntegerField(_("id of the document"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user who tried"),
    )
    path = models.CharField(_("deletion path"), max_length=64)
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("tried at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("refused deletion")
        verbose_name_plural = _("refused deletions")
        ordering = ("-at", "-pk")

    def __str__(self) -> str:
        return f"#{self.document_id} {self.path}"


class ArchiveRecord(RecordRetention):
    """A record 档案 seen whole: its dossier, retention, loans and access log, on one page."""

    class Meta:
        proxy = True
        verbose_name = _("archive record")
        verbose_name_plural = _("archive records")

    def __str__(self) -> str:
        return self.document.title


class AppraisalQueueEntry(RecordRetention):
    """The appraisal queue 鉴定: records due for a decision (a view of their retention)."""

    class Meta:
        proxy = True
        verbose_name = _("appraisal queue entry")
        verbose_name_plural = _("appraisal queue")
