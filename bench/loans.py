"""Benchmark: loans 借阅 and the access log 查阅登记 — screens, API and daily tasks as rows grow.

Seeds a fresh PostgreSQL database at each size (default: 10,000 loans with 100,000 access-log
rows, then SPEC's 100,000 loans with 1,000,000 rows) with raw ``INSERT … SELECT …
generate_series`` — the ORM would take far too long — and measures, at each size:

- each desk screen's changelist as the desk officer (an archive manager), and the approval
  queue as a department head;
- the access-log changelist unfiltered and filtered by person, department, customer,
  project and one month, and its CSV export (one month, and the whole log);
- the API lists of loans, the access log (also as an API-version-9 client, which is sent
  every id) and access requests;
- the daily tasks: ``remind_overdue`` (locmem mail; again the same day: nothing sent) and
  ``apply_periods`` (some approved access requests end yesterday, some start today);
- ``record_access`` for one document view (median of 100 calls).

A flat query count across the sizes is the point (the overdue reminders excepted: a few
queries per mail). At the largest size each big read's main statement (its page, its
stream) and any statement over 5 ms are run again under ``EXPLAIN ANALYZE``; the database
is dropped at the end.

What is seeded, besides the loans and the log: 10 departments of 30 staff each, one head
per department, one desk officer; 200 customers with 5,000 projects and their dossiers;
20,000 documents of archive types, each in a project; 13,150 access requests (10,000 of the
last two years, expired; 3,000 current, 300 of which ended yesterday; 100 starting today;
50 pending) naming 5 documents each, with their grants and paperless's object permissions.
Loans run over two years, oldest first; the newest are still moving: 0.3 % awaiting
approval, 0.2 % approved, 3 % out (one in six of those overdue, one in thirty asking for a
renewal), 0.2 % returned to be inspected; of the rest 2 % refused, 2 % cancelled, the
others closed. Each loan has its full history of events (about 5.8 a loan). The log's
two years are in time order (as appended), 70 % views, 20 % previews, 10 % downloads,
popular documents read more often.

    scripts/bench.sh loans              # PostgreSQL only: PAPERLESS_DBHOST, else 127.0.0.1
    python bench/loans.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
from dataclasses import dataclass
from dataclasses import field
from unittest import mock
from urllib.parse import urlencode

from instance import REPEAT
from instance import Result
from instance import explain
from instance import fetch
from instance import insert_select
from instance import label
from instance import measured
from instance import peak_rss_mb
from instance import short
from instance import start_paperless
from instance import throw_away_database

SIZES = (10_000, 100_000)
LOG_PER_LOAN = 10
DEPARTMENTS = (
    "工程部",
    "销售部",
    "财务部",
    "人事部",
    "技术部",
    "售后部",
    "市场部",
    "采购部",
    "质量部",
    "行政部",
)
STAFF_PER_DEPARTMENT = 30
CUSTOMERS = 200
PROJECTS = 5_000
DOCUMENTS = 20_000
# Access requests: history (expired), current (some ending yesterday), new, pending.
HISTORY_REQUESTS = 10_000
CURRENT_REQUESTS = 3_000
ENDING_YESTERDAY = 300
STARTING_TODAY = 100
PENDING_REQUESTS = 50
ITEMS_PER_REQUEST = 5
# The newest loans by age, as shares of all loans; the rest are refused, cancelled, closed.
BANDS = (
    ("requested", 0.003),
    ("approved", 0.002),
    ("issued", 0.03),
    ("returned", 0.002),
)
REFUSED_PER_100 = 2
CANCELLED_PER_100 = 2
# Each state's history: (action, from_state, to_state, who).
HISTORY = {
    "request": ("request", "requested", "requested", "borrower"),
    "head": ("approve_head", "requested", "requested", "head"),
    "archive": ("approve_archive", "requested", "approved", "desk"),
    "issue": ("issue", "approved", "issued", "desk"),
    "renewal": ("request_renewal", "issued", "issued", "borrower"),
    "return": ("return", "issued", "returned", "desk"),
    "inspect": ("inspect", "returned", "closed", "desk"),
    "refuse": ("refuse", "requested", "refused", "head"),
    "cancel": ("cancel", "requested", "cancelled", "borrower"),
}
PATHS = {
    "requested": ("request", "head"),  # the head's approval only where given
    "approved": ("request", "head", "archive"),
    "issued": ("request", "head", "archive", "issue", "renewal"),  # renewal if asked
    "returned": ("request", "head", "archive", "issue", "return"),
    "closed": ("request", "head", "archive", "issue", "return", "inspect"),
    "refused": ("request", "refuse"),
    "cancelled": ("request", "cancel"),
}
API_ACCEPT = "application/json; version=10"
RECORD_CALLS = 100
EXPLAIN_SLOWER_THAN_MS = 5.0


# Seeding ----------------------------------------------------------------------------------


@dataclass
class World:
    """What the measurements need from the seed."""

    desk: object = None
    head: object = None
    clerk: object = None
    staff_ids: list[int] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    staff_departments: list[int] = field(default_factory=list)  # index into departments
    departments: list[int] = field(default_factory=list)
    department_names: list[str] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)  # by department index
    projects: list[int] = field(default_factory=list)
    project_customers: list[int] = field(default_factory=list)
    dossiers: list[int] = field(default_factory=list)
    first_document: int = 0
    documents: int = DOCUMENTS  # ids first_document … first_document + documents - 1
    record_document: int = 0


def seed_people(world: World) -> None:
    from django.contrib.auth.models import Group
    from django.contrib.auth.models import User

    from svc_archive_plugin.services.provisioning import provision

    provision()
    roles = {
        key: Group.objects.get(name=name)
        for key, name in (
            ("staff", "员工"),
            ("heads", "部门负责人"),
            ("managers", "档案管理员"),
        )
    }
    departments = Group.objects.bulk_create(Group(name=n) for n in DEPARTMENTS)
    world.departments = [g.pk for g in departments]
    world.department_names = [g.name for g in departments]
    staff = User.objects.bulk_create(
        User(
            username=f"staff{d:02d}{i:03d}",
            email=f"staff{d:02d}{i:03d}@example.com",
            password="!",
        )
        for d in range(len(departments))
        for i in range(STAFF_PER_DEPARTMENT)
    )
    heads = User.objects.bulk_create(
        User(
            username=f"head{d:02d}",
            email=f"head{d:02d}@example.com",
            password="!",
            is_staff=True,
        )
        for d in range(len(departments))
    )
    world.desk = User.objects.create(
        username="desk",
        email="desk@example.com",
        password="!",
        is_staff=True,
    )
    through = User.groups.through
    memberships = [through(user_id=world.desk.pk, group_id=roles["managers"].pk)]
    for n, user in enumerate(staff):
        department = departments[n // STAFF_PER_DEPARTMENT]
        memberships += [
            through(user_id=user.pk, group_id=roles["staff"].pk),
            through(user_id=user.pk, group_id=department.pk),
        ]
    for d, user in enumerate(heads):
        memberships += [
            through(user_id=user.pk, group_id=roles["heads"].pk),
            through(user_id=user.pk, group_id=departments[d].pk),
        ]
    through.objects.bulk_create(memberships)
    world.staff_ids = [u.pk for u in staff]
    world.usernames = [u.username for u in staff]
    world.staff_departments = [n // STAFF_PER_DEPARTMENT for n in range(len(staff))]
    world.heads = [u.pk for u in heads]
    world.head = heads[0]
    world.clerk = staff[0]


def seed_registers(world: World, today: datetime.date) -> None:
    """Customers, projects with their dossiers (ORM bulk: no post_save), documents."""
    from django.db import connection
    from django.utils.crypto import get_random_string
    from documents.models import CustomFieldInstance
    from documents.models import Document
    from documents.models import DocumentType

    from svc_archive_plugin.models import Customer
    from svc_archive_plugin.models import Dossier
    from svc_archive_plugin.models import ServiceProject
    from svc_archive_plugin.models import ServiceType
    from svc_archive_plugin.services.provisioning import provisioned

    service_types = list(ServiceType.objects.all())
    customers = Customer.objects.bulk_create(
        Customer(code=f"C{i:05d}", name=f"客户{i}", option_id=get_random_string(16))
        for i in range(CUSTOMERS)
    )
    per_customer = PROJECTS // CUSTOMERS
    projects = ServiceProject.objects.bulk_create(
        ServiceProject(
            code=f"P{i:06d}",
            name=f"项目{i}",
            customer=customers[i // per_customer],
            service_type=service_types[i % len(service_types)],
            department_id=world.departments[i % len(world.departments)],
            end_date=today - datetime.timedelta(days=30 + i % 2000),
            is_major=i % 10 == 0,
            option_id=get_random_string(16),
        )
        for i in range(PROJECTS)
    )
    dossiers = Dossier.objects.bulk_create(
        Dossier(
            project=p,
            category_id=p.service_type.category_id,
            state=Dossier.State.FILED,
            location_cabinet=f"A{i // 1000:02d}",
            location_shelf=f"{i // 50 % 20:02d}",
            location_box=f"{i % 50:03d}",
        )
        for i, p in enumerate(projects)
    )
    world.projects = [p.pk for p in projects]
    world.project_customers = [p.customer_id for p in projects]
    world.dossiers = [d.pk for d in dossiers]
    types = list(
        DocumentType.objects.filter(svc_archive_code__isnull=False).values_list(
            "pk",
            flat=True,
        ),
    )
    project_field = provisioned("custom_field.project")
    with connection.cursor() as cursor:
        insert_select(
            cursor,
            Document,
            {
                "title": "'bench ' || n",
                "content": "'bench document ' || n",
                "mime_type": "'application/pdf'",
                "checksum": "md5('bench' || n)",
                "created": "%(today)s::date - mod(n, 700)",
                "added": "now() - interval '1 day' * mod(n, 700)",
                "modified": "now() - interval '1 day' * mod(n, 700)",
                "document_type": "(%(types)s::int[])[1 + mod(n, %(t)s)]",
            },
            "FROM generate_series(1, %(documents)s) AS n ORDER BY n",
            {"today": today, "types": types, "t": len(types), "documents": DOCUMENTS},
        )
        cursor.execute(
            f"SELECT min(id), max(id) FROM {Document._meta.db_table} WHERE title LIKE 'bench %%'",
        )
        first, last = cursor.fetchone()
        assert last - first + 1 == DOCUMENTS, (first, last)
        world.first_document = first
        # Document number i (from 0) lies in project i mod PROJECTS.
        options = [p.option_id for p in projects]
        insert_select(
            cursor,
            CustomFieldInstance,
            {
                "document": "%(first)s + i",
                "field": "%(field)s",
                "value_select": f"(%(options)s::text[])[1 + mod(i, {PROJECTS})]",
            },
            "FROM generate_series(0, %(documents)s - 1) AS i",
            {
                "first": first,
                "field": project_field.pk,
                "options": options,
                "documents": DOCUMENTS,
            },
        )
    world.record_document = first


VOLUME_TABLES = (
    "LoanEvent",
    "LoanLiability",
    "Loan",
    "AccessLogEntry",
    "AccessGrant",
    "AccessRequestItem",
    "AccessRequest",
)


def clear_volume() -> None:
    from django.apps import apps
    from django.db import connection
    from guardian.models import UserObjectPermission

    from svc_archive_plugin.db_triggers import evidence_maintenance

    quote = connection.ops.quote_name
    tables = [
        apps.get_model("svc_archive_plugin", name)._meta.db_table
        for name in VOLUME_TABLES
    ] + [UserObjectPermission._meta.db_table]
    # The loans' and the log's evidence triggers refuse a TRUNCATE outside the door.
    with evidence_maintenance(), connection.cursor() as cursor:
        # CASCADE: and whatever refers to them (an inventory round's loan, …), all seeded.
        cursor.execute(
            f"TRUNCATE {', '.join(quote(t) for t in tables)} RESTART IDENTITY CASCADE",
        )


def seed_loans(world: World, total: int, today: datetime.date) -> dict[str, int]:
    from django.db import connection

    from svc_archive_plugin.models import Loan
    from svc_archive_plugin.models import LoanEvent

    bounds, edge = {}, 0
    for state, share in BANDS:
        edge += round(total * share)
        bounds[state] = edge
    issued = bounds["issued"] - bounds["approved"]
    desk = world.desk.pk
    params = {
        "total": total,
        "today": today,
        "users": world.staff_ids,
        "user_count": len(world.staff_ids),
        "user_departments": [world.departments[d] for d in world.staff_departments],
        "user_heads": [world.heads[d] for d in world.staff_departments],
        "dossiers": world.dossiers,
        "dossier_count": len(world.dossiers),
        "first": world.first_document,
        "documents": world.documents,
        "desk": desk,
        "issued": issued,
        **{f"b_{state}": b for state, b in bounds.items()},
    }
    source = """
        FROM (
            SELECT c.*,
                   CASE WHEN c.di IS NULL THEN
                        CASE WHEN c.out_loan THEN %(first)s + c.k
                             ELSE %(first)s + floor(c.r2 * %(documents)s)::int END
                   END AS doc
            FROM (
                SELECT b.*,
                       CASE WHEN b.out_loan THEN
                            CASE WHEN mod(b.k, 5) <> 4 AND b.k - b.k / 5 < %(dossier_count)s
                                 THEN b.k - b.k / 5 END
                            WHEN b.r1 < 0.8 THEN floor(b.r2 * %(dossier_count)s)::int
                       END AS di,
                       now() - interval '730 days'
                           + (b.n - 1) * (interval '730 days' / %(total)s)
                           - interval '1 hour' AS requested,
                       (%(users)s::int[])[1 + b.ui] AS borrower,
                       (%(user_departments)s::int[])[1 + b.ui] AS department,
                       (%(user_heads)s::int[])[1 + b.ui] AS head
                FROM (
                    SELECT a.*,
                           a.state IN ('issued', 'returned') AS out_loan,
                           a.age - %(b_approved)s AS k
                    FROM (
                        SELECT n, %(total)s - n AS age,
                               floor(random() * %(user_count)s)::int AS ui,
                               random() AS r1, random() AS r2,
                               CASE WHEN %(total)s - n < %(b_requested)s THEN 'requested'
                                    WHEN %(total)s - n < %(b_approved)s THEN 'approved'
                                    WHEN %(total)s - n < %(b_issued)s THEN 'issued'
                                    WHEN %(total)s - n < %(b_returned)s THEN 'returned'
                                    WHEN mod(n, 100) < %(refused)s THEN 'refused'
                                    WHEN mod(n, 100) < %(cancelled)s THEN 'cancelled'
                                    ELSE 'closed' END AS state
                        FROM generate_series(1, %(total)s) AS n
                    ) AS a
                ) AS b
            ) AS c
        ) AS l
        ORDER BY l.n
    """
    params["refused"] = REFUSED_PER_100
    params["cancelled"] = REFUSED_PER_100 + CANCELLED_PER_100
    approved = "l.state IN ('approved', 'issued', 'returned', 'closed')"
    out = "l.state IN ('issued', 'returned', 'closed')"
    back = "l.state IN ('returned', 'closed')"
    issued_at = "least(now(), l.requested + interval '1 day')"
    values = {
        "number": "'JY-' || extract(year FROM l.requested)::int || '-' || lpad(l.n::text, 6, '0')",
        "borrower": "l.borrower",
        "department": "l.department",
        "dossier": "(%(dossiers)s::int[])[1 + l.di]",
        "document": "l.doc",
        "medium": "'paper'",
        "reason": "'项目资料核对'",
        "days": "1 + mod(l.n, 10)",
        "state": "l.state",
        "requested_at": "l.requested",
        "head_approved_by": f"CASE WHEN {approved} OR (l.state = 'requested' "
        "AND mod(l.n, 2) = 0) THEN l.head END",
        "archive_approved_by": f"CASE WHEN {approved} THEN %(desk)s END",
        "issued_by": f"CASE WHEN {out} THEN %(desk)s END",
        "issued_at": f"CASE WHEN {out} THEN {issued_at} END",
        "location_out": f"CASE WHEN {out} THEN 'A01-02-003' ELSE '' END",
        # Out: the oldest sixth overdue (up to 3 days), the rest due within 15 days.
        "due": "CASE WHEN l.state = 'issued' THEN %(today)s::date + 15"
        " - floor((l.age - %(b_approved)s) * 18.0 / %(issued)s)::int"
        f" WHEN {back} THEN ({issued_at})::date + 14 END",
        "renewal_days": "CASE WHEN l.state = 'issued' AND mod(l.n, 30) = 0 THEN 5 END",
        "renewal_reason": "CASE WHEN l.state = 'issued' AND mod(l.n, 30) = 0"
        " THEN '尚未核对完' ELSE '' END",
        "returned_at": f"CASE WHEN {back} THEN least(now(), l.requested + interval '11 days') END",
        "received_by": f"CASE WHEN {back} THEN %(desk)s END",
        "condition": "CASE WHEN l.state <> 'closed' THEN ''"
        " WHEN mod(l.n, 200) = 0 THEN 'damaged' ELSE 'intact' END",
        "inspection_note": "CASE WHEN l.state = 'closed' AND mod(l.n, 200) = 0"
        " THEN '封皮破损' ELSE '' END",
        "inspected_by": "CASE WHEN l.state = 'closed' THEN %(desk)s END",
        "out_key": "CASE WHEN l.state IN ('issued', 'returned') THEN"
        " CASE WHEN l.di IS NOT NULL"
        " THEN 'dossier:' || (%(dossiers)s::int[])[1 + l.di]"
        " ELSE 'document:' || l.doc END END",
    }
    rows = []
    for state, steps in PATHS.items():
        rows += [
            (state, step, *HISTORY[name]) for step, name in enumerate(steps, start=1)
        ]
    steps_sql = ", ".join(
        f"('{state}', {step}, '{action}', '{from_}', '{to}', '{who}')"
        for state, step, action, from_, to, who in rows
    )
    with connection.cursor() as cursor:
        loans = insert_select(cursor, Loan, values, source, params)
        events = insert_select(
            cursor,
            LoanEvent,
            {
                "loan": "l.id",
                "action": "e.action",
                "from_state": "e.from_state",
                "to_state": "e.to_state",
                "actor": "CASE e.who WHEN 'borrower' THEN l.borrower_id"
                " WHEN 'head' THEN coalesce(l.head_approved_by_id, %(desk)s)"
                " ELSE %(desk)s END",
                "at": "least(now(), l.requested_at + (e.step - 1) * interval '1 day')",
                "note": "''",
            },
            f"""
            FROM {Loan._meta.db_table} AS l
            JOIN (VALUES {steps_sql}) AS e(state, step, action, from_state, to_state, who)
              ON e.state = l.state
            WHERE NOT (e.action = 'approve_head' AND l.head_approved_by_id IS NULL)
              AND NOT (e.action = 'request_renewal' AND l.renewal_days IS NULL)
            ORDER BY l.id, e.step
            """,
            {"desk": desk},
        )
    return {"loans": loans, "events": events}


def seed_log(
    world: World,
    total: int,
    *,
    project_index: str | None = None,
    customer_index: str | None = None,
) -> int:
    """``total`` access-log rows over two years, popular documents read more often.

    ``project_index``, ``customer_index``: SQL giving, for the document number ``s.di``
    (from 0), the index (from 0) of its project in ``world.projects`` and of its
    customer in ``world.project_customers``, NULL for none; by default document number
    i lies in project i mod the number of projects.
    """
    from django.db import connection

    from svc_archive_plugin.models import AccessLogEntry

    project_index = project_index or f"mod(s.di, {len(world.projects)})"
    customer_index = customer_index or f"mod(s.di, {len(world.projects)})"
    values = {
        "at": "now() - interval '730 days' + (s.n - 1) * (interval '730 days' / %(total)s)"
        " - interval '1 hour' + random() * interval '1 minute'",
        "user": "(%(users)s::int[])[1 + s.ui]",
        "username": "(%(usernames)s::text[])[1 + s.ui]",
        "department": "(%(departments)s::int[])[1 + (%(user_departments)s::int[])[1 + s.ui]]",
        "department_name": "(%(department_names)s::text[])"
        "[1 + (%(user_departments)s::int[])[1 + s.ui]]",
        "document": "%(first)s + s.di",
        "title": "'bench ' || (1 + s.di)",
        "customer": f"(%(customers)s::int[])[1 + {customer_index}]",
        "project": f"(%(projects)s::int[])[1 + {project_index}]",
        "kind": "CASE WHEN s.r < 0.7 THEN 'view' WHEN s.r < 0.9 THEN 'preview'"
        " ELSE 'download' END",
        "via": "CASE WHEN s.r2 < 0.9 THEN 'api' ELSE 'admin' END",
    }
    with connection.cursor() as cursor:
        return insert_select(
            cursor,
            AccessLogEntry,
            values,
            """
            FROM (
                SELECT n, floor(random() * %(user_count)s)::int AS ui,
                       floor(power(random(), 2) * %(documents)s)::int AS di,
                       random() AS r, random() AS r2
                FROM generate_series(1, %(total)s) AS n
            ) AS s
            ORDER BY s.n
            """,
            {
                "total": total,
                "users": world.staff_ids,
                "usernames": world.usernames,
                "user_count": len(world.staff_ids),
                "user_departments": world.staff_departments,
                "departments": world.departments,
                "department_names": world.department_names,
                "first": world.first_document,
                "documents": world.documents,
                "customers": world.project_customers,
                "projects": world.projects,
            },
        )


def seed_requests(world: World, today: datetime.date) -> dict[str, int]:
    """Access requests with their items, grants and paperless object permissions."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from documents.models import Document
    from guardian.models import UserObjectPermission

    from svc_archive_plugin.models import AccessGrant
    from svc_archive_plugin.models import AccessRequest
    from svc_archive_plugin.models import AccessRequestItem

    h, c, s, p = HISTORY_REQUESTS, CURRENT_REQUESTS, STARTING_TODAY, PENDING_REQUESTS
    params = {
        "today": today,
        "h": h,
        "hc": h + c,
        "hcs": h + c + s,
        "total": h + c + s + p,
        "ending": h + ENDING_YESTERDAY,
        "users": world.staff_ids,
        "user_count": len(world.staff_ids),
        "user_departments": [world.departments[d] for d in world.staff_departments],
        "user_heads": [world.heads[d] for d in world.staff_departments],
    }
    kind = (
        "CASE WHEN n <= %(h)s THEN 'expired' WHEN n <= %(hc)s THEN 'approved'"
        " WHEN n <= %(hcs)s THEN 'new' ELSE 'pending' END"
    )
    starts = (
        "CASE WHEN q.n <= %(h)s THEN %(today)s::date - 730 + (q.n * 700 / %(h)s)"
        " WHEN q.n <= %(hc)s THEN %(today)s::date - 1 - mod(q.n, 30)"
        " WHEN q.n <= %(hcs)s THEN %(today)s::date ELSE %(today)s::date + 1 END"
    )
    ends = (
        "CASE WHEN q.n <= %(h)s THEN %(today)s::date - 716 + (q.n * 700 / %(h)s)"
        " WHEN q.n <= %(ending)s THEN %(today)s::date - 1"
        " WHEN q.n <= %(hc)s THEN %(today)s::date + 1 + mod(q.n, 60)"
        " ELSE %(today)s::date + 30 END"
    )
    values = {
        "requester": "(%(users)s::int[])[1 + r.ui]",
        "department": "(%(user_departments)s::int[])[1 + r.ui]",
        "purpose": "'项目审计查阅'",
        "starts": "r.starts",
        "ends": "r.ends",
        "state": "CASE r.kind WHEN 'expired' THEN 'expired' WHEN 'pending' THEN 'pending'"
        " ELSE 'approved' END",
        "created_at": "r.starts - interval '2 days'",
        "decided_by": "CASE WHEN r.kind <> 'pending'"
        " THEN (%(user_heads)s::int[])[1 + r.ui] END",
        "decided_at": "CASE WHEN r.kind <> 'pending' THEN r.starts - interval '1 day' END",
        "decision_reason": "''",
        "closed_at": "CASE WHEN r.kind = 'expired' THEN r.ends + interval '1 day' END",
        "close_reason": "CASE WHEN r.kind = 'expired' THEN 'The period ended.'"
        " ELSE '' END",
    }
    source = f"""
        FROM (
            SELECT q.*, {starts} AS starts, {ends} AS ends
            FROM (
                SELECT n, floor(random() * %(user_count)s)::int AS ui, {kind} AS kind
                FROM generate_series(1, %(total)s) AS n
            ) AS q
        ) AS r
        ORDER BY r.n
    """
    view = Permission.objects.get(
        content_type__app_label="documents",
        codename="view_document",
    )
    document_type = ContentType.objects.get_for_model(Document)
    requests = AccessRequest._meta.db_table
    with connection.cursor() as cursor:
        counts = {
            "requests": insert_select(cursor, AccessRequest, values, source, params),
        }
        # Five documents a request, distinct within it.
        counts["items"] = insert_select(
            cursor,
            AccessRequestItem,
            {
                "request": "r.id",
                "document": "%(first)s + mod(r.id * 7 + j * 1543, %(documents)s)",
            },
            f"FROM {requests} AS r CROSS JOIN generate_series(1, %(per)s) AS j"
            " ORDER BY r.id, j",
            {
                "first": world.first_document,
                "documents": DOCUMENTS,
                "per": ITEMS_PER_REQUEST,
            },
        )
        # Grants of expired requests (withdrawn) and of current ones begun before today.
        counts["grants"] = insert_select(
            cursor,
            AccessGrant,
            {
                "request": "r.id",
                "user": "r.requester_id",
                "document": "i.document_id",
                "granted_at": "r.starts::timestamptz",
                "withdrawn_at": "r.closed_at",
            },
            f"FROM {requests} AS r JOIN {AccessRequestItem._meta.db_table} AS i"
            " ON i.request_id = r.id"
            " WHERE r.state = 'expired' OR (r.state = 'approved' AND r.starts < %(today)s)"
            " ORDER BY r.id, i.id",
            {"today": today},
        )
        counts["permissions"] = insert_select(
            cursor,
            UserObjectPermission,
            {
                "user": "g.user_id",
                "permission": "%(permission)s",
                "content_type": "%(content_type)s",
                "object_pk": "g.document_id::text",
            },
            f"FROM (SELECT DISTINCT user_id, document_id FROM {AccessGrant._meta.db_table}"
            " WHERE withdrawn_at IS NULL) AS g ON CONFLICT DO NOTHING",
            {"permission": view.pk, "content_type": document_type.pk},
        )
    return counts


def seed(world: World, loans: int, log: int, today: datetime.date) -> None:
    from django.db import connection
    from django.db import transaction
    from django.db.models import Count
    from guardian.models import UserObjectPermission

    from svc_archive_plugin.models import AccessGrant
    from svc_archive_plugin.models import AccessLogEntry
    from svc_archive_plugin.models import AccessRequest
    from svc_archive_plugin.models import AccessRequestItem
    from svc_archive_plugin.models import Loan
    from svc_archive_plugin.models import LoanEvent

    started = time.perf_counter()
    clear_volume()
    with transaction.atomic():
        made = seed_loans(world, loans, today)
        seeded_loans = time.perf_counter()
        made["log"] = seed_log(world, log)
        seeded_log = time.perf_counter()
        made.update(seed_requests(world, today))
    seeded = time.perf_counter()
    with connection.cursor() as cursor:
        for model in (
            Loan,
            LoanEvent,
            AccessLogEntry,
            AccessRequest,
            AccessRequestItem,
            AccessGrant,
            UserObjectPermission,
        ):
            cursor.execute(
                f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}",
            )
    analyzed = time.perf_counter()
    print(
        f"seeded {made['loans']:,} loans ({made['events']:,} events) and "
        f"{made['log']:,} access-log rows in {analyzed - started:.1f} s (loans "
        f"{seeded_loans - started:.1f} s, log {seeded_log - seeded_loans:.1f} s, access "
        f"requests {seeded - seeded_log:.1f} s, VACUUM ANALYZE {analyzed - seeded:.1f} s)",
    )
    states = dict(
        Loan.objects.order_by().values_list("state").annotate(n=Count("pk")),
    )
    today_overdue = Loan.objects.filter(state="issued", due__lt=today).count()
    print(
        "  loans by state: "
        + ", ".join(f"{s} {states.get(s, 0):,}" for s in Loan.State.values)
        + f"; overdue {today_overdue:,}",
    )
    print(
        f"  access requests {made['requests']:,} ({made['items']:,} items, "
        f"{made['grants']:,} grants, {made['permissions']:,} object permissions)",
    )


# Measuring --------------------------------------------------------------------------------


def measure(world: World, today: datetime.date) -> dict[str, Result]:
    from django.conf import settings
    from django.core import mail
    from django.test import Client
    from django.utils import timezone
    from documents import tasks
    from rest_framework.test import APIClient

    from svc_archive_plugin.services import access
    from svc_archive_plugin.services import loans

    results: dict[str, Result] = {}
    desk = Client()
    desk.force_login(world.desk)
    head = Client()
    head.force_login(world.head)
    admin = "/admin/svc_archive_plugin/"
    for name, client, screen in (
        ("desk: approval queue (desk)", desk, "loanapprovalqueue"),
        ("desk: approval queue (head)", head, "loanapprovalqueue"),
        ("desk: to issue", desk, "loantoissue"),
        ("desk: items out", desk, "loanout"),
        ("desk: overdue and due soon", desk, "overdueloan"),
        ("desk: returns to inspect", desk, "loantoinspect"),
        ("loan register (admin)", desk, "loan"),
    ):
        results[name] = measured(lambda c=client, s=screen: fetch(c, f"{admin}{s}/"))

    month_end = today.replace(day=1)
    month_start = (month_end - datetime.timedelta(days=1)).replace(day=1)

    def moment(day: datetime.date) -> str:
        return str(timezone.make_aware(datetime.datetime.combine(day, datetime.time())))

    month = urlencode({"at__gte": moment(month_start), "at__lt": moment(month_end)})
    user, department = world.staff_ids[7], world.departments[3]
    customer, project = world.project_customers[0], world.projects[1]
    log = f"{admin}accesslogentry/"
    for name, query in (
        ("access log (admin)", ""),
        ("access log by person", f"?user__id__exact={user}"),
        ("access log by department", f"?department__id__exact={department}"),
        ("access log by customer", f"?customer__id__exact={customer}"),
        ("access log by project", f"?project__id__exact={project}"),
        ("access log, one month", f"?{month}"),
    ):
        results[name] = measured(lambda q=query: fetch(desk, f"{log}{q}"))
    for name, query in (
        ("access log CSV, one month", f"?{month}"),
        ("access log CSV, all of it", ""),
    ):
        results[name] = measured(
            lambda q=query: fetch(desk, f"{log}export.csv{q}"),
            repeat=1,
            warm=False,
        )

    api = APIClient(HTTP_ACCEPT=API_ACCEPT)
    api.force_authenticate(world.desk)
    old_api = APIClient(HTTP_ACCEPT="application/json; version=9")
    old_api.force_authenticate(world.desk)
    own = APIClient(HTTP_ACCEPT=API_ACCEPT)
    own.force_authenticate(world.clerk)
    base = "/api/svc_archive/"
    for name, client, url in (
        ("API loans ?state=issued", api, "loans/?state=issued"),
        ("API loans, all (desk)", api, "loans/"),
        ("API loans, own (staff)", own, "loans/"),
        ("API access_log", api, "access_log/"),
        ("API access_log ?project", api, f"access_log/?project={project}"),
        ("API access_log ?user", api, f"access_log/?user={user}"),
        ("API access_log, one month", api, f"access_log/?{month}"),
        ("API access_log, version 9", old_api, "access_log/"),
        ("API access_requests (desk)", api, "access_requests/"),
    ):
        results[name] = measured(lambda c=client, u=url: fetch(c, f"{base}{u}"))

    # record_access: one document view, timed alone, 100 times.
    document = world.record_document
    access.record_access(world.clerk, document, "view", "api")  # warm-up
    result = measured(
        lambda: access.record_access(world.clerk, document, "view", "api"),
        repeat=1,
        warm=False,
    )
    times = []
    for _ in range(RECORD_CALLS):
        started = time.perf_counter()
        access.record_access(world.clerk, document, "view", "api")
        times.append(time.perf_counter() - started)
    result.seconds = statistics.median(times)
    result.note = (
        f"median of {RECORD_CALLS} calls; min {min(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms"
    )
    results["record_access (one view)"] = result

    # The daily tasks.
    settings.EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for name in ("remind_overdue", "remind_overdue, again"):
        mail.outbox = []
        result = measured(loans.remind_overdue, repeat=1, warm=False)
        result.note = f"{result.value} mails, outbox {len(mail.outbox)}"
        results[name] = result
    assert results["remind_overdue, again"].note.startswith("0 mails")
    queued: list[list[int]] = []
    with mock.patch.object(
        tasks.bulk_update_documents,
        "delay",
        lambda document_ids: queued.append(list(document_ids)),
    ):
        for name in ("apply_periods", "apply_periods, again"):
            queued.clear()
            result = measured(access.apply_periods, repeat=1, warm=False)
            done = result.value
            result.note = (
                f"expired {done['expired']}, granted {done['granted']}; "
                f"{len(queued)} re-index tasks ({sum(map(len, queued)):,} documents)"
            )
            results[name] = result
    return results


# The reads whose main statement is explained at the largest size, besides any statement
# over EXPLAIN_SLOWER_THAN_MS: the longest SELECT holding all the texts given (a page's
# query, a CSV export's streamed one).
LOG = 'FROM "svc_archive_plugin_accesslogentry"'
LOANS = 'FROM "svc_archive_plugin_loan"'
STREAMED = 'SELECT "svc_archive_plugin_accesslogentry"."at"'
MAIN = {
    "desk: items out": (LOANS, "LIMIT 50"),
    "loan register (admin)": (LOANS, "LIMIT 50"),
    "access log (admin)": (LOG, "LIMIT 100"),
    "access log by person": (LOG, "LIMIT 100"),
    "access log by department": (LOG, "LIMIT 100"),
    "access log by customer": (LOG, "LIMIT 100"),
    "access log by project": (LOG, "LIMIT 100"),
    "access log, one month": (LOG, "LIMIT 100"),
    "access log CSV, one month": (STREAMED,),
    "access log CSV, all of it": (STREAMED,),
    "API loans ?state=issued": (LOANS, "LIMIT 25"),
    "API loans, all (desk)": (LOANS, "LIMIT 25"),
    "API access_log": (LOG, "LIMIT 25"),
    "API access_log ?project": (LOG, "LIMIT 25"),
    "API access_log ?user": (LOG, "LIMIT 25"),
    "API access_log, version 9": (
        'SELECT "svc_archive_plugin_accesslogentry"."id" AS',
    ),
}


def run(sizes: list[int]) -> None:
    # Queued tasks run in-process (the daily tasks' re-index is counted, not run, in
    # ``measure``).
    today, database, seconds = start_paperless()
    print(f"database: {database}, migrated in {seconds:.1f} s; as of {today}")
    started = time.perf_counter()
    world = World()
    seed_people(world)
    seed_registers(world, today)
    print(
        f"people, registers and {DOCUMENTS:,} documents in "
        f"{time.perf_counter() - started:.1f} s: {len(world.departments)} departments, "
        f"{len(world.staff_ids)} staff, {len(world.heads)} heads, 1 desk officer; "
        f"{CUSTOMERS} customers, {PROJECTS:,} projects and dossiers",
    )
    results = []
    for total in sizes:
        print(f"\n{label(total)} loans, {label(total * LOG_PER_LOAN)} access-log rows:")
        seed(world, total, total * LOG_PER_LOAN, today)
        results.append(measure(world, today))
        print(f"  peak RSS so far: {peak_rss_mb():.0f} MB")
    report(sizes, results)


def report(sizes: list[int], results: list[dict[str, Result]]) -> None:
    heads = [f"{label(n)}/{label(n * LOG_PER_LOAN)}" for n in sizes]
    width = 10
    columns = width * len(sizes)
    print(
        f"\n{'':30s}{'queries at':>{columns}s}  {'time (ms) at':>{columns}s}"
        f"  {'at ' + heads[-1] + ':':<34s}",
    )
    print(
        f"{'loans / access-log rows':30s}{''.join(f'{h:>{width}s}' for h in heads)}  "
        f"{''.join(f'{h:>{width}s}' for h in heads)}  {'SQL ms':>8s} {'slowest':>8s}"
        f" {'RSS +MB':>8s}  what came back",
    )
    grows = []
    for name in results[0]:
        row = [r[name] for r in results]
        counts = [r.queries for r in row]
        flag = ""
        if len(set(counts)) > 1:
            flag = "   <-- grows"
            mails = [r.value for r in row]
            if name == "remind_overdue" and len(set(mails)) > 1:
                per = (counts[-1] - counts[0]) / (mails[-1] - mails[0])
                flag = f"   (grows with the mails: {per:.1f} queries a mail)"
            else:
                grows.append(name)
        last = row[-1]
        slowest = last.selects[0][0] if last.selects else 0.0
        print(
            f"{name:30s}{''.join(f'{q:{width}d}' for q in counts)}  "
            f"{''.join(f'{r.seconds * 1000:{width}.1f}' for r in row)}  "
            f"{last.sql_seconds * 1000:8.1f} {slowest:8.1f} {last.rss_growth:8.0f}"
            f"  {last.note}{flag}",
        )
    print(
        f"\n(time: median of {REPEAT} runs after a warm-up for the reads, one run for "
        "the exports and tasks; SQL ms: the statements' own time in that run, a "
        "stream's fetches not included; slowest: its slowest statement; RSS +MB: how "
        "much the process's peak RSS grew)",
    )
    record = results[-1]["record_access (one view)"]
    print(f"\nstatements of one record_access call at {heads[-1]}:")
    for sql in record.statements:
        print(f"  {short(sql)}")
    print(f"\nslowest statements at {heads[-1]}, with their plans:")
    shown: dict[str, str] = {}
    for name, result in results[-1].items():
        chosen = [s for s in result.selects[:2] if s[0] >= EXPLAIN_SLOWER_THAN_MS]
        texts = MAIN.get(name)
        main = [s for s in result.selects if texts and all(t in s[1] for t in texts)]
        if main:
            main = max(main, key=lambda s: len(s[1]))
            chosen = [main, *(s for s in chosen if s != main)]
        for ms, sql in chosen:
            print(f"\n[{name}] {ms:.1f} ms: {short(sql, 400)}")
            if sql in shown:
                print(f"    (the plan is above, under [{shown[sql]}])")
                continue
            shown[sql] = name
            for line in explain(sql):
                print(f"    {line}")
    print(
        f"\nconstant number of queries across sizes: "
        f"{'yes' if not grows else 'NO, for ' + ', '.join(grows)}",
    )
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(SIZES),
        help="loan counts to measure at, ascending; the access log has "
        f"{LOG_PER_LOAN} rows a loan (default: 10000 100000)",
    )
    args = parser.parse_args()
    with throw_away_database("loans", required=True) as ready:
        if ready:
            run(sorted(args.sizes))


if __name__ == "__main__":
    main()
