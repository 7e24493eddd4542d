"""The fixity check in parts: several workers check one run at once, each part once.

A run is split into parts (id ranges); workers claim parts, a part whose worker died is
claimed again once its heartbeat is stale, and whoever commits the last part finishes the
run: one report, one anchor of the evidence chains, one mail.
"""

from __future__ import annotations

import datetime
import threading
from collections import Counter
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.utils import timezone
from documents.models import Document

from svc_archive_plugin.models import FixityChunk
from svc_archive_plugin.models import FixityFinding
from svc_archive_plugin.models import FixityRun
from svc_archive_plugin.services import fixity
from tests.integration import test_fixity
from tests.integration.test_fixity import damage
from tests.integration.test_fixity import findings
from tests.integration.test_fixity import pdf_bytes
from tests.integration.test_fixity import stored

pytestmark = pytest.mark.django_db
archive = test_fixity.archive  # the fixture: seven intact documents
State = FixityRun.State
Part = FixityChunk.State
on_postgres = pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="two workers' connections at once: SQLite serialises every write",
)


def counters(run: FixityRun) -> tuple[int, int, int, int]:
    return run.documents_checked, run.files_checked, run.bytes_read, run.problems


def stale(chunk: FixityChunk) -> None:
    FixityChunk.objects.filter(pk=chunk.pk).update(
        heartbeat_at=timezone.now() - fixity.stale_after() - datetime.timedelta(1),
    )


# Parts, in one process ---------------------------------------------------------------


def test_a_run_is_split_into_parts_that_cover_every_document(archive):
    run = fixity.start(size=3)
    ids = sorted(Document.global_objects.values_list("pk", flat=True))
    parts = list(run.chunks.order_by("first_id"))
    assert [(p.first_id, p.last_id) for p in parts] == [
        (ids[0], ids[2]),
        (ids[3], ids[5]),
        (ids[6], ids[6]),
    ]
    assert {p.state for p in parts} == {Part.PENDING}

    run = fixity.check(run)
    assert run.state == State.FINISHED
    assert run.documents_checked == 7
    # The parts' counters add up to the run's.
    assert sum(p.documents_checked for p in run.chunks.all()) == 7
    assert sum(p.files_checked for p in run.chunks.all()) == run.files_checked
    assert {p.state for p in run.chunks.all()} == {Part.DONE}


def test_the_part_size_is_a_setting(archive, settings):
    settings.SVC_ARCHIVE_FIXITY_CHUNK = 2
    assert fixity.start().chunks.count() == 4  # 7 documents


def test_a_part_whose_worker_died_is_claimed_again_without_duplicates(
    archive,
    settings,
):
    settings.EMAIL_ENABLED = True
    damaged = damage(archive)
    reference = fixity.check(fixity.start(size=3), notify=False)
    mail.outbox.clear()

    run = fixity.start(size=3)
    # A worker claimed a part, checked some of it and died: nothing committed.
    dead = fixity._claim(run.pk, "dead-host:1:1")
    assert dead is not None
    assert fixity._claim(run.pk, "other:2:2").chunk_id != dead.chunk_id  # not twice
    FixityChunk.objects.filter(run=run).exclude(pk=dead.chunk_id).update(
        state=Part.PENDING,
        claimed_by="",
    )
    # Its heartbeat is fresh: another worker leaves it alone, the run not finished.
    run = fixity.check(run)
    assert run.state == State.RUNNING
    assert fixity.next_step(run.pk) == fixity.heartbeat_every()
    assert run.chunks.get(pk=dead.chunk_id).state == Part.CLAIMED

    stale(run.chunks.get(pk=dead.chunk_id))
    run = fixity.check(run)

    assert run.state == State.FINISHED
    assert counters(run) == counters(reference)
    assert findings(run) == findings(reference)
    assert FixityFinding.objects.filter(run=run).count() == 3
    assert damaged["tampered"].pk in {f[0] for f in findings(run)}
    assert len(mail.outbox) == 1
    # The dead worker coming back cannot write any more: its claim is gone.
    dead.every = 0
    with pytest.raises(fixity._LeaseLost):
        fixity._heartbeat(dead)
    run.refresh_from_db()
    assert counters(run) == counters(reference)


def test_only_the_worker_that_finishes_the_run_anchors_it_and_mails(
    archive,
    settings,
    monkeypatch,
):
    settings.EMAIL_ENABLED = True
    verified = []
    real = fixity.chains.verify
    monkeypatch.setattr(
        fixity.chains,
        "verify",
        lambda *a, **k: verified.append(1) or real(*a, **k),
    )
    run = fixity.check(fixity.start(size=2))
    assert run.state == State.FINISHED
    # Another worker that ran out of parts at the same moment finds it finished.
    assert fixity._finish(run.pk) is False
    assert fixity.check(run).state == State.FINISHED
    assert len(verified) == 1
    assert len(mail.outbox) == 1


def test_a_slice_that_runs_out_hands_the_rest_of_its_part_back(archive):
    run = fixity.start()  # one part of 7
    run = fixity.check(run, seconds=0)  # one document, then the slice is over
    assert run.state == State.RUNNING  # the next slice goes on
    part = run.chunks.get()
    assert (part.state, part.claimed_by, part.documents_checked) == (
        Part.PENDING,
        "",
        1,
    )
    assert fixity.next_step(run.pk) == 0
    run = fixity.check(run)
    assert run.state == State.FINISHED
    assert run.documents_checked == 7


def test_a_run_interrupted_in_several_parts_resumes_each_where_it_stopped(
    archive,
    settings,
):
    settings.EMAIL_ENABLED = True
    damaged = damage(archive)
    run = fixity.check(fixity.start(size=3), limit=4)
    assert run.state == State.INTERRUPTED
    assert run.documents_checked == 4
    first, second, third = run.chunks.order_by("first_id")
    assert (first.state, second.state, third.state) == (
        Part.DONE,
        Part.PENDING,
        Part.PENDING,
    )
    assert second.documents_checked == 1
    # A worker was inside the third part when the run stopped: resuming hands it back.
    FixityChunk.objects.filter(pk=third.pk).update(
        state=Part.CLAIMED,
        claimed_by="gone:1:1",
        heartbeat_at=timezone.now(),
    )
    run = fixity.resume()
    assert run.chunks.get(pk=third.pk).state == Part.PENDING
    run = fixity.check(run)
    assert run.state == State.FINISHED
    assert run.documents_checked == 8
    assert run.problems == 3
    assert FixityFinding.objects.filter(run=run).count() == 3
    assert damaged["broken"].pk in {f[0] for f in findings(run)}
    assert len(mail.outbox) == 1


def test_a_run_from_before_the_parts_is_split_when_resumed(archive):
    ids = sorted(Document.global_objects.values_list("pk", flat=True))
    # Interrupted by an older version after the third document: no parts.
    run = FixityRun.objects.create(
        state=State.INTERRUPTED,
        last_document_id=ids[2],
        documents_checked=3,
        files_checked=6,
    )
    run = fixity.check(fixity.resume())
    assert run.state == State.FINISHED
    assert run.documents_checked == 7
    assert run.chunks.get().first_id == ids[3]


def test_the_task_queues_the_chunk_workers(archive, settings, monkeypatch):
    from svc_archive_plugin import tasks

    settings.SVC_ARCHIVE_FIXITY_CHUNK = 2
    settings.SVC_ARCHIVE_FIXITY_PARALLEL = 3
    queued = []
    chunk_worker = tasks.check_fixity_parts
    monkeypatch.setattr(
        tasks,
        "check_fixity_parts",
        SimpleNamespace(delay=queued.append),
    )
    result = tasks.check_fixity.apply().get()
    assert result["workers"] == 3
    assert queued == [result["run"]] * 3
    # Never more workers than parts; by default as many as the worker runs at once.
    settings.SVC_ARCHIVE_FIXITY_PARALLEL = 0
    settings.CELERY_WORKER_CONCURRENCY = 2
    assert fixity.workers_for(FixityRun.objects.get()) == 2
    settings.SVC_ARCHIVE_FIXITY_PARALLEL = 50
    assert fixity.workers_for(FixityRun.objects.get()) == 4
    # Each of them checks parts, and queues itself again while any is pending.
    chunk_worker.apply(args=(result["run"],)).get()
    run = FixityRun.objects.get()
    assert run.state == State.FINISHED
    assert run.documents_checked == 7


# Two workers at once ---------------------------------------------------------------


def many(count: int) -> list[Document]:
    """Documents with real files, every fifth damaged."""
    documents = [
        stored(f"文件 {n}", pdf_bytes(f"doc {n}"), pdf_bytes(f"doc {n} A"))
        for n in range(count)
    ]
    for document in documents[::5]:
        document.source_path.write_bytes(b"tampered")
    return documents


def in_threads(*targets) -> list[BaseException]:
    errors = []

    def run(target):
        try:
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_check_one_run_each_document_once(
    people,
    paperless_dirs,
    settings,
    monkeypatch,
):
    settings.EMAIL_ENABLED = True
    documents = many(30)
    reference = fixity.check(fixity.start(size=3), notify=False)
    assert reference.problems == 6

    seen = Counter()
    verified = []
    check_document = fixity._check_document
    verify = fixity.chains.verify

    def counted(document, *args):
        seen[document.pk] += 1
        threading.Event().wait(0.02)  # long enough that both workers get parts
        return check_document(document, *args)

    monkeypatch.setattr(fixity, "_check_document", counted)
    monkeypatch.setattr(
        fixity.chains,
        "verify",
        lambda *a, **k: verified.append(1) or verify(*a, **k),
    )
    run = fixity.start(size=3)
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        fixity.check(FixityRun.objects.get(pk=run.pk))

    assert in_threads(worker, worker) == []

    run.refresh_from_db()
    assert run.state == State.FINISHED
    assert seen == Counter({d.pk: 1 for d in documents})
    assert counters(run) == counters(reference)
    assert findings(run) == findings(reference)
    assert FixityFinding.objects.filter(run=run).count() == 6
    claimers = {p.claimed_by.rsplit(":", 1)[0] for p in run.chunks.all()}
    assert len(claimers) == 2, claimers  # both workers checked parts
    assert len(verified) == 1
    assert FixityRun.objects.filter(state=State.FINISHED).count() == 2
    assert len(mail.outbox) == 1


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_freezes_loses_its_part_to_the_other(
    people,
    paperless_dirs,
    settings,
    monkeypatch,
):
    """Worker A hangs inside its part; B checks the rest, waits until A's heartbeat is
    stale, claims A's part again and finishes. A wakes up and writes nothing."""
    settings.EMAIL_ENABLED = True
    settings.SVC_ARCHIVE_FIXITY_STALE_AFTER = 3
    documents = many(12)
    reference = fixity.check(fixity.start(size=4), notify=False)
    mail.outbox.clear()

    run = fixity.start(size=4)
    frozen = threading.Event()
    wake = threading.Event()
    check_document = fixity._check_document
    a_thread = []

    def freezing(document, *args):
        if threading.current_thread() in a_thread and not frozen.is_set():
            frozen.set()
            wake.wait(60)
        return check_document(document, *args)

    monkeypatch.setattr(fixity, "_check_document", freezing)
    finished = []

    def worker_a():
        a_thread.append(threading.current_thread())
        fixity.check(FixityRun.objects.get(pk=run.pk))

    def worker_b():
        frozen.wait(30)
        finished.append(fixity.check(FixityRun.objects.get(pk=run.pk), wait=True))
        wake.set()

    assert in_threads(worker_a, worker_b) == []

    run.refresh_from_db()
    assert finished[0].state == State.FINISHED
    assert run.state == State.FINISHED
    assert counters(run) == counters(reference)
    assert findings(run) == findings(reference)
    assert FixityFinding.objects.filter(run=run).count() == len(documents[::5])
    assert len(mail.outbox) == 1
