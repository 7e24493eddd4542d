"""What capture could not classify, for the archive manager to sort out."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CaptureReport(models.Model):
    """A scan the plugin could not (fully) classify, or that failed, with the reason.

    A failed scan has no document: its file waits in the holding folder (``held_file``).
    """

    class Reason(models.TextChoices):
        UNKNOWN_CODE = "unknown_code", _("Unknown code")
        AMBIGUOUS_CODE = "ambiguous_code", _("Ambiguous code")
        MISMATCH = "mismatch", _("Project does not belong to the customer")
        UNSUPPORTED_PATH = "unsupported_path", _("Folder path not understood")
        COVER_SHEET = "cover_sheet", _("Cover sheet not usable")
        DUPLICATE = "duplicate", _("Duplicate of an existing document")
        EMPTY_FILE = "empty_file", _("Empty file")
        CORRUPT = "corrupt", _("Damaged file")
        PASSWORD = "password", _("Password-protected PDF")
        UNSUPPORTED_TYPE = "unsupported_type", _("File type not supported")
        NO_TEXT = "no_text", _("No text recognised")
        FAILED = "failed", _("Consumption failed")
        MISSING_METADATA = "missing_metadata", _("Mandatory metadata missing")

    # No database constraint and no cascade: a report outlives the document it names,
    # and paperless's soft delete must not drop it (extension points §5).
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("document"),
    )
    document_title = models.CharField(_("document title"), max_length=128, blank=True)
    path = models.CharField(_("path in the consumption directory"), max_length=1024)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    detail = models.TextField(_("detail"))
    held_file = models.CharField(
        _("file in the holding folder"),
        max_length=1024,
        blank=True,
        help_text=_("Where a failed scan was kept, under the holding folder."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    resolved = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        verbose_name = _("capture report")
        verbose_name_plural = _("capture reports")
        ordering = ("-created",)
        indexes = [models.Index(fields=["resolved", "-created"])]

    def __str__(self) -> str:
        return f"{self.path}: {self.get_reason_display()}"
