"""Destruction 销毁 (policy ch. 9, SPEC §8): lists, their history, the permanent register."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models.chains import digest
from svc_archive_plugin.models.evidence import AppendOnlyModel


class DestructionList(models.Model):
    """A destruction list 销毁清单, from preparation to execution."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        SUBMITTED = "submitted", _("Awaiting a leader's approval")
        APPROVED = "approved", _("Approved; awaiting the check against the files")
        CHECKED = "checked", _("Checked; awaiting the supervisors")
        SUPERVISED = "supervised", _("Confirmed by the supervisors; ready to destroy")
        EXECUTING = "executing", _("Being destroyed")
        EXECUTED = "executed", _("Destroyed (list carried out)")
        REJECTED = "rejected", _("Rejected by the leader")
        CANCELLED = "cancelled", _("Cancelled list")

    number = models.CharField(_("list number"), max_length=32, unique=True)
    title = models.CharField(_("title of the list"), max_length=200)
    reason = models.TextField(_("reason for destruction"))
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=State.choices,
        default=State.DRAFT,
        db_index=True,
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    created_at = models.DateTimeField(_("list created at"), auto_now_add=True)
    # Each submission starts a new round of approval, checks and supervision.
    round = models.PositiveIntegerField(_("review round"), default=0, editable=False)
    # Recorded when the destruction starts; printed in the register 销毁清册.
    method = models.CharField(_("method of destruction"), max_length=100, blank=True)
    place = models.CharField(_("place of destruction"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("destruction list")
        verbose_name_plural = _("destruction lists")
        ordering = ("-created_at", "-pk")
        permissions = [
            ("prepare_destruction", _("Can prepare and carry out destruction lists")),
            ("approve_destruction", _("Can approve destruction lists")),
            ("check_destruction", _("Can check destruction lists against the files")),
            ("supervise_destruction", _("Can supervise destruction (监销)")),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state not in (
            self.State.EXECUTED,
            self.State.REJECTED,
            self.State.CANCELLED,
        )


class DestructionItem(models.Model):
    """One record on a destruction list, described as it was when it was listed."""

    destruction_list = models.ForeignKey(
        DestructionList,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name=_("destruction list"),
    )
    # The document disappears when the list is carried out; the id stays as evidence.
    document_id = models.BigIntegerField(_("id of the document"))
    title = models.CharField(_("title of the record"), max_length=512)
    archive_code = models.CharField(_("archive code"), max_length=64, blank=True)
    customer = models.CharField(_("customer"), max_length=200, blank=True)
    project = models.CharField(_("service project"), max_length=200, blank=True)
    document_type = models.CharField(_("document type"), max_length=128, blank=True)
    created = models.DateField(_("date of the document"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages listed"), null=True, blank=True)
    retention = models.CharField(_("retention period"), max_length=32, blank=True)
    retention_until = models.DateField(_("retention until"), null=True, blank=True)
    years_kept = models.PositiveIntegerField(_("years kept"), null=True, blank=True)
    # Cleared when the list is rejected or cancelled, so the record can be listed again.
    released = models.BooleanField(_("released from the list"), default=False)
    destroyed_at = models.DateTimeField(_("destroyed at"), null=True, blank=True)
    # What is still to be removed once the tombstone is committed (document ids for the
    # search index, file paths); cleared when they are gone. A worker killed in between
    # leaves it set, and the list's next run finishes the removal.
    leftovers = models.JSONField(_("still to be removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("destruction list item")
        verbose_name_plural = _("destruction list items")
        ordering = ("destruction_list", "archive_code", "document_id")
        constraints = [
            # A record is on at most one list that has not been rejected or cancelled.
            models.UniqueConstraint(
                fields=["document_id"],
                condition=models.Q(released=False),
                name="svc_archive_listed_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.archive_code or self.document_id} {self.title}"


class DestructionEvent(AppendOnlyModel):
    """One step of a destruction list, with who took it: the evidence behind the register."""

    class Action(models.TextChoices):
        CREATE = "create", _("List prepared")
        SUBMIT = "submit", _("Submitted for approval")
        APPROVE = "approve", _("Approved by the leader")
        REJECT = "reject", _("List rejected")
        CHECK = "check", _("Checked against the files")
        DISCREPANCY = "discrepancy", _("Discrepancy found in the check")
        SUPERVISE = "supervise", _("Destruction confirmed by a supervisor")
        EXECUTE = "execute", _("Destruction started")
        EXECUTED = "executed", _("Records destroyed")
        CANCEL = "cancel", _("List cancelled")

    destruction_list = models.ForeignKey(
        DestructionList,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("destruction list"),
    )
    round = models.PositiveIntegerField(_("review round"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("done by"),
    )
    at = models.DateTimeField(_("done at"), auto_now_add=True)
    note = models.TextField(_("note on the step"), blank=True)

    class Meta:
        verbose_name = _("destruction list event")
        verbose_name_plural = _("destruction list events")
        ordering = ("destruction_list", "at", "pk")

    def __str__(self) -> str:
        return f"{self.destruction_list.number}: {self.get_action_display()}"


class RegisterEntry(AppendOnlyModel):
    """An entry of the destruction register 销毁清册: the tombstone of one destroyed record.

    Kept permanently and never changed: ``entry_hash`` covers the entry's content and the
    previous entry's hash, so a rewritten or removed row breaks the chain
    (``manage.py svc_archive_verify``). Its chain keeps the columns and the hash it has
    always had (``services.register.entry_hash`` over the tombstone's content).
    """

    chain_columns = ("sequence", "previous_hash", "entry_hash")
    seq = None  # the register numbers its entries in ``sequence``
    prev_hash = None

    sequence = models.PositiveBigIntegerField(_("register sequence"), unique=True)
    destruction_list = models.ForeignKey(
        DestructionList,
        on_delete=models.PROTECT,
        related_name="register_entries",
        verbose_name=_("destruction list"),
    )
    document_id = models.BigIntegerField(_("id of the document"))
    destroyed_at = models.DateTimeField(_("destroyed at"))
    # Title, archive code, customer, project, type, dates, pages, the signatories,
    # and the SHA-256 of every destroyed file; the hash covers exactly this JSON.
    content = models.JSONField(_("tombstone"))
    previous_hash = models.CharField(_("previous entry's hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("destruction register entry")
        verbose_name_plural = _("destruction register")
        ordering = ("sequence",)

    def __str__(self) -> str:
        return (
            f"{self.sequence}: {self.content.get('archive_code') or self.document_id}"
        )

    def chain_digest(self, previous_hash: str, sequence: int) -> str:
        """The register's own hash: the tombstone's content, not every column."""
        return digest(previous_hash, sequence, self.content)
