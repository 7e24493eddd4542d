"""Admin of the working-day calendar, with a CSV import of the yearly official list."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.admin.base import PluginAdmin
from svc_archive_plugin.models import CalendarDay
from svc_archive_plugin.models import CalendarYear
from svc_archive_plugin.services.calendar import CalendarImportError
from svc_archive_plugin.services.calendar import import_calendar_csv


class CalendarImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Lines of date,kind[,name]: 2026-10-01,holiday,国庆节 or 2026-10-10,班",
        ),
    )

    complete = forms.BooleanField(
        label=_("This file is the company's complete list for its years"),
        required=False,
        help_text=_(
            "Marks the years of the file's dates complete. Needed for a year the national "
            "calendar (chinesecalendar) does not know yet, or deadlines there warn.",
        ),
    )

    def clean_file(self):
        data = self.cleaned_data["file"].read()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None


@admin.register(CalendarDay)
class CalendarDayAdmin(PluginAdmin):
    """Working-day calendar admin interface."""

    list_display = ("date", "weekday", "kind", "name")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"
    change_list_template = "admin/svc_archive_plugin/calendarday/change_list.html"
    import_template = "admin/svc_archive_plugin/calendarday/import.html"

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return formats.date_format(obj.date, "l")

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="svc_archive_plugin_calendarday_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(
            request,
        ):
            raise PermissionDenied
        form = CalendarImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                result = import_calendar_csv(
                    form.cleaned_data["file"],
                    complete=form.cleaned_data["complete"],
                )
            except CalendarImportError as exc:
                errors = exc.errors
            else:
                self.message_user(
                    request,
                    _(
                        "Imported: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.",
                    )
                    % {
                        "created": len(result.created),
                        "updated": len(result.updated),
                        "unchanged": len(result.unchanged),
                    },
                    messages.SUCCESS,
                )
                if result.complete_years:
                    self.message_user(
                        request,
                        _("Marked complete: %(years)s.")
                        % {"years": ", ".join(map(str, result.complete_years))},
                        messages.SUCCESS,
                    )
                return redirect("admin:svc_archive_plugin_calendarday_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import calendar days"),
            "form": form,
            "import_errors": errors,
        }
        return TemplateResponse(request, self.import_template, context)


@admin.register(CalendarYear)
class CalendarYearAdmin(PluginAdmin):
    """The years whose full list the company calendar holds (no warning for them)."""

    list_display = ("year", "note")
