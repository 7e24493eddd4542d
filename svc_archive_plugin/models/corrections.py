"""Corrections 更正 of frozen facts: a proposal with its states, and the evidence of each step."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models.evidence import AppendOnlyModel
from svc_archive_plugin.models.registers import Dossier
from svc_archive_plugin.models.registers import ServiceProject


class Correction(models.Model):
    """An archive manager's proposal to put one frozen fact right, and its decision."""

    class Fact(models.TextChoices):
        # Of a record (a document of a filed dossier).
        DOCUMENT_TYPE = "document_type", _("Document type of the record")
        PROJECT = "project", _("Service project of the record (moves it)")
        RECORD_CATEGORY = "record_category", _("Archive category of the record")
        CONFIDENTIALITY = "confidentiality", _("Confidentiality of the record")
        # Of a filed dossier.
        DOSSIER_CATEGORY = "dossier_category", _("Archive category of the dossier")
        # Of a project whose dossier is in review or filed.
        END_DATE = "end_date", _("End date of the project")
        CUSTOMER = "customer", _("Customer of the project")
        DEPARTMENT = "department", _("Department of the project")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPLIED = "applied", _("Approved and applied")
        REFUSED = "refused", _("Refused")

    fact = models.CharField(_("fact"), max_length=32, choices=Fact.choices)
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("record"),
    )
    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("dossier"),
    )
    project = models.ForeignKey(
        ServiceProject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("service project"),
    )
    # Values as the service reads and writes them (ids, option ids, YYYY-MM-DD), and as
    # people read them; the old one as it was when proposed.
    old_value = models.CharField(_("value before"), max_length=64, blank=True)
    old_label = models.CharField(_("before"), max_length=256, blank=True)
    new_value = models.CharField(_("new value"), max_length=64, blank=True)
    new_label = models.CharField(_("after"), max_length=256, blank=True)
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=State.choices,
        default=State.PROPOSED,
        db_index=True,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ("-proposed_at", "-pk")
        permissions = [
            ("propose_correction", _("Can propose a correction of a frozen fact")),
            (
                "approve_correction",
                _("Can approve or refuse a correction (never one's own)"),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"#{self.pk} {self.get_fact_display()}: {self.old_label} → {self.new_label}"
        )

    @property
    def target(self) -> str:
        if self.document_id:
            return f"#{self.document_id}"
        return str(self.dossier or self.project or "")


class CorrectionEvent(AppendOnlyModel):
    """One step of a correction, with the values before and after; kept as evidence."""

    class Action(models.TextChoices):
        PROPOSE = "propose", _("Proposed")
        APPLY = "apply", _("Approved and applied")
        REFUSE = "refuse", _("Refused")

    correction = models.ForeignKey(
        Correction,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("correction"),
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("done by"),
    )
    at = models.DateTimeField(_("done at"), auto_now_add=True, db_index=True)
    reason = models.TextField(_("reason"), blank=True)
    fact = models.CharField(_("fact"), max_length=32, choices=Correction.Fact.choices)
    old_value = models.CharField(_("value before"), max_length=64, blank=True)
    old_label = models.CharField(_("before"), max_length=256, blank=True)
    new_value = models.CharField(_("new value"), max_length=64, blank=True)
    new_label = models.CharField(_("after"), max_length=256, blank=True)
    # The records the step changed, and what followed from it: retention until and
    # archive codes before and after, the dossier a record moved from and to.
    documents = models.JSONField(_("records changed"), default=list, blank=True)
    effects = models.JSONField(_("effects"), default=dict, blank=True)

    class Meta:
        verbose_name = _("correction event")
        verbose_name_plural = _("correction events")
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.correction_id}: {self.get_action_display()}"
