"""The filing stamp 归档章 (DA/T 22) on the archive version of each filed record.

When a dossier is filed, the archive version (PDF/A) of each of its records gets the stamp
(fonds, year, retention, 件号, 档号, and the department when the archive code names it) as
a vector overlay in the top-right corner of its first page, as the page is shown (its
/Rotate honoured). The original stays byte for byte as scanned.

A record without an archive version gets one when its original is a PDF: a copy of the
original, named by paperless's own file naming, then stamped. Any other record is left
unstamped and the reason is kept on its ``DeclaredRecord`` (and logged).

Crash safety and idempotence: the stamped file is written to a temporary file in the same
directory, synced, and put in place with ``os.replace``; only then is paperless's
``archive_checksum`` updated. The stamp's form XObject carries a marker (``MARKER``), so a
re-run that finds the marker on the first page does not stamp again and only puts the
database right. A new archive version is written after its name and checksum are
committed, so a re-run finds the name and makes the file again.

The archive version is a frozen fact of a declared record (``records``): this is the one
writer allowed to change it, inside ``records.writing``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

import pikepdf
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _
from filelock import FileLock

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import DeclaredRecord
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.reports.filing_stamp import HEIGHT
from svc_archive_plugin.reports.filing_stamp import WIDTH
from svc_archive_plugin.reports.filing_stamp import StampFacts
from svc_archive_plugin.reports.filing_stamp import render
from svc_archive_plugin.services import records
from svc_archive_plugin.services.filing import code_parts
from svc_archive_plugin.services.fixity import sha256_of
from svc_archive_plugin.services.indexing import reindex
from svc_archive_plugin.services.language import django_language
from svc_archive_plugin.services.retention import period_years
from svc_archive_plugin.services.retention import retention_label
from svc_archive_plugin.services.vocabulary import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from collections.abc import Iterable

    from documents.models import Document

logger = logging.getLogger("paperless.svc_archive")

MARKER = "/SvcArchiveStamp"  # key on the stamp's form XObject: what it stamped
MM = 72 / 25.4  # PDF units per millimetre
MARGIN = 8 * MM  # from the page's top and right edges
PDF = "application/pdf"


@dataclass
class StampReport:
    """What a stamping run did, by document id."""

    stamped: list[int] = field(default_factory=list)
    repaired: list[int] = field(default_factory=list)  # the file was, the database not
    skipped: dict[int, str] = field(default_factory=dict)


# What the stamp shows ---------------------------------------------------------------------


def stamp_language() -> str:
    """The stamp is Chinese (DA/T 22): traditional characters on a zh-Hant site."""
    language = django_language(settings.LANGUAGE_CODE)
    return language if language in ("zh-hans", "zh-hant") else DEFAULT_LANGUAGE


def stamp_facts(dossier: Dossier, item_number: int | None) -> StampFacts:
    """The stamp of a record of the filed ``dossier`` with this 件号."""
    parts = code_parts(dossier)  # the 档号's own parts: stamp and code always agree
    template = archive_settings.ARCHIVE_CODE_TEMPLATE
    return StampFacts(
        fonds=parts["fonds"],
        year=parts["year"],
        retention=retention_label(dossier.retention, period_years(dossier.retention)),
        item_number=str(item_number or ""),
        archive_code=dossier.archive_code,
        department=parts["department"] if "{department}" in template else "",
    )


def _marker_value(facts: StampFacts) -> str:
    return f"{facts.archive_code} {facts.item_number}"


# Placing it on the first page -------------------------------------------------------------


def stamped_with(pdf: pikepdf.Pdf) -> str | None:
    """The marker of the filing stamp on the first page, or None when it has none."""
    if not len(pdf.pages):
        return None
    resources = pdf.pages[0].obj.get("/Resources")
    xobjects = resources.get("/XObject") if resources is not None else None
    for _name, xobject in (xobjects or {}).items():
        if isinstance(xobject, pikepdf.Stream) and MARKER in xobject:
            return str(xobject[MARKER])
    return None


def _placement(page: pikepdf.Page, width: float, height: float) -> pikepdf.Matrix:
    """The matrix that draws a ``width`` x ``height`` form upright, as the page is shown,
    in its top-right corner, ``MARGIN`` from the edges.

    A page shown turned (/Rotate) has its shown top-right corner elsewhere in its own
    coordinates, and the stamp is turned back against the page's turn.
    (``Page.add_overlay``'s own placement does not follow the page's /Rotate.)
    """
    box = pikepdf.Rectangle(page.cropbox)
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    turned = rotate in (90, 270)
    shown_width, shown_height = (
        (box.height, box.width) if turned else (box.width, box.height)
    )
    # A page smaller than the stamp and its margins gets a smaller stamp.
    margin = min(MARGIN, shown_width / 10, shown_height / 10)
    scale = min(
        1.0,
        (shown_width - 2 * margin) / width,
        (shown_height - 2 * margin) / height,
    )
    x0, y0, x1, y1 = box.llx, box.lly, box.urx, box.ury
    if rotate == 90:  # shown turned clockwise: the page's left edge is the top
        return pikepdf.Matrix(
            0,
            scale,
            -scale,
            0,
            x0 + margin + height * scale,
            y1 - margin - width * scale,
        )
    if rotate == 180:
        return pikepdf.Matrix(
            -scale,
            0,
            0,
            -scale,
            x0 + margin + width * scale,
            y0 + margin + height * scale,
        )
    if rotate == 270:  # the page's right edge is the top
        return pikepdf.Matrix(
            0,
            -scale,
            scale,
            0,
            x1 - margin - height * scale,
            y0 + margin + width * scale,
        )
    return pikepdf.Matrix(
        scale,
        0,
        0,
        scale,
        x1 - margin - width * scale,
        y1 - margin - height * scale,
    )


def stamp_pdf(pdf: pikepdf.Pdf, facts: StampFacts) -> None:
    """Lay the stamp over the first page of ``pdf``, upright as the page is shown."""
    with translation.override(stamp_language()):
        drawn = pikepdf.open(io.BytesIO(render(facts)))
    form = pdf.copy_foreign(drawn.pages[0].as_form_xobject())
    form[MARKER] = pikepdf.String(_marker_value(facts))
    page = pdf.pages[0]
    resources = page.obj.get("/Resources")
    taken = set((resources or {}).get("/XObject", {}).keys())
    # A fixed name (not pikepdf's random one): the same input gives the same bytes.
    name = next(
        f"/SvcArchiveStamp{n or ''}"
        for n in range(len(taken) + 1)
        if f"/SvcArchiveStamp{n or ''}" not in taken
    )
    page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(name))
    matrix = _placement(page, WIDTH * MM, HEIGHT * MM)
    # As ``add_overlay`` does: the page's own drawing closed in q/Q, the stamp after it.
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n", prepend=False)
    page.contents_add(
        b"q\n" + matrix.encode() + b" cm\n" + name.encode() + b" Do\nQ\n",
        prepend=False,
    )
    page.contents_coalesce()


# Files ------------------------------------------------------------------------------------


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a synced temporary file, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent,
        prefix=".stamping-",
        suffix=".pdf",
    )
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def stamped_bytes(source: Path, facts: StampFacts) -> bytes:
    """``source`` with the stamp on its first page, as the bytes to store."""
    with pikepdf.open(source) as pdf:
        stamp_pdf(pdf, facts)
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)  # the same input, the same bytes
    return buffer.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def regenerate_thumbnail(document: Document) -> None:
    """Make the thumbnail from the stamped first page, as paperless makes them."""
    from documents.caching import clear_document_caches
    from documents.parsers import make_thumbnail_from_pdf

    settings.SCRATCH_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.SCRATCH_DIR) as scratch:
        thumbnail = make_thumbnail_from_pdf(document.archive_path, Path(scratch))
        with FileLock(settings.MEDIA_LOCK):
            document.thumbnail_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(thumbnail, document.thumbnail_path)
    clear_document_caches(document.pk)


# The database -----------------------------------------------------------------------------


def _store_archive(document: Document, checksum: str, **columns: str) -> None:
    """Give paperless the archive version's checksum (and a new version's name)."""
    from documents.models import Document

    with transaction.atomic(), records.writing():
        Document.global_objects.filter(pk=document.pk).update(
            archive_checksum=checksum,
            **columns,
        )
        if settings.AUDIT_LOG_ENABLED:  # as paperless logs a new archive version
            from auditlog.models import LogEntry

            changes = {"archive_checksum": [document.archive_checksum, checksum]}
            if "archive_filename" in columns:
                changes["archive_filename"] = [
                    document.archive_filename,
                    columns["archive_filename"],
                ]
            LogEntry.objects.log_create(
                instance=document,
                changes=changes,
                additional_data={"reason": "Filing stamp"},
                action=LogEntry.Action.UPDATE,
            )


def _mark_stamped(row: DeclaredRecord, checksum: str) -> None:
    DeclaredRecord.objects.filter(pk=row.pk).update(
        stamped_at=timezone.now(),
        stamped_checksum=checksum,
        stamp_problem="",
    )


def _skip(row: DeclaredRecord, why: str) -> str:
    DeclaredRecord.objects.filter(pk=row.pk).update(stamp_problem=why[:255])
    logger.warning(
        "Filing stamp: document %s of dossier %s not stamped: %s",
        row.document_id,
        row.dossier.archive_code,
        why,
    )
    return why


# Stamping ---------------------------------------------------------------------------------

STAMPED = "stamped"
REPAIRED = "repaired"


def stamp_record(row: DeclaredRecord) -> str:
    """Stamp the archive version of one declared record; re-runnable.

    Returns ``STAMPED``, ``REPAIRED`` (the file was stamped, the database is now told),
    ``""`` (nothing to do) or why the record cannot be stamped. Holds paperless's media
    lock from reading the row to writing the checksum: paperless moves archive files
    under it (a new title, a new storage path), and two runs never stamp one file at once.
    """
    from documents.models import Document

    with FileLock(settings.MEDIA_LOCK):
        document = Document.global_objects.filter(pk=row.document_id).first()
        if document is None:
            return _skip(row, _("the document no longer exists"))
        row.refresh_from_db(fields=["stamped_at", "stamped_checksum"])
        facts = stamp_facts(row.dossier, row.item_number)
        if document.archive_filename:
            outcome = _stamp_archive(document, row, facts)
        elif document.mime_type == PDF and document.source_path.is_file():
            outcome = _new_archive(document, row, facts)
        elif document.mime_type == PDF:
            outcome = _skip(row, _("its original file is missing"))
        else:
            outcome = _skip(
                row,
                _(
                    "it has no archive version and its original is not a PDF "
                    "(%(type)s); the stamp goes on PDFs only",
                )
                % {"type": document.mime_type},
            )
    if outcome in (STAMPED, REPAIRED):
        try:
            regenerate_thumbnail(document)
        except Exception:  # the stamp stands; a thumbnail is a convenience
            logger.exception("Filing stamp: no new thumbnail for %s", document.pk)
    return outcome


def _new_archive(document: Document, row: DeclaredRecord, facts: StampFacts) -> str:
    """The stamped original becomes the archive version, named as paperless names them.

    Name and checksum are committed before the file is written: a run that stops in
    between leaves the record unstamped with its name, and the next run writes the file.
    """
    from documents.file_handling import generate_unique_filename

    data = stamped_bytes(document.source_path, facts)
    checksum = _sha256(data)
    name = str(generate_unique_filename(document, archive_filename=True))
    _store_archive(document, checksum, archive_filename=name)
    document.archive_filename = name
    write_atomically(document.archive_path, data)
    _mark_stamped(row, checksum)
    return STAMPED


def _stamp_archive(document: Document, row: DeclaredRecord, facts: StampFacts) -> str:
    path = document.archive_path
    if not path.is_file():
        if document.mime_type == PDF and document.source_path.is_file():
            # A new archive version whose file a stopped run did not write: stamping is
            # deterministic, so its stored checksum says whether it is ours.
            data = stamped_bytes(document.source_path, facts)
            if _sha256(data) == document.archive_checksum:
                write_atomically(path, data)
                _mark_stamped(row, document.archive_checksum)
                return STAMPED
        return _skip(row, _("its archive version is missing"))
    with pikepdf.open(path) as pdf:
        marker = stamped_with(pdf)
    actual = sha256_of(path)[0]
    if marker is not None:
        # Stamped already (a run stopped before the database was told): record it only.
        if actual == document.archive_checksum and row.stamped_checksum == actual:
            return ""
        _store_archive(document, actual)
        _mark_stamped(row, actual)
        return REPAIRED
    if actual != document.archive_checksum:
        # Never stamp over a damaged or replaced file: that would bless it.
        return _skip(
            row,
            _(
                "its archive version does not match its stored checksum; see the "
                "fixity check",
            ),
        )
    data = stamped_bytes(path, facts)
    write_atomically(path, data)
    checksum = _sha256(data)
    with transaction.atomic():
        _store_archive(document, checksum)
        _mark_stamped(row, checksum)
    return STAMPED


def unstamped(dossier: Dossier | None = None, *, retry: bool = False):
    """The declared records still waiting for their stamp (``retry``: skipped ones too)."""
    rows = DeclaredRecord.objects.filter(
        stamped_at=None,
        dossier__state=Dossier.State.FILED,
    ).exclude(dossier__archive_code="")
    if dossier is not None:
        rows = rows.filter(dossier=dossier)
    if not retry:
        rows = rows.filter(stamp_problem="")
    return rows.select_related(
        "dossier__project__department",
        "dossier__category",
    ).order_by("document_id")


def stamp(rows: Iterable[DeclaredRecord]) -> StampReport:
    """Stamp these declared records; nothing when ``FILING_STAMP`` is off."""
    report = StampReport()
    if not archive_settings.FILING_STAMP:
        return report
    for row in rows:
        outcome = stamp_record(row)
        if outcome == STAMPED:
            report.stamped.append(row.document_id)
        elif outcome == REPAIRED:
            report.repaired.append(row.document_id)
        elif outcome:
            report.skipped[row.document_id] = outcome
    reindex(report.stamped + report.repaired)
    return report


def stamp_dossier(dossier_id: int) -> StampReport:
    """Stamp every unstamped record of the filed dossier (after its filing commits)."""
    dossier = Dossier.objects.filter(pk=dossier_id).first()
    if dossier is None:
        return StampReport()
    return stamp(unstamped(dossier))


def stamp_all(*, retry: bool = False) -> StampReport:
    """Stamp every filed record left unstamped (a stopped run, a later declaration)."""
    return stamp(unstamped(retry=retry))
