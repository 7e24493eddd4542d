"""The statistics dashboard 统计分析: charts and tables of every figure, each as CSV."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http import HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.admin.base import PluginAdmin
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Statistics
from svc_archive_plugin.reports.charts import TOP
from svc_archive_plugin.reports.charts import chart
from svc_archive_plugin.reports.statistics_csv import figure_csv_response
from svc_archive_plugin.services import statistics

ROWS_SHOWN = 20  # rows of a ranking's table on the page; the CSV has them all


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


class StatisticsFilterForm(forms.Form):
    """The period, department and customer, under the API's names (``from``, ``to``, …)."""

    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Group.objects.none(),
        required=False,
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Customer.objects.order_by("code"),
        required=False,
    )

    def __init__(self, *args, **kwargs) -> None:
        from svc_archive_plugin.services.people import role_group_ids

        super().__init__(*args, **kwargs)
        # "from" is no Python name; the form keeps the API's parameter names all the same.
        self.fields = {
            "from": _date_field(_("From")),
            "to": _date_field(_("To (inclusive)")),
            **self.fields,
        }
        self.fields["department"].queryset = Group.objects.exclude(
            pk__in=role_group_ids(),
        ).order_by("name")

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data

    def filters(self) -> statistics.Filters:
        data = self.cleaned_data
        return statistics.Filters(
            date_from=data.get("from"),
            date_to=data.get("to"),
            department=data["department"].pk if data.get("department") else None,
            customer=data["customer"].pk if data.get("customer") else None,
        )


@admin.register(Statistics)
class StatisticsAdmin(PluginAdmin):
    """Every figure of the statistics, for holders of ``view_statistics``."""

    dashboard_template = "admin/svc_archive_plugin/statistics/dashboard.html"

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(statistics.PERMISSION)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name=f"{name}_changelist",
            ),
            path(
                "<str:figure>/csv/",
                self.admin_site.admin_view(self.csv_view),
                name=f"{name}_csv",
            ),
        ]

    def _form(self, request) -> StatisticsFilterForm:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = StatisticsFilterForm(request.GET)
        form.is_valid()
        return form

    def changelist_view(self, request, extra_context=None):
        # The whole page, rendered here: its other statements (the menus' counts) run
        # over the same millions of rows, and JIT compiling them cost more than the rest.
        with statistics.tuned_for_aggregates():
            return self._dashboard_page(request, extra_context).render()

    def _dashboard_page(self, request, extra_context=None):
        form = self._form(request)
        sections = []
        if form.is_valid():
            filters = form.filters()
            query = urlencode(filters.as_params())
            for section, figures in statistics.dashboard(request.user, filters):
                sections.append(
                    {
                        "key": section.key,
                        "title": section.title,
                        "figures": [_shown(figure, query) for figure in figures],
                    },
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Statistics"),
            "form": form,
            "sections": sections,
            "summary": _summary(request.user, sections),
            "scopes": statistics.scopes(request.user),
            "top": TOP,
            "rows_shown": ROWS_SHOWN,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.dashboard_template, context)

    def csv_view(self, request, figure: str):
        form = self._form(request)
        if figure not in statistics.FIGURES:
            raise Http404
        if not form.is_valid():
            return HttpResponseBadRequest(form.errors.as_text())
        filters = form.filters()
        return figure_csv_response(
            statistics.figure(figure, request.user, filters),
            filters,
        )


def _shown(figure: statistics.Figure, query: str) -> dict:
    """What the page shows of a figure: its chart, its table (a ranking's first rows)."""
    ranking = figure.kind != "timeline"
    shown = [i for i, c in enumerate(figure.columns) if not c.internal]
    return {
        "figure": figure,
        "columns": [figure.columns[i] for i in shown],
        "chart": chart(figure),
        "rows": [
            [(row[i], figure.columns[i].count) for i in shown]
            for row in (figure.rows[:ROWS_SHOWN] if ranking else figure.rows)
        ],
        "more": max(len(figure.rows) - ROWS_SHOWN, 0) if ranking else 0,
        "csv": f"{figure.name}/csv/" + (f"?{query}" if query else ""),
    }


def _summary(user, sections: list[dict]) -> list[tuple[str, int, str]]:
    """The headline numbers: (label, number, link to the screen that lists them)."""
    figures = {
        shown["figure"].name: shown["figure"]
        for section in sections
        for shown in section["figures"]
    }
    if not figures:
        return []
    links = {
        "overdue_filings": (
            reverse("admin:svc_archive_plugin_dossier_changelist") + "?deadline=overdue"
            if user.has_perm("svc_archive_plugin.view_dossier")
            else ""
        ),
        "overdue_loans": (
            reverse("admin:svc_archive_plugin_overdueloan_changelist") + "?due=overdue"
            if user.has_perm("svc_archive_plugin.issue_loan")
            else ""
        ),
    }
    return [
        (_("records"), figures["records_by_category"].total, ""),
        (_("feedback and complaints"), figures["complaints_by_customer"].total, ""),
        (
            _("overdue filings"),
            figures["overdue_filings"].total,
            links["overdue_filings"],
        ),
        (_("overdue loans"), figures["overdue_loans"].total, links["overdue_loans"]),
        (
            _("retention ends within %(days)s days") % {"days": statistics.ENDING_DAYS},
            figures["retention_ending"].total,
            "",
        ),
    ]
