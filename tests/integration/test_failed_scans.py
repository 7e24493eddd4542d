"""Scans paperless refuses, or that yield no text: reported, and their files kept.

Through paperless's real consume_file task and consumer, as the worker runs them.
"""

from __future__ import annotations

import datetime
import os
import zipfile

import pikepdf
import pytest
from django.contrib.auth.models import Group
from documents.data_models import ConsumableDocument
from documents.data_models import DocumentMetadataOverrides
from documents.data_models import DocumentSource
from documents.models import Document
from documents.tasks import consume_file
from PIL import Image

from svc_archive_plugin.models import CaptureReport
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.services import capture
from svc_archive_plugin.tasks import summarise_capture
from tests.factories import UserFactory
from tests.pdfs import text_pdf

# Transactional: paperless's task_prerun handler closes the test's connection otherwise.
pytestmark = pytest.mark.django_db(transaction=True)
Reason = CaptureReport.Reason


def consume(path):
    return consume_file.apply(
        kwargs={
            "input_doc": ConsumableDocument(
                source=DocumentSource.ConsumeFolder,
                original_file=path,
            ),
            "overrides": DocumentMetadataOverrides(),
        },
    )


def held(settings, report) -> bool:
    return (
        settings.DATA_DIR / "svc-archive" / "held-scans" / report.held_file
    ).is_file()


def blank_scan(path):
    """An image-only page with nothing on it: OCR finds no text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("1", (2480, 3508), 1).save(path, "PDF", resolution=300)
    return path


@pytest.fixture
def consume_dir(paperless_dirs, provisioned, settings):
    return settings.CONSUMPTION_DIR


def test_an_empty_file_is_reported_and_kept(consume_dir, settings):
    scan = consume_dir / "HT" / "empty.pdf"
    scan.parent.mkdir()
    scan.write_bytes(b"")

    result = consume(scan)

    assert result.failed()
    report = CaptureReport.objects.get()
    assert report.reason == Reason.EMPTY_FILE
    assert report.path == "HT/empty.pdf"
    assert report.document_id is None
    assert "合同协议" in report.detail  # what the folder meant it to be
    assert report.held_file == "HT/empty.pdf"
    assert held(settings, report)
    assert not scan.exists()  # not consumed again at the next start
    assert not Document.objects.exists()


def test_a_damaged_pdf_is_reported_and_kept(consume_dir, settings):
    scan = consume_dir / "HT" / "torn.pdf"
    scan.parent.mkdir()
    scan.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n% the rest is lost")

    assert consume(scan).failed()

    report = CaptureReport.objects.get()
    assert report.reason == Reason.CORRUPT
    assert held(settings, report)


def test_a_password_protected_pdf_is_held_with_how_to_proceed(consume_dir, settings):
    plain = text_pdf(consume_dir.parent / "plain.pdf", "Service contract 2026-002")
    scan = consume_dir / "HT" / "locked.pdf"
    scan.parent.mkdir()
    with pikepdf.open(plain) as pdf:
        pdf.save(scan, encryption=pikepdf.Encryption(user="secret", owner="secret"))

    assert consume(scan).failed()

    report = CaptureReport.objects.get()
    assert report.reason == Reason.PASSWORD
    assert "qpdf" in report.detail
    assert "consume/HT/" in report.detail
    assert held(settings, report)
    assert not Document.objects.exists()  # no record that search can never find


def test_a_file_paperless_cannot_read_is_reported(consume_dir, settings):
    scan = consume_dir / "HT" / "bundle.pdf"
    scan.parent.mkdir()
    with zipfile.ZipFile(scan, "w") as archive:
        archive.writestr("contract.txt", "not a PDF at all")

    assert consume(scan).failed()

    report = CaptureReport.objects.get()
    assert report.reason == Reason.UNSUPPORTED_TYPE
    assert "application/zip" in report.detail
    assert held(settings, report)


def test_a_file_the_consumer_passes_over_is_held_by_the_daily_task(
    consume_dir,
    settings,
):
    # paperless's watcher skips extensions no parser of it names, such as CAD drawings.
    word = consume_dir / "HT" / "layout.dwg"
    word.parent.mkdir()
    word.write_bytes(b"AC1032 a drawing")
    hidden = consume_dir / "HT" / ".DS_Store"
    hidden.write_bytes(b"finder")
    fresh = consume_dir / "HT" / "copying.dwg"
    fresh.write_bytes(b"still being copied")
    old = (datetime.datetime.now() - datetime.timedelta(hours=1)).timestamp()
    for path in (word, hidden):
        os.utime(path, (old, old))

    summarise_capture.apply()

    report = CaptureReport.objects.get()
    assert report.reason == Reason.UNSUPPORTED_TYPE
    assert report.path == "HT/layout.dwg"
    assert ".dwg" in report.detail
    assert held(settings, report)
    assert hidden.exists()  # the operating system's, not a scan
    assert fresh.exists()  # may still be copying: next time


def test_a_scan_with_no_text_is_refused_where_its_type_needs_text(
    consume_dir,
    settings,
):
    assert consume(blank_scan(consume_dir / "HT" / "blank.pdf")).failed()

    report = CaptureReport.objects.get()
    assert report.reason == Reason.NO_TEXT
    assert "HT" in report.detail
    assert held(settings, report)
    assert not Document.objects.exists()


def test_a_type_that_needs_no_text_takes_a_textless_scan(consume_dir):
    DocumentTypeCode.objects.filter(code="HT").update(requires_text=False)

    result = consume(blank_scan(consume_dir / "HT" / "photo.pdf"))

    assert result.successful()
    assert Document.objects.get().document_type.name == "合同协议"
    # Stored, not refused: only what the folder cannot give is reported.
    assert list(CaptureReport.objects.values_list("reason", flat=True)) == [
        Reason.MISSING_METADATA,
    ]


def test_the_same_name_failing_twice_keeps_both_files(consume_dir, settings):
    for _ in range(2):
        scan = consume_dir / "HT" / "empty.pdf"
        scan.parent.mkdir(exist_ok=True)
        scan.write_bytes(b"")
        consume(scan)

    reports = list(CaptureReport.objects.order_by("pk"))
    assert len(reports) == 2
    assert reports[0].held_file != reports[1].held_file
    assert all(held(settings, report) for report in reports)


def test_archive_managers_get_the_days_reports_by_mail(
    consume_dir,
    settings,
    mailoutbox,
):
    settings.EMAIL_ENABLED = True
    manager = UserFactory(username="archivist", email="archive@example.com")
    manager.groups.add(Group.objects.get(name="档案管理员"))
    scan = consume_dir / "HT" / "empty.pdf"
    scan.parent.mkdir()
    scan.write_bytes(b"")
    consume(scan)

    assert summarise_capture.apply().get() == 1

    [mail] = mailoutbox
    assert mail.to == ["archive@example.com"]
    assert "HT/empty.pdf" in mail.body
    assert str(Reason.EMPTY_FILE.label) in mail.body


def test_no_mail_on_a_day_without_reports(consume_dir, settings, mailoutbox):
    settings.EMAIL_ENABLED = True
    manager = UserFactory(username="archivist", email="archive@example.com")
    manager.groups.add(Group.objects.get(name="档案管理员"))

    assert capture.daily_summary() == 0
    assert mailoutbox == []


def test_the_daily_summary_is_in_the_beat_schedule(settings):
    from svc_archive_plugin.beat import CAPTURE
    from svc_archive_plugin.beat import install_beat_schedule

    install_beat_schedule()
    entry = settings.CELERY_BEAT_SCHEDULE[CAPTURE]
    assert entry["task"] == "svc_archive_plugin.tasks.summarise_capture"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {30})


def test_paperless_task_list_shows_the_refusal_in_words(consume_dir):
    from celery.utils.serialization import get_pickleable_exception

    plain = text_pdf(consume_dir.parent / "plain.pdf", "Service contract 2026-003")
    scan = consume_dir / "HT" / "locked.pdf"
    scan.parent.mkdir()
    with pikepdf.open(plain) as pdf:
        pdf.save(scan, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    result = consume(scan)

    # What celery hands paperless's failure handler, which shows its str() as the result.
    passed_on = get_pickleable_exception(result.result)
    assert isinstance(passed_on, capture.ScanRefused)
    assert CaptureReport.objects.get().detail.startswith(str(passed_on))


def test_a_scan_whose_consumption_died_with_its_worker_is_queued_again(
    consume_dir,
    settings,
    monkeypatch,
):
    from documents.models import PaperlessTask

    Task = PaperlessTask
    long_ago = (datetime.datetime.now() - datetime.timedelta(hours=2)).timestamp()
    scans = {
        name: text_pdf(consume_dir / "HT" / name, f"Contract {name}")
        for name in ("died.pdf", "waiting.pdf", "new.pdf")
    }
    for name in ("died.pdf", "waiting.pdf"):
        os.utime(scans[name], (long_ago, long_ago))
    # The dead run's task: started two hours ago, never finished.
    Task.objects.create(
        task_id="dead",
        task_type=Task.TaskType.CONSUME_FILE,
        status=Task.Status.STARTED,
        input_data={"filename": "died.pdf"},
    )
    Task.objects.filter(task_id="dead").update(
        date_created=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2),
    )
    # Queued behind others a minute ago: not touched.
    Task.objects.create(
        task_id="queued",
        task_type=Task.TaskType.CONSUME_FILE,
        status=Task.Status.PENDING,
        input_data={"filename": "waiting.pdf"},
    )
    dead_run = settings.SCRATCH_DIR / "paperless-ngxdead"
    dead_run.mkdir()
    (dead_run / "died.pdf").write_bytes(b"working copy")
    live_run = settings.SCRATCH_DIR / "paperless-ngxlive"
    live_run.mkdir()
    for path in (dead_run / "died.pdf", dead_run):
        os.utime(path, (long_ago, long_ago))
    queued = []
    monkeypatch.setattr(
        consume_file,
        "apply_async",
        lambda kwargs, **options: queued.append(kwargs["input_doc"].original_file),
    )

    assert capture.recover_interrupted_scans() == [scans["died.pdf"]]
    assert queued == [scans["died.pdf"]]
    assert not dead_run.exists()
    assert live_run.exists()


def test_a_scan_whose_consumption_failed_is_not_queued_again_every_day(
    consume_dir,
    monkeypatch,
):
    """A refused scan stays in the folder with its report; the catch-up leaves it be."""
    from documents.models import PaperlessTask

    long_ago = (datetime.datetime.now() - datetime.timedelta(hours=2)).timestamp()
    refused = text_pdf(consume_dir / "HT" / "refused.pdf", "Contract refused")
    os.utime(refused, (long_ago, long_ago))
    PaperlessTask.objects.create(
        task_id="refused",
        task_type=PaperlessTask.TaskType.CONSUME_FILE,
        status=PaperlessTask.Status.FAILURE,
        input_data={"filename": "refused.pdf"},
    )
    PaperlessTask.objects.filter(task_id="refused").update(
        date_created=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
    )
    monkeypatch.setattr(consume_file, "apply_async", lambda **_: None)

    assert capture.recover_interrupted_scans() == []
