"""Admin of destruction: the lists with their steps, and the permanent register."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.db.models import Count
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.admin.evidence import EvidenceAdmin
from svc_archive_plugin.admin.evidence import EvidenceInline
from svc_archive_plugin.admin.evidence import NoteForm
from svc_archive_plugin.admin.evidence import StepsAdmin
from svc_archive_plugin.admin.work import WaitingFilter
from svc_archive_plugin.models import DestructionEvent
from svc_archive_plugin.models import DestructionItem
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import RegisterEntry
from svc_archive_plugin.reports.pdf_download import pdf_response
from svc_archive_plugin.reports.register_csv import register_csv_response
from svc_archive_plugin.services import destruction
from svc_archive_plugin.services import register
from svc_archive_plugin.steps import DESTRUCTION_LIST


class ExecutionForm(NoteForm):
    """Carrying out a list: how and where (销毁方式, 销毁地点), for the register."""

    method = forms.CharField(
        label=_("Method of destruction"),
        max_length=100,
        help_text=_("For example: shredding, pulping, incineration, erasure of files."),
    )
    place = forms.CharField(label=_("Place of destruction"), max_length=200)
    field_order = ("method", "place", "note")


class DestructionItemInline(EvidenceInline):
    model = DestructionItem
    fields = (
        "archive_code",
        "title",
        "customer",
        "project",
        "document_type",
        "pages",
        "retention",
        "retention_until",
        "years_kept",
        "destroyed_at",
    )
    readonly_fields = fields


class DestructionEventInline(EvidenceInline):
    model = DestructionEvent
    fields = ("at", "round", "action", "actor", "note")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(DestructionList)
class DestructionListAdmin(StepsAdmin, EvidenceAdmin):
    """Destruction lists 销毁清单: made from the appraisal queue, moved by their steps."""

    list_display = (
        "number",
        "title",
        "state",
        "prepared_by",
        "created_at",
        "items",
        "pages",
    )
    list_filter = ("state", WaitingFilter)
    list_select_related = ("prepared_by",)
    search_fields = ("number", "title")
    readonly_fields = (
        "number",
        "title",
        "reason",
        "state",
        "waiting",
        "prepared_by",
        "created_at",
        "round",
        "method",
        "place",
    )
    fields = readonly_fields
    inlines = (DestructionItemInline, DestructionEventInline)
    change_form_template = "admin/svc_archive_plugin/destructionlist/change_form.html"
    steps = DESTRUCTION_LIST
    step_form = NoteForm
    step_forms = {"execute": ExecutionForm}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(item_count=Count("items"), page_count=Sum("items__pages"))
        )

    @admin.display(description=_("records listed"), ordering="item_count")
    def items(self, obj) -> int:
        return obj.item_count

    @admin.display(description=_("pages listed"), ordering="page_count")
    def pages(self, obj) -> int:
        return obj.page_count or 0

    def next_steps(self, request, obj: DestructionList) -> list[str]:
        return destruction.allowed_steps(obj, request.user)

    def waiting_for(self, obj: DestructionList) -> str:
        return destruction.waiting_for(obj)

    def get_urls(self):
        return [
            path(
                "<int:pk>/register.pdf",
                self.admin_site.admin_view(self.pdf_view),
                name="svc_archive_plugin_destructionlist_pdf",
            ),
            *super().get_urls(),
        ]

    def step_object(self, request, pk: int) -> DestructionList:
        destruction_list = get_object_or_404(DestructionList, pk=pk)
        if not self.has_view_permission(request, destruction_list):
            raise Http404
        return destruction_list

    def pdf_view(self, request, pk: int):
        from svc_archive_plugin.reports.destruction_register import (
            destruction_register_pdf,
        )

        destruction_list = get_object_or_404(DestructionList, pk=pk)
        if not self.has_view_permission(request, destruction_list):
            raise Http404
        return pdf_response(*destruction_register_pdf(destruction_list))


@admin.register(RegisterEntry)
class RegisterEntryAdmin(EvidenceAdmin):
    """The destruction register 销毁清册: shown and exported, never edited."""

    list_display = (
        "sequence",
        "destruction_list",
        "archive_code",
        "title",
        "destroyed_at",
        "short_hash",
    )
    list_filter = ("destruction_list",)
    list_select_related = ("destruction_list",)
    date_hierarchy = "destroyed_at"
    change_list_template = "admin/svc_archive_plugin/registerentry/change_list.html"
    fields = (
        "sequence",
        "destruction_list",
        "document_id",
        "destroyed_at",
        "tombstone",
        "previous_hash",
        "entry_hash",
    )
    readonly_fields = fields

    @admin.display(description=_("tombstone"))
    def tombstone(self, obj) -> str:
        # The entry as it is hashed, keys and all: shown as the code it is.
        return format_html(
            '<pre style="white-space: pre-wrap"><code>{}</code></pre>',
            json.dumps(obj.content, ensure_ascii=False, indent=2, sort_keys=True),
        )

    @admin.display(description=_("archive code"))
    def archive_code(self, obj) -> str:
        return obj.content.get("archive_code", "")

    @admin.display(description=_("title of the record"))
    def title(self, obj) -> str:
        return obj.content.get("title", "")

    @admin.display(description=_("entry hash"))
    def short_hash(self, obj) -> str:
        return obj.entry_hash[:12]

    def get_urls(self):
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.csv_view),
                name="svc_archive_plugin_registerentry_csv",
            ),
            path(
                "verify/",
                self.admin_site.admin_view(self.verify_view),
                name="svc_archive_plugin_registerentry_verify",
            ),
            *super().get_urls(),
        ]

    def csv_view(self, request):
        if not self.has_view_permission(request):
            raise Http404
        entries = RegisterEntry.objects.order_by("sequence")
        if list_id := request.GET.get("destruction_list__id__exact"):
            entries = entries.filter(destruction_list_id=list_id)
        return register_csv_response(entries, "destruction-register.csv")

    def verify_view(self, request):
        if not self.has_view_permission(request):
            raise Http404
        problems = list(register.verify())
        if problems:
            for problem in problems[:20]:
                self.message_user(
                    request,
                    _("Entry %(sequence)s: %(detail)s")
                    % {"sequence": problem.sequence, "detail": problem.detail},
                    messages.ERROR,
                )
        else:
            self.message_user(
                request,
                _("The register's hash chain is intact."),
                messages.SUCCESS,
            )
        return redirect("admin:svc_archive_plugin_registerentry_changelist")
