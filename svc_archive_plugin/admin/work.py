"""The work page 待办 and the plugin's menu, grouped by the work, in paperless's admin.

The plugin's app index (``/admin/svc_archive_plugin/``) is the work page: what waits for
the person looking, from ``services.work``, each kind with its count, a link to its queue
and its first objects with a link to each step. The admin index shows the same counts at
the top. The menu (index, app index and sidebar) lists the plugin's screens in the order of
the work instead of alphabetically; paperless's own apps are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

from django.contrib import admin
from django.urls import NoReverseMatch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from svc_archive_plugin import steps
from svc_archive_plugin.models import AccessRequest
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.services import work
from svc_archive_plugin.services.people import name_of

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite
    from django.http import HttpRequest

APP = "svc_archive_plugin"
FIRST = 5  # objects listed under each heading; the queue has them all


# The page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    url: str
    detail: str
    steps: list[tuple[str, str]] = field(default_factory=list)  # (url, label)


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    count: int
    queue: str
    rows: list[Row]


def _dossier(dossier: Dossier) -> tuple[str, str]:
    project = dossier.project
    name = f"{dossier.archive_code or project.code} {project.name}"
    return name, project.customer.name


def _loan(loan: Loan) -> tuple[str, str]:
    return f"{loan.number} {loan.item_label}", name_of(loan.borrower)


def _access_request(request: AccessRequest) -> tuple[str, str]:
    return (
        f"{name_of(request.requester)}: {request.purpose}",
        f"{request.starts.isoformat()} – {request.ends.isoformat()}",
    )


def _destruction_list(destruction_list: DestructionList) -> tuple[str, str]:
    return str(destruction_list), name_of(destruction_list.prepared_by)


def _record(row: RecordRetention) -> tuple[str, str]:
    until = row.until.isoformat() if row.until else ""
    return row.document.title or f"#{row.document_id}", until


# Per model: its name in the page, what to fetch with it, its admin and step table.
SHOWN = {
    Dossier: (_dossier, ("project__customer",), "dossier", steps.FILING),
    Loan: (_loan, ("borrower", "dossier__project"), "loan", steps.LOAN),
    AccessRequest: (
        _access_request,
        ("requester",),
        "accessrequest",
        steps.ACCESS_REQUEST,
    ),
    DestructionList: (
        _destruction_list,
        ("prepared_by",),
        "destructionlist",
        steps.DESTRUCTION_LIST,
    ),
    RecordRetention: (_record, ("document",), "appraisalqueueentry", {}),
}
# Where each kind's whole queue is: the model's list with the "waiting for me" filter,
# or a queue that shows exactly those rows already.
QUEUES = {
    "access_decide": ("accessrequest", "awaiting=me"),
    "appraisal": ("appraisalqueueentry", "state__exact=due"),
}


def _url(name: str, *args) -> str:
    try:
        return reverse(f"admin:{APP}_{name}", args=args)
    except NoReverseMatch:  # a step without a page of its own
        return ""


def _queue(kind: work.Kind) -> str:
    model_name, query = QUEUES.get(
        kind.key,
        (SHOWN[kind.model][2], f"{WaitingFilter.parameter_name}={kind.key}"),
    )
    return f"{_url(f'{model_name}_changelist')}?{query}"


def sections(user, first: int = FIRST) -> list[Section]:
    """What waits for ``user``: one section per kind of work, in the page's order."""
    found = []
    for kind, objects in work.waiting_for(user):
        describe, related, model_name, table = SHOWN[kind.model]
        rows = []
        for obj in objects.select_related(*related)[:first]:
            name, detail = describe(obj)
            rows.append(
                Row(
                    name=name,
                    url=_url(f"{model_name}_change", obj.pk),
                    detail=detail,
                    steps=[
                        (url, table[step].label)
                        for step in kind.steps
                        if (url := _url(f"{model_name}_{step}", obj.pk))
                    ],
                ),
            )
        found.append(
            Section(
                key=kind.key,
                label=kind.label,
                count=objects.count(),
                queue=_queue(kind),
                rows=rows,
            ),
        )
    return found


class WaitingFilter(admin.SimpleListFilter):
    """A queue's rows that wait for me, kind by kind (the work page links here)."""

    title = _("waiting for me")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [
            (kind.key, kind.label)
            for kind in work.kinds_for(request.user, model_admin.model)
        ]

    def queryset(self, request, queryset):
        kind = work.BY_KEY.get(self.value() or "")
        if self.value() is None:
            return queryset
        if kind is None or not issubclass(queryset.model, kind.model):
            return queryset.none()
        return kind.waiting(request.user, queryset)


# The menu -----------------------------------------------------------------------------------

# The plugin's screens by the work they serve, in its order (model names).
MENU = (
    (
        "register",
        pgettext_lazy("menu", "Registration"),
        ("customer", "serviceproject", "capturereport"),
    ),
    (
        "filing",
        pgettext_lazy("menu", "Filing"),
        ("dossier", "declaredrecord"),
    ),
    (
        "custody",
        pgettext_lazy("menu", "Custody and appraisal"),
        (
            "archiverecord",
            "retentionrule",
            "appraisalqueueentry",
            "appraisaldecision",
            "sweeprun",
            "legalhold",
            "holdevent",
            "correction",
            "refusedchange",
            "refuseddeletion",
        ),
    ),
    (
        "use",
        pgettext_lazy("menu", "Use"),
        (
            "accessrequest",
            "accesslogentry",
            "withdrawnpermission",
            "loanapprovalqueue",
            "loantoissue",
            "loanout",
            "overdueloan",
            "loantoinspect",
            "loan",
            "loanliability",
        ),
    ),
    (
        "destruction",
        pgettext_lazy("menu", "Destruction"),
        ("destructionlist", "registerentry"),
    ),
    (
        "checks",
        pgettext_lazy("menu", "Checks"),
        ("fixityrun", "fixityfinding", "inventoryround", "inventoryitem"),
    ),
    ("statistics", pgettext_lazy("menu", "Statistics"), ("statistics",)),
    (
        "settings",
        pgettext_lazy("menu", "Settings"),
        (
            "archivecategory",
            "documenttypecode",
            "servicetype",
            "requireddocumenttype",
            "calendarday",
            "calendaryear",
        ),
    ),
)


def grouped(app_list: list[dict]) -> list[dict]:
    """The app list with the plugin's entry split into the work's groups, first.

    Each group is an app entry of the plugin (its styles and its permissions stay); a
    screen no group names goes to the last group, so none is ever lost.
    """
    plugin = next((app for app in app_list if app["app_label"] == APP), None)
    if plugin is None:
        return app_list
    index = plugin["app_url"]
    by_name = {m["object_name"].lower(): m for m in plugin["models"]}
    groups = [
        {
            **plugin,
            "key": "work",
            "name": pgettext_lazy("menu", "To do"),
            "app_url": f"{index}#work",
            "models": [
                {
                    "model": None,
                    "name": _("My work"),
                    "object_name": "Work",
                    "perms": {"view": True},
                    "admin_url": f"{index}#work",
                    "add_url": None,
                    "view_only": True,
                },
            ],
        },
    ]
    for key, label, names in MENU:
        models = [by_name.pop(name) for name in names if name in by_name]
        if models:
            groups.append(
                {
                    **plugin,
                    "key": key,
                    "name": label,
                    "app_url": f"{index}#{key}",
                    "models": models,
                },
            )
    if by_name:
        groups[-1]["models"] = [*groups[-1]["models"], *by_name.values()]
    return groups + [app for app in app_list if app is not plugin]


def install(site: AdminSite) -> None:
    """Group the plugin's menu and show the work on the admin index (once)."""
    if getattr(site.get_app_list, "svc_archive_grouped", False):
        return
    ungrouped = site.get_app_list

    def get_app_list(request: HttpRequest, app_label: str | None = None) -> list:
        return grouped(ungrouped(request, app_label))

    get_app_list.svc_archive_grouped = True
    site.get_app_list = get_app_list
    if site.index_template is None:
        site.index_template = f"admin/{APP}/site_index.html"


install(admin.site)
