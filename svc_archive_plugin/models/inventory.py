"""Inventory 清查盘点 of paper originals: a round, the list to tick off, each result."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class InventoryRound(models.Model):
    """One physical check of the shelves, over all locations or one cabinet."""

    name = models.CharField(_("name"), max_length=128)
    cabinet = models.CharField(
        _("cabinet"),
        max_length=32,
        blank=True,
        help_text=_("Leave empty to check every location."),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("inventory round")
        verbose_name_plural = _("inventory rounds")
        ordering = ("-started_at", "-pk")

    def __str__(self) -> str:
        return self.name


class InventoryItem(models.Model):
    """One dossier on the list: where the register put it, and what the check found.

    The expected location, archive code and loan are copied in when the round starts,
    so the list and its report read the same whatever happens to the register later.
    """

    class Result(models.TextChoices):
        UNCHECKED = "unchecked", _("Not checked yet")
        PRESENT = "present", _("Present")
        MISSING = "missing", _("Missing")
        MISPLACED = "misplaced", _("Misplaced")

    round = models.ForeignKey(
        InventoryRound,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name=_("inventory round"),
    )
    dossier = models.ForeignKey(
        "svc_archive_plugin.Dossier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dossier"),
    )
    archive_code = models.CharField(_("archive code"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=256, blank=True)
    cabinet = models.CharField(_("cabinet"), max_length=32, blank=True)
    shelf = models.CharField(_("shelf"), max_length=32, blank=True)
    box = models.CharField(_("box"), max_length=32, blank=True)
    pages = models.PositiveIntegerField(_("paper pages"), null=True, blank=True)
    loan = models.ForeignKey(
        "svc_archive_plugin.Loan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("out on loan when the round started"),
    )
    # Paper originals of single documents of the dossier out on loan at the start: they
    # do not explain a missing dossier, but the checker should know the box is short.
    document_loans = models.TextField(
        _("documents of it out on loan when the round started"),
        blank=True,
    )
    # An item found on the shelves that the list did not expect there.
    unlisted = models.BooleanField(_("found, not on the list"), default=False)
    result = models.CharField(
        _("result"),
        max_length=16,
        choices=Result.choices,
        default=Result.UNCHECKED,
    )
    found_at = models.CharField(_("found at"), max_length=128, blank=True)
    note = models.TextField(_("note"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inventory item")
        verbose_name_plural = _("inventory items")
        ordering = ("round", "cabinet", "shelf", "box", "archive_code", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "dossier"],
                name="svc_archive_inventory_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.archive_code or self.title} ({self.get_result_display()})"
