"""Access 查阅 (policy §6.1, §7.1): requests, the time-boxed grants they make, the access log.

An approved request grants paperless's own object permission ``view_document`` for its
period, so the paperless UI and search show the documents; the grant is withdrawn at the
end. Confidential and customer-private records keep no other view grant (``services.access``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models.evidence import AppendOnlyModel


class AccessRequest(models.Model):
    """A staff member's request to consult documents or dossiers 查阅申请."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting the department head")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn by the requester")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Period ended")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="svc_archive_access_requests",
        verbose_name=_("requester"),
    )
    # The requester's department when asking: its head decides.
    department = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    purpose = models.TextField(_("purpose of consultation"))
    starts = models.DateField(_("access from"))
    ends = models.DateField(_("access until (inclusive)"))
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=State.choices,
        default=State.PENDING,
        db_index=True,
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
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
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn or revoked by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.TextField(_("reason for closing"), blank=True)

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ("-created_at", "-pk")
        permissions = [
            (
                "approve_accessrequest",
                _("Can approve access requests of the department"),
            ),
            ("revoke_accessrequest", _("Can revoke any approved access request")),
        ]
        indexes = [
            models.Index(fields=["created_at", "id"], name="svc_archive_request_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gte=models.F("starts")),
                name="svc_archive_access_period",
            ),
        ]

    def __str__(self) -> str:
        from svc_archive_plugin.services.people import name_of

        return _("Access request #%(pk)s by %(user)s") % {
            "pk": self.pk,
            "user": name_of(self.requester),
        }


class AccessRequestItem(models.Model):
    """One thing asked for: a document, or a dossier (all its documents when approved)."""

    request = models.ForeignKey(
        AccessRequest,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("access request"),
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
        "svc_archive_plugin.Dossier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dossier"),
    )

    class Meta:
        verbose_name = _("requested item")
        verbose_name_plural = _("requested items")
        constraints = [
            models.CheckConstraint(
                condition=Q(document__isnull=False, dossier__isnull=True)
                | Q(document__isnull=True, dossier__isnull=False),
                name="svc_archive_access_item_one",
            ),
        ]

    def __str__(self) -> str:
        return str(self.dossier) if self.dossier_id else f"#{self.document_id}"


class AccessGrant(models.Model):
    """A view permission the plugin gave for a request; withdrawn at the period's end."""

    request = models.ForeignKey(
        AccessRequest,
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name=_("access request"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person granted"),
    )
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("document"),
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(
        _("withdrawn at"),
        null=True,
        blank=True,
        db_index=True,
    )

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        indexes = [
            models.Index(
                fields=["user", "document"],
                name="svc_archive_grant_user_doc",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → #{self.document_id}"


class WithdrawnPermission(AppendOnlyModel):
    """A permission on a confidential record the plugin took away, so it can be traced."""

    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("document"),
    )
    # PROTECT: see AccessLogEntry.user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person it was taken from"),
    )
    group = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group it was taken from"),
    )
    permission = models.CharField(_("permission withdrawn"), max_length=100)
    at = models.DateTimeField(_("withdrawn at"), auto_now_add=True)
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("withdrawn permission")
        verbose_name_plural = _("withdrawn permissions")
        ordering = ("-at", "-pk")

    # Stored as a permission's codename, or this prefix and a share link's slug.
    SHARE_LINK = "share link "

    def __str__(self) -> str:
        return f"#{self.document_id} {self.label_of(self.permission)} {self.user or self.group}"

    @classmethod
    def label_of(cls, permission: str) -> str:
        """A withdrawn permission as people read it."""
        if permission.startswith(cls.SHARE_LINK):
            return _("share link %(slug)s") % {
                "slug": permission[len(cls.SHARE_LINK) :],
            }
        labels = {
            "view_document": _("view the document"),
            "change_document": _("change the document"),
        }
        return str(labels.get(permission, permission))


class AccessLogEntry(AppendOnlyModel):
    """One view, preview or download of an archived document 查阅登记; kept as evidence.

    Who and where are copied in as they were, so the log reads the same after people
    change department, and filters need no join over a million rows.
    """

    class Kind(models.TextChoices):
        VIEW = "view", _("Viewed (details)")
        PREVIEW = "preview", _("Previewed")
        DOWNLOAD = "download", _("Downloaded")
        EMAIL = "email", _("Sent by e-mail")
        SHARED = "shared", _("Opened through a share link")
        LISTED = "listed", _("Full text read in a list or search")

    at = models.DateTimeField(_("time of access"), auto_now_add=True, db_index=True)
    # PROTECT, as all evidence keeps the people and departments it names: a SET_NULL
    # would be an UPDATE of evidence, which the database refuses.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("person"),
    )
    username = models.CharField(_("user name"), max_length=150)
    department = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    department_name = models.CharField(_("department name"), max_length=150, blank=True)
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("document"),
    )
    title = models.CharField(_("document title"), max_length=128)
    customer = models.ForeignKey(
        "svc_archive_plugin.Customer",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    project = models.ForeignKey(
        "svc_archive_plugin.ServiceProject",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service project"),
    )

    class Via(models.TextChoices):
        API = "api", _("paperless (web UI or API)")
        ADMIN = "admin", _("Django admin")
        SHARE = "share", _("share link")

    kind = models.CharField(_("kind of access"), max_length=16, choices=Kind.choices)
    via = models.CharField(_("through"), max_length=16, choices=Via.choices)
    request = models.ForeignKey(
        AccessRequest,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("under access request"),
    )
    # A share link is opened by whoever holds it: the link, who made it, and where from.
    share_link = models.CharField(_("share link"), max_length=64, blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("share link created by"),
    )
    shared_by_name = models.CharField(
        _("share link created by (name)"),
        max_length=150,
        blank=True,
    )
    client_address = models.GenericIPAddressField(
        _("client address"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ("-at", "-pk")
        indexes = [
            models.Index(fields=["user", "at"], name="svc_archive_log_user"),
            models.Index(fields=["department", "at"], name="svc_archive_log_dept"),
            models.Index(fields=["customer", "at"], name="svc_archive_log_customer"),
            models.Index(fields=["project", "at"], name="svc_archive_log_project"),
            models.Index(fields=["document", "at"], name="svc_archive_log_document"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_kind_display()} "
            f"#{self.document_id}"
        )
