"""What every benchmark needs: a throw-away paperless configuration and database, seeding
with raw SQL, and timed, counted, explained reads."""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import tempfile
import time
import uuid
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

REPEAT = 3  # each read is timed this often (after one warm-up); the median is shown
DECLARE = re.compile(r"^DECLARE\s.*?\bCURSOR\b.*?\bFOR\s+", re.IGNORECASE | re.DOTALL)


def configure_paperless() -> None:
    """Point paperless at a fresh data directory; settings as the run command's, no Redis."""
    root = Path(tempfile.mkdtemp(prefix="svc-bench-"))
    for sub in ("data/index", "media", "consume", "scratch"):
        (root / sub).mkdir(parents=True)
    os.environ.update(
        PAPERLESS_APPS="svc_archive_plugin",
        PAPERLESS_SECRET_KEY="bench",
        PAPERLESS_DATA_DIR=str(root / "data"),
        PAPERLESS_MEDIA_ROOT=str(root / "media"),
        PAPERLESS_CONSUMPTION_DIR=str(root / "consume"),
        PAPERLESS_SCRATCH_DIR=str(root / "scratch"),
        PAPERLESS_CACHE_BACKEND="django.core.cache.backends.locmem.LocMemCache",
        PAPERLESS_CHANNELS_BACKEND="channels.layers.InMemoryChannelLayer",
        PAPERLESS_AUDIT_LOG_ENABLED="false",
        DJANGO_SETTINGS_MODULE="paperless.settings",
    )


def start_paperless():
    """paperless's Django in this process, migrated; celery tasks run in-process (no
    broker). Returns (today, the database server's version, seconds the migration took)."""
    import logging
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the plugin's repo
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from paperless.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    settings.DEBUG = False
    logging.getLogger("celery").setLevel(logging.WARNING)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return timezone.localdate(), f"{connection.vendor} {version}", seconds


def admin_connection():
    import psycopg

    return psycopg.connect(
        host=os.environ["PAPERLESS_DBHOST"],
        port=os.environ.get("PAPERLESS_DBPORT", "5432"),
        user=os.environ.get("PAPERLESS_DBUSER", "postgres"),
        dbname="postgres",
        autocommit=True,
    )


def create_database(benchmark: str, *, required: bool) -> str | None:
    """A fresh PostgreSQL database for this run (its name), or None to use SQLite.

    ``required``: the benchmark seeds with PostgreSQL's ``generate_series``; without a
    server it says so and returns None.
    """
    import psycopg

    if required:
        os.environ.setdefault("PAPERLESS_DBHOST", "127.0.0.1")
        os.environ.setdefault("PAPERLESS_DBUSER", "postgres")
    elif not os.environ.get("PAPERLESS_DBHOST"):
        return None
    name = f"svc_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin_connection() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        if not required:
            raise
        print(
            f"{benchmark}: PostgreSQL only, and none answers at "
            f"{os.environ['PAPERLESS_DBHOST']} "
            f"({str(error).strip().splitlines()[0]}); not run",
        )
        return None
    os.environ["PAPERLESS_DBNAME"] = name
    return name


def drop_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def throw_away_database(benchmark: str, *, required: bool):
    """Configure paperless, create the database, yield whether to run, drop it after."""
    configure_paperless()
    name = create_database(benchmark, required=required)
    try:
        yield name is not None or not required
    finally:
        if name is not None:
            drop_database(name)


def label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# Seeding and measuring (PostgreSQL) ---------------------------------------------------


def insert_select(cursor, model, values: dict[str, str], source: str, params: dict):
    """``INSERT INTO model (…) SELECT values… source``; NOT NULL columns not given get
    the field's default, as the ORM would write it. Evidence rows (hash-chained on
    insert by the ORM) are numbered on from the chain's end, their hashes stand-ins:
    seeded chains do not verify, and the code's next insert continues them."""
    from django.db import connection

    from svc_archive_plugin.models.chains import chain_fields
    from svc_archive_plugin.models.evidence import AppendOnlyModel

    quote = connection.ops.quote_name
    if issubclass(model, AppendOnlyModel):
        seq, prev_hash, entry_hash = chain_fields(model)
        values = {
            seq: f"(SELECT coalesce(max({quote(model._meta.get_field(seq).column)}), 0)"
            f" FROM "
            f"{quote(model._meta.db_table)}) + row_number() OVER ()",
            prev_hash: "''",
            entry_hash: "md5(random()::text) || md5(random()::text)",
            **values,
        }
    columns, expressions = [], []
    for f in model._meta.concrete_fields:
        if getattr(f, "generated", False):
            continue
        if f.name in values:
            expression = values[f.name]
        elif f.primary_key or f.null:
            continue
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            expression = "now()"
        else:
            default = f.get_default()
            if default is None:
                msg = f"{model.__name__}.{f.name}: NOT NULL, no default, not given"
                raise ValueError(msg)
            key = f"_default_{f.column}"
            params[key] = f.get_db_prep_save(default, connection)
            expression = f"%({key})s"
        columns.append(quote(f.column))
        expressions.append(expression)
    cursor.execute(
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} {source}",
        params,
    )
    return cursor.rowcount


def without_foreign_key_checks() -> bool:
    """In the current transaction, skip the foreign-key checks of the rows it inserts.

    Django's foreign keys are deferred: at commit PostgreSQL checks every inserted row,
    minutes for millions of seeded rows that are consistent by construction. Only a
    superuser may turn the checks off (``session_replication_role``); False if not.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


@dataclass
class Result:
    queries: int
    seconds: float
    note: str = ""
    value: object = None  # what the measured call returned
    sql_seconds: float = (
        0.0  # the statements' own time (a stream's fetches not counted)
    )
    rss_growth: float = 0.0  # MB the process's peak RSS grew by
    # The measured run's SELECTs, slowest first: (milliseconds, SQL).
    selects: list[tuple[float, str]] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)  # all of them, in order
    first_seconds: float | None = None  # the warm-up: the first, cold run


def measured(fn, *, repeat: int = REPEAT, warm: bool = True) -> Result:
    """Run ``fn`` (after a warm-up) ``repeat`` times; the median run's figures and the
    warm-up's time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = peak_rss_mb()
    first = None
    if warm:
        started = time.perf_counter()
        fn()
        first = time.perf_counter() - started
    runs = []
    for _ in range(repeat):
        count = [0]

        def counter(execute, sql, params, many, context, count=count):
            count[0] += 1
            return execute(sql, params, many, context)

        with (
            connection.execute_wrapper(counter),
            CaptureQueriesContext(connection) as captured,
        ):
            started = time.perf_counter()
            value = fn()
            elapsed = time.perf_counter() - started
        runs.append((elapsed, count[0], captured.captured_queries, value))
    runs.sort(key=lambda run: run[0])
    elapsed, queries, captured, value = runs[len(runs) // 2]
    selects = sorted(
        (
            (float(q["time"]) * 1000, sql)
            for q in captured
            # A streamed read is a server-side cursor: DECLARE … CURSOR … FOR SELECT.
            for sql in [DECLARE.sub("", q["sql"].lstrip())]
            if sql.upper().startswith(("SELECT", "WITH"))
            and "FOR UPDATE" not in sql.upper()
        ),
        reverse=True,
    )
    note = value if isinstance(value, str) else ""
    return Result(
        queries,
        elapsed,
        note,
        value,
        sql_seconds=sum(float(q["time"]) for q in captured),
        rss_growth=peak_rss_mb() - before,
        selects=selects,
        statements=[q["sql"] for q in captured],
        first_seconds=first,
    )


def fetch(client, url: str) -> str:
    """GET ``url`` and read all of it; what came back, in a few words."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if getattr(response, "streaming", False):
        size = lines = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\n")
        return f"{lines - 1:,} rows, {size / 1e6:.1f} MB"
    body = response.content
    if response["Content-Type"].startswith("application/json"):
        data = json.loads(body)
        if not (isinstance(data, dict) and "count" in data and "results" in data):
            rows = len(data) if isinstance(data, list) else len(data.get("rows", data))
            return f"{rows} rows, {len(body) / 1024:.1f} KB"
        extra = f", all: {len(data['all']):,} ids" if "all" in data else ""
        return (
            f"count {data['count']:,}, {len(data['results'])} rows{extra}, "
            f"{len(body) / 1024:.0f} KB"
        )
    rows = body.count(b'<th class="field-')  # each row's first column
    return f"{rows} rows, {len(body) / 1024:.0f} KB"


def explain(sql: str, *, costs: bool = False) -> list[str]:
    """``EXPLAIN ANALYZE`` of ``sql``; with ``costs`` also the estimates and, where the
    query was compiled, PostgreSQL's JIT summary (printed only with costs)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS {'ON' if costs else 'OFF'}) {sql}")
        return [row[0] for row in cursor.fetchall()]


def short(sql: str, width: int = 150) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else f"{sql[: width - 1]}…"
