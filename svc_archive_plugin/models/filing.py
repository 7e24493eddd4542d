"""Filing 归档: the checklist of required document types, the history, archive-code series."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models.evidence import AppendOnlyModel
from svc_archive_plugin.models.registers import Dossier
from svc_archive_plugin.models.registers import ServiceType
from svc_archive_plugin.models.vocabulary import DocumentTypeCode


class RequiredDocumentType(models.Model):
    """A document type every dossier of a service type must contain (policy §2.1)."""

    service_type = models.ForeignKey(
        ServiceType,
        on_delete=models.CASCADE,
        related_name="required_document_types",
        verbose_name=_("service type"),
    )
    document_type = models.ForeignKey(
        DocumentTypeCode,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("document type"),
    )

    class Meta:
        verbose_name = _("required document type")
        verbose_name_plural = _("required document types")
        constraints = [
            models.UniqueConstraint(
                fields=["service_type", "document_type"],
                name="svc_archive_required_type_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_type}: {self.document_type}"


class FilingEvent(AppendOnlyModel):
    """One step of a dossier's filing, kept as evidence: never changed, never deleted."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        APPROVE = "approve", _("Approved")
        RETURN = "return", _("Returned")
        RECEIVE = "receive", _("Received")
        FILE = "file", _("Filed")
        ACCEPT_INCOMPLETE = "accept_incomplete", _("Incompleteness accepted")

    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.PROTECT,
        related_name="filing_events",
        verbose_name=_("dossier"),
    )
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    from_state = models.CharField(
        _("state before"),
        max_length=16,
        choices=Dossier.State.choices,
    )
    to_state = models.CharField(
        _("state after"),
        max_length=16,
        choices=Dossier.State.choices,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("done by"),
    )
    at = models.DateTimeField(_("done at"), auto_now_add=True, db_index=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("filing event")
        verbose_name_plural = _("filing events")
        ordering = ("dossier", "at", "pk")

    def __str__(self) -> str:
        return f"{self.dossier}: {self.get_action_display()}"


class ArchiveCodeSeries(models.Model):
    """The last number given in one archive-code series (locked while a code is assigned)."""

    series = models.CharField(_("archive-code series"), max_length=64, unique=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("archive-code series")
        verbose_name_plural = _("archive-code series")
        ordering = ("series",)

    def __str__(self) -> str:
        return f"{self.series} ({self.last_number})"
