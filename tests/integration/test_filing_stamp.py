"""The filing stamp 归档章 (DA/T 22) on the archive versions of a filed dossier's records.

The documents have real original and archive PDFs on disk, with the SHA-256 checksums and
thumbnails paperless keeps; the stamped pages are rendered with poppler (``pdftoppm``,
``pdftotext``) to see where the stamp is and what it says.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from django.core.management import call_command
from documents.models import Document
from documents.sanity_checker import check_sanity
from PIL import Image

from svc_archive_plugin import steps
from svc_archive_plugin.models import DeclaredRecord
from svc_archive_plugin.reports.filing_stamp import StampFacts
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import fixity
from svc_archive_plugin.services import records
from svc_archive_plugin.services import stamping
from svc_archive_plugin.services.retention import period_years
from svc_archive_plugin.services.retention import retention_label
from svc_archive_plugin.tasks import stamp_filed_records
from tests.factories import add_document
from tests.pdfs import text_pdf

# Transactional: filing's on-commit stamp re-indexes through paperless's tracked task,
# whose start closes a PostgreSQL connection held inside a test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)
OLD_THUMBNAIL = b"RIFF-old-thumbnail"
DPI = 100
# The stamp's dark red (INK): red well above green and blue.
RED = lambda r, g, b: r > 120 and g < 90 and b < 90  # noqa: E731
KEEP_PAGE = Path("/tmp/stamp-page1.png")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def with_files(
    document: Document,
    tmp_path: Path,
    *,
    archive: bool = True,
    text: str = "",
) -> Document:
    """Give ``document`` an original (and archive) PDF and a thumbnail, as paperless does."""
    original = text_pdf(
        tmp_path / f"in-{document.pk}.pdf",
        f"Original scan {document.pk}",
        text,
    )
    values = {
        "filename": f"{document.pk:07}.pdf",
        "checksum": sha256(original),
        "archive_filename": None,
        "archive_checksum": None,
    }
    if archive:
        copy = text_pdf(
            tmp_path / f"a-{document.pk}.pdf",
            f"Archive copy {document.pk}",
        )
        values.update(
            archive_filename=f"{document.pk:07}.pdf",
            archive_checksum=sha256(copy),
        )
    # No save(): paperless's receivers would rename and move the files.
    Document.global_objects.filter(pk=document.pk).update(**values)
    document = Document.global_objects.get(pk=document.pk)
    document.source_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(original, document.source_path)
    if archive:
        document.archive_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(copy, document.archive_path)
    document.thumbnail_path.parent.mkdir(parents=True, exist_ok=True)
    document.thumbnail_path.write_bytes(OLD_THUMBNAIL)
    return document


@pytest.fixture
def filed_documents(dossier, people, paperless_dirs, tmp_path):
    """The four documents a repair dossier needs, with real files; not yet filed."""
    return [
        with_files(add_document(dossier, code, people["clerk"]), tmp_path)
        for code in ("KH", "HT", "SS", "FP")
    ]


def file(dossier, people, django_capture_on_commit_callbacks) -> None:
    """File as the screens do (``steps``): the stamp follows once the filing commits."""
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        steps.take(steps.FILING["file"], dossier, people["manager"], {})
    dossier.refresh_from_db()


def fresh(document: Document) -> Document:
    return Document.global_objects.get(pk=document.pk)


def render_first_page(pdf: Path, out: Path) -> Image.Image:
    prefix = out.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(DPI),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf,
            prefix,
        ],
        check=True,
    )
    return Image.open(prefix.with_suffix(".png")).convert("RGB")


def red_pixels(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(1 for pixel in image.crop(box).getdata() if RED(*pixel))


def words(pdf: Path) -> list[tuple[str, float, float, float, float, float, float]]:
    """The first page's words with their boxes, and the page's size, from ``pdftotext``."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", pdf, "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    width, height = (
        float(v)
        for v in re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html).groups()
    )
    return [
        (text, float(x0), float(y0), float(x1), float(y1), width, height)
        for x0, y0, x1, y1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            html,
        )
    ]


# Where and what ---------------------------------------------------------------------------


def test_filing_stamps_each_archive_version_in_its_top_right_corner(
    dossier,
    people,
    filed_documents,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    originals = {d.pk: d.source_path.read_bytes() for d in filed_documents}

    file(dossier, people, django_capture_on_commit_callbacks)

    numbers = dict(filing.items.numbered(dossier))
    for document in map(fresh, filed_documents):
        archive = document.archive_path
        page = render_first_page(archive, tmp_path / f"page-{document.pk}")
        width, height = page.size
        top = height // 6
        # Red ink in the top-right corner, none in the top-left.
        assert red_pixels(page, (width // 2, 0, width, top)) > 500
        assert red_pixels(page, (0, 0, width // 2, top)) == 0
        assert red_pixels(page, (0, top, width, height)) == 0
        # Real text: the 档号, 件号 and the cell names, in the top-right corner.
        found = words(archive)
        [code] = [w for w in found if w[0] == dossier.archive_code]
        _text, x0, _y0, _x1, y1, page_width, page_height = code
        assert x0 > page_width / 2
        assert y1 < page_height / 6
        texts = {w[0] for w in found}
        assert {"全宗号", "年度", "件号", "保管期限", "机构", "档号"} <= texts
        assert {"SVC", "2026", "工程部", str(numbers[document.pk])} <= texts
        assert (
            retention_label(dossier.retention, period_years(dossier.retention)) in texts
        )
        # The page's own text is still there.
        assert f"Archive copy {document.pk}" in " ".join(w[0] for w in found)
        # The original is as scanned; paperless knows the new archive checksum.
        assert document.source_path.read_bytes() == originals[document.pk]
        assert sha256(document.source_path) == document.checksum
        assert sha256(archive) == document.archive_checksum
        row = DeclaredRecord.objects.get(document_id=document.pk)
        assert row.stamped_at is not None
        assert row.stamped_checksum == document.archive_checksum
        assert row.stamp_problem == ""
        # The thumbnail shows the stamped page.
        thumbnail = document.thumbnail_path.read_bytes()
        assert thumbnail != OLD_THUMBNAIL
        assert thumbnail[:4] == b"RIFF"
        assert thumbnail[8:12] == b"WEBP"
    # One page kept to look at.
    shutil.copy(tmp_path / f"page-{filed_documents[0].pk}.png", KEEP_PAGE)


def test_paperless_sanity_check_and_the_fixity_check_stay_green(
    dossier,
    people,
    filed_documents,
    django_capture_on_commit_callbacks,
):
    file(dossier, people, django_capture_on_commit_callbacks)

    messages = check_sanity()
    problems = [
        (pk, entry["message"])
        for pk, entries in messages.iter_messages()
        for entry in entries
        if entry["level"] >= 30  # warnings and errors
    ]
    assert problems == []
    run = fixity.check(fixity.start(), notify=False)
    assert run.problems == 0
    assert run.documents_checked == len(filed_documents)


def test_search_still_finds_a_stamped_record(
    dossier,
    people,
    paperless_dirs,
    tmp_path,
    admin_user,
    api_client,
    django_capture_on_commit_callbacks,
):
    contract = with_files(
        add_document(dossier, "HT", people["clerk"], content="zebracontract"),
        tmp_path,
    )
    for code in ("KH", "SS", "FP"):
        with_files(add_document(dossier, code, people["clerk"]), tmp_path)

    file(dossier, people, django_capture_on_commit_callbacks)

    assert DeclaredRecord.objects.get(document_id=contract.pk).stamped_at is not None
    api_client.force_authenticate(admin_user)
    response = api_client.get("/api/documents/", {"query": "zebracontract"})
    assert [d["id"] for d in response.json()["results"]] == [contract.pk]


# Idempotent, resumable, switchable --------------------------------------------------------


def test_a_second_run_changes_nothing(
    dossier,
    people,
    filed_documents,
    django_capture_on_commit_callbacks,
):
    file(dossier, people, django_capture_on_commit_callbacks)
    before = {d.pk: fresh(d).archive_path.read_bytes() for d in filed_documents}
    rows = {r.pk: r.stamped_at for r in DeclaredRecord.objects.all()}

    # Even asked to stamp them all again, directly: each is found stamped.
    report = stamping.stamp(DeclaredRecord.objects.select_related("dossier"))
    call_command("svc_archive_stamp", "--retry")

    assert report.stamped == report.repaired == []
    assert {d.pk: fresh(d).archive_path.read_bytes() for d in filed_documents} == before
    assert {r.pk: r.stamped_at for r in DeclaredRecord.objects.all()} == rows


def test_a_run_stopped_after_the_file_was_replaced_only_puts_the_database_right(
    dossier,
    people,
    filed_documents,
    django_capture_on_commit_callbacks,
):
    file(dossier, people, django_capture_on_commit_callbacks)
    contract = fresh(filed_documents[1])
    stamped = contract.archive_path.read_bytes()
    # As if the worker died after os.replace, before the database was told.
    Document.global_objects.filter(pk=contract.pk).update(archive_checksum="0" * 64)
    DeclaredRecord.objects.filter(document_id=contract.pk).update(
        stamped_at=None,
        stamped_checksum="",
    )

    report = stamping.stamp_all()

    assert report.repaired == [contract.pk]
    assert report.stamped == []
    assert contract.archive_path.read_bytes() == stamped  # not stamped twice
    assert fresh(contract).archive_checksum == sha256(contract.archive_path)
    with pikepdf.open(contract.archive_path) as pdf:
        resources = pdf.pages[0].Resources.XObject
        assert sum(stamping.MARKER in x for _name, x in resources.items()) == 1


def test_records_left_unstamped_are_picked_up_by_the_daily_task(
    dossier,
    people,
    filed_documents,
    django_capture_on_commit_callbacks,
):
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    filing.file_dossier(dossier, people["manager"])  # filed, no stamping queued
    assert not DeclaredRecord.objects.exclude(stamped_at=None).exists()

    # The daily task (beat) stamps what is left.
    assert stamp_filed_records() == {"stamped": 4, "repaired": 0, "skipped": 0}

    assert not DeclaredRecord.objects.filter(stamped_at=None).exists()
    for document in map(fresh, filed_documents):
        with pikepdf.open(document.archive_path) as pdf:
            assert stamping.stamped_with(pdf) is not None


def test_with_the_setting_off_nothing_is_stamped(
    dossier,
    people,
    filed_documents,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SVC_ARCHIVE_FILING_STAMP = False
    archives = {d.pk: d.archive_path.read_bytes() for d in filed_documents}

    file(dossier, people, django_capture_on_commit_callbacks)

    assert {
        d.pk: fresh(d).archive_path.read_bytes() for d in filed_documents
    } == archives
    assert not DeclaredRecord.objects.exclude(stamped_at=None).exists()
    assert all(
        fresh(d).thumbnail_path.read_bytes() == OLD_THUMBNAIL for d in filed_documents
    )


# Records without an archive version, or with a damaged one --------------------------------


def test_a_pdf_without_archive_version_gets_a_stamped_one_and_others_are_reported(
    dossier,
    people,
    paperless_dirs,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    documents = [
        with_files(add_document(dossier, code, people["clerk"]), tmp_path)
        for code in ("KH", "SS", "FP")
    ]
    scan = with_files(
        add_document(dossier, "HT", people["clerk"]),
        tmp_path,
        archive=False,
    )
    note = add_document(dossier, "QT", people["clerk"], mime_type="text/plain")
    Document.global_objects.filter(pk=note.pk).update(
        filename=f"{note.pk:07}.txt",
        checksum=hashlib.sha256("会议纪要".encode()).hexdigest(),
    )
    note = fresh(note)
    note.source_path.write_text("会议纪要", encoding="utf-8")
    note.thumbnail_path.write_bytes(OLD_THUMBNAIL)
    original = scan.source_path.read_bytes()

    file(dossier, people, django_capture_on_commit_callbacks)

    scan = fresh(scan)
    assert scan.archive_filename
    assert scan.archive_path.is_file()
    assert scan.archive_path != scan.source_path
    assert sha256(scan.archive_path) == scan.archive_checksum
    assert scan.source_path.read_bytes() == original
    with pikepdf.open(scan.archive_path) as pdf:
        assert stamping.stamped_with(pdf) == f"{dossier.archive_code} 2"
    assert dossier.archive_code in {w[0] for w in words(scan.archive_path)}
    # A text file gets no archive version: the record says why.
    row = DeclaredRecord.objects.get(document_id=note.pk)
    assert row.stamped_at is None
    assert "not a PDF" in row.stamp_problem
    assert fresh(note).archive_filename is None
    assert all(
        DeclaredRecord.objects.get(document_id=d.pk).stamped_at for d in documents
    )
    problems = [
        entry["message"]
        for _pk, entries in check_sanity().iter_messages()
        for entry in entries
        if entry["level"] >= 30
    ]
    assert problems == []


def test_a_new_archive_version_a_stopped_run_did_not_write_is_written_once(
    dossier,
    people,
    paperless_dirs,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    scan, *others = (
        with_files(
            add_document(dossier, code, people["clerk"]),
            tmp_path,
            archive=code != "HT",
        )
        for code in ("HT", "KH", "SS", "FP")
    )
    file(dossier, people, django_capture_on_commit_callbacks)
    scan = fresh(scan)
    written = scan.archive_path.read_bytes()
    # As if the worker died after the name and checksum were committed, before the file.
    scan.archive_path.unlink()
    DeclaredRecord.objects.filter(document_id=scan.pk).update(stamped_at=None)
    # And an archive version OCR made, lost: never replaced by a stamped original.
    lost = fresh(others[0])
    lost.archive_path.unlink()
    DeclaredRecord.objects.filter(document_id=lost.pk).update(stamped_at=None)

    report = stamping.stamp_all()

    assert report.stamped == [scan.pk]
    assert scan.archive_path.read_bytes() == written  # the same bytes, stamped once
    assert sha256(scan.archive_path) == fresh(scan).archive_checksum
    assert "missing" in report.skipped[lost.pk]
    assert not lost.archive_path.exists()


def test_a_damaged_archive_version_is_not_stamped(
    dossier,
    people,
    filed_documents,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    contract = filed_documents[1]
    damaged = text_pdf(tmp_path / "changed.pdf", "Archive copy, changed").read_bytes()
    contract.archive_path.write_bytes(damaged)

    file(dossier, people, django_capture_on_commit_callbacks)

    assert contract.archive_path.read_bytes() == damaged
    row = DeclaredRecord.objects.get(document_id=contract.pk)
    assert row.stamped_at is None
    assert "checksum" in row.stamp_problem


# Still frozen for everyone else -----------------------------------------------------------


def test_the_stamped_archive_version_stays_frozen_for_everything_else(
    dossier,
    people,
    filed_documents,
    django_capture_on_commit_callbacks,
):
    file(dossier, people, django_capture_on_commit_callbacks)
    contract = fresh(filed_documents[1])

    contract.archive_checksum = "f" * 64
    with pytest.raises(records.RecordFrozen):
        contract.save()
    assert fresh(contract).archive_checksum == sha256(contract.archive_path)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_the_stamp_is_upright_top_right_as_a_turned_page_is_shown(rotate, tmp_path):
    path = text_pdf(tmp_path / "page.pdf", "Body text")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].Rotate = rotate
        stamping.stamp_pdf(
            pdf,
            StampFacts("SVC", "2026", "永久", "7", "SVC-HT·2026-Y-0003"),
        )
        pdf.save(path)

    found = words(path)
    [code] = [w for w in found if w[0] == "SVC-HT·2026-Y-0003"]
    _text, x0, y0, x1, y1, page_width, page_height = code
    assert x0 > page_width / 2
    assert y1 < page_height / 6
    assert x1 - x0 > y1 - y0  # read across, not up or down
    assert "机构" not in {w[0] for w in found}  # none given, no cell for it
