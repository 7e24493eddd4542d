"""Admin of the fixity check 四性检测: dated runs with their findings, read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.urls import reverse
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from svc_archive_plugin.admin.evidence import EvidenceAdmin
from svc_archive_plugin.admin.evidence import form_page
from svc_archive_plugin.admin.links import DocumentIdColumn
from svc_archive_plugin.admin.links import document_link
from svc_archive_plugin.models import FixityChunk
from svc_archive_plugin.models import FixityFinding
from svc_archive_plugin.models import FixityRun
from svc_archive_plugin.services import chains
from svc_archive_plugin.services import fixity
from svc_archive_plugin.services import records

VIEW_FINDINGS = "svc_archive_plugin.view_fixityfinding"
RUN_FIXITY = "svc_archive_plugin.run_fixity"


@admin.register(FixityRun)
class FixityRunAdmin(EvidenceAdmin):
    """The fixity checks: when, how far, what they found; started now by the archive."""

    list_display = (
        "started_at",
        "finished_at",
        "state",
        "documents_checked",
        "files_checked",
        "size_read",
        "problems",
        "started_by",
        "mailed_at",
    )
    list_filter = ("state", "started_at")
    list_select_related = ("started_by",)
    date_hierarchy = "started_at"
    fields = (
        "started_at",
        "finished_at",
        "started_by",
        "state",
        "documents_checked",
        "files_checked",
        "size_read",
        "problems",
        "mailed_at",
        "parts",
        "last_document",
        "heartbeat_at",
        "evidence_chain_heads",
        "evidence_chain_problems",
    )
    readonly_fields = fields
    change_list_template = "admin/svc_archive_plugin/fixityrun/change_list.html"
    change_form_template = "admin/svc_archive_plugin/fixityrun/change_form.html"
    findings_shown = 100  # on the run's page; the findings list and the CSV have all

    @admin.display(description=_("read"), ordering="bytes_read")
    def size_read(self, obj: FixityRun) -> str:
        return filesizeformat(obj.bytes_read)

    @admin.display(description=_("parts"))
    def parts(self, obj: FixityRun) -> str:
        """How far the workers got, and how many took part (a run is checked in parts)."""
        parts = list(obj.chunks.values_list("state", "claimed_by"))
        done = sum(state == FixityChunk.State.DONE for state, _by in parts)
        workers = {by.rsplit(":", 1)[0] for _state, by in parts if by}
        return ngettext(
            "%(done)d of %(total)d done, by %(workers)d worker",
            "%(done)d of %(total)d done, by %(workers)d workers",
            len(workers),
        ) % {
            "done": done,
            "total": len(parts),
            "workers": len(workers),
        }

    @admin.display(description=_("last document checked"))
    def last_document(self, obj: FixityRun) -> str:
        """The resume point by its 档号 and title, not its id."""
        if not obj.last_document_id:
            return "—"
        label = records.document_labels([obj.last_document_id])[obj.last_document_id]
        return document_link(obj.last_document_id, label)

    @admin.display(description=_("heads of the evidence chains"))
    def evidence_chain_heads(self, obj: FixityRun) -> str:
        if not obj.chain_heads:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><code>{}</code></li>",
                ((line,) for line in chains.head_lines(obj.chain_heads)),
            ),
        )

    @admin.display(description=_("evidence chain problems"))
    def evidence_chain_problems(self, obj: FixityRun) -> str:
        if not obj.chain_problems:
            return _("None: every chain verifies against the previous anchor.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}</li>",
                ((str(chains.Finding(**p)),) for p in obj.chain_problems),
            ),
        )

    def get_urls(self):
        return [
            path(
                "start/",
                self.admin_site.admin_view(self.start_view),
                name="svc_archive_plugin_fixityrun_start",
            ),
            path(
                "<int:pk>/findings.csv",
                self.admin_site.admin_view(self.csv_view),
                name="svc_archive_plugin_fixityrun_csv",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"may_start": request.user.has_perm(RUN_FIXITY)}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        extra = {}
        if run is not None and request.user.has_perm(VIEW_FINDINGS):
            findings = run.findings.order_by("document_id", "file", "pk")
            extra = {
                "findings": [
                    (document_link(f.document_id, f.title), f)
                    for f in findings[: self.findings_shown]
                ],
                "findings_more": max(run.problems - self.findings_shown, 0),
                "findings_url": (
                    reverse("admin:svc_archive_plugin_fixityfinding_changelist")
                    + f"?run__id__exact={run.pk}"
                ),
            }
        return super().change_view(
            request,
            object_id,
            form_url,
            {**extra, **(extra_context or {})},
        )

    def start_view(self, request):
        """Queue a fixity check now (the weekly one runs by itself)."""
        if not request.user.has_perm(RUN_FIXITY):
            raise PermissionDenied
        if request.method == "POST":
            if fixity.running_check() is not None:
                self.message_user(request, str(fixity.busy()), messages.WARNING)
            else:
                self._queue(request.user.pk)
                self.message_user(
                    request,
                    _(
                        "The fixity check is queued; its report appears here when the "
                        "worker starts it.",
                    ),
                    messages.SUCCESS,
                )
            return redirect("admin:svc_archive_plugin_fixityrun_changelist")
        return form_page(
            self,
            request,
            title=_("Start a fixity check now"),
            form=forms.Form(),
            intro=_(
                "Every document's original and archive version is read to the end and "
                "its SHA-256 compared with the checksum paperless stored. On a large "
                "archive this takes hours; the worker goes on in slices between other "
                "tasks. The archive managers are e-mailed if anything is wrong.",
            ),
        )

    @staticmethod
    def _queue(user_id: int) -> None:
        from svc_archive_plugin.tasks import check_fixity

        transaction.on_commit(
            lambda: check_fixity.delay(user_id=user_id, resume=False),
        )

    def csv_view(self, request, pk: int):
        """One run's findings as CSV."""
        from svc_archive_plugin.reports.fixity_csv import fixity_csv_response

        run = get_object_or_404(FixityRun, pk=pk)
        if not self.has_view_permission(request, run):
            raise Http404
        if not request.user.has_perm(VIEW_FINDINGS):
            raise PermissionDenied
        return fixity_csv_response(run)


@admin.register(FixityFinding)
class FixityFindingAdmin(DocumentIdColumn, EvidenceAdmin):
    """Every file a fixity check found wrong, across runs; filtered by run from its page."""

    list_display = (
        "run",
        "document",
        "file",
        "problem",
        "path",
        "expected",
        "actual",
        "detail",
    )
    list_filter = ("problem", "file", "run")
    list_select_related = ("run",)
    list_per_page = 100
    search_fields = ("title", "path")
    fields = (
        "run",
        "document_number",
        "title",
        "file",
        "path",
        "problem",
        "expected",
        "actual",
        "detail",
        "at",
    )
    readonly_fields = fields

    @admin.display(description=_("document"), ordering="document_id")
    def document(self, obj: FixityFinding) -> str:
        return document_link(obj.document_id, obj.title)
