"""The fixity check 四性检测 across two real celery workers, one killed in the middle.

Two extra workers (their own ``--hostname``) check one run's parts at once; one is frozen
(SIGSTOP) while it holds a part, then killed with SIGKILL (its whole process group). The other claims that part
again once its heartbeat is stale (``FIXITY_STALE_AFTER``, a few seconds here) and the run
finishes: every document checked once, each damaged file reported once, one report and
one mail.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.environ.get("PAPERLESS_DBHOST"),
        reason="several celery workers writing one database at once is a PostgreSQL "
        "deployment; SQLite serialises every writer (runs in the PostgreSQL round)",
    ),
]
DOCUMENTS = 5000
PART = 20
STALE_AFTER = 5  # seconds
MANAGER = "fixity-e2e@example.com"
TITLE = "fixity-e2e"
QUEUE = "svc-fixity-e2e"

SEED = f"""
import hashlib, io
from pathlib import Path
import pikepdf
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import timezone
from documents.models import Document

pdf = pikepdf.new()
pdf.add_blank_page()
buffer = io.BytesIO()
pdf.save(buffer, deterministic_id=True)
template = buffer.getvalue()
folder = Path(settings.ORIGINALS_DIR) / "{TITLE}"
folder.mkdir(parents=True, exist_ok=True)
now = timezone.now()
rows = []
for n in range({DOCUMENTS}):
    data = template + f"% {{n}}\\n".encode()
    (folder / f"{{n:06}}.pdf").write_bytes(data)
    rows.append(Document(
        title=f"{TITLE} {{n}}", content="", mime_type="application/pdf",
        filename=f"{TITLE}/{{n:06}}.pdf", checksum=hashlib.sha256(data).hexdigest(),
        created=now.date(), added=now,
    ))
Document.global_objects.bulk_create(rows, batch_size=500)
damaged = []
for n in (7, {DOCUMENTS} - 3):
    (folder / f"{{n:06}}.pdf").write_bytes(b"tampered")
    damaged.append(Document.global_objects.get(title=f"{TITLE} {{n}}").pk)
user = User.objects.create(username="fixity-e2e", email="{MANAGER}")
user.groups.add(Group.objects.get(name="档案管理员"))
print(json.dumps({{"damaged": damaged, "total": Document.global_objects.count()}}))
"""

START = """
from svc_archive_plugin.services import fixity
run = fixity.start()
print(json.dumps({"run": run.pk, "parts": run.chunks.count()}))
"""
# The chunk workers, on the two workers' queue (queued while the test already watches).
QUEUE_WORKERS = f"""
from svc_archive_plugin.tasks import check_fixity_parts
for _ in range(2):
    check_fixity_parts.apply_async((RUN,), queue="{QUEUE}")
"""

CLEAN_UP = f"""
import shutil
from pathlib import Path
from django.conf import settings
from django.contrib.auth.models import User
from documents.models import Document

Document.global_objects.filter(title__startswith="{TITLE} ")._raw_delete("default")
shutil.rmtree(Path(settings.ORIGINALS_DIR) / "{TITLE}", ignore_errors=True)
User.objects.filter(username="fixity-e2e").delete()
"""


def shell(paperless, code: str, env: dict[str, str] | None = None) -> dict:
    out = paperless.manage("shell", "-c", "import json\n" + code, extra_env=env)
    return json.loads(out.strip().splitlines()[-1])


def query(paperless, sql: str, *params) -> list[tuple]:
    import psycopg

    env = paperless.env
    connect = {
        "host": env["PAPERLESS_DBHOST"],
        "port": env.get("PAPERLESS_DBPORT", "5432"),
        "user": env.get("PAPERLESS_DBUSER", "paperless"),
        "dbname": env["PAPERLESS_DBNAME"],
    }
    if "PAPERLESS_DBPASS" in env:
        connect["password"] = env["PAPERLESS_DBPASS"]
    with psycopg.connect(**connect, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def group_pids(leader: int) -> set[int]:
    """The processes of a worker's process group: its main process and pool children."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == leader:  # the process group id
            pids.add(int(stat.parent.name))
    return pids


@pytest.fixture
def fixity_workers(paperless):
    """Two workers of their own on a queue of their own, with a short stale time.

    The shared worker keeps the default stale time (ten minutes): were it to take the
    chunk workers' tasks, it would wait that long to take a dead worker's part over.
    The chunk workers queue themselves again on the queue they came from.
    """
    env = {
        **paperless.env,
        "PAPERLESS_SVC_ARCHIVE_FIXITY_STALE_AFTER": str(STALE_AFTER),
        "PAPERLESS_SVC_ARCHIVE_FIXITY_CHUNK": str(PART),
    }
    workers = {}
    try:
        for name in ("fixity-a", "fixity-b"):
            log = (paperless.root / f"{name}.log").open("w")
            workers[name] = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("celery")),
                    "--app",
                    "paperless",
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    "1",
                    "--queues",
                    QUEUE,
                    "--hostname",
                    f"{name}@%h",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        yield env, workers
    finally:
        for process in workers.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in workers.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def test_a_run_survives_a_worker_killed_in_the_middle(
    paperless,
    mailbox,
    fixity_workers,
):
    env, workers = fixity_workers
    seeded = shell(paperless, SEED)
    try:
        started = shell(paperless, START, env)
        run = started["run"]
        assert started["parts"] >= DOCUMENTS // PART
        queueing = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "django",
                "shell",
                "-c",
                QUEUE_WORKERS.replace("RUN", str(run)),
            ],
            env=paperless.env,
        )

        victim = workers["fixity-a"]

        def victim_holds_a_part(pids):
            for pk, claimed_by in query(
                paperless,
                "SELECT id, claimed_by FROM svc_archive_plugin_fixitychunk "
                "WHERE run_id = %s AND state = 'claimed'",
                run,
            ):
                if int(claimed_by.split(":")[1]) in pids:
                    return pk
            return None

        deadline = time.monotonic() + 120
        held = None
        while held is None and time.monotonic() < deadline:
            if victim_holds_a_part(group_pids(victim.pid)) is None:
                continue
            # Frozen, it cannot finish the part between this look and the kill (a part of
            # 20 documents takes a moment); a commit already on its way lands first.
            os.killpg(victim.pid, signal.SIGSTOP)
            time.sleep(0.5)
            # Each task runs in a fresh pool child: the victim's processes as they are now.
            victim_pids = group_pids(victim.pid)
            held = victim_holds_a_part(victim_pids)
            if held is None:
                os.killpg(victim.pid, signal.SIGCONT)
        parts = query(
            paperless,
            "SELECT state, claimed_by FROM svc_archive_plugin_fixitychunk "
            "WHERE run_id = %s AND claimed_by <> ''",
            run,
        )
        assert held is not None, f"{parts[:5]}\n{paperless.logs()}"
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        assert queueing.wait(timeout=60) == 0
        [(state, checked)] = query(
            paperless,
            "SELECT state, documents_checked FROM svc_archive_plugin_fixityrun "
            "WHERE id = %s",
            run,
        )
        assert state == "running", "the run ended before the kill: make it longer"
        assert checked < seeded["total"]

        wait_for(
            lambda: (
                query(
                    paperless,
                    "SELECT state FROM svc_archive_plugin_fixityrun WHERE id = %s",
                    run,
                )
                == [("finished",)]
            ),
            timeout=300,
            instance=paperless,
            what="the fixity run finishing",
        )

        [(documents, problems, parts_sum)] = query(
            paperless,
            "SELECT r.documents_checked, r.problems, "
            "(SELECT sum(documents_checked) FROM svc_archive_plugin_fixitychunk c "
            " WHERE c.run_id = r.id) FROM svc_archive_plugin_fixityrun r WHERE r.id = %s",
            run,
        )
        assert documents == seeded["total"]  # every document once
        assert parts_sum == documents
        found = query(
            paperless,
            "SELECT document_id, count(*) FROM svc_archive_plugin_fixityfinding "
            "WHERE run_id = %s GROUP BY document_id",
            run,
        )
        ours = {pk: n for pk, n in found if pk in seeded["damaged"]}
        assert ours == dict.fromkeys(seeded["damaged"], 1)  # each reported once
        assert problems == sum(n for _, n in found)
        # The killed worker's part was claimed again by the other, and finished.
        [(state, claimed_by)] = query(
            paperless,
            "SELECT state, claimed_by FROM svc_archive_plugin_fixitychunk WHERE id = %s",
            held,
        )
        assert state == "done"
        assert int(claimed_by.split(":")[1]) not in victim_pids
        assert query(
            paperless,
            "SELECT count(*) FROM svc_archive_plugin_fixityrun "
            "WHERE id = %s AND mailed_at IS NOT NULL AND chain_heads::text <> '{}'",
            run,
        ) == [(1,)]
        mails = wait_for(
            lambda: [m for to, m in mailbox.received if MANAGER in to],
            timeout=60,
            instance=paperless,
            what="the fixity report mail",
        )
        time.sleep(2)  # a second mail would have come by now
        assert (
            len([m for to, m in mailbox.received if MANAGER in to]) == len(mails) == 1
        )
    finally:
        shell(paperless, CLEAN_UP + "\nprint('{}')")
