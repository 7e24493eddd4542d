"""The service archive the load and statistics benchmarks seed (PostgreSQL, raw SQL).

What is seeded (``seed_archive``; the dashboard benchmark seeds the registers once and
the documents again at each size):

- the plugin's provisioning (``svc_archive_setup``), then 10 departments of 30 staff, one
  head each and one archive manager (``bench/loans.py``'s people);
- 2,000 customers, a few with many projects, and 10,000 service projects of the four
  service types, ending over the last 6 years (2 % still running), with their dossiers:
  those ended more than 60 days ago filed (2 % of them still open: overdue), the newest in
  every state of the filing review;
- the documents, their archive custom-field values, *Retention until*, a
  ``RecordRetention`` and a ``RecordFacts`` row each, owned by one of their department's
  staff and viewable by the department; one loan per 10 documents and one access-log row
  per document over two years (see ``bench/dashboard.py``'s description).
"""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

from instance import insert_select
from instance import without_foreign_key_checks

if TYPE_CHECKING:
    from loans import World as Archive  # with the fields new_archive() adds

CUSTOMERS = 2_000
PROJECTS = 10_000
YEARS = 6
RUNNING_DAYS = 45  # the newest projects end up to this many days ahead
OPEN_DAYS = 60  # dossiers of projects ended since then are still in the filing review
OLD_OPEN = 0.02  # share of older dossiers never filed: overdue
# Shares of the projects' departments (bench/loans.py's ten); the first is measured.
DEPARTMENT_WEIGHTS = (7, 12, 9, 11, 10, 8, 13, 10, 9, 11)
SERVICE_TYPE_WEIGHTS = {"JS": 35, "ZX": 15, "WX": 25, "SH": 25}
# The filing review's states of projects ended in the last OPEN_DAYS days.
RECENT_STATES = {
    "collecting": 30,
    "submitted": 20,
    "approved": 15,
    "received": 15,
    "returned": 5,
    "filed": 15,
}
CUSTOMER_SERVICE_EVERY = 20  # one document in 20: customer information, no project
# Feedback and complaint records among a project's documents, by archive category.
COMPLAINTS = {"SH": 0.04, "XM": 0.005}
# The other documents of a project: upper bounds of a uniform draw, by type code.
TYPE_BOUNDS = (("KH", 0.12), ("HT", 0.30), ("FA", 0.45), ("SS", 0.75), ("FP", 0.95))
TYPE_CODES = ("KH", "HT", "FA", "SS", "TS", "FP", "QT")
CATEGORY_CODES = ("KF", "XM", "SH")
TAKEN_OVER_EVERY = 50  # 2 %: retention ends from 60 days ago to 180 days ahead
DOCUMENTS_PER_LOAN = 10
LOG_PER_DOCUMENT = 1


def new_archive() -> Archive:
    """A world for the seed and the measurements: bench/loans.py's, and more."""
    from loans import World

    @dataclass
    class Archive(World):
        customers: list[int] = field(default_factory=list)
        customer_options: list[str] = field(default_factory=list)
        project_options: list[str] = field(default_factory=list)
        project_customer_options: list[str] = field(default_factory=list)
        project_department: list[int] = field(default_factory=list)  # department index
        project_category: list[str] = field(default_factory=list)  # category code
        project_starts: list[datetime.date] = field(default_factory=list)
        project_ends: list[datetime.date] = field(default_factory=list)
        project_filed: list[bool] = field(default_factory=list)
        busiest_customer: int = 0
        head_department: int = 0  # index of the measured head's department
        seed_seconds: dict[str, float] = field(default_factory=dict)

    return Archive()


# Seeding ----------------------------------------------------------------------------------


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def seed_registers(world: Archive, today: datetime.date) -> None:
    """Customers, projects ending over YEARS years, their dossiers; the select options."""
    from django.utils.crypto import get_random_string
    from documents.models import CustomField

    from svc_archive_plugin.models import ArchiveCategory
    from svc_archive_plugin.models import Customer
    from svc_archive_plugin.models import Dossier
    from svc_archive_plugin.models import ServiceProject
    from svc_archive_plugin.models import ServiceType
    from svc_archive_plugin.services.provisioning import option_label
    from svc_archive_plugin.services.provisioning import provisioned

    rng = random.Random(20240601)  # reproducible
    types = {t.code: t for t in ServiceType.objects.select_related("category")}
    customers = Customer.objects.bulk_create(
        Customer(
            code=f"C{i:05d}",
            name=f"客户{i}",
            nature=Customer.Nature.ENTERPRISE,
            option_id=get_random_string(16),
        )
        for i in range(CUSTOMERS)
    )
    first_day = today - datetime.timedelta(days=round(YEARS * 365.25))
    span = (today - first_day).days + RUNNING_DAYS
    departments = list(range(len(world.departments)))
    projects = []
    for i in range(PROJECTS):
        end = first_day + datetime.timedelta(days=(i + 1) * span // PROJECTS)
        service_type = types[weighted(rng, SERVICE_TYPE_WEIGHTS)]
        projects.append(
            ServiceProject(
                code=f"P{i:06d}",
                name=f"项目{i}",
                # A few customers with many projects, many with one or two.
                customer=customers[int(CUSTOMERS * rng.random() ** 2)],
                service_type=service_type,
                department_id=world.departments[
                    rng.choices(departments, weights=DEPARTMENT_WEIGHTS)[0]
                ],
                start_date=end - datetime.timedelta(days=rng.randint(30, 400)),
                end_date=end,
                is_major=rng.random() < 0.1,
                option_id=get_random_string(16),
            ),
        )
    projects = ServiceProject.objects.bulk_create(projects)
    dossiers, numbers = [], {}
    for i, project in enumerate(projects):
        category = project.service_type.category
        age = (today - project.end_date).days
        if age < 0:
            state = Dossier.State.COLLECTING
        elif age <= OPEN_DAYS:
            state = weighted(rng, RECENT_STATES)
        elif rng.random() < OLD_OPEN:
            state = rng.choice([s for s in RECENT_STATES if s != "filed"])
        else:
            state = Dossier.State.FILED
        dossier = Dossier(
            project=project,
            category=category,
            state=state,
            location_cabinet=f"A{i // 1000:02d}",
            location_shelf=f"{i // 50 % 20:02d}",
            location_box=f"{i % 50:03d}",
        )
        if state == Dossier.State.FILED:
            series = f"{category.code}·{project.end_date.year}·D30"
            numbers[series] = numbers.get(series, 0) + 1
            dossier.retention = Dossier.Retention.IMPORTANT
            dossier.archive_series = series
            dossier.archive_number = numbers[series]
            dossier.archive_code = f"{series}-{numbers[series]:04d}"
        dossiers.append(dossier)
    dossiers = Dossier.objects.bulk_create(dossiers)
    # The registers' options in their select fields, as the mirror keeps them (an update:
    # a save would run the mirror's receivers over 12,000 options).
    for key, entries in (
        ("custom_field.customer", customers),
        ("custom_field.project", projects),
    ):
        CustomField.objects.filter(pk=provisioned(key).pk).update(
            extra_data={
                "select_options": [
                    {"id": e.option_id, "label": option_label(e)} for e in entries
                ],
            },
        )
    categories = {c.pk: c.code for c in ArchiveCategory.objects.all()}
    by_customer = {c.pk: c for c in customers}
    world.customers = [c.pk for c in customers]
    world.customer_options = [c.option_id for c in customers]
    world.projects = [p.pk for p in projects]
    world.project_customers = [p.customer_id for p in projects]
    world.project_options = [p.option_id for p in projects]
    world.project_customer_options = [
        by_customer[p.customer_id].option_id for p in projects
    ]
    world.project_department = [
        world.departments.index(p.department_id) for p in projects
    ]
    world.project_category = [categories[d.category_id] for d in dossiers]
    world.project_starts = [p.start_date for p in projects]
    world.project_ends = [p.end_date for p in projects]
    world.project_filed = [d.state == Dossier.State.FILED for d in dossiers]
    world.dossiers = [d.pk for d in dossiers]
    counts = {}
    for p in projects:
        counts[p.customer_id] = counts.get(p.customer_id, 0) + 1
    world.busiest_customer = max(counts, key=counts.get)
    world.head_department = world.departments.index(
        world.head.groups.exclude(pk__in=_role_ids()).get().pk,
    )


def _role_ids() -> set[int]:
    from svc_archive_plugin.services.people import role_group_ids

    return role_group_ids()


def _documents_table_sql() -> str:
    """The plan of every document: its number, project, type, category, dates, owner."""
    ts = " WHEN ".join(
        f"'{code}' THEN %(complaints_{code})s" for code in sorted(COMPLAINTS)
    )
    types = " ".join(
        f"WHEN a.r2 < {bound} THEN "
        + (
            f"CASE WHEN a.category = 'XM' THEN {TYPE_CODES.index(code) + 1}"
            f" ELSE {TYPE_CODES.index('SS') + 1} END"
            if code == "FA"  # solution design: project (XM) dossiers only
            else str(TYPE_CODES.index(code) + 1)
        )
        for code, bound in TYPE_BOUNDS
    )
    kh, ts_index, qt = (TYPE_CODES.index(c) + 1 for c in ("KH", "TS", "QT"))
    category = " ".join(
        f"WHEN '{code}' THEN {i}" for i, code in enumerate(CATEGORY_CODES, start=1)
    )
    # Array parameters are read per row: the projects' attributes go into a table first.
    return f"""
        CREATE TEMPORARY TABLE bench_project AS
        SELECT (u.o - 1)::int AS p, u.category, u.project_end, u.project_start, u.dept,
               u.filed, u.customer_option, u.project_option
        FROM unnest(
            %(categories)s::text[], %(ends)s::date[], %(starts)s::date[],
            %(departments)s::int[], %(filed)s::bool[], %(customer_options)s::text[],
            %(project_options)s::text[]
        ) WITH ORDINALITY AS u(category, project_end, project_start, dept, filed,
                               customer_option, project_option, o);
        CREATE UNIQUE INDEX ON bench_project (p);
        ANALYZE bench_project;
        CREATE TEMPORARY TABLE bench_document AS
        SELECT b.*,
               CASE WHEN b.taken_over
                    THEN %(today)s::date - 60 + mod(b.n * 31, 241)::int
                    ELSE make_date(extract(year FROM b.starts)::int + b.years, 12, 31)
               END AS until
        FROM (
            SELECT a.n, a.p, a.cs, a.dept, a.filed AND NOT a.cs AS filed,
                   a.created, t.t, t.important, a.customer_option,
                   CASE WHEN a.cs THEN NULL ELSE a.project_option END AS project_option,
                   CASE WHEN t.important THEN %(important_years)s
                        ELSE %(ordinary_years)s END AS years,
                   CASE WHEN a.cs THEN 1 ELSE CASE a.category {category} END END AS c,
                   CASE WHEN a.cs THEN a.created ELSE a.project_end END AS starts,
                   mod(a.n::bigint * 7919, %(taken_over_every)s) = 0 AS taken_over
            FROM (
                SELECT s.*, j.category, j.project_end, j.dept, j.filed,
                       j.customer_option, j.project_option,
                       least(
                           %(today)s::date,
                           j.project_end - floor(
                               s.r3 * (j.project_end - j.project_start + 1)
                           )::int
                       ) AS created
                FROM (
                    SELECT n, floor((n - 1)::bigint * %(projects)s / %(total)s)::int AS p,
                           mod(n, %(cs_every)s) = 0 AS cs,
                           random() AS r, random() AS r2, random() AS r3
                    FROM generate_series(1, %(total)s) AS n
                ) AS s
                JOIN bench_project AS j ON j.p = s.p
            ) AS a
            CROSS JOIN LATERAL (
                SELECT CASE WHEN a.cs THEN {kh}
                            WHEN a.r < CASE a.category WHEN {ts} END THEN {ts_index}
                            {types}
                            ELSE {qt} END AS t
            ) AS t0
            CROSS JOIN LATERAL (
                SELECT t0.t, t0.t = ANY(%(important_types)s::int[]) AS important
            ) AS t
        ) AS b
    """


def seed_documents(world: Archive, total: int, today: datetime.date) -> dict[str, int]:
    """``total`` documents with their field values, retention and permissions."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from documents.models import CustomFieldInstance
    from documents.models import Document
    from guardian.models import GroupObjectPermission
    from loans import STAFF_PER_DEPARTMENT

    from svc_archive_plugin.models import ArchiveCategory
    from svc_archive_plugin.models import DocumentTypeCode
    from svc_archive_plugin.models import RecordFacts
    from svc_archive_plugin.models import RecordRetention
    from svc_archive_plugin.services import vocabulary as vocab
    from svc_archive_plugin.services.provisioning import provisioned
    from svc_archive_plugin.services.retention import period_years

    type_ids = dict(
        DocumentTypeCode.objects.values_list("code", "document_type_id"),
    )
    schedule = dict(vocab.RETENTION_SCHEDULE)
    fields = {
        key: provisioned(f"custom_field.{key}").pk
        for key in ("category", "customer", "project", "retention_until")
    }
    category_options = dict(ArchiveCategory.objects.values_list("code", "option_id"))
    category_ids = dict(ArchiveCategory.objects.values_list("code", "pk"))
    params = {
        "today": today,
        "total": total,
        "projects": len(world.projects),
        "cs_every": CUSTOMER_SERVICE_EVERY,
        "taken_over_every": TAKEN_OVER_EVERY,
        "categories": world.project_category,
        "ends": world.project_ends,
        "starts": world.project_starts,
        "departments": world.project_department,
        "filed": world.project_filed,
        "customer_options": world.project_customer_options,
        "project_options": world.project_options,
        "important_years": period_years("important"),
        "ordinary_years": period_years("ordinary"),
        "important_types": [
            TYPE_CODES.index(code) + 1
            for code in TYPE_CODES
            if schedule.get(code) == "important"
        ],
        **{f"complaints_{code}": share for code, share in COMPLAINTS.items()},
    }
    made: dict[str, int] = {}
    timings = world.seed_seconds
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("DROP TABLE IF EXISTS bench_document, bench_project")
        for statement in _documents_table_sql().split(";"):
            cursor.execute(statement, params)
        cursor.execute("CREATE UNIQUE INDEX ON bench_document (n)")
        cursor.execute("ANALYZE bench_document")
        made["documents"] = insert_select(
            cursor,
            Document,
            {
                "title": "'bench ' || b.n",
                "content": "'bench document ' || b.n",
                "mime_type": "'application/pdf'",
                "checksum": "md5('bench' || b.n)",
                "page_count": "1 + mod(b.n * 7, 30)",
                "original_filename": "'bench-' || b.n || '.pdf'",
                "created": "b.created",
                "added": "least(now(), b.created + 1 + mod(b.n, 14) + time '09:30')",
                "modified": "least(now(), b.created + 1 + mod(b.n, 14) + time '09:30')",
                "document_type": "(%(type_ids)s::int[])[b.t]",
                "owner": f"(%(staff)s::int[])[1 + b.dept * {STAFF_PER_DEPARTMENT}"
                f" + mod(b.n, {STAFF_PER_DEPARTMENT})]",
            },
            "FROM bench_document AS b ORDER BY b.n",
            {
                "type_ids": [type_ids[code] for code in TYPE_CODES],
                "staff": world.staff_ids,
            },
        )
        cursor.execute(
            f"SELECT min(id), max(id) FROM {Document._meta.db_table}",
        )
        first, last = cursor.fetchone()
        assert last - first + 1 == total, (first, last, total)
        world.first_document, world.documents = first, total
        timings["documents"] = time.perf_counter() - started
        # Capture writes a document's category, customer and project together.
        started = time.perf_counter()
        made["field values"] = insert_select(
            cursor,
            CustomFieldInstance,
            {
                "document": "%(first)s + b.n - 1",
                "field": "CASE f.k WHEN 1 THEN %(category)s WHEN 2 THEN %(customer)s"
                " ELSE %(project)s END",
                "value_select": "CASE f.k"
                " WHEN 1 THEN (%(category_options)s::text[])[b.c]"
                " WHEN 2 THEN b.customer_option ELSE b.project_option END",
            },
            """
            FROM bench_document AS b CROSS JOIN (VALUES (1), (2), (3)) AS f(k)
            WHERE NOT (f.k = 3 AND b.cs)
            ORDER BY b.n, f.k
            """,
            {
                "first": first,
                **{key: fields[key] for key in ("category", "customer", "project")},
                "category_options": [category_options[c] for c in CATEGORY_CODES],
            },
        )
        made["retention"] = insert_select(
            cursor,
            RecordRetention,
            {
                "document": "%(first)s + b.n - 1",
                "retention": "CASE WHEN b.important THEN 'important' ELSE 'ordinary' END",
                "period_years": "b.years",
                "basis": "'schedule'",
                "starts": "b.starts",
                "until": "b.until",
                "filed": "b.filed",
                "state": "CASE WHEN b.until < %(today)s THEN 'due' ELSE 'active' END",
                "due_since": "CASE WHEN b.until < %(today)s THEN b.until + 1 END",
            },
            "FROM bench_document AS b ORDER BY b.n",
            {"first": first, "today": today},
        )
        # What services.record_facts writes along with the retention (checked against
        # it after the seed, see check_facts).
        made["record facts"] = insert_select(
            cursor,
            RecordFacts,
            {
                "document": "%(first)s + b.n - 1",
                "document_type": "(%(type_ids)s::int[])[b.t]",
                "category": "(%(category_ids)s::bigint[])[b.c]",
                "created": "b.created",
                "retention": "CASE WHEN b.important THEN 'important' ELSE 'ordinary' END",
                "project": "CASE WHEN b.cs THEN NULL"
                " ELSE (%(project_ids)s::bigint[])[b.p + 1] END",
                "customer": "(%(project_customers)s::bigint[])[b.p + 1]",
                "department": "CASE WHEN b.cs THEN NULL"
                " ELSE (%(groups)s::int[])[1 + b.dept] END",
            },
            "FROM bench_document AS b ORDER BY b.n",
            {
                "first": first,
                "type_ids": [type_ids[code] for code in TYPE_CODES],
                "category_ids": [category_ids[c] for c in CATEGORY_CODES],
                "project_ids": world.projects,
                "project_customers": world.project_customers,
                "groups": world.departments,
            },
        )
        # What the retention mirror writes: *Retention until* on every record.
        made["field values"] += insert_select(
            cursor,
            CustomFieldInstance,
            {
                "document": "%(first)s + b.n - 1",
                "field": "%(field)s",
                "value_date": "b.until",
            },
            "FROM bench_document AS b ORDER BY b.n",
            {"first": first, "field": fields["retention_until"]},
        )
        timings["field values, retention"] = time.perf_counter() - started
        started = time.perf_counter()
        made["group permissions"] = insert_select(
            cursor,
            GroupObjectPermission,
            {
                "group": "(%(groups)s::int[])[1 + b.dept]",
                "permission": "%(permission)s",
                "content_type": "%(content_type)s",
                "object_pk": "(%(first)s + b.n - 1)::text",
            },
            "FROM bench_document AS b ORDER BY b.n",
            {
                "first": first,
                "groups": world.departments,
                "permission": Permission.objects.get(
                    content_type__app_label="documents",
                    codename="view_document",
                ).pk,
                "content_type": ContentType.objects.get_for_model(Document).pk,
            },
        )
        timings["permissions"] = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_document, bench_project")
    return made


def clear_documents() -> None:
    """Empty the documents and everything seeded per size."""
    from django.db import connection
    from documents.models import Document
    from guardian.models import GroupObjectPermission
    from loans import clear_volume

    from svc_archive_plugin.db_triggers import evidence_maintenance
    from svc_archive_plugin.models import RecordFacts
    from svc_archive_plugin.models import RecordRetention

    clear_volume()  # loans, the access log, access requests, user object permissions
    quote = connection.ops.quote_name
    tables = [Document, RecordRetention, RecordFacts, GroupObjectPermission]
    # CASCADE reaches evidence tables that name documents (all seeded, all empty now).
    with evidence_maintenance(), connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {', '.join(quote(m._meta.db_table) for m in tables)}"
            " RESTART IDENTITY CASCADE",
        )


def seed(world: Archive, total: int, today: datetime.date) -> None:
    from django.db import connection
    from django.db import transaction
    from loans import seed_loans
    from loans import seed_log

    from svc_archive_plugin.services import record_facts

    world.seed_seconds.clear()
    timings = world.seed_seconds
    started = time.perf_counter()
    clear_documents()
    with transaction.atomic():
        without_foreign_key_checks()
        made = seed_documents(world, total, today)
        step = time.perf_counter()
        made.update(seed_loans(world, total // DOCUMENTS_PER_LOAN, today))
        timings["loans"] = time.perf_counter() - step
        step = time.perf_counter()
        # The log's document number s.di (from 0) is the seed's n - 1.
        project = f"floor(s.di::bigint * {len(world.projects)} / {total})::int"
        made["log"] = seed_log(
            world,
            total * LOG_PER_DOCUMENT,
            project_index=f"CASE WHEN mod(s.di + 1, {CUSTOMER_SERVICE_EVERY}) = 0"
            f" THEN NULL ELSE {project} END",
            customer_index=project,
        )
        timings["access log"] = time.perf_counter() - step
        step = time.perf_counter()
    timings["commit"] = time.perf_counter() - step
    # The seed ran as a replica session (no foreign-key checks), which fires no
    # triggers: the counts kept ahead are counted here, as the migration counts them.
    step = time.perf_counter()
    record_facts.recount()
    timings["record counts"] = time.perf_counter() - step
    step = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["VACUUM ANALYZE"] = time.perf_counter() - step
    print(
        f"seeded {made['documents']:,} documents in {time.perf_counter() - started:.0f} s ("
        + ", ".join(f"{name} {s:.0f} s" for name, s in timings.items())
        + f"): {made['field values']:,} field values, {made['retention']:,} retention"
        f" rows, {made['group permissions']:,} group permissions, {made['loans']:,}"
        f" loans ({made['events']:,} events), {made['log']:,} access-log rows",
    )
    describe(world, today)
    check_facts(world)


def describe(world: Archive, today: datetime.date) -> None:
    """The seed's spread, as the figures should roughly show it."""
    from django.db.models import Count
    from documents.models import Document
    from guardian.models import GroupObjectPermission

    from svc_archive_plugin.models import Dossier
    from svc_archive_plugin.models import Loan
    from svc_archive_plugin.models import RecordRetention

    total = Document.objects.count()
    complaints = Document.objects.filter(
        document_type__svc_archive_code__code="TS",
    ).count()
    head_share = (
        GroupObjectPermission.objects.filter(
            group_id=world.departments[world.head_department],
        ).count()
        / total
    )
    soon = RecordRetention.objects.filter(
        until__gte=today,
        until__lte=today + datetime.timedelta(days=90),
    ).count()
    due = RecordRetention.objects.filter(state="due").count()
    states = dict(
        Dossier.objects.order_by().values_list("state").annotate(n=Count("pk")),
    )
    overdue_loans = Loan.objects.filter(state="issued", due__lt=today).count()
    print(
        f"  {complaints:,} complaint records ({complaints / total:.1%}); the measured "
        f"head's department may view {head_share:.1%}; retention ends within 90 days "
        f"for {soon:,}, {due:,} due; dossiers "
        + ", ".join(f"{s} {n:,}" for s, n in sorted(states.items()))
        + f"; {overdue_loans:,} loans overdue",
    )


def check_facts(world: Archive, count: int = 10_000) -> None:
    """Rewrite the first ``count`` records' facts with the plugin's service: the seed must
    have written what it writes, and its speed says how long the migration's backfill
    (``record_facts.rebuild``) takes at this size."""
    from svc_archive_plugin.models import RecordFacts
    from svc_archive_plugin.services.record_facts import refresh

    ids = range(
        world.first_document,
        world.first_document + min(count, world.documents),
    )
    columns = [f.attname for f in RecordFacts._meta.concrete_fields if f.name != "id"]

    def rows() -> list[tuple]:
        return list(
            RecordFacts.objects.filter(document_id__in=ids)
            .order_by("document_id")
            .values_list(*columns),
        )

    seeded = rows()
    started = time.perf_counter()
    for start in range(0, len(ids), 2000):
        refresh(ids[start : start + 2000])
    rate = len(ids) / (time.perf_counter() - started)
    differ = sum(a != b for a, b in zip(seeded, rows(), strict=True))
    print(
        f"  record facts: the service rewrote {len(ids):,} at {rate:,.0f} records/s "
        f"(the migration's backfill: about {world.documents / rate / 60:.1f} min at "
        f"this size); {differ} differ from the seed",
    )
    assert differ == 0, "the seed's record facts are not the service's"


def seed_archive(documents: int, today: datetime.date) -> Archive:
    """People, registers and ``documents`` documents with all that goes with them."""
    from loans import seed_people

    world = new_archive()
    seed_people(world)
    seed_registers(world, today)
    seed(world, documents, today)
    return world
