"""Benchmark: paperless under load, with the plugin, then without, over 100,000 documents.

Seeds a throw-away PostgreSQL database with the statistics benchmark's archive
(``bench/archive.py``: documents with the plugin's records, retention, permissions,
loans, access log) and paperless's full-text index of part of it (about 2,300 documents:
indexing runs at a few dozen a second), writes real files (original and
thumbnail) for the documents the users open, then starts the web server as ``make run``
does (granian serving ``paperless.asgi:application``, on 127.0.0.1 only) with a celery
worker, on a Redis key prefix of its own, and lets locust (headless, in its own venv,
installed on first use) play ``--users`` simulated users for ``--minutes`` (see
``bench/load_users.py``): staff searching, listing and viewing documents and asking for
loans and access, department heads approving them, the loan desk issuing and receiving.

Three runs, each against a freshly started server: (1) with the plugin, all users;
then, for the comparison, the same staff with the heads and the desk idle and the staff's
loan and access steps skipped, so both sides carry the same requests: (2) with the
plugin and (3) without it (``PAPERLESS_APPS`` unset; same database, files and index).
Prints per run and endpoint the request count, errors, p50 and p95, and after each run
with the plugin the access-log rows it wrote next to the views it made (each document
view, its details or its preview answered 200, is one row: the two counts must be
equal); then, per endpoint, the ratio of the p50s and of the p95s of (2) over (3), and
the errors of all runs (target 0).

    scripts/bench.sh load [--minutes 5] [--users 20] [--documents 100000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from ab import load_average  # noqa: E402
from instance import start_paperless  # noqa: E402
from instance import throw_away_database  # noqa: E402

TOOLS = Path.home() / ".cache" / "svc-archive" / "bench-tools"
LOCUST = "locust~=2.47"
HEADS = 5  # departments whose staff play; their heads approve
VIEWABLE = 60  # documents with files per playing department
LENDABLE = 2_000  # documents free to lend (one per dossier, nothing of it out)
INDEXED = 2_000  # documents in the full-text index besides those opened
TERMS = ("bench", "document", "bench 1234", "document 42", "bench 7")


def locust() -> Path:
    """locust in its own venv (never paperless's); installed when missing."""
    binary = TOOLS / "bin" / "locust"
    if not binary.exists():
        print(f"installing {LOCUST} into {TOOLS}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", TOOLS], check=True)
        subprocess.run(
            [TOOLS / "bin" / "pip", "install", "-q", LOCUST],
            check=True,
        )
    return binary


# Seeding ------------------------------------------------------------------------------


def seed(documents: int, root: Path) -> dict:
    """The archive, tokens, files and index; what the simulated users need (the spec)."""
    today, database, seconds = start_paperless()
    print(f"database: {database}, migrated in {seconds:.1f} s; as of {today}")
    from archive import seed_archive
    from django.db import connection
    from documents.models import Document
    from documents.search import get_backend
    from documents.search import reset_backend
    from guardian.models import GroupObjectPermission
    from rest_framework.authtoken.models import Token

    from svc_archive_plugin.models import Loan
    from svc_archive_plugin.services.provisioning import provisioned

    world = seed_archive(documents, today)

    def token(user_id: int) -> str:
        return Token.objects.get_or_create(user_id=user_id)[0].key

    per_department = len(world.staff_ids) // len(world.departments)
    spec = {
        "heads": [token(world.heads[d]) for d in range(HEADS)],
        "desk": token(world.desk.pk),
        "staff": [
            [
                token(world.staff_ids[d * per_department + i])
                for i in range(per_department)
            ]
            for d in range(HEADS)
        ],
        "terms": list(TERMS),
    }
    # Documents the staff open: their department's, with an original and a thumbnail.
    started = time.perf_counter()
    pdf, thumbnail = sample_files(root)
    spec["viewable"] = []
    for d in range(HEADS):
        ids = sorted(
            int(pk)
            for pk in GroupObjectPermission.objects.filter(
                group_id=world.departments[d],
            )
            .order_by("?")
            .values_list("object_pk", flat=True)[:VIEWABLE]
        )
        for document in Document.objects.filter(pk__in=ids):
            document.source_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pdf, document.source_path)
            document.thumbnail_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(thumbnail, document.thumbnail_path)
        spec["viewable"].append(ids)
    spec["access"] = spec["viewable"][HEADS - 1][:40]  # another department's, mostly
    spec["lendable"] = lendable(world, provisioned("custom_field.project").pk)
    print(
        f"  {HEADS * VIEWABLE} documents with files, {len(spec['lendable']):,} free to "
        f"lend, in {time.perf_counter() - started:.0f} s",
    )
    # Indexing runs at a few dozen documents a second here: the documents the users open
    # and the first others, not all (the search still filters by permission over them).
    indexed = {pk for ids in spec["viewable"] for pk in ids} | set(
        Document.objects.order_by("pk").values_list("pk", flat=True)[:INDEXED],
    )
    started = time.perf_counter()
    get_backend().rebuild(
        Document.objects.filter(pk__in=indexed)
        .select_related(
            "correspondent",
            "document_type",
            "storage_path",
            "owner",
        )
        .prefetch_related("tags", "notes__user", "custom_fields__field", "versions"),
    )
    reset_backend()
    print(
        f"  full-text index of {len(indexed):,} documents built in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    assert not Loan.objects.filter(document_id__in=spec["lendable"]).exists()
    connection.close()
    return spec


def sample_files(root: Path) -> tuple[Path, Path]:
    from PIL import Image

    sys.path.insert(0, str(REPO))
    from tests.pdfs import text_pdf

    pdf = text_pdf(root / "sample.pdf", "bench document", "service archive")
    thumbnail = root / "sample.webp"
    Image.new("RGB", (300, 420), "white").save(thumbnail, "WEBP")
    return pdf, thumbnail


def lendable(world, project_field: int) -> list[int]:
    """Documents of the playing departments, one per dossier, where nothing is out."""
    from django.db import connection
    from documents.models import CustomFieldInstance

    from svc_archive_plugin.models import Dossier
    from svc_archive_plugin.models import Loan
    from svc_archive_plugin.models import ServiceProject

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH busy AS (  -- the projects something of is lent (or asked for)
                SELECT w.value_select AS option
                FROM {quote(Loan._meta.db_table)} AS l
                JOIN {quote(CustomFieldInstance._meta.db_table)} AS w
                  ON w.document_id = l.document_id AND w.field_id = %(field)s
                UNION
                SELECT p.option_id
                FROM {quote(Loan._meta.db_table)} AS l
                JOIN {quote(Dossier._meta.db_table)} AS d ON d.id = l.dossier_id
                JOIN {quote(ServiceProject._meta.db_table)} AS p ON p.id = d.project_id
            )
            SELECT DISTINCT ON (p.id) v.document_id
            FROM {quote(CustomFieldInstance._meta.db_table)} AS v
            JOIN {quote(ServiceProject._meta.db_table)} AS p
              ON p.option_id = v.value_select
            JOIN {quote(Dossier._meta.db_table)} AS d ON d.project_id = p.id
            WHERE v.field_id = %(field)s AND p.department_id = ANY(%(departments)s)
              AND v.value_select NOT IN (
                SELECT option FROM busy WHERE option IS NOT NULL
              )
            ORDER BY p.id, v.document_id
            LIMIT %(limit)s
            """,
            {
                "field": project_field,
                "departments": world.departments[:HEADS],
                "limit": LENDABLE,
            },
        )
        return [row[0] for row in cursor.fetchall()]


# The server ---------------------------------------------------------------------------


def server_env(*, plugin: bool) -> dict[str, str]:
    """As ``make run`` has it (Redis for celery and the cache), on a prefix of its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "PAPERLESS_CACHE_BACKEND",
            "PAPERLESS_CHANNELS_BACKEND",
            "PAPERLESS_AUDIT_LOG_ENABLED",
            "PAPERLESS_APPS",
        )
    }
    env.update(
        PAPERLESS_REDIS=os.environ.get("PAPERLESS_REDIS", "redis://127.0.0.1:6379"),
        PAPERLESS_REDIS_PREFIX=f"svc-load-{uuid.uuid4().hex[:8]}",
        PYTHONPATH=os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
        ),
    )
    if plugin:
        env["PAPERLESS_APPS"] = "svc_archive_plugin"
    return env


class Server:
    """granian (one worker, 127.0.0.1) and a celery worker, each in its own group."""

    def __init__(self, env: dict[str, str], port: int, logs: Path) -> None:
        bindir = Path(sys.executable).parent
        self.processes = []
        for name, argv in (
            (
                "web",
                [
                    bindir / "granian",
                    "--interface",
                    "asginl",
                    "--ws",
                    "--loop",
                    "uvloop",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                    "paperless.asgi:application",
                ],
            ),
            (
                "worker",
                [bindir / "celery", "--app", "paperless", "worker", "-l", "INFO"],
            ),
        ):
            with (logs / f"{name}.log").open("a") as log:
                self.processes.append(
                    subprocess.Popen(
                        argv,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    ),
                )

    def wait(self, url: str, token: str) -> None:
        request = urllib.request.Request(
            url,
            headers={"Authorization": f"Token {token}"},
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes):
                sys.exit("the server exited; see its log")
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(1)
        sys.exit(f"the server did not answer {url}")

    def stop(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


# A run --------------------------------------------------------------------------------


def play(
    spec_file: Path,
    spec: dict,
    args,
    out: Path,
    *,
    plugin: bool,
    steps: bool,
) -> dict[str, dict]:
    """One locust run against a fresh server (``plugin``: with the plugin; ``steps``:
    the users take the plugin's steps too); its statistics by endpoint name."""
    port = args.port
    server = Server(server_env(plugin=plugin), port, out)
    try:
        server.wait(f"http://127.0.0.1:{port}/api/documents/?page_size=1", spec["desk"])
        prefix = out / f"{'with' if plugin else 'without'}{'' if steps else '-staff'}"
        with (out / "locust.log").open("a") as log:
            subprocess.run(
                [
                    locust(),
                    "-f",
                    HERE / "load_users.py",
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(args.users),
                    "--run-time",
                    f"{args.minutes * 60:.0f}s",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--csv",
                    prefix,
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                    "--exit-code-on-error",
                    "0",
                    # Each user ends the request it is in: the server logs what it answered.
                    "--stop-timeout",
                    "120",
                ],
                env={
                    **os.environ,
                    "SVC_LOAD_SPEC": str(spec_file),
                    "SVC_LOAD_PLUGIN": "1" if steps else "0",
                    "SVC_LOAD_COUNTS": f"{prefix}_views.json",
                },
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    finally:
        server.stop()
    with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as f:
        stats = {row["Name"]: row for row in csv.DictReader(f)}
    with Path(f"{prefix}_failures.csv").open(encoding="utf-8") as f:
        failures = list(csv.DictReader(f))
    views = json.loads(Path(f"{prefix}_views.json").read_text(encoding="utf-8"))
    return {"stats": stats, "failures": failures, "views": sum(views.values())}


def report(title: str, result: dict) -> int:
    print(f"\n{title}")
    print(f"  {'endpoint':64} {'requests':>8} {'errors':>6} {'p50':>7} {'p95':>7}")
    errors = 0
    for name, row in result["stats"].items():
        if name == "Aggregated":
            continue
        errors += int(row["Failure Count"])
        print(
            f"  {name:64} {int(row['Request Count']):>8,} {int(row['Failure Count']):>6}"
            f" {float(row['50%']):>5.0f}ms {float(row['95%']):>5.0f}ms",
        )
    total = result["stats"]["Aggregated"]
    print(
        f"  {'all':64} {int(total['Request Count']):>8,} {errors:>6} "
        f"{float(total['50%']):>5.0f}ms {float(total['95%']):>5.0f}ms"
        f"   ({float(total['Requests/s']):.1f} requests/s)",
    )
    for failure in result["failures"]:
        print(
            f"  error x{failure['Occurrences']}: {failure['Method']} {failure['Name']}:"
            f" {failure['Error'][:200]}",
        )
    return errors


def log_rows(since) -> dict[str, int]:
    from django.db import connection
    from django.db.models import Count

    from svc_archive_plugin.models import AccessLogEntry

    connection.close()  # a fresh connection: the server wrote them
    return dict(
        AccessLogEntry.objects.filter(at__gte=since)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk")),
    )


def check_log(result: dict, since) -> int:
    """Print the access-log rows the run wrote against its views; 1 if they differ."""
    rows = log_rows(since)
    views = result["views"]
    logged = rows.get("view", 0) + rows.get("preview", 0)
    print(
        f"  access log: {logged:,} rows of views and previews written for {views:,}"
        f" views made (details and previews answered 200)"
        f" — {'equal' if logged == views else 'NOT EQUAL'}; all rows by kind: "
        + (", ".join(f"{k} {n:,}" for k, n in sorted(rows.items())) or "none"),
    )
    return int(logged != views)


def run(args) -> None:
    from django.utils import timezone

    root = Path(tempfile.mkdtemp(prefix="svc-load-"))
    try:
        started = time.perf_counter()
        spec = seed(args.documents, root)
        print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
        spec_file = root / "spec.json"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        locust()
        print(
            f"\n{args.users} users ({HEADS} department heads, the loan desk, the rest "
            f"staff of {HEADS} departments) for {args.minutes:g} min each run, against "
            "granian (1 worker) on 127.0.0.1 with a celery worker",
            flush=True,
        )
        since = timezone.now()
        full = play(spec_file, spec, args, root, plugin=True, steps=True)
        errors = report("with the plugin, all users:", full)
        errors += check_log(full, since)
        print(f"  {load_average()}", flush=True)
        if args.with_only:
            print(f"errors: {errors} (target 0)")
            return
        # The comparison: the same staff, the heads and the desk idle in both runs, so
        # the server carries the same requests (only the plugin's work differs).
        since = timezone.now()
        with_plugin = play(spec_file, spec, args, root, plugin=True, steps=False)
        errors += report(
            "with the plugin, staff only (paperless's requests):",
            with_plugin,
        )
        errors += check_log(with_plugin, since)
        print(f"  {load_average()}", flush=True)
        without = play(spec_file, spec, args, root, plugin=False, steps=False)
        errors += report(
            "without the plugin, staff only (same database, files and index):",
            without,
        )
        print(f"  {load_average()}")
        print("\nwith / without the plugin, staff only, per endpoint:")
        print(f"  {'endpoint':64} {'p50':>6} {'p95':>6}")
        for name, row in without["stats"].items():
            other = with_plugin["stats"].get(name)
            if name == "Aggregated" or other is None or not int(row["Request Count"]):
                continue
            p50 = float(other["50%"]) / max(float(row["50%"]), 1)
            p95 = float(other["95%"]) / max(float(row["95%"]), 1)
            print(f"  {name:64} {p50:>6.2f} {p95:>6.2f}")
        print(f"errors in all runs: {errors} (target 0)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="each run's length")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--with-only",
        action="store_true",
        help="only the run with all users (no comparison)",
    )
    args = parser.parse_args()
    if args.users < HEADS + 2:
        parser.error(f"--users: at least {HEADS + 2} (the heads, the desk, staff)")
    with throw_away_database("load", required=True) as ready:
        if ready:
            run(args)


if __name__ == "__main__":
    main()
