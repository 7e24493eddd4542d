"""Benchmark: the statistics dashboard 统计分析 over 100,000 and 1,000,000 documents.

Seeds a fresh PostgreSQL database with a service archive at each size (default 100,000,
then 1,000,000 paperless documents; the issue's target: the archive manager's unfiltered
dashboard under 1 s at 1M, on its first (cold) run; the others under 2 s)
with raw ``INSERT … SELECT … generate_series`` — the ORM would take far too long — and
measures, at each size, the median of 3 warm runs, the first (cold) run, the query count
and the growth of the process's peak RSS of:

- (a) the whole admin dashboard page through the Django test client, as an archive
  manager (counts every record) with no filter, one year, one department and one customer;
- (b) the same as a department head, who counts only the documents paperless lets them
  view, and their department's accesses and loans;
- the same pages again with PostgreSQL's JIT compilation off for the session, where the
  server has it (the default of PostgreSQL 12 and later with LLVM): the statistics'
  aggregates are costed high enough to be compiled, and compiling takes seconds;
- (c) each figure's API endpoint, as the archive manager, once, without a warm-up;
- (d) each section's service function alone (one query per section), as the archive
  manager and as the head, so the slowest figure shows; the records section as the
  manager both from the counts kept ahead (``RecordCount``, what it uses) and from the
  rows (``RecordFacts``, what it used before, and what it still counts for the head).

At the largest size the slowest statements (the slowest of all, and any over 300 ms) are
listed and the slowest of them run again under ``EXPLAIN ANALYZE`` (with costs, so a JIT
compilation shows); the database is dropped at the end. The load average is printed:
on a shared machine the times say as much about the neighbours as about the code.

What is seeded (the registers once, the rest again at each size):

- the plugin's provisioning (``svc_archive_setup``), then 10 departments of 30 staff, one
  head each and one archive manager (``bench/loans.py``'s people);
- 2,000 customers, a few with many projects, and 10,000 service projects of the four
  service types, ending over the last 6 years (2 % still running), with their dossiers:
  those ended more than 60 days ago filed (2 % of them still open: overdue), the newest in
  every state of the filing review;
- the documents, in time order, 1 in 20 a customer-service record (客户基本信息, archive
  category KF, a customer and no project), the others in a project, of the document types
  its dossier holds, about 2 % feedback and complaint records (客户反馈与投诉处理, mostly in
  after-sales projects); each with its archive category, customer and project select
  values (paperless ``CustomFieldInstance`` rows holding the option ids, as capture writes
  them), its *Retention until* date, owned by one of its department's staff and viewable
  by the department (a paperless group object permission), as a paperless workflow that
  assigns permissions would leave it — so a department head sees their department's share
  (about 7 % for the one measured) and nothing else;
- a ``RecordRetention`` row per document by the default schedule (30 or 10 years from
  the project's end), 2 % of them taken over from the paper archive with their end spread
  from 60 days ago to 180 days ahead (so some run out within 90 days, some are due), and
  its ``RecordFacts`` row (what the statistics count), checked against the plugin's own
  ``record_facts.refresh`` for the first 10,000 documents, which also gives its speed;
  the ``RecordCount`` counts written by its triggers as the rows go in, checked against
  a recount;
- one loan per 10 documents (100,000 at 1M, a third of a percent overdue) and one
  access-log row per document (1,000,000 at 1M) over two years, by ``bench/loans.py``'s
  ``seed_loans`` and ``seed_log``.

The seed is consistent by construction, so as a superuser it skips PostgreSQL's deferred
foreign-key checks at commit (minutes at this size); 1,000,000 documents take about ten
minutes to seed on a busy two-CPU machine.

    scripts/bench.sh dashboard             # PostgreSQL only: PAPERLESS_DBHOST, else 127.0.0.1
    python bench/dashboard.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import datetime
import os
import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from archive import CUSTOMERS
from archive import PROJECTS
from archive import new_archive
from archive import seed
from archive import seed_registers
from instance import REPEAT
from instance import Result
from instance import explain
from instance import fetch
from instance import label
from instance import measured
from instance import peak_rss_mb
from instance import short
from instance import start_paperless
from instance import throw_away_database

if TYPE_CHECKING:
    from loans import World as Archive  # with the fields new_archive() adds

SIZES = (100_000, 1_000_000)
TARGET_SECONDS = 2.0  # the dashboard at the largest size
COLD_TARGET_SECONDS = (
    1.0  # the manager's unfiltered page, first run, at the largest size
)
COLD_PAGE = "page (manager)"
SLOW_MS = 300.0  # statements listed at the largest size
EXPLAINED = 8  # the slowest of them run again under EXPLAIN ANALYZE
# Measuring --------------------------------------------------------------------------------


def run(sizes: list[int], *, seed_only: bool) -> None:
    today, database, seconds = start_paperless()
    from django.db import connection
    from loans import seed_people

    with connection.cursor() as cursor:
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    print(
        f"database: {database} (shared_buffers {buffers}, JIT "
        f"{'on' if jit_available() else 'off'}), migrated in {seconds:.1f} s; "
        f"as of {today}",
    )
    started = time.perf_counter()
    world = new_archive()
    seed_people(world)
    seed_registers(world, today)
    print(
        f"people and registers in {time.perf_counter() - started:.1f} s: "
        f"{len(world.departments)} departments, {len(world.staff_ids)} staff, "
        f"{len(world.heads)} heads, 1 archive manager; {CUSTOMERS:,} customers, "
        f"{PROJECTS:,} projects and dossiers",
    )
    results = []
    for total in sizes:
        print(f"\n{label(total)} documents:")
        seed(world, total, today)
        if not seed_only:
            results.append(measure(world, today))
        print(
            f"  peak RSS so far: {peak_rss_mb():.0f} MB; load average "
            + " ".join(f"{n:.1f}" for n in os.getloadavg())
            + f" on {os.cpu_count()} CPUs",
        )
    if results:
        report(sizes, results)


ADMIN = "/admin/svc_archive_plugin/statistics/"
API = "/api/svc_archive/statistics/"
API_ACCEPT = "application/json; version=10"


def page(client, url: str) -> str:
    """GET a page and read all of it; its size."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return f"{len(response.content) / 1024:.0f} KB"


def filter_sets(world: Archive, today: datetime.date) -> dict[str, object]:
    from svc_archive_plugin.services.statistics import Filters

    year_ago = today.replace(year=today.year - 1) + datetime.timedelta(days=1)
    return {
        "": Filters(),
        ", one year": Filters(date_from=year_ago, date_to=today),
        ", department": Filters(department=world.departments[world.head_department]),
        ", customer": Filters(customer=world.busiest_customer),
    }


def jit_available() -> bool:
    """Whether PostgreSQL compiles expensive queries (``jit`` on and LLVM installed)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_jit_available()")
        return cursor.fetchone()[0]


def measure(world: Archive, today: datetime.date) -> dict[str, Result]:
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from svc_archive_plugin.services import statistics

    results: dict[str, Result] = {}
    filters = filter_sets(world, today)
    people = (("manager", world.desk), ("head", world.head))
    # (a), (b): the whole dashboard page.
    for who, user in people:
        client = Client()
        client.force_login(user)
        for name, chosen in filters.items():
            query = urlencode(chosen.as_params())
            url = f"{ADMIN}?{query}" if query else ADMIN
            results[f"page ({who}{name})"] = measured(
                lambda c=client, u=url: page(c, u),
            )
    # The same pages without PostgreSQL's JIT compilation, where the server has it: the
    # statistics' aggregates are estimated dear enough to be compiled, which can cost
    # more than running them.
    if jit_available():
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        for who, user in people:
            client = Client()
            client.force_login(user)
            for name, chosen in filters.items():
                query = urlencode(chosen.as_params())
                url = f"{ADMIN}?{query}" if query else ADMIN
                results[f"page ({who}{name}), JIT off"] = measured(
                    lambda c=client, u=url: page(c, u),
                )
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")
    # (c): each figure's endpoint once (its section is counted whole).
    api = APIClient(HTTP_ACCEPT=API_ACCEPT)
    api.force_authenticate(world.desk)
    for name in statistics.FIGURES:
        results[f"API {name}"] = measured(
            lambda n=name: fetch(api, f"{API}{n}/"),
            repeat=1,
            warm=False,
        )
    # (d): each section's service function alone (one query per section).
    for who, user in people:
        for section in statistics.SECTIONS:

            def compute(section=section, user=user) -> str:
                figures = section.compute(user, statistics.Filters())
                first = figures[section.figures[0]]
                return f"{first.name}: total {first.total:,}"

            results[f"{section.compute.__name__} ({who})"] = measured(compute)

    # The records section as the manager from the rows, as before the counts.
    def from_rows() -> str:
        figures = statistics.record_figures(
            world.desk,
            statistics.Filters(),
            ahead=False,
        )
        return f"records_by_month: total {figures['records_by_month'].total:,}"

    results["record_figures (manager, rows)"] = measured(from_rows)
    return results


def session_settings() -> dict[str, str]:
    """What the statistics service sets for its statements (``SET LOCAL``), if anything."""
    from svc_archive_plugin.services import statistics

    return dict(getattr(statistics, "POSTGRESQL_SETTINGS", {}))


def report(sizes: list[int], results: list[dict[str, Result]]) -> None:
    from django.db import connection
    from django.db import transaction

    heads = [label(n) for n in sizes]
    width = 9
    columns = width * len(sizes)
    print(
        f"\n{'':34s}{'queries at':>{columns}s}  {'median ms at':>{columns}s}"
        f"  {'at ' + heads[-1] + ':':<44s}",
    )
    print(
        f"{'documents':34s}{''.join(f'{h:>{width}s}' for h in heads)}  "
        f"{''.join(f'{h:>{width}s}' for h in heads)}  {'first ms':>9s} {'SQL ms':>8s}"
        f" {'slowest':>8s} {'RSS +MB':>8s}  what came back",
    )
    for name in results[0]:
        row = [r[name] for r in results]
        counts = [r.queries for r in row]
        last = row[-1]
        slowest = last.selects[0][0] if last.selects else 0.0
        first = (
            f"{last.first_seconds * 1000:9.0f}" if last.first_seconds else f"{'':9s}"
        )
        flags = "   <-- grows" if len(set(counts)) > 1 else ""
        if name.startswith("page") and last.seconds > TARGET_SECONDS:
            flags += f"   <-- over {TARGET_SECONDS:.0f} s"
        print(
            f"{name:34s}{''.join(f'{q:{width}d}' for q in counts)}  "
            f"{''.join(f'{r.seconds * 1000:{width}.0f}' for r in row)}  "
            f"{first} {last.sql_seconds * 1000:8.0f} {slowest:8.0f} {last.rss_growth:8.0f}"
            f"  {last.note}{flags}",
        )
    print(
        f"\n(median of {REPEAT} runs after a first, cold one; the API endpoints: one run, no"
        " warm-up; SQL ms: the statements' own time in the median run; slowest: its "
        "slowest statement; RSS +MB: how much the process's peak RSS grew)",
    )
    for jit in ("", ", JIT off"):
        pages = [
            r
            for n, r in results[-1].items()
            if n.startswith("page") and n.endswith(f"{jit})")
        ]
        if not pages:
            continue
        worst = max(r.seconds for r in pages)
        print(
            f"\nthe dashboard at {heads[-1]}{jit}: at most {worst:.2f} s (median), "
            f"{max(r.first_seconds or 0 for r in pages):.2f} s (first run); target "
            f"{TARGET_SECONDS:.0f} s: {'met' if worst <= TARGET_SECONDS else 'NOT met'}",
        )
        name = f"{COLD_PAGE[:-1]}{jit})" if jit else COLD_PAGE
        cold = results[-1].get(name)
        if cold is not None:
            first = cold.first_seconds or 0
            print(
                f"the archive manager's unfiltered page{jit}: {first:.2f} s cold, "
                f"{cold.seconds:.2f} s median; target {COLD_TARGET_SECONDS:.0f} s cold: "
                f"{'met' if first <= COLD_TARGET_SECONDS else 'NOT met'}",
            )
    print(
        f"\nthe slowest statement at {heads[-1]}, and every other over {SLOW_MS:.0f} ms,"
        " with their plans:",
    )
    slowest: dict[str, float] = {}  # each distinct statement: its slowest run
    where: dict[str, list[str]] = {}  # and the measurements that ran it
    for name, result in results[-1].items():
        for ms, sql in result.selects:
            slowest[sql] = max(ms, slowest.get(sql, 0.0))
            if name not in where.setdefault(sql, []):
                where[sql].append(name)
    ranked = sorted(slowest, key=slowest.__getitem__, reverse=True)
    slow = [sql for sql in ranked if slowest[sql] > SLOW_MS] or ranked[:1]

    def named(sql: str) -> str:
        names = where[sql]
        also = f", also {len(names) - 1} more" if len(names) > 1 else ""
        return f"[{names[0]}{also}] {slowest[sql]:.0f} ms"

    settings = session_settings()
    if settings:
        print(
            "(explained under the settings the statistics set for their own statements: "
            + ", ".join(f"{k} = {v}" for k, v in settings.items())
            + ")",
        )
    for sql in slow[:EXPLAINED]:
        print(f"\n{named(sql)}: {short(sql, 600)}")
        with transaction.atomic(), connection.cursor() as cursor:
            for name, value in settings.items():
                cursor.execute(f"SET LOCAL {name} = %s", [value])
            plan = explain(sql, costs=True)
        for line in plan:
            print(f"    {line}")
    if len(slow) > EXPLAINED:
        print(f"\nthe other {len(slow) - EXPLAINED} statements over {SLOW_MS:.0f} ms:")
        for sql in slow[EXPLAINED:]:
            print(f"  {named(sql)}: {short(sql, 200)}")
    print(f"\npeak RSS of this process: {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(SIZES),
        help="document counts to measure at, ascending (default: 100000 1000000)",
    )
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="seed and describe each size, measure nothing",
    )
    args = parser.parse_args()
    with throw_away_database("statistics", required=True) as ready:
        if ready:
            run(sorted(args.sizes), seed_only=args.seed_only)


if __name__ == "__main__":
    main()
