"""档案 (archive records): one page per record, reached from its document in paperless's UI.

The document's 档案详情 field links here; the page gathers what the plugin keeps about the
record (its dossier, retention, loans, access log) and links back to paperless's UI.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.admin.evidence import EvidenceAdmin
from svc_archive_plugin.admin.links import DocumentIdColumn
from svc_archive_plugin.admin.links import document_link
from svc_archive_plugin.admin.links import document_url
from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import ArchiveRecord
from svc_archive_plugin.models import DeclaredRecord
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import RecordFacts
from svc_archive_plugin.models import RefusedChange
from svc_archive_plugin.services.records import fact_labels
from svc_archive_plugin.services.retention import retention_label
from svc_archive_plugin.services.statistics import visible_document_ids

# Of the latest loans and accesses, how many the page lists; the rest are in their screens.
LATEST = 20


def _change_link(obj, label) -> str:
    opts = obj._meta
    return format_html(
        '<a href="{}">{}</a>',
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
        label,
    )


def _dossier(record: ArchiveRecord):
    """The record's dossier, through its project (as the records' index has it)."""
    facts = (
        RecordFacts.objects.filter(document_id=record.document_id)
        .select_related("project__dossier", "project__customer")
        .first()
    )
    return getattr(getattr(facts, "project", None), "dossier", None)


@admin.register(ArchiveRecord)
class ArchiveRecordAdmin(EvidenceAdmin):
    """Every record: its document in paperless, retention, and the page of each."""

    list_display = ("document_link", "retention_label", "until_date", "state", "filed")
    list_filter = ("state", "retention", "filed")
    list_select_related = ("document",)
    search_fields = ("document__title",)
    show_full_result_count = False
    fields = (
        "document_link",
        "dossier_link",
        "retention_label",
        "basis",
        "starts_date",
        "until_date",
        "state",
        "filed",
    )
    readonly_fields = fields
    change_form_template = "admin/svc_archive_plugin/archiverecord/change_form.html"

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(
            "svc_archive_plugin.view_recordretention",
        ) or request.user.has_perm("svc_archive_plugin.view_dossier")

    def get_queryset(self, request):
        records = (
            super().get_queryset(request).filter(document__deleted_at__isnull=True)
        )
        if request.user.has_perm("svc_archive_plugin.view_recordretention"):
            return records
        # Others see the records of the documents paperless lets them see.
        return records.filter(document_id__in=visible_document_ids(request.user))

    @admin.display(description=_("document"), ordering="document__title")
    def document_link(self, obj: ArchiveRecord) -> str:
        return document_link(obj.document_id, obj.document.title)

    @admin.display(description=_("retention period"), ordering="retention")
    def retention_label(self, obj: ArchiveRecord) -> str:
        return retention_label(obj.retention, obj.period_years)

    @admin.display(description=_("retention counted from"), ordering="starts")
    def starts_date(self, obj: ArchiveRecord) -> str:
        return obj.starts.isoformat() if obj.starts else "—"

    @admin.display(description=_("retention until"), ordering="until")
    def until_date(self, obj: ArchiveRecord) -> str:
        return obj.until.isoformat() if obj.until else "—"

    @admin.display(description=_("dossier"))
    def dossier_link(self, obj: ArchiveRecord) -> str:
        dossier = _dossier(obj)
        if dossier is None:
            return "—"
        return _change_link(dossier, dossier.archive_code or str(dossier))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        record = self.get_object(request, object_id)
        if record is not None:
            can = request.user.has_perm
            extra["paperless_url"] = document_url(record.document_id)
            if can("svc_archive_plugin.view_loan"):
                # The record lent alone, or with its whole dossier.
                dossier = _dossier(record)
                lent = Q(document_id=record.document_id)
                if dossier is not None:
                    lent |= Q(dossier=dossier, document__isnull=True)
                extra["loans"] = (
                    Loan.objects.filter(lent)
                    .select_related("borrower")
                    .order_by("-requested_at")[:LATEST]
                )
            if can("svc_archive_plugin.view_accesslogentry"):
                extra["accesses"] = (
                    AccessLogEntry.objects.filter(document_id=record.document_id)
                    .select_related("user")
                    .order_by("-at")[:LATEST]
                )
        return super().change_view(request, object_id, form_url, extra)


@admin.register(DeclaredRecord)
class DeclaredRecordAdmin(DocumentIdColumn, EvidenceAdmin):
    """The documents declared records at filing: shown, never edited here."""

    list_display = (
        "document_number",
        "dossier",
        "item_number",
        "declared_at",
        "stamped_at",
        "stamp_problem",
    )
    list_filter = (("stamped_at", admin.EmptyFieldListFilter),)
    list_select_related = ("dossier__project",)
    search_fields = ("dossier__archive_code", "dossier__project__code")
    date_hierarchy = "declared_at"


@admin.register(RefusedChange)
class RefusedChangeAdmin(DocumentIdColumn, EvidenceAdmin):
    """Attempts to change a record's frozen facts: who, through which door, what, why."""

    list_display = ("at", "document_number", "user", "path", "fact_names", "reason")
    list_filter = ("path",)
    list_select_related = ("user",)
    search_fields = ("reason", "user__username")
    date_hierarchy = "at"
    fields = ("at", "document_id", "user", "path", "fact_names", "reason")
    readonly_fields = fields

    @admin.display(description=_("frozen facts"), ordering="facts")
    def fact_names(self, obj: RefusedChange) -> str:
        # Stored as keys (document_type, project, …); shown by their names.
        return fact_labels(obj.facts.split(", ")) if obj.facts else ""
