"""Scale-out: one instance with two celery workers as separate processes (node names
worker1@ and worker2@, each in its own working directory with its own scratch space),
sharing only what machines of one installation share: the PostgreSQL database, Redis, the
data directory and the media. Everything the archive does in the background happens at
once, and each thing happens exactly once.

And two instances on one Redis: each keeps its own queues (the prefix derived from its
data directory), so neither worker takes the other's tasks.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from email.header import decode_header
from email.header import make_header
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import USER_PASSWORD
from tests.e2e.conftest import Instance
from tests.e2e.conftest import as_user
from tests.e2e.conftest import make_instance
from tests.e2e.conftest import wait_for
from tests.e2e.smtp import SMTPSink
from tests.pdfs import scanned_pdf
from tests.pdfs import text_pdf

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.environ.get("PAPERLESS_DBHOST"),
        reason="the scale-out tier needs PostgreSQL: SQLite is one machine's file",
    ),
]
API = "/api/svc_archive/"
SCANS = 20
# What a worker logs when it meets another instance's task (signed with another key).
FOREIGN_TASK = ("HMAC", "Signed-pickle", "unregistered task", "Received unregistered")


@pytest.fixture(scope="module")
def outbox() -> SMTPSink:
    """The scaled instance's own mail server, so its mails are counted alone."""
    sink = SMTPSink()
    yield sink
    sink.shutdown()


@pytest.fixture(scope="module")
def scaled(tmp_path_factory, outbox) -> Instance:
    instance = make_instance(tmp_path_factory, outbox, workers=2, name="scaled")
    try:
        yield instance
    finally:
        instance.close()


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def drop(instance: Instance, folder: Path, name: str, make, *lines: str) -> None:
    """Written next to the folder, then moved in whole, as a scanner share does."""
    staging = instance.root / "staging" / name
    make(staging, *lines)
    staging.replace(folder / name)


def titles(client, prefix: str) -> list[tuple[str, int | None]]:
    found = client.get(
        "/api/documents/",
        params={"title__istartswith": prefix, "page_size": 100},
    ).json()
    return sorted((d["title"], d["document_type"]) for d in found["results"])


def shell(instance: Instance, code: str, **env: str):
    """Run ``code`` in the instance's Django; it prints one JSON value, returned."""
    out = instance.manage("shell", "-c", code, extra_env=env, timeout=900)
    return json.loads(out.strip().splitlines()[-1])


def foreign_task_lines(instance: Instance) -> list[str]:
    return [
        line
        for name in instance.worker_names
        for line in instance.log(name).splitlines()
        if any(mark in line for mark in FOREIGN_TASK)
    ]


def test_two_instances_on_one_redis_keep_their_own_tasks(paperless, scaled):
    # The prefixes follow the data directories (as the run command derives them).
    assert paperless.env["PAPERLESS_REDIS"] == scaled.env["PAPERLESS_REDIS"]
    assert (
        paperless.env["PAPERLESS_REDIS_PREFIX"] != scaled.env["PAPERLESS_REDIS_PREFIX"]
    )
    for instance, word in ((paperless, "Lighthouse"), (scaled, "Harbour")):
        folder = instance.consume_dir / "QT"
        folder.mkdir(parents=True, exist_ok=True)
    time.sleep(2)
    for instance, word in ((paperless, "Lighthouse"), (scaled, "Harbour")):
        drop(
            instance,
            instance.consume_dir / "QT",
            f"redis-{word.lower()}.pdf",
            text_pdf,
            f"{word} inspection report",
        )

    def own(instance, prefix):
        with instance.client() as client:
            return titles(client, prefix)

    for instance, mine, theirs in (
        (paperless, "redis-lighthouse", "redis-harbour"),
        (scaled, "redis-harbour", "redis-lighthouse"),
    ):
        wait_for(lambda: own(instance, mine), 180, instance, f"{mine} consumed")
        assert len(own(instance, mine)) == 1
        assert own(instance, theirs) == []
    assert foreign_task_lines(paperless) == []
    assert foreign_task_lines(scaled) == []


def make_people(admin) -> int:
    """工程部 with a staff member and its head; two archive managers; two leaders."""
    department = admin.post("/api/groups/", json={"name": "工程部", "permissions": []})
    assert department.status_code == 201, department.text
    groups = {
        g["name"]: g["id"]
        for g in admin.get("/api/groups/", params={"page_size": 100}).json()["results"]
    }
    for username, roles in (
        ("zhang", ["员工", "工程部"]),
        ("engineering-head", ["部门负责人", "工程部"]),
        ("archivist", ["档案管理员"]),
        ("checker", ["档案管理员"]),
        ("leader", ["公司分管领导"]),
        ("leader2", ["公司分管领导"]),
    ):
        response = admin.post(
            "/api/users/",
            json={
                "username": username,
                "password": USER_PASSWORD,
                "email": f"{username}@example.com",
                "groups": [groups[r] for r in roles],
            },
        )
        assert response.status_code == 201, response.text
    return department.json()["id"]


def prepare(scaled: Instance) -> dict:
    """Before the storm: two old projects' records (one appraised for destruction, on a
    supervised list ready to execute; two whose retention runs out by today), and an
    issued loan of a dossier."""
    with scaled.client() as admin:
        make_people(admin)
        repair = next(
            t
            for t in admin.get(f"{API}service_types/").json()["results"]
            if t["code"] == "WX"
        )
        customer = admin.post(
            f"{API}customers/",
            json={"code": "C300", "name": "天津某制造有限公司"},
        ).json()
        projects = {}
        for code, end in (("P2010-01", "2010-06-30"), ("P2015-01", "2015-06-30")):
            made = admin.post(
                f"{API}projects/",
                json={
                    "code": code,
                    "name": "设备维修",
                    "customer": customer["id"],
                    "service_type": repair["id"],
                    "end_date": end,
                },
            )
            assert made.status_code == 201, made.text
            projects[code] = made.json()
    old = {
        "P2010-01": ["old-a1"],  # retention until 2020-12-31: destroyed in the storm
        "P2015-01": [
            "old-b1",
            "old-b2",
        ],  # until 2025-12-31: the storm's sweep finds them
    }
    for code in old:
        (scaled.consume_dir / "C300" / code / "SS").mkdir(parents=True, exist_ok=True)
    for code in ("HT", "FP"):
        (scaled.consume_dir / code).mkdir(parents=True, exist_ok=True)
    time.sleep(2)
    for code, names in old.items():
        for name in names:
            drop(
                scaled,
                scaled.consume_dir / "C300" / code / "SS",
                f"{name}.pdf",
                text_pdf,
                f"Repair log {name}",
            )
    with scaled.client() as admin:
        docs = wait_for(
            lambda: (found := titles(admin, "old-")) and len(found) == 3 and found,
            240,
            scaled,
            "the three old records consumed",
        )
        ids = {
            d["title"]: d["id"]
            for d in admin.get(
                "/api/documents/",
                params={"title__istartswith": "old-"},
            ).json()["results"]
        }
        assert [t for t, _ in docs] == ["old-a1", "old-b1", "old-b2"]
        for doc_id in ids.values():
            record = admin.get(f"{API}retention/{doc_id}/").json()
            assert record["state"] == "active", record
        dossier = admin.get(
            f"{API}dossiers/",
            params={"project__id": projects["P2015-01"]["id"]},
        ).json()["results"][0]

    # The sweep as on 2021-01-01 queues only the 2010 record; it is appraised and listed.
    assert "1 records queued" in scaled.manage(
        "svc_archive_sweep",
        "--as-of",
        "2021-01-01",
    )
    archivist = as_user(scaled, "archivist")
    archivist.post(
        f"{API}retention/appraise/",
        json={
            "documents": [ids["old-a1"]],
            "decision": "destroy",
            "reason": "保管期满，无保存价值",
        },
    ).raise_for_status()
    made = archivist.post(
        f"{API}destruction_lists/",
        json={
            "title": "扩容测试销毁清单",
            "reason": "保管期满",
            "documents": [ids["old-a1"]],
        },
    ).json()
    destruction = f"{API}destruction_lists/{made['id']}/"
    for username, name in (
        ("archivist", "submit"),
        ("leader", "approve"),
        ("archivist", "check"),
        ("checker", "check"),
        ("leader", "supervise"),
        ("leader2", "supervise"),
    ):
        response = as_user(scaled, username).post(f"{destruction}{name}/", json={})
        assert response.status_code == 200, response.text
    assert response.json()["state"] == "supervised"

    # An issued loan of the 2015 dossier, overdue as of the day after it is due.
    zhang = as_user(scaled, "zhang")
    loan = zhang.post(
        f"{API}loans/",
        json={"dossier": dossier["id"], "reason": "现场核对原件", "days": 3},
    )
    assert loan.status_code == 201, loan.text
    loan_url = f"{API}loans/{loan.json()['id']}/"
    for username, name in (
        ("engineering-head", "approve"),
        ("archivist", "approve"),
        ("checker", "issue"),
    ):
        response = as_user(scaled, username).post(f"{loan_url}{name}/", json={})
        assert response.status_code == 200, response.text
    issued = response.json()
    assert issued["state"] == "issued"
    with scaled.client() as admin:
        metadata = admin.get(f"/api/documents/{ids['old-a1']}/metadata/").json()
    media = scaled.media_dir / "documents"
    return {
        "ids": ids,
        "destruction": destruction,
        "loan_overdue_on": (
            datetime.date.fromisoformat(issued["due"]) + datetime.timedelta(days=1)
        ).isoformat(),
        "destroyed_files": [
            media / "originals" / metadata["media_filename"],
            media / "archive" / metadata["archive_media_filename"],
            media / "thumbnails" / f"{ids['old-a1']:07}.webp",
        ],
    }


def queue_tasks(instance: Instance, tasks: list[tuple[str, dict]]) -> list[str]:
    """Queue the tasks by name, all from one process (as beat would); their ids."""
    return shell(
        instance,
        "import json, os; from paperless.celery import app; print(json.dumps("
        "[app.send_task(n, kwargs=k).id for n, k in json.loads(os.environ['TASKS'])]))",
        TASKS=json.dumps(tasks),
    )


def outcomes(instance: Instance, task_ids: list[str]) -> list:
    """Wait for the tasks to end (celery's result backend); what each returned."""
    return shell(
        instance,
        "import json, os; from celery.result import AsyncResult; "
        "from paperless.celery import app; print(json.dumps("
        "[AsyncResult(i, app=app).get(timeout=900) "
        "for i in json.loads(os.environ['IDS'])], default=str))",
        IDS=json.dumps(task_ids),
    )


def ran_on(instance: Instance, task_id: str) -> list[str]:
    """The workers whose logs show the task succeeded (exactly one, if it ran once)."""
    return [
        name
        for name in instance.worker_names
        if f"[{task_id}] succeeded" in instance.log(name)
    ]


def manage_status(instance: Instance, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=instance.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def backup(instance: Instance) -> tuple[dict, subprocess.CompletedProcess]:
    """The plugin's backup, made while everything runs, then imported into this same
    installation: its registers exist, so the import refuses and changes nothing (a
    restore is into a fresh installation; see the README's *Backup and restore*)."""
    target = instance.root / "backup"
    target.mkdir()
    instance.manage("svc_archive_export", str(target))
    exported = json.loads((target / "svc_archive.json").read_text(encoding="utf-8"))
    return exported, manage_status(instance, "svc_archive_import", str(target))


def test_everything_at_once_on_two_workers_happens_once(scaled, outbox):
    assert scaled.worker_names == ["worker1", "worker2"]
    given = prepare(scaled)
    outbox.received.clear()
    started = time.monotonic()

    # The storm: all of it queued at once, then waited for.
    for i in range(SCANS):
        code = ("HT", "FP")[i % 2]
        drop(
            scaled,
            scaled.consume_dir / code,
            f"storm-{i:02d}.pdf",
            scanned_pdf,
            "设备维修服务合同" if code == "HT" else "维修服务费用发票",
            f"No. 2026-{i:03d}",
        )
    tasks = [
        ("svc_archive_plugin.tasks.sweep_retention", {}),
        ("svc_archive_plugin.tasks.sweep_retention", {}),
        (
            "svc_archive_plugin.tasks.remind_overdue_loans",
            {"as_of": given["loan_overdue_on"]},
        ),
        (
            "svc_archive_plugin.tasks.remind_overdue_loans",
            {"as_of": given["loan_overdue_on"]},
        ),
        ("svc_archive_plugin.tasks.remind_overdue_filings", {}),
        ("svc_archive_plugin.tasks.remind_overdue_filings", {}),
        ("svc_archive_plugin.tasks.check_fixity", {}),
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        queued = pool.submit(queue_tasks, scaled, tasks)
        execute = pool.submit(
            lambda: as_user(scaled, "archivist").post(
                f"{given['destruction']}execute/",
                json={},
            ),
        )
        made_backup = pool.submit(backup, scaled)
        task_ids = queued.result()
        assert execute.result().json()["state"] == "executing"
        exported, imported = made_backup.result()
    # Each queued task ends (its mails are sent by then), whichever worker took it.
    returned = outcomes(scaled, task_ids)
    print([(name.rsplit(".", 1)[1], r) for (name, _), r in zip(tasks, returned)])  # noqa: T201

    with scaled.client() as admin:
        storm = wait_for(
            lambda: (
                (found := titles(admin, "storm-")) and len(found) >= SCANS and found
            ),
            600,
            scaled,
            f"{SCANS} scans consumed",
        )
        types = {
            t["id"]: t["name"]
            for t in admin.get(
                "/api/document_types/",
                params={"page_size": 100},
            ).json()["results"]
        }
        wait_for(
            lambda: admin.get(given["destruction"]).json()["state"] == "executed",
            120,
            scaled,
            "the destruction",
        )
    archivist = as_user(scaled, "archivist")
    fixity = wait_for(
        lambda: (
            (run := archivist.get(f"{API}fixity_runs/").json()["results"])
            and run[0]["state"] == "finished"
            and run[0]
        ),
        180,
        scaled,
        "the fixity check",
    )
    wait_for(
        lambda: any("ixity" in subject(m) for _, m in outbox.received),
        60,
        scaled,
        "the fixity report mail",
    )
    time.sleep(3)  # a mail sent twice would arrive now
    print(f"the storm took {time.monotonic() - started:.0f} s")  # noqa: T201

    # Every scan consumed once, with the type its folder names.
    assert storm == sorted(
        (f"storm-{i:02d}", next(k for k, v in types.items() if v == name))
        for i, name in enumerate(["合同协议", "费用结算与发票"] * (SCANS // 2))
    )
    # Both workers did their share of the consumption.
    for name in scaled.worker_names:
        assert "documents.tasks.consume_file" in scaled.log(name), name

    # The two sweeps: each due record queued for appraisal once.
    sweeps = shell(
        scaled,
        "import json, datetime; from svc_archive_plugin.models import SweepRun as S; "
        "print(json.dumps(list(S.objects.filter(as_of=datetime.date.today())"
        ".values_list('queued', flat=True))))",
    )
    assert sorted(sweeps) == [0, 2]
    queue = archivist.get(f"{API}retention/", params={"state": "due"}).json()
    assert sorted(r["document"] for r in queue["results"]) == sorted(
        [given["ids"]["old-b1"], given["ids"]["old-b2"]],
    )
    # Each task ran once, on one worker (which one is celery's choice).
    ran = {task_id: ran_on(scaled, task_id) for task_id in task_ids}
    print(f"ran on: {ran}")  # noqa: T201
    assert all(len(workers) == 1 for workers in ran.values()), ran

    # The destruction: carried out once, its files gone, the register one entry longer.
    assert not any(f.exists() for f in given["destroyed_files"])
    register = archivist.get(f"{API}destruction_register/").json()
    assert [e["document_id"] for e in register["results"]] == [given["ids"]["old-a1"]]
    assert archivist.get(f"{API}destruction_register/verify/").json()["intact"]

    # The fixity check: finished once, with no problem, reported once.
    assert fixity["problems"] == 0, fixity
    assert fixity["mailed_at"], fixity
    assert [
        r["state"] for r in archivist.get(f"{API}fixity_runs/").json()["results"]
    ] == [
        "finished",
    ]

    # Every mail once: the loan's reminder, the filing reminders (the two overdue
    # dossiers have no department: the archive managers), the fixity report.
    sent = sorted(
        (subject(m).split(":")[0], tuple(sorted(to))) for to, m in outbox.received
    )
    assert sorted(set(sent)) == sent, sent
    kinds = [kind for kind, _ in sent]
    assert kinds.count("Loan overdue") == 1, sent
    assert [to for kind, to in sent if kind == "Overdue filings"] == [
        ("archivist@example.com",),
        ("checker@example.com",),
    ], sent
    assert sum("ixity" in kind for kind in kinds) == 1, sent

    # The backup made meanwhile holds the registers; importing it here was refused.
    assert exported["header"]["counts"], exported["header"]
    assert imported.returncode == 1, imported.stdout + imported.stderr
    assert "already has service-archive rows" in imported.stderr + imported.stdout

    # The evidence chains contiguous and intact.
    scaled.manage("svc_archive_verify")
    scaled.manage("svc_archive_verify_register")

    # Nothing left behind: the consume folder empty, no file in media without its
    # document, no worker's scratch files.
    assert [p for p in scaled.consume_dir.rglob("*") if p.is_file()] == []
    known = set(
        shell(
            scaled,
            "import json; from documents.models import Document as D; "
            "print(json.dumps([str(p) for d in D.global_objects.all() for p in "
            "(d.source_path, d.thumbnail_path, d.archive_path) if p]))",
        ),
    )
    stored = {
        str(p)
        for sub in ("originals", "archive", "thumbnails")
        for p in (scaled.media_dir / "documents" / sub).rglob("*")
        if p.is_file()
    }
    assert stored - known == set()
    for name in scaled.worker_names:
        leftovers = [
            p for p in (scaled.root / name / "scratch").rglob("*") if p.is_file()
        ]
        assert leftovers == [], name
    assert foreign_task_lines(scaled) == []
