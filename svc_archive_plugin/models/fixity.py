"""Fixity checks 四性检测 (integrity): runs and what each run found."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models.evidence import AppendOnlyModel


class FixityRun(models.Model):
    """One pass over every document's files; dated, resumable, kept as the report."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        INTERRUPTED = "interrupted", _("Interrupted; can be resumed")
        FINISHED = "finished", _("Finished")

    started_at = models.DateTimeField(_("started at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=State.choices,
        default=State.RUNNING,
    )
    # The highest document id checked so far (the parts are checked in parallel, each
    # in id order; a single worker's run checked everything up to it).
    last_document_id = models.PositiveIntegerField(
        _("last document checked"),
        default=0,
    )
    documents_checked = models.PositiveIntegerField(_("documents checked"), default=0)
    files_checked = models.PositiveIntegerField(_("files checked"), default=0)
    bytes_read = models.PositiveBigIntegerField(_("bytes read"), default=0)
    problems = models.PositiveIntegerField(_("problems found"), default=0)
    mailed_at = models.DateTimeField(_("managers told at"), null=True, blank=True)
    # Written by the worker at least every minute while it runs: a running check whose
    # heartbeat stopped was abandoned (the worker died) and may be taken over. It is also
    # the worker's lease: each write names the value it last wrote, so a worker whose run
    # was taken over stops at its next write.
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    # The anchor of the evidence chains (services/chains.py), written when the run
    # finishes: every chain's head then ({table: {"seq", "hash"}}), and what the check of
    # the chains against the previous anchor found.
    chain_heads = models.JSONField(_("heads of the evidence chains"), default=dict)
    chain_problems = models.JSONField(_("evidence chain problems"), default=list)

    class Meta:
        verbose_name = _("fixity check")
        verbose_name_plural = _("fixity checks")
        ordering = ("-started_at", "-pk")
        permissions = [("run_fixity", _("Can start a fixity check"))]
        constraints = [
            # One check at a time, whichever worker or command starts it.
            models.UniqueConstraint(
                fields=("state",),
                condition=models.Q(state="running"),
                name="svc_archive_one_fixity_check_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.get_state_display()})"


class FixityChunk(models.Model):
    """One part of a run: the documents with ids ``first_id``..``last_id``.

    Any worker claims a pending part (or one whose claimer's heartbeat stopped), checks
    it and commits its findings, its counters (added to the run's) and its new state in
    one transaction. ``claimed_by`` names the claim: each write names it, so a worker
    whose part was claimed again stops at its next write.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CLAIMED = "claimed", _("Being checked")
        DONE = "done", _("Done")

    run = models.ForeignKey(
        FixityRun,
        on_delete=models.CASCADE,
        related_name="chunks",
        verbose_name=_("fixity check"),
    )
    first_id = models.PositiveIntegerField(_("first document"))
    last_id = models.PositiveIntegerField(_("last document"))
    # Resuming a part goes on after this id (a worker's time slice may end inside one).
    last_document_id = models.PositiveIntegerField(
        _("last document checked"),
        default=0,
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=State.choices,
        default=State.PENDING,
    )
    claimed_by = models.CharField(_("claimed by"), max_length=128, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    documents_checked = models.PositiveIntegerField(_("documents checked"), default=0)
    files_checked = models.PositiveIntegerField(_("files checked"), default=0)
    bytes_read = models.PositiveBigIntegerField(_("bytes read"), default=0)
    problems = models.PositiveIntegerField(_("problems found"), default=0)

    class Meta:
        verbose_name = _("part of a fixity check")
        verbose_name_plural = _("parts of a fixity check")
        ordering = ("run", "first_id")
        constraints = [
            models.UniqueConstraint(
                fields=("run", "first_id"),
                name="svc_archive_fixity_chunk_once",
            ),
        ]
        indexes = [models.Index(fields=("run", "state"), name="svc_fixity_chunk_state")]

    def __str__(self) -> str:
        return f"#{self.first_id}–#{self.last_id} ({self.get_state_display()})"


class FixityFinding(AppendOnlyModel):
    """One file that failed the check: what was expected and what was found."""

    class File(models.TextChoices):
        ORIGINAL = "original", _("Original")
        ARCHIVE = "archive", _("Archive version")

    class Problem(models.TextChoices):
        MISMATCH = "mismatch", _("Checksum does not match")
        MISSING = "missing", _("File missing")
        UNREADABLE = "unreadable", _("File cannot be read or opened")
        NO_CHECKSUM = "no_checksum", _("No stored checksum")

    run = models.ForeignKey(
        FixityRun,
        on_delete=models.PROTECT,
        related_name="findings",
        verbose_name=_("fixity check"),
    )
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("document"),
    )
    title = models.CharField(_("document title"), max_length=128)
    file = models.CharField(_("file"), max_length=16, choices=File.choices)
    path = models.CharField(_("path"), max_length=1024)
    problem = models.CharField(_("problem"), max_length=16, choices=Problem.choices)
    expected = models.CharField(_("stored checksum"), max_length=64, blank=True)
    actual = models.CharField(_("checksum found"), max_length=64, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    at = models.DateTimeField(_("found at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fixity finding")
        verbose_name_plural = _("fixity findings")
        # Plain ids: ordering by the document would join its table and hide the findings
        # of purged documents.
        ordering = ("-run_id", "document_id", "file", "pk")

    def __str__(self) -> str:
        return f"#{self.document_id} {self.get_file_display()}: {self.get_problem_display()}"
