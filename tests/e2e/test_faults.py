"""Faults survived: the worker killed (``kill -9``) in the middle of a destruction and of a
consumption, a backup import killed half-way, Redis restarted with tasks queued, and the
PostgreSQL connection of the web server dropped in the middle of a loan step.

One instance for the module, with its own Redis (restarted by one test, so not the
shared one the other round's instance uses). After each kill the test checks what is on
disk and in the database, brings the process back, and checks that the work is finished
(or can be, the way a person would), with nothing half done and nothing left over.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import USER_PASSWORD
from tests.e2e.conftest import Instance
from tests.e2e.conftest import as_user
from tests.e2e.conftest import free_port
from tests.e2e.conftest import make_instance
from tests.e2e.conftest import wait_for
from tests.pdfs import scanned_pdf

pytestmark = pytest.mark.e2e
API = "/api/svc_archive/"
POSTGRES = bool(os.environ.get("PAPERLESS_DBHOST"))
CELERY = str(Path(sys.executable).with_name("celery"))


# The instance, its own Redis, and its processes ----------------------------------------------


class Redis:
    """A Redis of this module's own that keeps nothing on disk, as paperless's compose
    files run it without a volume: a restart empties it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=(self.root / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.1)
        pytest.fail(
            f"redis-server did not start: {(self.root / 'redis.log').read_text()}",
        )

    def ping(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_timeout=1).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def start_worker(instance: Instance) -> None:
    """Start (again) the worker as the conftest's instance does; keep the old log."""
    log = instance.root / "worker.log"
    if log.exists():
        log.rename(instance.root / f"worker-{uuid.uuid4().hex[:6]}.log")
    instance.start(
        "worker",
        CELERY,
        "--app",
        "paperless",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        "1",
    )
    # Ready once it has connected to Redis and said so.
    wait_for(
        lambda: (
            (instance.root / "worker.log").exists()
            and " ready." in (instance.root / "worker.log").read_text()
        ),
        120,
        instance,
        "the worker's start",
    )


def kill(instance: Instance, name: str) -> None:
    """``kill -9`` of the process and its children (the worker's pool too)."""
    process = instance.processes[name]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def start_consumer(instance: Instance) -> None:
    log = instance.root / "consumer.log"
    if log.exists():
        log.rename(instance.root / f"consumer-{uuid.uuid4().hex[:6]}.log")
    instance.start("consumer", sys.executable, "-m", "django", "document_consumer")


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, mailbox, redis_server) -> Instance:
    """A paperless of its own for the faults, on this module's Redis, with what the tests
    need made in one go (each Django start costs seconds): ``instance.seeded``."""
    instance = make_instance(
        tmp_path_factory,
        mailbox,
        redis_url=redis_server.url,
        # The testing aid: the destruction waits a second after each tombstone, so the
        # test can kill the worker exactly there (README, settings).
        extra_env={"PAPERLESS_SVC_ARCHIVE_DESTRUCTION_PAUSE_SECONDS": "1"},
        name="faulty",
    )
    try:
        instance.seeded = shell(instance, SEED)
        # The seed's saves queue paperless's own tasks (index, bulk updates); with its one
        # task per worker child they can take minutes on a loaded machine. The tests time
        # their own tasks, so they start with the worker idle.
        wait_for(
            lambda: idle(instance, redis_server),
            600,
            instance,
            "the seed's tasks",
        )
        yield instance
    finally:
        instance.close()


def idle(instance: Instance, redis_server: Redis) -> bool:
    """Nothing waits in the instance's queue and the worker finished all it received."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    try:
        queued = client.llen(f"{instance.env['PAPERLESS_REDIS_PREFIX']}celery")
    finally:
        client.close()
    log = instance.log("worker")
    received = set(re.findall(r"\[([0-9a-f-]{36})\] received", log))
    finished = set(re.findall(r"\[([0-9a-f-]{36})\] (?:succeeded|raised|failed)", log))
    return not queued and received <= finished


def sql(instance: Instance, query: str, params: tuple = ()) -> list[tuple]:
    """Read the instance's database directly (quick enough to poll)."""
    if POSTGRES:
        import psycopg

        env = instance.env
        with psycopg.connect(
            host=env["PAPERLESS_DBHOST"],
            port=env.get("PAPERLESS_DBPORT", "5432"),
            user=env.get("PAPERLESS_DBUSER", "paperless"),
            password=env.get("PAPERLESS_DBPASS"),
            dbname=env["PAPERLESS_DBNAME"],
            autocommit=True,
        ) as conn:
            query = query.replace("%", "%%").replace("?", "%s")
            return conn.execute(query, params).fetchall()
    path = Path(instance.env["PAPERLESS_DATA_DIR"]) / "db.sqlite3"
    with sqlite3.connect(path, timeout=30) as conn:
        return conn.execute(query, params).fetchall()


def shell(instance: Instance, code: str) -> dict:
    """Run Django code in the instance's environment; its last printed line, as JSON."""
    out = instance.manage("shell", "-c", code)
    return json.loads(out.strip().splitlines()[-1])


# People and records, made through the services (the faults are in what comes after) --------

DESTROYED = 4  # records on the destruction list
REPORTS = 1200  # capture reports: more than one batch, so the import halts inside them

SEED = (
    """
import datetime, json
from django.contrib.auth.models import Group, User
from documents.models import CustomField, CustomFieldInstance, Document, DocumentType
from documents.search import get_backend
from documents.signals import document_updated
from svc_archive_plugin.models import CaptureReport, Customer, ServiceProject, ServiceType
from svc_archive_plugin.services import destruction as D, loans, retention

groups = {g.name: g for g in Group.objects.all()}
people = {}
for name, group in (
    ("archivist", "档案管理员"), ("checker", "档案管理员"), ("desk", "档案管理员"),
    ("leader", "公司分管领导"), ("leader2", "公司分管领导"), ("borrower", "员工"),
):
    people[name] = User.objects.create_user(name, f"{name}@example.com", PASSWORD)
    people[name].groups.add(groups[group])
customer = Customer.objects.create(code="C300", name="天津某物流有限公司")


def project(code, end):
    return ServiceProject.objects.create(
        code=code, name="仓库设备维修", customer=customer,
        service_type=ServiceType.objects.get(code="WX"), end_date=end,
    )


def record(project, i, word):
    # A repair log with its three files and its index entry.
    document = Document.objects.create(
        title=f"维修记录{word}{i}", content=f"{word}{i} 维修",
        checksum=f"{word}{i}".encode().hex().ljust(64, "0"),
        mime_type="application/pdf",
        document_type=DocumentType.objects.get(svc_archive_code__code="SS"),
    )
    document.filename = document.archive_filename = f"{document.pk:07}.pdf"
    document.save(update_fields=["filename", "archive_filename"])
    for path in (document.source_path, document.archive_path, document.thumbnail_path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4 " + str(path).encode())
    CustomFieldInstance.objects.create(
        document=document, field=CustomField.objects.get(name="服务项目"),
        value_select=project.option_id,
    )
    document_updated.send(sender=None, document=document)
    get_backend().add_or_update(document)
    return document


# Past their retention, appraised for destruction, on a list taken through supervision.
old = project("P2010-03", datetime.date(2010, 6, 30))
doomed = [record(old, i, "doomed") for i in range(DESTROYED)]
ids = [d.pk for d in doomed]
retention.sweep()
retention.appraise(people["archivist"], ids, "destroy", "保管期满，无保存价值")
listed = D.prepare(
    people["archivist"], title="故障测试销毁清册", reason="保管期满", document_ids=ids,
)
D.submit(listed, people["archivist"])
D.approve(listed, people["leader"])
D.check(listed, people["archivist"])
D.check(listed, people["checker"])
D.supervise(listed, people["leader"])
D.supervise(listed, people["leader2"])
# Past its retention too, but not yet swept (the Redis test queues the sweep).
expired = record(old, 0, "expired")
# A record of a running project, lent on paper: approved, to be issued at the desk.
lent = record(project("P2026-11", datetime.date(2026, 11, 30)), 0, "lent")
loan = loans.request_loan(
    people["borrower"], reason="核对原件", days=5, document_id=lent.pk,
)
loans.approve(loan, people["archivist"])
loans.approve(loan, people["checker"])
CaptureReport.objects.bulk_create(
    CaptureReport(path=f"HT/old-{i}.pdf", reason="failed", detail="旧的失败扫描")
    for i in range(REPORTS)
)
print(json.dumps({
    "list": listed.pk,
    "files": {
        d.pk: [str(d.source_path), str(d.archive_path), str(d.thumbnail_path)]
        for d in doomed
    },
    "expired": expired.pk,
    "loan": loan.pk,
    "lent": lent.pk,
}))
""".replace("PASSWORD", repr(USER_PASSWORD))
    .replace("DESTROYED", str(DESTROYED))
    .replace("REPORTS", str(REPORTS))
)


def in_index(instance: Instance, ids) -> list[int]:
    """Which of ``ids`` paperless's search index still holds (read from its files)."""
    import tantivy

    index = tantivy.Index.open(str(Path(instance.env["PAPERLESS_DATA_DIR"]) / "index"))
    index.reload()
    searcher = index.searcher()
    return [
        pk
        for pk in ids
        if searcher.search(tantivy.Query.term_query(index.schema, "id", pk), 1).count
    ]


def register(instance: Instance) -> list[int]:
    return [
        row[0]
        for row in sql(
            instance,
            "SELECT document_id FROM svc_archive_plugin_registerentry ORDER BY sequence",
        )
    ]


# 1. The worker killed in the middle of a destruction ----------------------------------------


def test_destruction_killed_midway_leaves_no_half_destroyed_record_and_resumes(faulty):
    seeded = faulty.seeded
    list_id = seeded["list"]
    files = {int(k): v for k, v in seeded["files"].items()}
    assert in_index(faulty, files) == sorted(files)
    archivist = as_user(faulty, "archivist")
    url = f"{API}destruction_lists/{list_id}/"
    how = {"method": "粉碎", "place": "档案室"}

    started = archivist.post(f"{url}execute/", json=how)
    assert started.status_code == 200, started.text
    # The first tombstone is committed; the worker now waits before removing its files.
    wait_for(lambda: register(faulty), 300, faulty, "the first tombstone")
    kill(faulty, "worker")

    destroyed = {
        row[0]
        for row in sql(
            faulty,
            "SELECT document_id FROM svc_archive_plugin_destructionitem "
            "WHERE destroyed_at IS NOT NULL",
        )
    }
    rows = {
        row[0]
        for row in sql(
            faulty,
            "SELECT id FROM documents_document WHERE id IN "
            f"({','.join(map(str, files))})",
        )
    }
    assert destroyed, "killed before the first record"
    assert len(destroyed) < DESTROYED, "killed after the last record"
    # Each record is destroyed in the database (no row, one tombstone) or untouched.
    assert sorted(register(faulty)) == sorted(destroyed)
    assert rows == set(files) - destroyed
    for pk in set(files) - destroyed:
        assert all(Path(p).is_file() for p in files[pk])
    assert archivist.get(url).json()["state"] == "executing"

    # Back up; the archive department starts the list again, as after any stop.
    start_worker(faulty)
    again = archivist.post(f"{url}execute/", json=how)
    assert again.status_code == 200, again.text
    wait_for(
        lambda: archivist.get(url).json()["state"] == "executed",
        120,
        faulty,
        "the destruction's end",
    )
    left = [p for paths in files.values() for p in paths if Path(p).exists()]
    assert left == [], "files of destroyed records were left behind"
    assert in_index(faulty, files) == [], "index entries of destroyed records left"
    assert sorted(register(faulty)) == sorted(files)  # one tombstone each, none twice
    verified = archivist.get(f"{API}destruction_register/verify/").json()
    assert verified["intact"], verified
    assert "evidence chains verify" in faulty.manage("svc_archive_verify")


# 2. A backup import killed half-way ---------------------------------------------------------


def plugin_rows(instance: Instance) -> dict[str, int]:
    """Rows in each of the plugin's tables; for the records' counts, which the database
    keeps as change rows it folds when read, the records they count."""
    if POSTGRES:
        names = sql(
            instance,
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'svc_archive_plugin_%'",
        )
    else:
        names = sql(
            instance,
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name LIKE 'svc_archive_plugin_%'",
        )
    counted = {"svc_archive_plugin_recordcount": "coalesce(sum(n), 0)"}
    return {
        name: sql(instance, f'SELECT {counted.get(name, "count(*)")} FROM "{name}"')[0][
            0
        ]
        for (name,) in names
    }


# The import as ``svc_archive_import`` runs it, but halted for good after its first batch
# of capture reports is in: by then every row of the installation has been deleted and
# some loaded again, inside the import's one transaction. The test kills it there.
HALTED_IMPORT = """
import sys, time
import django
django.setup()
from django.core.management import call_command
from svc_archive_plugin.services import backup
insert = backup._insert
def halting(model, objects):
    insert(model, objects)
    if model._meta.model_name == "capturereport":
        print("HALFWAY", flush=True)
        time.sleep(3600)
backup._insert = halting
call_command("svc_archive_import", "--replace-existing", sys.argv[1])
"""


def test_backup_import_killed_midway_changes_nothing_and_runs_again(faulty):
    export = faulty.root / "export"
    export.mkdir()
    faulty.manage("svc_archive_export", str(export))
    before = plugin_rows(faulty)
    assert before["svc_archive_plugin_capturereport"] >= REPORTS

    log = faulty.root / "import.log"
    importer = subprocess.Popen(
        [sys.executable, "-c", HALTED_IMPORT, str(export)],
        env=faulty.env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for(
        lambda: "HALFWAY" in log.read_text() or importer.poll() is not None,
        300,
        faulty,
        "the import's first batch of capture reports",
    )
    assert importer.poll() is None, log.read_text()
    os.killpg(importer.pid, signal.SIGKILL)
    importer.wait(timeout=20)

    assert plugin_rows(faulty) == before  # nothing half loaded, nothing gone
    out = faulty.manage("svc_archive_import", "--replace-existing", str(export))
    assert "Imported" in out
    assert plugin_rows(faulty) == before


# 3. The worker killed in the middle of consuming a classified scan --------------------------


def media_files(instance: Instance) -> list[Path]:
    media = Path(instance.env["PAPERLESS_MEDIA_ROOT"]) / "documents"
    return sorted(
        p
        for folder in ("originals", "archive", "thumbnails")
        for p in (media / folder).rglob("*")
        if p.is_file()
    )


def test_consumption_killed_midway_consumes_the_scan_once_after_restart(faulty):
    with faulty.client() as admin:
        before = admin.get("/api/documents/", params={"page_size": 1}).json()["count"]
    media_before = media_files(faulty)
    folder = faulty.consume_dir / "HT"
    folder.mkdir(exist_ok=True)
    time.sleep(2)
    staging = faulty.root / "staging" / "contract.pdf"
    scanned_pdf(staging, "故障恢复服务合同", "天津市河西区")
    staging.replace(folder / "contract.pdf")

    log = Path(faulty.env["PAPERLESS_DATA_DIR"]) / "log" / "paperless.log"
    wait_for(
        lambda: "Consuming contract.pdf" in log.read_text(),
        120,
        faulty,
        "the consumption's start",
    )
    # At once: on SQLite a one-page scan was stored within three seconds of its start.
    kill(faulty, "worker")
    scratch = Path(faulty.env["PAPERLESS_SCRATCH_DIR"])

    # Nothing stored, nothing reported; the scan waits where it was dropped.
    with faulty.client() as admin:
        count = admin.get("/api/documents/", params={"page_size": 1}).json()["count"]
        assert count == before
    assert (folder / "contract.pdf").is_file()
    assert media_files(faulty) == media_before

    # The worker comes back, but the task died with it, and paperless's consumer queues a
    # file once: the daily capture task queues it again (here without waiting the time
    # limit out), and clears the dead run's scratch files.
    start_worker(faulty)
    queued = shell(
        faulty,
        "import datetime, json\n"
        "from svc_archive_plugin.services.capture import recover_interrupted_scans\n"
        "print(json.dumps([p.name for p in "
        "recover_interrupted_scans(datetime.timedelta(0))]))",
    )
    assert queued == ["contract.pdf"]
    with faulty.client() as admin:

        def found():
            hits = admin.get("/api/documents/", params={"query": "河西区"}).json()
            return hits["results"] if hits["count"] else None

        [document] = wait_for(found, 240, faulty, "the scan consumed again")
        count = admin.get("/api/documents/", params={"page_size": 1}).json()["count"]
        assert count == before + 1
        doc_type = admin.get(f"/api/document_types/{document['document_type']}/")
        assert doc_type.json()["name"] == "合同协议"
    reasons = sql(
        faulty,
        "SELECT reason FROM svc_archive_plugin_capturereport WHERE document_id = ?",
        (document["id"],),
    )
    assert ("duplicate",) not in reasons
    assert len(reasons) == len(set(reasons))  # no report twice
    assert not (folder / "contract.pdf").exists()
    new = [p for p in media_files(faulty) if p not in media_before]
    assert len(new) == 3, new  # its original, archive version and thumbnail only
    assert [p for p in scratch.rglob("*") if p.is_file()] == []


# 4. Redis restarted while tasks are queued --------------------------------------------------


def retention_state(instance: Instance, pk: int) -> str:
    return sql(
        instance,
        "SELECT state FROM svc_archive_plugin_recordretention WHERE document_id = ?",
        (pk,),
    )[0][0]


def test_redis_restarted_the_worker_reconnects_and_the_daily_catch_up_redoes_lost_work(
    faulty,
    redis_server,
):
    """paperless's Redis keeps nothing (no volume in its compose files): a task queued
    when it restarts is lost, celery promises no more. The worker reconnects by itself;
    the plugin's daily tasks are catch-ups, so the next run does what was lost."""
    expired = faulty.seeded["expired"]
    assert retention_state(faulty, expired) == "active"
    # Queued while the worker is down, then Redis restarts: the task is gone.
    os.killpg(faulty.processes["worker"].pid, signal.SIGTERM)
    faulty.processes["worker"].wait(timeout=60)
    faulty.run_task("svc_archive_plugin.tasks.sweep_retention")
    redis_server.stop()
    redis_server.start()
    start_worker(faulty)
    time.sleep(5)
    assert retention_state(faulty, expired) == "active"  # lost with Redis

    # Redis restarts again under the running worker: it reconnects and works on.
    redis_server.stop()
    time.sleep(2)
    redis_server.start()
    # The next day's sweep, as beat queues it, catches up.
    faulty.run_task("svc_archive_plugin.tasks.sweep_retention")
    wait_for(
        lambda: retention_state(faulty, expired) == "due",
        120,
        faulty,
        "the sweep after Redis came back",
    )
    assert faulty.processes["worker"].poll() is None


# 5. The web server's database connection dropped in the middle of a loan step ---------------


@pytest.mark.skipif(
    not POSTGRES,
    reason="drops a PostgreSQL server connection (pg_terminate_backend); SQLite has none",
)
def test_a_loan_step_whose_connection_is_dropped_is_refused_cleanly_and_retried(faulty):
    import psycopg

    loan_id, lent = faulty.seeded["loan"], faulty.seeded["lent"]
    env = faulty.env
    desk = as_user(faulty, "desk")
    url = f"{API}loans/{loan_id}/"
    assert desk.get(url).json()["state"] == "approved"

    # An uncommitted row on the original's key makes the step wait there, after it has
    # changed the loan and written its event; its connection is dropped while it waits.
    blocker = psycopg.connect(
        host=env["PAPERLESS_DBHOST"],
        port=env.get("PAPERLESS_DBPORT", "5432"),
        user=env.get("PAPERLESS_DBUSER", "paperless"),
        password=env.get("PAPERLESS_DBPASS"),
        dbname=env["PAPERLESS_DBNAME"],
    )
    blocker.execute(
        "INSERT INTO svc_archive_plugin_loanoccupancy (key, loan_id) VALUES (%s, %s)",
        (f"document:{lent}", loan_id),
    )
    answer: dict = {}

    def issue():
        answer["response"] = desk.post(f"{url}issue/", json={})

    thread = threading.Thread(target=issue)
    thread.start()
    waiting = wait_for(
        lambda: sql(
            faulty,
            "SELECT pid FROM pg_stat_activity WHERE datname = ? "
            "AND wait_event_type = 'Lock'",
            (env["PAPERLESS_DBNAME"],),
        ),
        60,
        faulty,
        "the step waiting on the original's key",
    )
    [(pid,)] = waiting
    sql(faulty, "SELECT pg_terminate_backend(?)", (pid,))
    thread.join(timeout=60)
    blocker.rollback()
    blocker.close()

    response = answer["response"]
    assert response.status_code == 503, response.text
    assert "database" in response.json()["detail"]
    # Nothing of the step was kept: the loan, its events and the shelf agree.
    assert desk.get(url).json()["state"] == "approved"
    events = sql(
        faulty,
        "SELECT action FROM svc_archive_plugin_loanevent WHERE loan_id = ?",
        (loan_id,),
    )
    assert len(events) == 3, events  # requested, approved twice
    assert ("issue",) not in events
    assert sql(faulty, "SELECT count(*) FROM svc_archive_plugin_loanoccupancy") == [
        (0,),
    ]

    retried = desk.post(f"{url}issue/", json={})
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == "issued"
    assert sql(
        faulty,
        "SELECT count(*) FROM svc_archive_plugin_loanevent "
        "WHERE loan_id = ? AND action = 'issue'",
        (loan_id,),
    ) == [(1,)]
    assert "evidence chains verify" in faulty.manage("svc_archive_verify")
