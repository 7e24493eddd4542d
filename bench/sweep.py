"""Benchmark: the daily retention sweep's queries, time and memory as records grow.

Seeds a fresh PostgreSQL database in two steps (100,000, then 1,000,000 documents, each with
its ``RecordRetention`` row) with raw ``INSERT … SELECT … generate_series`` — the ORM would
take far too long — and measures, at each size, a first sweep (every expired record queued)
and an immediate second one (nothing left to queue). A flat query count across the two sizes
is the point; the issue's target is under 10 s at 1,000,000 documents. The plan of the
sweep's UPDATE is printed so the index it should use can be seen.

The records' dates are spread as in a growing archive: each document's date lies in the
46 years before the sweep, exponentially more of them recent (mean age 6 years); one in ten
is permanent (no *until*), three in ten important (30 years), six in ten ordinary (10 years),
kept until 31 December of the year the period ends. About one in ten has run out.

    scripts/bench.sh sweep              # PostgreSQL only: PAPERLESS_DBHOST, else 127.0.0.1
    python bench/sweep.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from instance import label
from instance import peak_rss_mb
from instance import throw_away_database

if TYPE_CHECKING:
    import datetime

REPO = Path(__file__).resolve().parents[1]
SIZES = (100_000, 1_000_000)
TARGET_SECONDS = 10
MEAN_AGE_YEARS = 6
MAX_AGE_YEARS = 46


def seed(total: int, today: datetime.date) -> None:
    """Add documents with their retention rows until there are ``total``; print the spread."""
    from django.db import connection
    from django.db import transaction
    from documents.models import Document

    from svc_archive_plugin.models import Dossier
    from svc_archive_plugin.models import RecordRetention
    from svc_archive_plugin.services.retention import period_years

    quote = connection.ops.quote_name
    Retention = Dossier.Retention
    State = RecordRetention.State

    def table(model) -> str:
        return quote(model._meta.db_table)

    def cols(model, *names: str) -> str:
        return ", ".join(quote(model._meta.get_field(n).column) for n in names)

    def col(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    documents, retention = table(Document), table(RecordRetention)
    doc_id, doc_created = col(Document, "id"), col(Document, "created")
    # Records swept earlier go back to retained, so each size's first sweep queues them all.
    RecordRetention.objects.filter(state=State.DUE).update(
        state=State.ACTIVE,
        due_since=None,
    )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), coalesce(max({doc_id}), 0) FROM {documents}")
        count, after = cursor.fetchone()
        cursor.execute("SELECT setseed(%s)", [count / total])  # reproducible
        # Every NOT NULL column without a database default; the rest stays empty.
        cursor.execute(
            f"""
            INSERT INTO {documents}
                ({cols(Document, "title", "content", "mime_type", "checksum", "created", "added", "modified")})
            SELECT 'bench ' || n, 'bench document ' || n, 'application/pdf', md5(n::text),
                   day, day + time '09:00', day + time '09:00'
            FROM (
                SELECT n, %(today)s::date - least(
                    %(max_age)s, floor(-%(mean_age)s * ln(1 - random()))
                )::int AS day
                FROM generate_series(%(first)s::int, %(last)s::int) AS n
            ) AS s
            """,
            {
                "today": today,
                "max_age": round(MAX_AGE_YEARS * 365.25),
                "mean_age": MEAN_AGE_YEARS * 365.25,
                "first": count + 1,
                "last": total,
            },
        )
        seeded_documents = time.perf_counter()
        # The plugin's default clock: kept until 31 December of the last year of the period.
        cursor.execute(
            f"""
            INSERT INTO {retention}
                ({cols(RecordRetention, "document", "retention", "period_years", "basis", "starts", "until", "filed", "state", "due_since")})
            SELECT d.{doc_id}, c.retention, c.years, %(basis)s, d.{doc_created},
                   make_date(extract(year FROM d.{doc_created})::int + c.years, 12, 31),
                   false, %(state)s, NULL
            FROM {documents} AS d
            CROSS JOIN LATERAL (
                SELECT CASE WHEN mod(d.{doc_id}, 10) = 0 THEN %(permanent)s
                            WHEN mod(d.{doc_id}, 10) < 4 THEN %(important)s
                            ELSE %(ordinary)s END AS retention,
                       CASE WHEN mod(d.{doc_id}, 10) = 0 THEN NULL::int
                            WHEN mod(d.{doc_id}, 10) < 4 THEN %(important_years)s::int
                            ELSE %(ordinary_years)s::int END AS years
            ) AS c
            WHERE d.{doc_id} > %(after)s
            """,
            {
                "basis": RecordRetention.Basis.SCHEDULE.value,
                "state": State.ACTIVE.value,
                "permanent": Retention.PERMANENT.value,
                "important": Retention.IMPORTANT.value,
                "ordinary": Retention.ORDINARY.value,
                "important_years": period_years(Retention.IMPORTANT),
                "ordinary_years": period_years(Retention.ORDINARY),
                "after": after,
            },
        )
    seeded_retention = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {documents}")
        cursor.execute(f"VACUUM ANALYZE {retention}")
    analyzed = time.perf_counter()
    print(
        f"seeded to {total:,} documents in {analyzed - started:.1f} s "
        f"(documents {seeded_documents - started:.1f} s, "
        f"retention {seeded_retention - seeded_documents:.1f} s, "
        f"VACUUM ANALYZE {analyzed - seeded_retention:.1f} s)",
    )
    rows = RecordRetention.objects.count()
    permanent = RecordRetention.objects.filter(until__isnull=True).count()
    expired = RecordRetention.objects.filter(until__lt=today).count()
    first = RecordRetention.objects.exclude(until=None).order_by("until").first()
    last = RecordRetention.objects.exclude(until=None).order_by("-until").first()
    print(
        f"  {rows:,} retention rows: {permanent / rows:.1%} permanent (no until), "
        f"until {first.until} .. {last.until}, "
        f"{expired:,} ({expired / rows:.1%}) expired as of {today}",
    )


class Explained(Exception):
    pass


def explain(today: datetime.date) -> list[str]:
    """EXPLAIN the sweep's own UPDATE statement, without running it."""
    from django.db import connection

    from svc_archive_plugin.services.retention import sweep

    plan: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("UPDATE"):
            execute(f"EXPLAIN {sql}", params, many, context)
            plan.extend(row[0] for row in context["cursor"].fetchall())
            raise Explained  # the sweep's transaction rolls back; nothing changed
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper), contextlib.suppress(Explained):
        sweep(today)
    return plan


def measure(today: datetime.date) -> tuple[dict[str, tuple[int, float, int]], list]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from svc_archive_plugin.models import RecordRetention
    from svc_archive_plugin.services.retention import sweep

    results = {}
    statements = []
    for name in ("first sweep", "second sweep, at once"):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            run = sweep(today)
            elapsed = time.perf_counter() - started
        results[name] = (len(queries), elapsed, run.queued)
        statements = statements or [q["sql"] for q in queries]
    first, second = (queued for _, _, queued in results.values())
    due = RecordRetention.objects.filter(state=RecordRetention.State.DUE).count()
    assert due == first, (due, first)
    assert second == 0, second
    return results, statements


def run(sizes: list[int]) -> None:
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(
        f"database: {connection.vendor} {version}, migrated in "
        f"{time.perf_counter() - started:.1f} s; sweep as of {today}",
    )
    results, plans = [], []
    for total in sizes:
        seed(total, today)
        plans.append(explain(today))
        measured, statements = measure(today)
        results.append(measured)
        print(f"  peak RSS so far: {peak_rss_mb():.0f} MB")
    heads = [label(n) for n in sizes]
    width = 9 * len(sizes)
    print(
        f"\n{'':24s} {'queries at':>{width}s}   {'time at':>{width}s}   "
        f"{'queued at':>{width + 2 * len(sizes)}s}",
    )
    print(
        f"{'documents':24s} {''.join(f'{h:>9s}' for h in heads)}   "
        f"{''.join(f'{h:>9s}' for h in heads)}   "
        f"{''.join(f'{h:>11s}' for h in heads)}",
    )
    for name in results[0]:
        row = [r[name] for r in results]
        counts = {q for q, _, _ in row}
        flags = "" if len(counts) == 1 else "   <-- grows"
        if row[-1][1] > TARGET_SECONDS:
            flags += f"   <-- over {TARGET_SECONDS} s"
        print(
            f"{name:24s} {''.join(f'{q:9d}' for q, _, _ in row)}   "
            f"{''.join(f'{t * 1000:7.0f}ms' for _, t, _ in row)}   "
            f"{''.join(f'{n:11,d}' for _, _, n in row)}{flags}",
        )
    print(f"\nstatements of one sweep at {heads[-1]} documents:")
    for sql in statements:
        print(f"  {sql}")
    for head, plan in zip(heads, plans, strict=True):
        print(f"\nEXPLAIN of the sweep's UPDATE at {head} documents:")
        for line in plan:
            print(f"  {line}")
    counts = {r[name][0] for r in results for name in r}
    slowest = max(t for r in results[-1:] for _, t, _ in r.values())
    print(
        f"\ntarget: a constant number of queries "
        f"({'met' if len(counts) == 1 else 'NOT met'}), under {TARGET_SECONDS} s at "
        f"{heads[-1]} documents ({'met' if slowest < TARGET_SECONDS else 'NOT met'}: "
        f"{slowest:.2f} s)",
    )
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(SIZES),
        help="document counts to measure at, ascending (default: 100000 1000000)",
    )
    args = parser.parse_args()
    with throw_away_database("sweep", required=True) as ready:
        if ready:
            run(sorted(args.sizes))


if __name__ == "__main__":
    main()
