"""Record declaration: which documents are declared records, and refused changes to them.

A filed dossier's documents become declared records at filing, and stay declared: the
dossier's state or the document's fields never undeclare them. References to paperless
documents use ``db_constraint=False, on_delete=DO_NOTHING`` for the reason given in
``models.retention``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models.evidence import AppendOnlyModel
from svc_archive_plugin.models.registers import Dossier


class DeclaredRecord(models.Model):
    """A document declared a record when its dossier was filed (root documents only)."""

    document = models.OneToOneField(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("document"),
    )
    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.PROTECT,
        related_name="declared_records",
        verbose_name=_("dossier"),
    )
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)
    # 件号 (DA/T 22): the record's place in its dossier, given at filing, stable after.
    item_number = models.PositiveIntegerField(_("item number"), null=True, blank=True)
    # The filing stamp 归档章 on the archive version (``services.stamping``): when, the
    # archive's SHA-256 it left, or why the record could not be stamped.
    stamped_at = models.DateTimeField(_("stamped at"), null=True, blank=True)
    stamped_checksum = models.CharField(
        _("checksum of the stamped archive version"),
        max_length=64,
        blank=True,
    )
    stamp_problem = models.CharField(
        _("why it is not stamped"),
        max_length=255,
        blank=True,
    )

    class Meta:
        verbose_name = _("declared record")
        verbose_name_plural = _("declared records")
        ordering = ("document_id",)
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "item_number"],
                name="svc_archive_item_number_once_per_dossier",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.document_id} ({self.dossier_id})"


class RefusedChange(AppendOnlyModel):
    """An attempt to change a frozen fact of a declared or held record, refused."""

    document_id = models.BigIntegerField(_("id of the document"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user who tried"),
    )
    path = models.CharField(_("path"), max_length=64)
    facts = models.CharField(_("frozen facts"), max_length=255)
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("tried at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("refused change")
        verbose_name_plural = _("refused changes")
        ordering = ("-at", "-pk")

    def __str__(self) -> str:
        return f"#{self.document_id} {self.path}"
