"""Statistics 统计分析 (policy ch. 8): the archive in figures, for the dashboard, API and CSV.

Every figure is a small table (``Figure``: columns and rows) counted by one ``GROUP BY``
query of its group, whatever the size of the archive; Python only sums the grouped rows
and puts names to ids (a query per kind of name). One query of a group feeds all its
figures. Records are counted from ``RecordFacts``, one narrow row per archived record
(``services.record_facts``), not from the documents joined with their field values; the
records section, for viewers who count every record over whole months and no customer,
from the counts kept ahead in ``RecordCount`` (the same figures, far fewer rows):

- records: archived documents (those with a service-archive document type) by archive
  category, document type, retention class, year and month (of the document's date);
- use: accesses (the access log) and loans issued, by person and by department;
- projects: service projects by service type (and filing state), customer and filing state;
- complaints: feedback and complaint documents (type ``TS``) by customer, project and month;
- attention: overdue filings, overdue loans, records whose retention ends within 90 days.

``Filters`` narrow them: a period (the document's date, the time of access, the day a loan
was issued, projects running in it; the attention figures are as of today), a department
(the project's, the person's at the time) and a customer.

Who sees what: records, complaints and ending retention count the documents the viewer may
view as paperless decides (owner, unowned, a view permission of the person or a group),
except for holders of paperless's *view global object counts* (superusers, and the archive
managers and company leaders as provisioned), who count every record, as paperless's own
statistics do. Accesses and loans: all for the archive department (``view_accesslogentry``,
``view_loan``), the department's for its head, one's own for everyone else. Projects and
overdue filings: everyone who may view the project register and dossiers.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from django.db import connection
from django.db import transaction
from django.db.models import Count
from django.db.models import Q
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import ProvisionedObject
from svc_archive_plugin.models import RecordCount
from svc_archive_plugin.models import RecordFacts
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import record_facts
from svc_archive_plugin.services.access import visible_log_entries
from svc_archive_plugin.services.deadlines import overdue
from svc_archive_plugin.services.loans import ARCHIVE
from svc_archive_plugin.services.loans import HEAD
from svc_archive_plugin.services.loans import overdue_loans
from svc_archive_plugin.services.loans import visible_loans
from svc_archive_plugin.services.people import full_name

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Iterator

    from django.contrib.auth.models import User
    from django.db.models import QuerySet

PERMISSION = "svc_archive_plugin.view_statistics"
# The document types whose documents are feedback and complaints 客户反馈与投诉处理.
COMPLAINT_TYPES = ("TS",)
ENDING_DAYS = 90  # "retention ends soon": within this many days
MONTHS = 12  # months shown by month when no period is chosen
NONE = "none"  # the key of the row or series of "none" (no category, no customer, …)

Retention = Dossier.Retention
RETENTION_ORDER = (Retention.PERMANENT, Retention.IMPORTANT, Retention.ORDINARY)

TITLES = {
    "records_by_category": _("Records by archive category"),
    "records_by_document_type": _("Records by document type"),
    "records_by_retention": _("Records by retention class"),
    "records_by_year": _("Records by year and archive category"),
    "records_by_month": _("Records by month and archive category"),
    "accesses_by_person": _("Accesses by person"),
    "accesses_by_department": _("Accesses by department"),
    "loans_by_person": _("Loans by person"),
    "loans_by_department": _("Loans by department"),
    "projects_by_service_type": _("Service projects by service type and filing state"),
    "projects_by_customer": _("Service projects by customer"),
    "projects_by_state": _("Service projects by filing state"),
    "complaints_by_customer": _("Feedback and complaints by customer"),
    "complaints_by_project": _("Feedback and complaints by service project"),
    "complaints_by_month": _("Feedback and complaints by month"),
    "overdue_filings": _("Overdue filings by department"),
    "overdue_loans": _("Overdue loans by department"),
    "retention_ending": format_lazy(
        _("Records whose retention ends within {days} days"),
        days=ENDING_DAYS,
    ),
}


@dataclass(frozen=True)
class Filters:
    """What the figures are narrowed to; ``None`` is "all"."""

    date_from: datetime.date | None = None  # inclusive
    date_to: datetime.date | None = None  # inclusive
    department: int | None = None  # a department (paperless group) id
    customer: int | None = None  # a ``Customer`` id
    as_of: datetime.date | None = None  # "today" for the attention figures

    @property
    def today(self) -> datetime.date:
        return self.as_of or timezone.localdate()

    def as_params(self) -> dict[str, str]:
        """The filters as the API's and the dashboard's query parameters."""
        values = {
            "from": self.date_from,
            "to": self.date_to,
            "department": self.department,
            "customer": self.customer,
        }
        return {
            key: value.isoformat() if isinstance(value, datetime.date) else str(value)
            for key, value in values.items()
            if value is not None
        }


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    count: bool = False  # a count: summed, charted
    # The plugin's own code (a state, a retention class): for CSV files and the API, not
    # for screens, where the name beside it says the same in the reader's language.
    internal: bool = False


@dataclass
class Figure:
    """One figure: a table whose count columns a chart draws as bars.

    ``kind`` says how: ``ranking`` (a bar per row, labelled by ``label``; several count
    columns are stacked) or ``timeline`` (a column per year or month, its count columns
    stacked; ``total`` is their sum and is not drawn).
    """

    name: str
    kind: str
    label: str
    columns: tuple[Column, ...]
    rows: list[tuple] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(TITLES[self.name])

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    @property
    def series(self) -> list[Column]:
        """The count columns a chart draws (all but ``total`` when there are several)."""
        counts = [c for c in self.columns if c.count]
        drawn = [c for c in counts if c.key != "total"]
        return drawn or counts

    @property
    def total(self) -> int:
        if "total" in self.keys:
            index = self.keys.index("total")
        else:
            index = self.keys.index(self.series[0].key)
        return sum(row[index] for row in self.rows)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.keys, row, strict=True)) for row in self.rows]


# Who sees which documents ----------------------------------------------------------------


def sees_all_documents(user: User) -> bool:
    """Counts every record: superusers and holders of paperless's global statistics."""
    from documents.permissions import has_global_statistics_permission

    return has_global_statistics_permission(user)


def visible_document_ids(user: User) -> QuerySet:
    """The ids of the documents paperless lets ``user`` view (a subquery).

    What ``documents.permissions.permitted_document_ids`` answers, as a union of four
    index lookups (own, unowned, the person's and the groups' view permissions) instead
    of one scan of every document testing all three: 0.3 s instead of 2 s at a million.
    Documents in the trash may be among them; records there have no facts to count.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import IntegerField
    from django.db.models.functions import Cast
    from documents.models import Document
    from guardian.models import GroupObjectPermission
    from guardian.models import UserObjectPermission

    permission = {
        "permission__codename": "view_document",
        "permission__content_type": ContentType.objects.get_for_model(Document),
    }
    granted = [
        model.objects.filter(**who, **permission)
        .annotate(document_id=Cast("object_pk", IntegerField()))
        .values_list("document_id", flat=True)
        .order_by()
        for model, who in (
            (UserObjectPermission, {"user": user}),
            (GroupObjectPermission, {"group__user": user}),
        )
    ]
    documents = Document.global_objects.values_list("pk", flat=True).order_by()
    return documents.filter(owner=user).union(
        documents.filter(owner__isnull=True),
        *granted,
    )


def _visible(user: User, records: QuerySet) -> QuerySet:
    if sees_all_documents(user):
        return records  # one aggregate over the records, no permission join
    return records.filter(document_id__in=visible_document_ids(user))


# Shared pieces ---------------------------------------------------------------------------

# Each section is one aggregate over up to millions of rows, planned to cost far more than
# it takes: PostgreSQL's JIT would spend seconds compiling it, and the default work_mem
# spills its hashes and sorts to disk. For these statements only (SET LOCAL: until the
# transaction ends), neither.
POSTGRESQL_SETTINGS = {"jit": "off", "work_mem": "64MB"}


@contextlib.contextmanager
def tuned_for_aggregates() -> Iterator[None]:
    """A transaction tuned for aggregates (PostgreSQL): for a section, or a whole page
    of them, whose other statements (the admin's menus and counts) JIT would slow too."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            for name, value in POSTGRESQL_SETTINGS.items():
                cursor.execute(f"SET LOCAL {name} = '{value}'")  # constants
        yield


def _one_aggregate(compute: Callable) -> Callable:
    """Run a section's queries in a transaction tuned for aggregates (PostgreSQL)."""

    @functools.wraps(compute)
    def run(*args, **kwargs):
        with tuned_for_aggregates():
            return compute(*args, **kwargs)

    return run


def _options(model, **lookups) -> QuerySet:
    """Select-option ids of register entries (a subquery)."""
    return model.objects.filter(**lookups).exclude(option_id="").values("option_id")


def _records(user: User, filters: Filters, *, period: bool = True) -> QuerySet:
    """The facts of the archived records the viewer may count, narrowed by the filters.

    A record's department is its project's; its customer its own customer field's, else
    its project's (``services.record_facts``).
    """
    records = RecordFacts.objects.all()
    if period and filters.date_from:
        records = records.filter(created__gte=filters.date_from)
    if period and filters.date_to:
        records = records.filter(created__lte=filters.date_to)
    if filters.department:
        records = records.filter(department_id=filters.department)
    if filters.customer:
        records = records.filter(customer_id=filters.customer)
    return _visible(user, records)


def _month(value) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.replace(day=1)


def _add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months(filters: Filters) -> list[datetime.date]:
    """The months a by-month figure shows: the period's, else the last twelve."""
    last = _month(filters.date_to or filters.today)
    first = (
        _month(filters.date_from)
        if filters.date_from
        else _add_months(last, 1 - MONTHS)
    )
    result = []
    while first <= last:
        result.append(first)
        first = _add_months(first, 1)
    return result


def _categories() -> list[tuple[int, str, str]]:
    """(id, code, name) of every archive category, by code."""
    return list(
        ArchiveCategory.objects.order_by("code").values_list("pk", "code", "name"),
    )


def _category_columns(categories, used: set[str]) -> list[Column]:
    columns = [Column(code, name, count=True) for _pk, code, name in categories]
    if NONE in used:
        columns.append(Column(NONE, str(_("no archive category")), count=True))
    return columns


def _ranked(counts: Counter, labels: dict, *, keep_zero: Iterable = ()) -> list[tuple]:
    """Rows ``(*labels[key], count)``, most first, then by label; zero rows only if kept."""
    keys = set(counts) | set(keep_zero)
    rows = [(*labels[key], counts.get(key, 0)) for key in keys]
    return sorted(rows, key=lambda row: (-row[-1], [str(v) for v in row[:-1]]))


def _ranking(name: str, key: str, label: str, noun: str, counts: Counter) -> Figure:
    """A ranking of ``counts`` by their key alone (a person's or a department's name)."""
    return Figure(
        name,
        "ranking",
        key,
        (Column(key, label), Column("count", noun, count=True)),
        _ranked(counts, {k: (k,) for k in counts}),
    )


def _by_name(*figures: Figure) -> dict[str, Figure]:
    return {figure.name: figure for figure in figures}


def _category_labels(categories: list[tuple[int, str, str]]) -> dict[str, tuple]:
    """Category code -> (code, name), with the row of records of no category."""
    return {code: (code, name) for _pk, code, name in categories} | {
        NONE: ("", str(_("no archive category"))),
    }


def _by_period(
    counts: dict[tuple[Any, str], int],
    periods: list,
    series: list[Column],
    label: Callable[[Any], Any],
) -> list[tuple]:
    rows = []
    for period in periods:
        values = [counts.get((period, column.key), 0) for column in series]
        rows.append((label(period), *values, sum(values)))
    return rows


def _start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _no(what: str) -> str:
    return {
        "department": str(_("no department")),
        "customer": str(_("no customer")),
        "project": str(_("no project")),
        "retention": str(_("no retention class")),
        "state": str(_("no dossier")),
    }[what]


# Records ---------------------------------------------------------------------------------


def _type_labels() -> dict[int, tuple[str, str]]:
    """Document type id -> (code, name)."""
    return {
        type_id: (code, name)
        for type_id, code, name in DocumentTypeCode.objects.order_by(
            "code",
        ).values_list(
            "document_type_id",
            "code",
            "document_type__name",
        )
    }


def _category_of(categories: list[tuple[int, str, str]]) -> dict[int | None, str]:
    """Archive category id -> code (``NONE`` for none)."""
    return {pk: code for pk, code, _name in categories} | {None: NONE}


def _whole_months(filters: Filters) -> bool:
    """Whether the period is whole months (or none): what ``RecordCount`` can count."""
    return (filters.date_from is None or filters.date_from.day == 1) and (
        filters.date_to is None
        or (filters.date_to + datetime.timedelta(days=1)).day == 1
    )


def counted_ahead(user: User, filters: Filters) -> bool:
    """Whether the records section counts ``RecordCount`` rather than ``RecordFacts``.

    Only for viewers who count every record (it knows no document's permissions),
    over whole months (it knows no day), with no customer chosen (it counts by
    department, not customer).
    """
    return (
        filters.customer is None
        and record_facts.counts_kept()
        and sees_all_documents(user)
        and _whole_months(filters)
    )


def _record_cube(user: User, filters: Filters, *, ahead: bool | None = None):
    """The records counted by category, type, retention class and month: row dicts.

    ``ahead``: from ``RecordCount`` (default: when ``counted_ahead``), else from the
    rows; the same figures either way.
    """
    if ahead is None:
        ahead = counted_ahead(user, filters)
    if not ahead:
        return (
            _records(user, filters)
            .values(
                "category_id",
                "document_type_id",
                "retention",
                month=TruncMonth("created"),
            )
            .annotate(n=Count("pk"))
            .order_by()
        )
    record_facts.fold()  # the changes since the last look: a few rows, if any
    counts = RecordCount.objects.all()
    if filters.date_from:
        counts = counts.filter(month__gte=filters.date_from)
    if filters.date_to:
        counts = counts.filter(month__lte=filters.date_to)
    if filters.department:
        counts = counts.filter(department_id=filters.department)
    return [
        {
            "category_id": category_id or None,  # 0: none
            "document_type_id": type_id,
            "retention": retention,
            "month": month,
            "n": n,
        }
        for category_id, type_id, retention, month, n in counts.values_list(
            "category_id",
            "document_type_id",
            "retention",
            "month",
        )
        .annotate(total=Sum("n"))
        .filter(total__gt=0)
        .order_by()
    ]


@_one_aggregate
def record_figures(
    user: User,
    filters: Filters,
    *,
    ahead: bool | None = None,
) -> dict[str, Figure]:
    """Records by category, document type, retention class, year and month (one query)."""
    cube = _record_cube(user, filters, ahead=ahead)
    types = _type_labels()
    categories = _categories()
    code_of = _category_of(categories)
    by_category, by_type, by_retention = Counter(), Counter(), Counter()
    by_year, by_month = Counter(), Counter()
    for row in cube:
        code = types.get(row["document_type_id"], (NONE, ""))[0]
        category = code_of.get(row["category_id"], NONE)
        month = _month(row["month"])
        n = row["n"]
        by_category[category] += n
        by_type[code] += n
        by_retention[row["retention"] or NONE] += n
        by_year[(month.year, category)] += n
        by_month[(month, category)] += n
    series = _category_columns(categories, set(by_category))
    category_labels = _category_labels(categories)
    retention_labels = {r.value: (r.value, str(r.label)) for r in RETENTION_ORDER} | {
        NONE: ("", _no("retention")),
    }
    count = Column("count", str(_("records")), count=True)
    total = Column("total", str(_("total")), count=True)
    return _by_name(
        Figure(
            "records_by_category",
            "ranking",
            "name",
            (
                Column("code", str(_("code"))),
                Column("name", str(_("archive category"))),
                count,
            ),
            _ranked(
                by_category,
                category_labels,
                keep_zero=[code for _o, code, _n in categories],
            ),
        ),
        Figure(
            "records_by_document_type",
            "ranking",
            "name",
            (
                Column("code", str(_("code"))),
                Column("name", str(_("document type"))),
                count,
            ),
            _ranked(
                by_type,
                {code: (code, name) for code, name in types.values()},
                keep_zero=[code for code, _name in types.values()],
            ),
        ),
        Figure(
            "records_by_retention",
            "ranking",
            "name",
            (
                Column("retention", str(_("code")), internal=True),
                Column("name", str(_("retention class"))),
                count,
            ),
            [
                (*retention_labels[key], by_retention.get(key, 0))
                for key in [*RETENTION_ORDER, NONE]
                if key != NONE or by_retention.get(NONE)
            ],
        ),
        Figure(
            "records_by_year",
            "timeline",
            "year",
            (Column("year", str(_("year"))), *series, total),
            _by_period(by_year, sorted({y for y, _c in by_year}), series, int),
        ),
        Figure(
            "records_by_month",
            "timeline",
            "month",
            (Column("month", str(_("month"))), *series, total),
            _by_period(
                by_month,
                months(filters),
                series,
                lambda m: f"{m:%Y-%m}",
            ),
        ),
    )


# Accesses and loans ----------------------------------------------------------------------


def _accesses(user: User, filters: Filters) -> QuerySet:
    entries = visible_log_entries(user, AccessLogEntry.objects.all())
    if filters.date_from:
        entries = entries.filter(at__gte=_start(filters.date_from))
    if filters.date_to:
        entries = entries.filter(
            at__lt=_start(filters.date_to + datetime.timedelta(days=1)),
        )
    if filters.department:
        entries = entries.filter(department_id=filters.department)
    if filters.customer:
        entries = entries.filter(customer_id=filters.customer)
    return entries


def _loans_of_customer(customer: int) -> Q:
    """Loans of the customer's dossiers, and of documents whose customer field is theirs."""
    from documents.models import CustomFieldInstance

    return Q(dossier__project__customer_id=customer) | Q(
        document_id__in=CustomFieldInstance.objects.filter(
            field_id__in=ProvisionedObject.objects.filter(
                key="custom_field.customer",
            ).values("object_id"),
            value_select__in=_options(Customer, pk=customer),
        ).values("document_id"),
    )


def _loans(user: User, filters: Filters, queryset: QuerySet) -> QuerySet:
    loans = visible_loans(user, queryset)
    if filters.department:
        loans = loans.filter(department_id=filters.department)
    if filters.customer:
        loans = loans.filter(_loans_of_customer(filters.customer))
    return loans


@_one_aggregate
def use_figures(user: User, filters: Filters) -> dict[str, Figure]:
    """Accesses and loans issued, by person and by department (a query each)."""
    accesses = (
        _accesses(user, filters)
        .values("username", "user__first_name", "user__last_name", "department_name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    issued = Loan.objects.filter(issued_at__isnull=False)
    if filters.date_from:
        issued = issued.filter(issued_at__gte=_start(filters.date_from))
    if filters.date_to:
        issued = issued.filter(
            issued_at__lt=_start(filters.date_to + datetime.timedelta(days=1)),
        )
    loans = (
        _loans(user, filters, issued)
        .values(
            "borrower__username",
            "borrower__first_name",
            "borrower__last_name",
            "department__name",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    no_department = _no("department")
    figures = []
    # (the person's name columns, their user name: as the access log copied it)
    for what, rows, person, username, department_key, noun in (
        ("accesses", accesses, "user__", "username", "department_name", _("accesses")),
        (
            "loans",
            loans,
            "borrower__",
            "borrower__username",
            "department__name",
            _("loans"),
        ),
    ):
        by_person, by_department = Counter(), Counter()
        for row in rows:
            name = full_name(
                row[f"{person}first_name"],
                row[f"{person}last_name"],
                row[username],
            )
            by_person[name] += row["n"]
            by_department[row[department_key] or no_department] += row["n"]
        figures += [
            _ranking(
                f"{what}_by_person",
                "person",
                # Not the access log's 查阅人: the borrowers are counted here too.
                str(pgettext("statistics", "person")),
                str(noun),
                by_person,
            ),
            _ranking(
                f"{what}_by_department",
                "department",
                str(_("department")),
                str(noun),
                by_department,
            ),
        ]
    return _by_name(*figures)


# Service projects ------------------------------------------------------------------------


def _projects(user: User, filters: Filters) -> QuerySet:
    if not user.has_perm("svc_archive_plugin.view_serviceproject"):
        return ServiceProject.objects.none()
    projects = ServiceProject.objects.all()
    # Projects running in the period: begun by its end, not ended before its start.
    if filters.date_to:
        projects = projects.filter(
            Q(start_date__lte=filters.date_to) | Q(start_date__isnull=True),
        )
    if filters.date_from:
        projects = projects.filter(
            Q(end_date__gte=filters.date_from) | Q(end_date__isnull=True),
        )
    if filters.department:
        projects = projects.filter(department_id=filters.department)
    if filters.customer:
        projects = projects.filter(customer_id=filters.customer)
    return projects


@_one_aggregate
def project_figures(user: User, filters: Filters) -> dict[str, Figure]:
    """Service projects by service type and filing state, and by customer (one query)."""
    cube = list(
        _projects(user, filters)
        .values("service_type_id", "customer_id", "dossier__state")
        .annotate(n=Count("pk"))
        .order_by(),
    )
    types = ServiceType.objects.order_by("code").values_list("pk", "code", "name")
    customers = {
        pk: (code, name)
        for pk, code, name in Customer.objects.filter(
            pk__in={row["customer_id"] for row in cube},
        ).values_list("pk", "code", "name")
    }
    by_type, by_customer, by_state = Counter(), Counter(), Counter()
    for row in cube:
        state = row["dossier__state"] or NONE
        by_type[(row["service_type_id"], state)] += row["n"]
        by_customer[row["customer_id"]] += row["n"]
        by_state[state] += row["n"]
    states = [Column(s.value, str(s.label), count=True) for s in Dossier.State]
    if by_state.get(NONE):
        states.append(Column(NONE, _no("state"), count=True))
    type_rows = []
    for pk, code, name in types:
        values = [by_type.get((pk, state.key), 0) for state in states]
        type_rows.append((code, name, *values, sum(values)))
    type_rows.sort(key=lambda row: (-row[-1], row[0]))
    count = Column("count", str(_("projects")), count=True)
    return _by_name(
        Figure(
            "projects_by_service_type",
            "ranking",
            "name",
            (
                Column("code", str(_("code"))),
                Column("name", str(_("service type"))),
                *states,
                Column("total", str(_("total")), count=True),
            ),
            type_rows,
        ),
        Figure(
            "projects_by_customer",
            "ranking",
            "name",
            (Column("code", str(_("code"))), Column("name", str(_("customer"))), count),
            _ranked(by_customer, customers),
        ),
        Figure(
            "projects_by_state",
            "ranking",
            "name",
            (
                Column("state", str(_("code")), internal=True),
                Column("name", str(_("filing state"))),
                count,
            ),
            [(s.key, s.label, by_state.get(s.key, 0)) for s in states],
        ),
    )


# Complaints ------------------------------------------------------------------------------


def _complaint_types() -> list[int]:
    """The paperless document types of feedback and complaints.

    A list, not a subquery: given a subquery PostgreSQL guesses half the documents are
    complaints and hashes every customer and project value (1.4 s at 1M documents);
    given the ids it looks up the 2 % that are (0.3 s).
    """
    provisioned = ProvisionedObject.objects.filter(
        key__in=[f"document_type.{code}" for code in COMPLAINT_TYPES],
    ).values("object_id")
    return list(
        DocumentTypeCode.objects.filter(
            Q(code__in=COMPLAINT_TYPES) | Q(document_type_id__in=provisioned),
        ).values_list("document_type_id", flat=True),
    )


@_one_aggregate
def complaint_figures(user: User, filters: Filters) -> dict[str, Figure]:
    """Feedback and complaint documents by customer, project and month (one query)."""
    cube = list(
        _records(user, filters)
        .filter(document_type_id__in=_complaint_types())
        .values("customer_id", "project_id", month=TruncMonth("created"))
        .annotate(n=Count("pk"))
        .order_by(),
    )
    projects = {
        pk: (code, name, customer_id)
        for pk, code, name, customer_id in ServiceProject.objects.filter(
            pk__in={r["project_id"] for r in cube} - {None},
        ).values_list("pk", "code", "name", "customer_id")
    }
    customer_labels = {
        pk: (code, name)
        for pk, code, name in Customer.objects.filter(
            Q(pk__in={r["customer_id"] for r in cube} - {None})
            | Q(pk__in={p[2] for p in projects.values()}),
        ).values_list("pk", "code", "name")
    }
    by_customer, by_project, by_month = Counter(), Counter(), Counter()
    for row in cube:
        by_customer[row["customer_id"] or NONE] += row["n"]
        by_project[row["project_id"] or NONE] += row["n"]
        by_month[(_month(row["month"]), "count")] += row["n"]
    customer_labels[NONE] = ("", _no("customer"))
    project_labels = {
        pk: (code, name, customer_labels.get(customer_id, ("", ""))[0])
        for pk, (code, name, customer_id) in projects.items()
    } | {NONE: ("", _no("project"), "")}
    count = Column("count", str(_("complaints")), count=True)
    return _by_name(
        Figure(
            "complaints_by_customer",
            "ranking",
            "name",
            (Column("code", str(_("code"))), Column("name", str(_("customer"))), count),
            _ranked(by_customer, customer_labels),
        ),
        Figure(
            "complaints_by_project",
            "ranking",
            "name",
            (
                Column("code", str(_("code"))),
                Column("name", str(_("service project"))),
                Column("customer", str(_("customer code"))),
                count,
            ),
            _ranked(by_project, project_labels),
        ),
        Figure(
            "complaints_by_month",
            "timeline",
            "month",
            (Column("month", str(_("month"))), count),
            [(f"{m:%Y-%m}", by_month.get((m, "count"), 0)) for m in months(filters)],
        ),
    )


# Needs attention -------------------------------------------------------------------------


@_one_aggregate
def attention_figures(user: User, filters: Filters) -> dict[str, Figure]:
    """Overdue filings and loans by department, retention ending soon by category."""
    today = filters.today
    no_department = _no("department")
    filings = Counter()
    if user.has_perm("svc_archive_plugin.view_dossier"):
        dossiers = overdue(today)
        if filters.department:
            dossiers = dossiers.filter(project__department_id=filters.department)
        if filters.customer:
            dossiers = dossiers.filter(project__customer_id=filters.customer)
        for name, n in (
            dossiers.values_list("project__department__name")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            filings[name or no_department] += n
    late = Counter()
    for name, n in (
        _loans(user, filters, overdue_loans(today))
        .values_list("department__name")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        late[name or no_department] += n
    ending_rows = (
        _records(user, filters, period=False)
        .filter(
            document_id__in=RecordRetention.objects.filter(
                state=RecordRetention.State.ACTIVE,
                until__gte=today,
                until__lte=today + datetime.timedelta(days=ENDING_DAYS),
            ).values("document_id"),
        )
        .values_list("category_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    categories = _categories()
    code_of = _category_of(categories)
    ending = Counter()
    for category_id, n in ending_rows:
        ending[code_of.get(category_id, NONE)] += n
    department = str(_("department"))
    return _by_name(
        _ranking(
            "overdue_filings",
            "department",
            department,
            str(_("dossiers")),
            filings,
        ),
        _ranking("overdue_loans", "department", department, str(_("loans")), late),
        Figure(
            "retention_ending",
            "ranking",
            "name",
            (
                Column("code", str(_("code"))),
                Column("name", str(_("archive category"))),
                Column("count", str(_("records")), count=True),
            ),
            _ranked(ending, _category_labels(categories)),
        ),
    )


# The lot ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    compute: Callable[[User, Filters], dict[str, Figure]]
    figures: tuple[str, ...]


SECTIONS = (
    Section(
        "records",
        _("Records"),
        record_figures,
        (
            "records_by_month",
            "records_by_year",
            "records_by_category",
            "records_by_document_type",
            "records_by_retention",
        ),
    ),
    Section(
        "use",
        _("Accesses and loans"),
        use_figures,
        (
            "accesses_by_person",
            "accesses_by_department",
            "loans_by_person",
            "loans_by_department",
        ),
    ),
    Section(
        "projects",
        _("Service projects"),
        project_figures,
        ("projects_by_service_type", "projects_by_customer", "projects_by_state"),
    ),
    Section(
        "complaints",
        _("Feedback and complaints"),
        complaint_figures,
        ("complaints_by_month", "complaints_by_customer", "complaints_by_project"),
    ),
    Section(
        "attention",
        _("Needs attention"),
        attention_figures,
        ("overdue_filings", "overdue_loans", "retention_ending"),
    ),
)
FIGURES = {name: section for section in SECTIONS for name in section.figures}


def figure(name: str, user: User, filters: Filters | None = None) -> Figure:
    """One figure by name (``KeyError`` for an unknown name)."""
    section = FIGURES[name]
    return section.compute(user, filters or Filters())[name]


def dashboard(
    user: User,
    filters: Filters | None = None,
) -> list[tuple[Section, list[Figure]]]:
    """Every figure, by section; one query per section whatever the archive's size."""
    filters = filters or Filters()
    result = []
    for section in SECTIONS:
        computed = section.compute(user, filters)
        result.append((section, [computed[name] for name in section.figures]))
    return result


def scopes(user: User) -> dict[str, str]:
    """What the viewer's figures cover: ``all``, ``visible``, ``department`` or ``own``."""

    def scope(everything: bool, head: bool) -> str:  # noqa: FBT001
        return "all" if everything else "department" if head else "own"

    return {
        "records": "all" if sees_all_documents(user) else "visible",
        "accesses": scope(
            user.has_perm("svc_archive_plugin.view_accesslogentry"),
            user.has_perm("svc_archive_plugin.approve_accessrequest"),
        ),
        "loans": scope(
            user.has_perm("svc_archive_plugin.view_loan") or user.has_perm(ARCHIVE),
            user.has_perm(HEAD),
        ),
        "projects": "all"
        if user.has_perm("svc_archive_plugin.view_serviceproject")
        else "none",
    }
