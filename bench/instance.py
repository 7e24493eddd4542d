"""What every benchmark needs: a throw-away paperless configuration and database, figures."""

from __future__ import annotations

import contextlib
import os
import resource
import tempfile
import uuid
from pathlib import Path


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
