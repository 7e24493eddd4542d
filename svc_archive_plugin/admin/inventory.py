"""Admin of inventory rounds 清查盘点: start a round, tick off its list, close it, print.

A round's page shows its progress and links to the list (PDF, CSV), the discrepancy
report (PDF, CSV) and the round's items; the items' list records results by action
(present, missing, misplaced at …). Each list is a fixed number of queries.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.urls import path
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from svc_archive_plugin.admin.base import PluginAdmin
from svc_archive_plugin.admin.evidence import StepsAdmin
from svc_archive_plugin.admin.evidence import action_fields
from svc_archive_plugin.admin.evidence import form_page
from svc_archive_plugin.models import InventoryItem
from svc_archive_plugin.models import InventoryRound
from svc_archive_plugin.reports.pdf_download import pdf_response
from svc_archive_plugin.services import inventory
from svc_archive_plugin.services.people import name_of

Result = InventoryItem.Result


class StartRoundForm(forms.Form):
    name = forms.CharField(label=_("Name of the round"), max_length=128)
    cabinet = forms.ChoiceField(label=_("Cabinet"), required=False)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cabinets = (
            inventory.held_dossiers()
            .exclude(location_cabinet="")
            .order_by("location_cabinet")
            .values_list("location_cabinet", flat=True)
            .distinct()
        )
        self.fields["cabinet"].choices = [
            ("", _("All locations")),
            *((c, c) for c in cabinets),
        ]


class UnlistedForm(forms.Form):
    archive_code = forms.CharField(
        label=_("Archive code or project code on the file"),
        max_length=64,
    )
    found_at = forms.CharField(label=_("Found at"), max_length=128)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ScanForm(forms.Form):
    code = forms.CharField(
        label=_("Label code or archive code"),
        max_length=64,
        help_text=_(
            "Scan the barcode or QR code on the box (a scanner types it and Enter): the "
            "dossier is recorded present at its listed place, and the page waits for the "
            "next one.",
        ),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("Note on the round"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MissingForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MisplacedForm(forms.Form):
    found_at = forms.CharField(label=_("Found at"), max_length=128)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(InventoryRound)
class InventoryRoundAdmin(StepsAdmin, PluginAdmin):
    """Inventory rounds: started from the add form, checked item by item, then closed."""

    list_display = (
        "name",
        "cabinet",
        "started_at",
        "started_by",
        "closed_at",
        "listed",
        "checked",
        "missing",
        "misplaced",
        "unlisted",
    )
    list_select_related = ("started_by", "closed_by")
    list_filter = ("closed_at",)
    search_fields = ("name",)
    readonly_fields = (
        "name",
        "cabinet",
        "note",
        "started_by",
        "started_at",
        "closed_by",
        "closed_at",
        "waiting",
    )
    fields = readonly_fields
    change_form_template = "admin/svc_archive_plugin/inventoryround/change_form.html"
    step_labels = {
        "scan": _("Check by scanning labels"),
        "unlisted": _("Record a find not on the list"),
        "close": _("Close the round"),
    }

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # rounds move by their steps only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**inventory.progress_counts())

    @admin.display(description=_("listed"), ordering="listed")
    def listed(self, obj) -> int:
        return obj.listed

    @admin.display(description=_("checked"))
    def checked(self, obj) -> int:
        return obj.listed - obj.unchecked

    @admin.display(description=_("missing"), ordering="missing")
    def missing(self, obj) -> int:
        return obj.missing

    @admin.display(description=_("misplaced"), ordering="misplaced")
    def misplaced(self, obj) -> int:
        return obj.misplaced

    @admin.display(description=_("found, not on the list"), ordering="unlisted")
    def unlisted(self, obj) -> int:
        return obj.unlisted

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StartRoundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                inventory_round = inventory.start_round(
                    request.user,
                    data["name"],
                    data["cabinet"],
                    data["note"],
                )
            except inventory.InventoryError as exc:
                form.add_error(None, str(exc))
            else:
                count = inventory_round.items.count()
                self.message_user(
                    request,
                    ngettext(
                        "Round %(name)s started: %(count)d dossier to check.",
                        "Round %(name)s started: %(count)d dossiers to check.",
                        count,
                    )
                    % {"name": inventory_round.name, "count": count},
                    messages.SUCCESS,
                )
                return redirect(
                    "admin:svc_archive_plugin_inventoryround_change",
                    inventory_round.pk,
                )
        return form_page(
            self,
            request,
            title=_("Start an inventory round"),
            form=form,
            intro=_(
                "The list holds every received or filed dossier with a location (in "
                "the cabinet chosen), as the register has it now, and the paper loans "
                "out now.",
            ),
        )

    def next_steps(self, request, obj: InventoryRound) -> list[str]:
        return inventory.allowed_steps(obj, request.user)

    def waiting_for(self, obj: InventoryRound) -> str:
        return inventory.waiting_for(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = {}
        if obj is not None:
            extra = {
                "progress": inventory.progress(obj),
                "items_url": reverse(
                    "admin:svc_archive_plugin_inventoryitem_changelist",
                )
                + f"?round__id__exact={obj.pk}",
            }
        return super().change_view(
            request,
            object_id,
            form_url,
            {**extra, **(extra_context or {})},
        )

    def get_urls(self):
        reports = (
            ("list.pdf", self.list_pdf_view, "list_pdf"),
            ("list.csv", self.list_csv_view, "list_csv"),
            ("discrepancies.pdf", self.discrepancies_pdf_view, "discrepancies_pdf"),
            ("discrepancies.csv", self.discrepancies_csv_view, "discrepancies_csv"),
        )
        return [
            *(
                path(
                    f"<int:pk>/{suffix}",
                    self.admin_site.admin_view(view),
                    name=f"svc_archive_plugin_inventoryround_{name}",
                )
                for suffix, view, name in reports
            ),
            *super().get_urls(),
        ]

    def _visible(self, request, pk: int) -> InventoryRound:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            InventoryRound.objects.select_related("started_by", "closed_by"),
            pk=pk,
        )

    def step_view(self, request, pk: int, step: str):
        inventory_round = self._visible(request, pk)
        label = self.step_labels[step]
        forms_by_step = {"scan": ScanForm, "unlisted": UnlistedForm}
        form = forms_by_step.get(step, CloseForm)(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if step == "scan":
                    item = inventory.check_scanned(
                        inventory_round,
                        request.user,
                        data["code"],
                    )
                    self.message_user(
                        request,
                        _("%(item)s: present.")
                        % {"item": item.archive_code or item.title},
                        messages.SUCCESS,
                    )
                    # Straight back to the empty field, for the next box.
                    return redirect(
                        "admin:svc_archive_plugin_inventoryround_scan",
                        pk,
                    )
                if step == "unlisted":
                    item = inventory.record_unlisted(
                        inventory_round,
                        request.user,
                        archive_code=data["archive_code"],
                        found_at=data["found_at"],
                        note=data["note"],
                    )
                    done = (
                        _("Recorded as found, not on the list: %(item)s")
                        if item.unlisted
                        else _("%(item)s is on the list: recorded as %(result)s.")
                    ) % {
                        "item": item.archive_code or item.title,
                        "result": item.get_result_display(),
                    }
                else:
                    inventory.close_round(inventory_round, request.user, data["note"])
                    done = label
            except inventory.InventoryError as exc:
                form.add_error(None, str(exc))
                if step == "scan":
                    # The field empty again: the next scan is not typed after this one.
                    form.data = form.data.copy()
                    form.data["code"] = ""
            else:
                self.message_user(request, done, messages.SUCCESS)
                return redirect("admin:svc_archive_plugin_inventoryround_change", pk)
        return form_page(
            self,
            request,
            title=label,
            form=form,
            original=inventory_round,
            intro=_(
                "A dossier the list has elsewhere is recorded as that item, "
                "misplaced; anything else as found, not on the list.",
            )
            if step == "unlisted"
            else _(
                "Scan the boxes one after another. A dossier found away from its "
                "listed place is recorded as a find not on the list, with where it was.",
            )
            if step == "scan"
            else _(
                "After closing, no result changes; items not checked stay so and "
                "are reported.",
            ),
        )

    def list_pdf_view(self, request, pk: int):
        from svc_archive_plugin.reports.inventory_list import inventory_list_pdf

        return pdf_response(*inventory_list_pdf(self._visible(request, pk)))

    def list_csv_view(self, request, pk: int):
        from svc_archive_plugin.reports.inventory_csv import inventory_list_csv_response

        return inventory_list_csv_response(self._visible(request, pk))

    def discrepancies_pdf_view(self, request, pk: int):
        from svc_archive_plugin.reports.inventory_discrepancies import (
            discrepancy_report_pdf,
        )

        return pdf_response(*discrepancy_report_pdf(self._visible(request, pk)))

    def discrepancies_csv_view(self, request, pk: int):
        from svc_archive_plugin.reports.inventory_csv import discrepancies_csv_response

        return discrepancies_csv_response(self._visible(request, pk))


@admin.register(InventoryItem)
class InventoryItemAdmin(PluginAdmin):
    """The items of the rounds: filter by round, tick off by action."""

    list_display = (
        "archive_code",
        "title",
        "cabinet",
        "shelf",
        "box",
        "pages",
        "on_loan",
        "result",
        "found_at",
        "note",
        "checked_by",
        "checked_at",
        "unlisted",
    )
    list_filter = ("round", "result", "unlisted", "cabinet", "shelf", "box")
    list_select_related = ("round", "loan__borrower", "checked_by")
    search_fields = ("archive_code", "title", "found_at")
    list_per_page = 100
    show_full_result_count = False
    actions = ("mark_present", "mark_missing", "mark_misplaced")
    readonly_fields = (
        "round",
        "dossier",
        "archive_code",
        "title",
        "cabinet",
        "shelf",
        "box",
        "pages",
        "loan",
        "document_loans",
        "unlisted",
        "result",
        "found_at",
        "note",
        "checked_by",
        "checked_at",
    )
    fields = readonly_fields

    def has_view_permission(self, request, obj=None) -> bool:
        return inventory.can_view(request.user) or super().has_view_permission(
            request,
            obj,
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # items come with their round, or as finds off the list

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # results are recorded by the actions

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_record_permission(self, request) -> bool:
        return inventory.can_check(request.user)

    @admin.display(description=_("on loan at the start"))
    def on_loan(self, obj: InventoryItem) -> str:
        if obj.loan_id is None:
            return ""
        return f"{obj.loan.number} {name_of(obj.loan.borrower)}"

    def _record(self, request, queryset, result: str, data: dict) -> None:
        try:
            count = inventory.record_checks(
                queryset,
                request.user,
                result,
                data.get("found_at", ""),
                data.get("note", ""),
            )
        except inventory.InventoryError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            ngettext(
                "%(result)s: %(count)d item recorded.",
                "%(result)s: %(count)d items recorded.",
                count,
            )
            % {"result": Result(result).label, "count": count},
            messages.SUCCESS,
        )

    def _with_form(self, request, queryset, result: str, form_class, title):
        form = form_class(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return form_page(
                self,
                request,
                title=title,
                form=form,
                hidden=action_fields(request, queryset),
            )
        self._record(request, queryset, result, form.cleaned_data)
        return None

    @admin.action(description=_("Present (found where listed)"), permissions=["record"])
    def mark_present(self, request, queryset):
        self._record(request, queryset, Result.PRESENT, {})

    @admin.action(description=_("Missing"), permissions=["record"])
    def mark_missing(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            Result.MISSING,
            MissingForm,
            _("Missing"),
        )

    @admin.action(description=_("Misplaced, found at …"), permissions=["record"])
    def mark_misplaced(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            Result.MISPLACED,
            MisplacedForm,
            _("Misplaced, found at …"),
        )
