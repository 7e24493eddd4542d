"""The fixity check 四性检测: every stored file's SHA-256 against paperless's, resumable.

Documents here have real files on disk and the real SHA-256 paperless would have stored;
then files are tampered with, removed or corrupted, and the check must name exactly those.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import threading

import pikepdf
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from documents.models import Document

from svc_archive_plugin.models import FixityFinding
from svc_archive_plugin.models import FixityRun
from svc_archive_plugin.models.evidence import AppendOnlyError
from svc_archive_plugin.services import fixity
from tests.factories import DocumentFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
API = "/api/svc_archive/fixity_runs/"
ADMIN = "/admin/svc_archive_plugin/fixityrun/"
State = FixityRun.State


def pdf_bytes(text: str) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Title"] = text
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored(
    title: str,
    original: bytes,
    archive: bytes | None = None,
    *,
    mime_type: str = "application/pdf",
    **fields,
) -> Document:
    """A document whose files are on disk with the checksums paperless stores."""
    document = DocumentFactory(title=title, mime_type=mime_type, **fields)
    suffix = ".pdf" if mime_type == "application/pdf" else ".txt"
    values = {
        "filename": f"{document.pk:07}{suffix}",
        "checksum": sha256(original),
        "archive_filename": f"{document.pk:07}.pdf" if archive is not None else None,
        "archive_checksum": sha256(archive) if archive is not None else None,
    }
    # No save(): paperless's receivers would rename and move the files.
    Document.global_objects.filter(pk=document.pk).update(**values)
    document = Document.global_objects.get(pk=document.pk)
    document.source_path.parent.mkdir(parents=True, exist_ok=True)
    document.source_path.write_bytes(original)
    if archive is not None:
        document.archive_path.parent.mkdir(parents=True, exist_ok=True)
        document.archive_path.write_bytes(archive)
    return document


def on_disk(document: Document) -> int:
    paths = [document.source_path] + (
        [document.archive_path] if document.archive_filename else []
    )
    return sum(p.stat().st_size for p in paths if p.is_file())


@pytest.fixture
def archive(people, paperless_dirs):
    """Seven documents, all intact: PDFs with archive versions, a text file, one in
    paperless's trash, and a v3 version of the first."""
    documents = {
        "contract": stored("维修合同", pdf_bytes("contract"), pdf_bytes("contract A")),
        "invoice": stored("发票", pdf_bytes("invoice"), pdf_bytes("invoice A")),
        "report": stored("实施记录", pdf_bytes("report"), pdf_bytes("report A")),
        "scan": stored("客户反馈", pdf_bytes("scan")),
        "notes": stored("备忘", "会议纪要".encode(), mime_type="text/plain"),
        "trashed": stored("旧报价", pdf_bytes("quote"), pdf_bytes("quote A")),
    }
    documents["version"] = stored(
        "维修合同 v2",
        pdf_bytes("contract v2"),
        pdf_bytes("contract v2 A"),
        root_document=documents["contract"],
        version_index=1,
    )
    Document.objects.filter(pk=documents["trashed"].pk).update(
        deleted_at=timezone.now(),
    )
    assert not Document.objects.filter(pk=documents["trashed"].pk).exists()
    return documents


def findings(run) -> set[tuple[int, str, str]]:
    return {
        (f.document_id, f.file, f.problem)
        for f in FixityFinding.objects.filter(run=run)
    }


def full_check(**kwargs) -> FixityRun:
    return fixity.check(fixity.start(), **kwargs)


def damage(archive) -> dict[str, Document]:
    """Tamper with one original, remove one archive version, corrupt one stored PDF."""
    invoice = archive["invoice"]
    invoice.source_path.write_bytes(pdf_bytes("invoice, amount changed"))
    archive["report"].archive_path.unlink()
    # A scan stored broken: its checksum matches, but it does not open.
    broken = stored("损坏的扫描件", b"%PDF-1.7\nnot really a pdf\n")
    return {"tampered": invoice, "missing": archive["report"], "broken": broken}


# The check ---------------------------------------------------------------------------


def test_a_clean_archive_has_no_problems_and_mails_only_the_chain_heads(
    archive,
    settings,
):
    settings.EMAIL_ENABLED = True
    run = full_check()

    assert run.state == State.FINISHED
    assert run.finished_at is not None
    assert run.problems == 0
    assert findings(run) == set()
    # Every row, the trashed document and the version included.
    assert run.documents_checked == 7
    assert run.files_checked == 7 + 5  # originals, and five archive versions
    assert run.bytes_read == sum(on_disk(d) for d in archive.values())
    assert run.last_document_id == max(d.pk for d in archive.values())
    # No problem to report: a short mail anchors the evidence chains' heads outside.
    [message] = mail.outbox
    assert "heads of the evidence chains" in message.subject
    assert run.mailed_at is not None


def test_exactly_the_damaged_files_are_reported(archive, settings):
    settings.EMAIL_ENABLED = True
    damaged = damage(archive)

    run = full_check()

    assert findings(run) == {
        (damaged["tampered"].pk, "original", "mismatch"),
        (damaged["missing"].pk, "archive", "missing"),
        (damaged["broken"].pk, "original", "unreadable"),
    }
    assert run.problems == 3
    assert run.documents_checked == 8
    assert run.files_checked == 8 + 5
    tampered = FixityFinding.objects.get(run=run, problem="mismatch")
    assert tampered.title == "发票"
    assert tampered.expected == sha256(pdf_bytes("invoice"))
    assert tampered.actual == sha256(pdf_bytes("invoice, amount changed"))
    assert tampered.path == str(damaged["tampered"].source_path)
    missing = FixityFinding.objects.get(run=run, problem="missing")
    assert missing.path == str(damaged["missing"].archive_path)
    assert missing.expected == damaged["missing"].archive_checksum
    broken = FixityFinding.objects.get(run=run, problem="unreadable")
    assert "does not open as a PDF" in broken.detail
    assert broken.actual == broken.expected  # its bytes are as stored


def test_trashed_documents_and_versions_are_checked_too(archive):
    archive["trashed"].source_path.write_bytes(b"overwritten")
    archive["version"].archive_path.write_bytes(pdf_bytes("another text"))

    run = full_check()

    assert findings(run) == {
        (archive["trashed"].pk, "original", "mismatch"),
        (archive["version"].pk, "archive", "mismatch"),
    }


def test_a_missing_checksum_is_reported(archive):
    Document.global_objects.filter(pk=archive["scan"].pk).update(checksum="")
    run = full_check()
    [finding] = run.findings.all()
    assert (finding.document_id, finding.problem) == (archive["scan"].pk, "no_checksum")
    assert finding.actual == sha256(pdf_bytes("scan"))


def test_a_file_paperless_moved_during_the_walk_is_not_a_problem(
    archive,
    settings,
    monkeypatch,
):
    """A problem is confirmed against a fresh read of the row before it is recorded."""
    contract = archive["contract"]
    moved = settings.ORIGINALS_DIR / "2026" / "维修合同.pdf"
    moved.parent.mkdir()
    check_files = fixity._check_files

    def paperless_moves_it_meanwhile(document, *args):
        if document.pk == contract.pk and document.filename != "2026/维修合同.pdf":
            contract.source_path.rename(moved)
            Document.global_objects.filter(pk=contract.pk).update(
                filename="2026/维修合同.pdf",
            )
        return check_files(document, *args)

    monkeypatch.setattr(fixity, "_check_files", paperless_moves_it_meanwhile)
    run = full_check()
    assert run.problems == 0
    assert run.state == State.FINISHED
    assert run.files_checked == 7 + 5  # the moved file counted once
    now = Document.global_objects.filter(pk__in=[d.pk for d in archive.values()])
    assert run.bytes_read == sum(on_disk(d) for d in now)


def test_a_document_purged_during_the_walk_is_not_a_problem(archive, monkeypatch):
    notes = archive["notes"]
    check_files = fixity._check_files

    def purged_meanwhile(document, *args):
        if document.pk == notes.pk:
            notes.source_path.unlink()
            Document.global_objects.filter(pk=notes.pk).hard_delete()
        return check_files(document, *args)

    monkeypatch.setattr(fixity, "_check_files", purged_meanwhile)
    assert full_check().problems == 0


# The managers hear of it, once ---------------------------------------------------------


def test_the_archive_managers_are_mailed_once(archive, people, settings):
    settings.EMAIL_ENABLED = True
    second = UserFactory(username="manager2", email="archive2@example.com")
    second.groups.add(Group.objects.get(name="档案管理员"))
    damaged = damage(archive)

    run = full_check()

    [message] = mail.outbox
    assert sorted(message.to) == ["archive2@example.com", "archive@example.com"]
    assert "3" in message.subject
    assert f"#{damaged['tampered'].pk} 发票" in message.body
    assert f"/admin/svc_archive_plugin/fixityrun/{run.pk}/change/" in message.body
    assert run.mailed_at is not None
    # Nobody else: not the department heads, not the staff.
    assert "head@example.com" not in message.to

    assert fixity.notify_managers(run) is False
    run.refresh_from_db()
    assert fixity.notify_managers(run) is False
    assert len(mail.outbox) == 1


def test_without_a_mail_server_the_report_is_kept_and_no_mail_sent(archive, settings):
    settings.EMAIL_ENABLED = False
    damage(archive)
    run = full_check()
    assert run.problems == 3
    assert mail.outbox == []
    assert run.mailed_at is None


# Resuming --------------------------------------------------------------------------------


def test_an_interrupted_check_resumes_where_it_stopped(archive, settings):
    settings.EMAIL_ENABLED = True
    damaged = damage(archive)
    ordered = sorted(Document.global_objects.values_list("pk", flat=True))
    assert damaged["tampered"].pk == ordered[1]  # found before the interruption

    run = full_check(limit=2)
    assert run.state == State.INTERRUPTED
    assert run.documents_checked == 2
    assert run.last_document_id == ordered[1]
    assert findings(run) == {(damaged["tampered"].pk, "original", "mismatch")}
    assert mail.outbox == []  # not before the check is complete
    # Damage to what was checked already is not looked at again by this run.
    archive["contract"].source_path.write_bytes(b"changed after it was checked")

    resumed = fixity.resume()
    assert resumed.pk == run.pk
    run = fixity.check(resumed)

    assert run.state == State.FINISHED
    assert run.documents_checked == len(ordered)
    assert run.files_checked == 8 + 5
    assert run.problems == 3
    assert FixityFinding.objects.filter(run=run).count() == 3
    assert findings(run) == {
        (damaged["tampered"].pk, "original", "mismatch"),
        (damaged["missing"].pk, "archive", "missing"),
        (damaged["broken"].pk, "original", "unreadable"),
    }
    assert len(mail.outbox) == 1


def test_a_crash_keeps_what_was_committed_and_nothing_twice(archive, monkeypatch):
    archive["invoice"].source_path.write_bytes(b"tampered")
    calls = []
    real = fixity.sha256_of

    def crash_on_the_fifth_file(path, *args):
        calls.append(path)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(path, *args)

    monkeypatch.setattr(fixity, "sha256_of", crash_on_the_fifth_file)
    run = fixity.start(size=1)
    with pytest.raises(KeyboardInterrupt):
        fixity.check(run)
    run.refresh_from_db()
    # The contract (2 files) and the invoice (2 files: its original found wrong) were
    # committed, one part each; the report crashed inside the third, which is handed
    # back unchanged.
    assert run.state == State.INTERRUPTED
    assert run.documents_checked == 2
    assert run.last_document_id == archive["invoice"].pk
    assert run.problems == 1
    assert run.chunks.filter(state="done").count() == 2
    assert not run.chunks.filter(state="claimed").exists()

    monkeypatch.setattr(fixity, "sha256_of", real)
    run = fixity.check(fixity.resume())
    assert run.state == State.FINISHED
    assert run.documents_checked == 7
    assert findings(run) == {(archive["invoice"].pk, "original", "mismatch")}
    assert run.bytes_read == sum(on_disk(d) for d in archive.values())


def test_nothing_to_resume_after_a_finished_check(archive):
    full_check()
    with pytest.raises(fixity.NothingToResume):
        fixity.resume()


# One at a time ---------------------------------------------------------------------------


def test_a_second_check_is_refused_while_one_runs(archive):
    running = fixity.start()
    with pytest.raises(fixity.FixityBusy, match="already running"):
        fixity.start()
    with pytest.raises(fixity.FixityBusy):
        fixity.resume()
    assert FixityRun.objects.filter(state=State.RUNNING).count() == 1
    assert fixity.check(running).state == State.FINISHED
    assert fixity.start().state == State.RUNNING  # once it is done, another may start


def test_a_check_whose_worker_died_is_resumed(archive):
    dead = fixity.check(fixity.start(), limit=3)
    # As if its worker had been killed mid-run: still "running", no heartbeat for long.
    FixityRun.objects.filter(pk=dead.pk).update(
        state=State.RUNNING,
        heartbeat_at=timezone.now()
        - fixity.stale_after()
        - datetime.timedelta(minutes=1),
    )
    assert fixity.running_check() is None

    run = fixity.check(fixity.resume())

    assert run.pk == dead.pk
    assert run.state == State.FINISHED
    assert run.documents_checked == 7


def test_a_worker_whose_part_was_taken_over_stops_without_writing(
    archive,
    monkeypatch,
):
    """The lease is the part's claim now (with several workers the run's heartbeat is
    everybody's): a worker whose part another worker claimed again writes nothing."""
    archive["contract"].source_path.write_bytes(b"tampered")
    run = fixity.start()
    check_files = fixity._check_files

    def another_worker_takes_the_part_over(document, *args):
        # It thought this worker dead (the heartbeat stale) and claimed the part anew.
        run.chunks.update(claimed_by="other-host:1:1", heartbeat_at=timezone.now())
        return check_files(document, *args)

    monkeypatch.setattr(fixity, "_check_files", another_worker_takes_the_part_over)
    fixity.check(run)
    run.refresh_from_db()
    assert run.state == State.RUNNING  # the other worker's, untouched
    assert run.documents_checked == 0
    assert not FixityFinding.objects.filter(run=run).exists()
    assert run.chunks.get().claimed_by == "other-host:1:1"


def test_a_worker_whose_check_was_interrupted_stops_without_writing(
    archive,
    monkeypatch,
):
    archive["contract"].source_path.write_bytes(b"tampered")
    run = fixity.start()
    check_files = fixity._check_files

    def interrupted_meanwhile(document, *args):
        FixityRun.objects.filter(pk=run.pk).update(state=State.INTERRUPTED)
        return check_files(document, *args)

    monkeypatch.setattr(fixity, "_check_files", interrupted_meanwhile)
    fixity.check(run)
    run.refresh_from_db()
    assert run.state == State.INTERRUPTED
    assert run.documents_checked == 0
    assert not FixityFinding.objects.filter(run=run).exists()


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="two connections at once: SQLite serialises every write",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_starting_at_once_run_one_check(paperless_dirs):
    barrier = threading.Barrier(2)
    started, refused = [], []

    def worker():
        try:
            barrier.wait()
            started.append(fixity.start().pk)
        except fixity.FixityBusy as exc:
            refused.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(started) == 1
    assert len(refused) == 1
    assert FixityRun.objects.filter(state=State.RUNNING).count() == 1


# Evidence ---------------------------------------------------------------------------


def test_findings_cannot_be_changed_or_deleted(archive):
    damage(archive)
    finding = full_check().findings.first()
    finding.actual = "0" * 64
    with pytest.raises(AppendOnlyError):
        finding.save()
    with pytest.raises(AppendOnlyError):
        finding.delete()


# Command, task, schedule -----------------------------------------------------------


def test_the_command_prints_each_problem_and_fails(archive):
    damaged = damage(archive)
    out = io.StringIO()
    with pytest.raises(CommandError, match="3 problems"):
        call_command("svc_archive_fixity", stdout=out)
    text = out.getvalue()
    assert "8 documents, 13 files" in text
    assert f"#{damaged['tampered'].pk} 发票" in text
    assert str(damaged["missing"].archive_path) in text
    assert sha256(pdf_bytes("invoice")) in text


def test_the_command_stops_at_a_limit_and_resumes(archive):
    out = io.StringIO()
    call_command("svc_archive_fixity", "--limit", "3", "--chunk", "2", stdout=out)
    assert "continue with --resume" in out.getvalue()
    out = io.StringIO()
    call_command("svc_archive_fixity", "--resume", stdout=out)
    assert "7 documents" in out.getvalue()
    assert "Every file is intact." in out.getvalue()
    assert FixityRun.objects.get().state == State.FINISHED
    with pytest.raises(CommandError, match="not interrupted"):
        call_command("svc_archive_fixity", "--resume", stdout=io.StringIO())


def test_the_task_finishes_an_interrupted_check_first(archive, people):
    from svc_archive_plugin.tasks import check_fixity

    interrupted = fixity.check(fixity.start(), limit=2)
    result = check_fixity.apply(kwargs={"user_id": people["manager"].pk}).get()
    assert result["run"] == interrupted.pk
    assert result["state"] == State.FINISHED
    assert result["documents"] == 7
    # Started by hand: a new run, with who started it.
    result = check_fixity.apply(
        kwargs={"user_id": people["manager"].pk, "resume": False},
    ).get()
    assert result["run"] != interrupted.pk
    assert FixityRun.objects.get(pk=result["run"]).started_by == people["manager"]


def test_the_task_goes_on_in_slices(archive, monkeypatch):
    """Past its time slice the task stops and queues itself again (eager here)."""
    from svc_archive_plugin.tasks import check_fixity

    monkeypatch.setattr(fixity, "slice_seconds", lambda: 0)
    check_fixity.apply().get()
    run = FixityRun.objects.get()
    assert run.state == State.FINISHED
    assert run.documents_checked == 7


def test_the_task_does_nothing_while_a_check_runs(archive):
    from svc_archive_plugin.tasks import check_fixity

    fixity.start()
    assert check_fixity.apply().get() is None
    assert FixityRun.objects.count() == 1


def test_the_weekly_check_is_in_the_beat_schedule(settings):
    from svc_archive_plugin.beat import FIXITY
    from svc_archive_plugin.beat import install_beat_schedule

    install_beat_schedule()
    entry = settings.CELERY_BEAT_SCHEDULE[FIXITY]
    assert entry["task"] == "svc_archive_plugin.tasks.check_fixity"
    schedule = entry["schedule"]
    assert (schedule.hour, schedule.minute, schedule.day_of_week) == ({1}, {30}, {0})


# Admin ---------------------------------------------------------------------------------


@pytest.fixture
def manager(people):
    user = people["manager"]
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def clerk(people):
    user = people["clerk"]
    user.is_staff = True
    user.save()
    return user


def test_the_manager_reads_the_reports_in_the_admin(client, manager, archive):
    damaged = damage(archive)
    run = full_check()
    client.force_login(manager)

    listing = client.get(ADMIN)
    assert listing.status_code == 200
    assert f"{ADMIN}{run.pk}/change/" in listing.content.decode()
    assert "Start a fixity check now" in listing.content.decode()

    page = client.get(f"{ADMIN}{run.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('class="fixity-finding"') == 3
    assert f"/documents/{damaged['tampered'].pk}/details" in text  # in paperless's UI
    assert sha256(pdf_bytes("invoice, amount changed")) in text
    # Where the check got to, by the document's title (its id means nothing to a manager).
    last = Document.global_objects.get(pk=run.last_document_id)
    shown = re.search(
        r'field-last_document\b.*?class="readonly">(.*?)</div>',
        text,
        re.S,
    )
    assert shown, "the run's page shows where the check got to"
    assert f"/documents/{last.pk}/details" in shown[1]
    assert last.title in shown[1]
    assert "1 of 1 done, by 1 worker<" in text  # one worker, not "1 workers"

    findings_list = client.get(
        f"/admin/svc_archive_plugin/fixityfinding/?run__id__exact={run.pk}",
    )
    assert findings_list.status_code == 200
    assert "发票" in findings_list.content.decode()

    exported = client.get(f"{ADMIN}{run.pk}/findings.csv")
    assert exported.status_code == 200
    body = b"".join(exported.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:4] == ["document_id", "title", "file", "problem"]
    assert {(int(r[0]), r[2], r[3]) for r in rows[1:]} == findings(run)


def test_findings_of_a_purged_document_stay_listed(client, manager, archive):
    """A record destroyed after the check leaves its finding in every list of them."""
    damaged = damage(archive)
    run = full_check()
    # The row gone as a destruction leaves it (no signal, no guard).
    Document.global_objects.filter(pk=damaged["tampered"].pk)._raw_delete("default")
    assert len(list(FixityFinding.objects.filter(run=run))) == 3
    client.force_login(manager)
    listing = client.get(
        f"/admin/svc_archive_plugin/fixityfinding/?run__id__exact={run.pk}",
    )
    assert len(listing.context["cl"].result_list) == 3


def test_nobody_edits_or_deletes_a_report(client, manager, archive):
    damage(archive)
    run = full_check()
    finding = run.findings.first()
    client.force_login(manager)
    assert client.post(f"{ADMIN}{run.pk}/delete/").status_code == 403
    assert client.get(f"{ADMIN}add/").status_code == 403
    url = f"/admin/svc_archive_plugin/fixityfinding/{finding.pk}/delete/"
    assert client.post(url).status_code == 403
    assert FixityFinding.objects.filter(run=run).count() == 3


def test_the_manager_starts_a_check_from_the_admin(
    client,
    manager,
    archive,
    django_capture_on_commit_callbacks,
):
    client.force_login(manager)
    assert client.get(f"{ADMIN}start/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{ADMIN}start/")
    assert response.status_code == 302
    run = FixityRun.objects.get()  # the task ran in-process (eager)
    assert run.started_by == manager
    assert run.state == State.FINISHED


def test_staff_see_no_fixity_reports(client, clerk, archive):
    run = full_check()
    client.force_login(clerk)
    assert client.get(ADMIN).status_code == 403
    assert client.get(f"{ADMIN}{run.pk}/change/").status_code == 403
    assert client.get(f"{ADMIN}start/").status_code == 403
    assert client.post(f"{ADMIN}start/").status_code == 403
    assert client.get(f"{ADMIN}{run.pk}/findings.csv").status_code == 404
    assert client.get("/admin/svc_archive_plugin/fixityfinding/").status_code == 403
    assert not FixityRun.objects.exclude(pk=run.pk).exists()


def test_runs_without_the_findings_permission_show_no_findings(client, archive):
    """Who may only see that checks ran sees no file paths and checksums."""
    from django.contrib.auth.models import Permission

    damage(archive)
    run = full_check()
    auditor = UserFactory(username="auditor", staff=True)
    auditor.user_permissions.add(Permission.objects.get(codename="view_fixityrun"))
    client.force_login(auditor)
    page = client.get(f"{ADMIN}{run.pk}/change/")
    assert page.status_code == 200
    assert 'class="fixity-finding"' not in page.content.decode()
    assert "findings.csv" not in page.content.decode()
    assert client.get(f"{ADMIN}{run.pk}/findings.csv").status_code == 403


# API -----------------------------------------------------------------------------------


def test_the_api_by_role(api_client, people, archive):
    damaged = damage(archive)
    run = full_check()

    api_client.force_authenticate(people["manager"])
    listing = api_client.get(API)
    assert listing.status_code == 200, listing.content
    assert listing.data["count"] == 1
    assert listing.data["results"][0]["problems"] == 3
    assert "all" not in listing.data
    detail = api_client.get(f"{API}{run.pk}/")
    assert detail.data["state"] == "finished"
    assert detail.data["documents_checked"] == 8
    found = api_client.get(f"{API}{run.pk}/findings/")
    assert found.status_code == 200
    assert found.data["count"] == 3
    assert {
        (f["document"], f["file"], f["problem"]) for f in found.data["results"]
    } == (findings(run))
    mismatch = api_client.get(f"{API}{run.pk}/findings/?problem=mismatch")
    assert [f["document"] for f in mismatch.data["results"]] == [damaged["tampered"].pk]
    # A document put in the trash since is still a valid filter.
    Document.objects.filter(pk=damaged["tampered"].pk).update(deleted_at=timezone.now())
    by_document = api_client.get(
        f"{API}{run.pk}/findings/",
        {"document": damaged["tampered"].pk},
    )
    assert by_document.status_code == 200, by_document.content
    assert [f["problem"] for f in by_document.data["results"]] == ["mismatch"]
    assert api_client.get(f"{API}{run.pk}/csv/").status_code == 200
    # Read-only: refused by the permissions (no delete/change permission) or the method.
    assert api_client.delete(f"{API}{run.pk}/").status_code in (403, 405)
    assert api_client.patch(f"{API}{run.pk}/", {"problems": 0}).status_code in (
        403,
        405,
    )
    run.refresh_from_db()
    assert run.problems == 3

    for who in ("clerk", "head"):
        api_client.force_authenticate(people[who])
        assert api_client.get(API).status_code == 403
        assert api_client.get(f"{API}{run.pk}/findings/").status_code == 403
        assert api_client.get(f"{API}{run.pk}/csv/").status_code == 403
