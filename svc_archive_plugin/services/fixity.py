"""Fixity check 四性检测 (integrity): recompute each stored file's SHA-256 and compare.

A run walks paperless's documents in id order, in chunks — every row, documents in
paperless's trash (their files are still on disk) and v3 versions (rows of their own)
included — and for each the original and, where there is one, the archive version:

- the file must exist (*missing*), be readable to the end and, for a PDF, open with
  pikepdf (*unreadable*);
- its SHA-256, read in 1 MiB blocks (memory stays flat whatever the file or archive
  size), must equal paperless's stored checksum (*mismatch*; *no checksum* when none is
  stored).

Each problem is a ``FixityFinding``. After each chunk the run's counters and cursor
(``last_document_id``) are committed with the chunk's findings in one transaction, so a
run stopped at any moment can be resumed after the last chunk it committed, without
checking a document twice or duplicating a finding.

One check at a time: a unique constraint allows one *running* run in the database. The
worker writes a heartbeat at least every minute; a running run whose heartbeat is older
than ``STALE_AFTER`` was abandoned (its worker died) and counts as interrupted. The
heartbeat is also the worker's lease: each write names the value it last wrote, so a
worker whose run was taken over (it froze for longer than ``STALE_AFTER``) stops at its
next write and its unfinished chunk is rolled back.

When a run finishes it checks the evidence chains against the previous anchor and records
every chain's head as the new anchor (``services.chains``). A finished run e-mails the
archive managers once: its problems, or, when there are none, a short mail with the heads.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import smtplib
import time
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError
from django.db import transaction
from django.db.models import F
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.models import FixityFinding
from svc_archive_plugin.models import FixityRun
from svc_archive_plugin.services import chains
from svc_archive_plugin.services.language import by_language
from svc_archive_plugin.services.language import in_language_of
from svc_archive_plugin.services.language import with_languages
from svc_archive_plugin.services.provisioning import provisioned
from svc_archive_plugin.services.refusals import Refused

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from django.contrib.auth.models import User
    from documents.models import Document

logger = logging.getLogger("paperless.svc_archive")

State = FixityRun.State
Problem = FixityFinding.Problem
File = FixityFinding.File

CHUNK = 500  # documents per transaction
BLOCK = 1024 * 1024  # bytes per read
HEARTBEAT_EVERY = datetime.timedelta(seconds=60)
STALE_AFTER = datetime.timedelta(minutes=10)
MAIL_LISTS_AT_MOST = 50  # findings listed in the mail; the admin has them all
SLICE = datetime.timedelta(minutes=10)  # one celery task's share of a long check
FIELDS = (
    "id",
    "title",
    "checksum",
    "archive_checksum",
    "filename",
    "archive_filename",
    "mime_type",  # source_path of a document without a file name needs its suffix
)


class FixityError(Refused):
    """A fixity check that cannot be started or resumed now."""


class FixityBusy(FixityError):
    """Another fixity check is running."""


class NothingToResume(FixityError):
    """The last fixity check was not interrupted."""


class _LeaseLost(Exception):
    """Another worker took the run over; this one stops."""


@dataclass
class _Lease:
    """The run this worker holds, and the heartbeat it last wrote."""

    run_id: int
    beat: datetime.datetime
    last_tick: float = field(default_factory=time.monotonic)
    buffer: bytearray = field(default_factory=lambda: bytearray(BLOCK))  # reused


@dataclass
class _Tally:
    files: int = 0
    bytes: int = 0


# Starting and resuming ---------------------------------------------------------------


def busy() -> FixityBusy:
    """Why a check cannot start now: the one running, with its progress."""
    running = FixityRun.objects.filter(state=State.RUNNING).first()
    if running is None:
        return FixityBusy(_("Another fixity check was started at the same moment."))
    return FixityBusy(
        _(
            "A fixity check is already running (started %(started)s, %(count)d "
            "documents checked so far).",
        )
        % {
            "started": timezone.localtime(running.started_at).strftime(
                "%Y-%m-%d %H:%M",
            ),
            "count": running.documents_checked,
        },
    )


def running_check() -> FixityRun | None:
    """The check running now, if any (one whose heartbeat stopped does not count)."""
    return FixityRun.objects.filter(
        state=State.RUNNING,
        heartbeat_at__gte=timezone.now() - STALE_AFTER,
    ).first()


def release_abandoned() -> int:
    """Mark running checks whose heartbeat stopped as interrupted; return how many."""
    cutoff = timezone.now() - STALE_AFTER
    return (
        FixityRun.objects.filter(state=State.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at=None))
        .update(state=State.INTERRUPTED)
    )


def start(user: User | None = None) -> FixityRun:
    """Open a new run; refused while another check is running."""
    release_abandoned()
    try:
        with transaction.atomic():
            return FixityRun.objects.create(
                started_by=user,
                state=State.RUNNING,
                heartbeat_at=timezone.now(),
            )
    except IntegrityError:
        raise busy() from None


def resume() -> FixityRun:
    """Take up the last run again where it stopped, if it was interrupted."""
    release_abandoned()
    last = FixityRun.objects.order_by("-pk").first()
    if last is not None and last.state == State.RUNNING:
        raise busy()
    if last is None or last.state != State.INTERRUPTED:
        raise NothingToResume(_("The last fixity check was not interrupted."))
    try:
        with transaction.atomic():
            claimed = FixityRun.objects.filter(
                pk=last.pk,
                state=State.INTERRUPTED,
            ).update(state=State.RUNNING, heartbeat_at=timezone.now())
    except IntegrityError:
        raise busy() from None
    if not claimed:  # another worker resumed it first
        raise busy()
    last.refresh_from_db()
    return last


def slice_seconds() -> float:
    """How long one task checks before it queues the next: well inside the time limit."""
    limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or 1800
    return min(SLICE.total_seconds(), limit / 2)


def resume_or_start(user: User | None = None) -> FixityRun:
    """Finish an interrupted run first, so every document gets checked; else start one."""
    try:
        return resume()
    except NothingToResume:
        return start(user)


# The walk ----------------------------------------------------------------------------


def check(
    run: FixityRun,
    *,
    chunk_size: int = CHUNK,
    limit: int | None = None,
    seconds: float | None = None,
    notify: bool = True,
) -> FixityRun:
    """Check the documents after the run's cursor; ``run`` must be claimed (running).

    ``limit`` stops after that many documents, ``seconds`` after the document during
    which that time ran out; either leaves the run interrupted, to be resumed. Any error
    (or Ctrl-C, a worker's time limit) leaves it interrupted too, after the last chunk it
    committed. Returns the run as it is now.
    """
    from documents.models import Document

    lease = _Lease(run.pk, run.heartbeat_at)
    cursor = run.last_document_id
    deadline = None if seconds is None else time.monotonic() + seconds
    done = 0
    try:
        while True:
            size = chunk_size if limit is None else min(chunk_size, limit - done)
            # At least one document per call, so a slice always makes progress.
            out_of_time = (
                deadline is not None and done > 0 and time.monotonic() >= deadline
            )
            if size <= 0 or out_of_time:
                if Document.global_objects.filter(pk__gt=cursor).exists():
                    _interrupt(lease)
                    return FixityRun.objects.get(pk=run.pk)
                break
            documents = list(
                Document.global_objects.filter(pk__gt=cursor)
                .order_by("pk")
                .only(*FIELDS)[:size],
            )
            if not documents:
                break
            tally = _Tally()
            findings: list[FixityFinding] = []
            checked = 0
            for document in documents:
                findings += _check_document(document, run, tally, lease)
                checked += 1
                if deadline is not None and time.monotonic() >= deadline:
                    break
            cursor = documents[checked - 1].pk
            _commit(lease, cursor, checked, tally, findings)
            done += checked
        _finish(lease)
    except _LeaseLost:
        logger.warning(
            "Fixity check %s was taken over by another worker; this one stops.",
            run.pk,
        )
    except BaseException:
        _interrupt(lease)
        raise
    run = FixityRun.objects.get(pk=run.pk)
    if notify and run.state == State.FINISHED:
        notify_managers(run)
    return run


def _check_document(
    document: Document,
    run: FixityRun,
    tally: _Tally,
    lease: _Lease,
) -> list[FixityFinding]:
    """Check one document's files; a problem is confirmed against a fresh read of the row.

    The row is read again before a problem is recorded: a document purged, or whose file
    paperless moved or replaced while the run walked past, is not a problem.
    """
    from documents.models import Document

    counted = _Tally()
    findings = _check_files(document, run, counted, lease)
    if findings:
        fresh = Document.global_objects.filter(pk=document.pk).only(*FIELDS).first()
        if fresh is None:
            findings = []
        elif any(getattr(fresh, name) != getattr(document, name) for name in FIELDS):
            counted = _Tally()  # its files as they are now, counted once
            findings = _check_files(fresh, run, counted, lease)
    tally.files += counted.files
    tally.bytes += counted.bytes
    return findings


def _check_files(
    document: Document,
    run: FixityRun,
    tally: _Tally,
    lease: _Lease,
) -> list[FixityFinding]:
    def finding(file: str, path, problem: str, *, expected="", actual="", detail=""):
        return FixityFinding(
            run=run,
            document_id=document.pk,
            title=(document.title or "")[:128],
            file=file,
            path=str(path or "")[:1024],
            problem=problem,
            expected=expected or "",
            actual=actual or "",
            detail=detail,
        )

    found = []
    source = document.source_path  # each resolve()s the path: once is enough
    problem = _check_file(
        source,
        document.checksum,
        is_pdf=document.mime_type == "application/pdf",
        tally=tally,
        lease=lease,
    )
    if problem:
        found.append(finding(File.ORIGINAL, source, **problem))
    if document.archive_filename:
        archive = document.archive_path
        problem = _check_file(
            archive,
            document.archive_checksum,
            is_pdf=True,
            tally=tally,
            lease=lease,
        )
        if problem:
            found.append(finding(File.ARCHIVE, archive, **problem))
    elif document.archive_checksum:
        tally.files += 1
        found.append(
            finding(
                File.ARCHIVE,
                "",
                Problem.MISSING,
                expected=document.archive_checksum,
                detail=_("an archive checksum is stored, but no archive file name"),
            ),
        )
    return found


def _check_file(
    path: Path,
    expected: str | None,
    *,
    is_pdf: bool,
    tally: _Tally,
    lease: _Lease,
) -> dict[str, str] | None:
    """What is wrong with the file (``problem``, ``expected``, ``actual``, ``detail``)."""
    tally.files += 1
    if not path.is_file():
        return {"problem": Problem.MISSING, "expected": expected}
    try:
        actual, size = sha256_of(path, lambda: _heartbeat(lease), lease.buffer)
    except OSError as exc:
        return {"problem": Problem.UNREADABLE, "expected": expected, "detail": str(exc)}
    tally.bytes += size
    if not expected:
        return {"problem": Problem.NO_CHECKSUM, "actual": actual}
    if actual != expected:
        broken = pdf_problem(path) if is_pdf else None
        return {
            "problem": Problem.MISMATCH,
            "expected": expected,
            "actual": actual,
            "detail": (
                _("it does not open as a PDF either: %(error)s") % {"error": broken}
                if broken
                else ""
            ),
        }
    if is_pdf and (broken := pdf_problem(path)):
        return {
            "problem": Problem.UNREADABLE,
            "expected": expected,
            "actual": actual,
            "detail": _("does not open as a PDF: %(error)s") % {"error": broken},
        }
    return None


def sha256_of(
    path: Path,
    tick: Callable[[], None] | None = None,
    buffer: bytearray | None = None,
) -> tuple[str, int]:
    """The file's SHA-256 (hex) and size, read in ``BLOCK``-sized blocks into one buffer."""
    digest = hashlib.sha256()
    buffer = buffer if buffer is not None else bytearray(BLOCK)
    view = memoryview(buffer)
    size = 0
    with path.open("rb", buffering=0) as stream:
        while read := stream.readinto(buffer):
            digest.update(view[:read])
            size += read
            if tick is not None:
                tick()
    return digest.hexdigest(), size


def pdf_problem(path: Path) -> str | None:
    """Why the file does not open as a PDF, or None when it does."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            len(pdf.pages)
    except pikepdf.PasswordError:
        # An encrypted PDF: its structure was read, only its content is locked.
        return None
    except (pikepdf.PdfError, OSError, RuntimeError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    return None


# The run's row: the lease ------------------------------------------------------------


def _heartbeat(lease: _Lease) -> None:
    """While a long file is read: renew the lease at most once every ``HEARTBEAT_EVERY``."""
    if time.monotonic() - lease.last_tick < HEARTBEAT_EVERY.total_seconds():
        return
    beat = timezone.now()
    if not FixityRun.objects.filter(
        pk=lease.run_id,
        state=State.RUNNING,
        heartbeat_at=lease.beat,
    ).update(heartbeat_at=beat):
        raise _LeaseLost
    lease.beat, lease.last_tick = beat, time.monotonic()


def _commit(
    lease: _Lease,
    last_id: int,
    documents: int,
    tally: _Tally,
    findings: list[FixityFinding],
) -> None:
    """Write a chunk's findings, counters and cursor together, or nothing."""
    beat = timezone.now()
    with transaction.atomic():
        if not FixityRun.objects.filter(
            pk=lease.run_id,
            state=State.RUNNING,
            heartbeat_at=lease.beat,
        ).update(
            heartbeat_at=beat,
            last_document_id=last_id,
            documents_checked=F("documents_checked") + documents,
            files_checked=F("files_checked") + tally.files,
            bytes_read=F("bytes_read") + tally.bytes,
            problems=F("problems") + len(findings),
        ):
            raise _LeaseLost
        FixityFinding.objects.bulk_create(findings)
    lease.beat, lease.last_tick = beat, time.monotonic()


def _finish(lease: _Lease) -> None:
    # The chains are checked against the anchor before this run's, then anchored anew.
    chain_problems = [finding.as_dict() for finding in chains.verify()]
    chain_heads = chains.heads()
    now = timezone.now()
    if not FixityRun.objects.filter(
        pk=lease.run_id,
        state=State.RUNNING,
        heartbeat_at=lease.beat,
    ).update(
        state=State.FINISHED,
        finished_at=now,
        heartbeat_at=now,
        chain_heads=chain_heads,
        chain_problems=chain_problems,
    ):
        raise _LeaseLost


def _interrupt(lease: _Lease) -> None:
    try:
        FixityRun.objects.filter(
            pk=lease.run_id,
            state=State.RUNNING,
            heartbeat_at=lease.beat,
        ).update(state=State.INTERRUPTED, heartbeat_at=timezone.now())
    except Exception:  # the database may be what failed; the heartbeat then expires
        logger.exception("Could not mark fixity check %s interrupted", lease.run_id)


# Telling the archive managers --------------------------------------------------------


def archive_managers() -> list[User]:
    """The active members of the archive managers' role group who have an address."""
    role = provisioned("group.archive_managers")
    if role is None:
        return []
    users = (
        get_user_model()
        .objects.filter(groups=role, is_active=True)
        .exclude(email="")
        .distinct()
    )
    return list(with_languages(users).order_by("email", "pk"))


def notify_managers(run: FixityRun) -> bool:
    """Mail the archive managers a finished run's report, once; return whether sent.

    With problems, the report; without, a short mail: both carry the heads of the
    evidence chains, so the anchor also lives outside the database. Each manager reads it
    in the language they chose in paperless (one mail per language).
    """
    if run.mailed_at is not None or run.state != State.FINISHED:
        return False
    if not getattr(settings, "EMAIL_ENABLED", False):
        logger.info(
            "Fixity check %s found %d problems; no mail sent: paperless has no mail "
            "server configured",
            run.pk,
            run.problems + len(run.chain_problems),
        )
        return False
    managers = archive_managers()
    if not managers:
        logger.warning(
            "Fixity check %s found %d problems; no archive manager has an e-mail address",
            run.pk,
            run.problems + len(run.chain_problems),
        )
        return False
    # Claimed before sending: a second caller finds it taken and sends nothing.
    if not FixityRun.objects.filter(pk=run.pk, mailed_at=None).update(
        mailed_at=timezone.now(),
    ):
        return False
    findings = list(run.findings.order_by("document_id", "file")[:MAIL_LISTS_AT_MOST])
    sent = 0
    for readers in by_language(managers).values():
        try:
            _message(run, findings, readers).send()
        except (OSError, smtplib.SMTPException) as exc:
            logger.warning("Could not mail the fixity check %s: %s", run.pk, exc)
        else:
            sent += 1
    if not sent:
        FixityRun.objects.filter(pk=run.pk).update(mailed_at=None)
        return False
    run.refresh_from_db(fields=["mailed_at"])
    return True


def _message(
    run: FixityRun,
    findings: list[FixityFinding],
    readers: list[User],
) -> EmailMessage:
    """The report's mail, in the language of its readers (all read the same one)."""
    day = timezone.localtime(run.started_at).date()
    where = reverse("admin:svc_archive_plugin_fixityrun_change", args=[run.pk])
    base = getattr(settings, "PAPERLESS_URL", None) or ""
    with in_language_of(readers[0]):
        if run.problems or run.chain_problems:
            subject = _("Fixity check of %(day)s: %(count)d problems") % {
                "day": day,
                "count": run.problems + len(run.chain_problems),
            }
        else:
            subject = _(
                "Fixity check of %(day)s: no problems; heads of the evidence chains",
            ) % {"day": day}
        parts = []
        if run.problems:
            lines = [
                f"- #{f.document_id} {f.title} — {f.get_file_display()}: "
                f"{f.get_problem_display()} ({f.path or '-'})"
                for f in findings
            ]
            if run.problems > len(findings):
                lines.append(
                    _("… and %(count)d more") % {"count": run.problems - len(findings)},
                )
            parts.append(
                _(
                    "The fixity check started on %(day)s found %(problems)d problems in "
                    "%(files)d files of %(documents)d documents:",
                )
                % {
                    "day": day,
                    "problems": run.problems,
                    "files": run.files_checked,
                    "documents": run.documents_checked,
                }
                + "\n\n"
                + "\n".join(lines),
            )
        else:
            parts.append(
                _(
                    "The fixity check started on %(day)s found no problem in %(files)d "
                    "files of %(documents)d documents.",
                )
                % {
                    "day": day,
                    "files": run.files_checked,
                    "documents": run.documents_checked,
                },
            )
        parts.append(chain_report(run))
        body = (
            "\n\n".join(parts)
            + "\n\n"
            + _("The full report: %(url)s") % {"url": f"{base}{where}"}
            + "\n"
        )
    return EmailMessage(
        subject=subject,
        body=body,
        to=list(dict.fromkeys(user.email for user in readers)),
    )


def chain_report(run: FixityRun) -> str:
    """The run's anchor in words: the chain problems found, then every chain's head."""
    text = []
    if run.chain_problems:
        text.append(
            _("The evidence chains do not verify:")
            + "\n"
            + "\n".join(
                f"- {chains.Finding(**problem)}" for problem in run.chain_problems
            ),
        )
    text.append(
        _(
            "Heads of the evidence chains (keep this mail: svc_archive_verify compares the "
            "chains with them):",
        )
        + "\n"
        + "\n".join(f"- {line}" for line in chains.head_lines(run.chain_heads)),
    )
    return "\n\n".join(text)
