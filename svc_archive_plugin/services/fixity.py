"""Fixity check 四性检测 (integrity): recompute each stored file's SHA-256 and compare.

A run checks every one of paperless's documents — documents in paperless's trash (their
files are still on disk) and v3 versions (rows of their own) included — and for each the
original and, where there is one, the archive version:

- the file must exist (*missing*), be readable to the end and, for a PDF, open with
  pikepdf (*unreadable*);
- its SHA-256, read in 1 MiB blocks (memory stays flat whatever the file or archive
  size), must equal paperless's stored checksum (*mismatch*; *no checksum* when none is
  stored).

Each problem is a ``FixityFinding``. Starting a run splits the documents that exist then
into parts (``FixityChunk``: an id range of ``FIXITY_CHUNK`` documents). Any number of
workers check one run at once: each claims a pending part (``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL; a conditional ``UPDATE`` where there is no SKIP LOCKED, SQLite)
and commits the part's findings, its counters (added to the run's) and its new state in
one transaction, so no document is counted twice and no finding duplicated, whichever
worker stops or dies when. A worker whose time slice runs out inside a part commits what
it checked and hands the rest of the part back.

One check at a time: a unique constraint allows one *running* run in the database. Each
worker writes a heartbeat on its part (and the run) at least every minute. A part whose
heartbeat is older than ``FIXITY_STALE_AFTER`` seconds lost its worker and is claimed
again; a running run whose heartbeat is that old was abandoned by every worker and counts
as interrupted, to be resumed. The part's claim is also the worker's lease: each write
names it, so a worker whose part was claimed again (it froze for too long), or whose run
was interrupted, stops at its next write and its uncommitted work is rolled back.

Whichever worker commits the last part finishes the run, exactly once (a conditional
``UPDATE`` of the run's state under its row lock): it checks the evidence chains against
the previous anchor and records every chain's head as the new anchor
(``services.chains``), then e-mails the archive managers once: the run's problems, or,
when there are none, a short mail with the heads.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import smtplib
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError
from django.db import connection
from django.db import transaction
from django.db.models import F
from django.db.models import Q
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import FixityChunk
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
Part = FixityChunk.State
Problem = FixityFinding.Problem
File = FixityFinding.File

BLOCK = 1024 * 1024  # bytes per read
HEARTBEAT_EVERY = datetime.timedelta(seconds=60)  # at most; a third of the stale time
PARALLEL_AT_MOST = 8  # chunk workers queued by default
WAIT_POLL = 1.0  # seconds between looks at parts other workers hold (``wait``)
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
    """The part this worker holds, by the claim it made."""

    run_id: int
    chunk_id: int
    token: str
    every: float  # seconds between heartbeats
    last_tick: float = field(default_factory=time.monotonic)
    buffer: bytearray = field(default_factory=lambda: bytearray(BLOCK))  # reused


@dataclass
class _Tally:
    files: int = 0
    bytes: int = 0


def stale_after() -> datetime.timedelta:
    """How long without progress before a worker (or a whole run) counts as dead."""
    return datetime.timedelta(seconds=archive_settings.FIXITY_STALE_AFTER)


def heartbeat_every() -> float:
    """Seconds between heartbeats: often enough that a live worker never looks stale."""
    return min(HEARTBEAT_EVERY.total_seconds(), stale_after().total_seconds() / 3)


def chunk_size() -> int:
    return archive_settings.FIXITY_CHUNK


def worker_name() -> str:
    """Who claims a part: host, process and thread (the admin shows it on the part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


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
        heartbeat_at__gte=timezone.now() - stale_after(),
    ).first()


def release_abandoned() -> int:
    """Mark running checks whose heartbeat stopped as interrupted; return how many."""
    cutoff = timezone.now() - stale_after()
    return (
        FixityRun.objects.filter(state=State.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at=None))
        .update(state=State.INTERRUPTED)
    )


def start(user: User | None = None, *, size: int | None = None) -> FixityRun:
    """Open a new run split into parts of ``size`` documents; refused while another
    check is running."""
    release_abandoned()
    try:
        with transaction.atomic():
            run = FixityRun.objects.create(
                started_by=user,
                state=State.RUNNING,
                heartbeat_at=timezone.now(),
            )
            _plan(run, size or chunk_size())
            return run
    except IntegrityError:
        raise busy() from None


def _plan(run: FixityRun, size: int, after: int = 0) -> int:
    """Split the documents with ids after ``after`` into parts; return how many.

    The ids are streamed: memory stays flat with a million documents. A document added
    after the run started is checked by the next run.
    """
    from documents.models import Document

    ids = (
        Document.global_objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    parts: list[FixityChunk] = []
    made = count = 0
    first = None

    def part(last: int) -> FixityChunk:
        return FixityChunk(
            run=run,
            first_id=first,
            last_id=last,
            last_document_id=first - 1,
        )

    for pk in ids.iterator(chunk_size=10_000):
        first = pk if first is None else first
        count += 1
        if count == size:
            parts.append(part(pk))
            first, count = None, 0
        if len(parts) >= 1000:
            FixityChunk.objects.bulk_create(parts)
            made, parts = made + len(parts), []
    if first is not None:
        parts.append(part(pk))
    FixityChunk.objects.bulk_create(parts)
    return made + len(parts)


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
            if claimed:
                # Whoever held a part when the run stopped is gone or stops at its next
                # write: its part is checked again from its last commit.
                last.chunks.filter(state=Part.CLAIMED).update(
                    state=Part.PENDING,
                    claimed_by="",
                    claimed_at=None,
                )
                if not last.chunks.exists():  # a run from before the parts
                    _plan(last, chunk_size(), after=last.last_document_id)
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


def workers_for(run: FixityRun) -> int:
    """How many chunk workers to queue for the run: the setting, never more than parts."""
    wanted = archive_settings.FIXITY_PARALLEL or min(
        getattr(settings, "CELERY_WORKER_CONCURRENCY", 1) or 1,
        PARALLEL_AT_MOST,
    )
    left = run.chunks.exclude(state=Part.DONE).count()
    return max(1, min(wanted, left))


def next_step(run_id: int) -> float | None:
    """What a chunk worker that stopped does next: None, stop; 0, go on at once; else
    look again after that many seconds (a part held by another worker may be orphaned).
    """
    if not FixityRun.objects.filter(pk=run_id, state=State.RUNNING).exists():
        return None
    left = FixityChunk.objects.filter(run_id=run_id).exclude(state=Part.DONE)
    if left.filter(state=Part.PENDING).exists():
        return 0
    if left.exists():
        return heartbeat_every()
    return None


# The walk ----------------------------------------------------------------------------


def check(
    run: FixityRun,
    *,
    limit: int | None = None,
    seconds: float | None = None,
    notify: bool = True,
    wait: bool = False,
) -> FixityRun:
    """Check parts of ``run`` (running) until none is left to claim; return the run now.

    ``limit`` stops after that many documents and leaves the run interrupted, to be
    resumed; ``seconds`` stops after the document during which that time ran out and
    hands the part back, the run still running for the next slice. ``wait`` waits for
    parts other workers hold, to claim them again if their worker dies. Any error (or
    Ctrl-C, a worker's time limit) leaves the run interrupted, after the last part
    committed. The worker that commits the last part finishes the run and, if
    ``notify``, mails the managers.
    """
    name = worker_name()
    deadline = None if seconds is None else time.monotonic() + seconds
    done = 0
    lease = None
    finished = False
    try:
        while True:
            if limit is not None and done >= limit:
                if _left(run.pk):
                    _interrupt(run.pk)
                break
            # At least one document per call, so a slice always makes progress.
            if deadline is not None and done > 0 and time.monotonic() >= deadline:
                break
            lease = _claim(run.pk, name)
            if lease is None:
                if wait and _left(run.pk) and _is_running(run.pk):
                    # Soon enough to stop when the others finish; a dead worker's part
                    # becomes claimable only after the stale time anyway.
                    time.sleep(min(heartbeat_every(), WAIT_POLL))
                    continue
                break
            done += _check_chunk(
                lease,
                run,
                budget=None if limit is None else limit - done,
                deadline=deadline,
                started=done > 0,
            )
            lease = None
        finished = _finish(run.pk)
    except _LeaseLost:
        logger.warning(
            "A part of fixity check %s was taken over by another worker, or the check "
            "was interrupted; this worker stops.",
            run.pk,
        )
    except BaseException:
        if lease is not None:
            _release(lease)
        _interrupt(run.pk)
        raise
    run = FixityRun.objects.get(pk=run.pk)
    if notify and finished:
        notify_managers(run)
    return run


def _check_chunk(
    lease: _Lease,
    run: FixityRun,
    *,
    budget: int | None,
    deadline: float | None,
    started: bool,
) -> int:
    """Check the claimed part after its cursor; commit it; return documents checked."""
    from documents.models import Document

    chunk = FixityChunk.objects.get(pk=lease.chunk_id)
    documents = list(
        Document.global_objects.filter(
            pk__gt=chunk.last_document_id,
            pk__lte=chunk.last_id,
        )
        .order_by("pk")
        .only(*FIELDS),
    )
    tally = _Tally()
    findings: list[FixityFinding] = []
    cursor = chunk.last_document_id
    checked = 0
    for document in documents:
        if budget is not None and checked >= budget:
            break
        out_of_time = deadline is not None and time.monotonic() >= deadline
        if out_of_time and (started or checked > 0):
            break
        findings += _check_document(document, run, tally, lease)
        checked += 1
        cursor = document.pk
        _heartbeat(lease)
    _commit(
        lease,
        cursor,
        checked,
        tally,
        findings,
        complete=checked == len(documents),
    )
    return checked


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


# The parts: claims and leases --------------------------------------------------------


def _claimable(run_id: int):
    cutoff = timezone.now() - stale_after()
    return FixityChunk.objects.filter(run_id=run_id).filter(
        Q(state=Part.PENDING)
        | Q(state=Part.CLAIMED, heartbeat_at__lt=cutoff)
        | Q(state=Part.CLAIMED, heartbeat_at=None),
    )


def _claim(run_id: int, name: str) -> _Lease | None:
    """Claim the first part nobody (alive) holds; None when there is none."""
    if not _is_running(run_id):
        return None
    token = f"{name}:{uuid.uuid4().hex[:8]}"[:128]
    now = timezone.now()
    claim = {
        "state": Part.CLAIMED,
        "claimed_by": token,
        "claimed_at": now,
        "heartbeat_at": now,
    }
    chunk_id = None
    if connection.features.has_select_for_update_skip_locked:
        # Locked parts are being claimed by another worker right now: take the next.
        with transaction.atomic():
            chunk_id = (
                _claimable(run_id)
                .select_for_update(skip_locked=True)
                .order_by("first_id")
                .values_list("pk", flat=True)
                .first()
            )
            if chunk_id is not None:
                FixityChunk.objects.filter(pk=chunk_id).update(**claim)
    else:
        # The UPDATE repeats the condition: of two workers after the same part, one
        # updates it, the other finds it taken and tries the next.
        while chunk_id is None:
            candidate = (
                _claimable(run_id)
                .order_by("first_id")
                .values_list("pk", flat=True)
                .first()
            )
            if candidate is None:
                break
            if _claimable(run_id).filter(pk=candidate).update(**claim):
                chunk_id = candidate
    if chunk_id is None:
        return None
    lease = _Lease(run_id, chunk_id, token, heartbeat_every())
    if not FixityRun.objects.filter(pk=run_id, state=State.RUNNING).update(
        heartbeat_at=now,
    ):  # interrupted meanwhile
        _release(lease)
        return None
    return lease


def _is_running(run_id: int) -> bool:
    return FixityRun.objects.filter(pk=run_id, state=State.RUNNING).exists()


def _left(run_id: int) -> bool:
    """Whether some part of the run is not done yet."""
    return FixityChunk.objects.filter(run_id=run_id).exclude(state=Part.DONE).exists()


def _heartbeat(lease: _Lease) -> None:
    """While a part is checked: renew the lease at most once every ``heartbeat_every``."""
    if time.monotonic() - lease.last_tick < lease.every:
        return
    beat = timezone.now()
    if not FixityChunk.objects.filter(
        pk=lease.chunk_id,
        state=Part.CLAIMED,
        claimed_by=lease.token,
    ).update(heartbeat_at=beat):
        raise _LeaseLost
    if not FixityRun.objects.filter(pk=lease.run_id, state=State.RUNNING).update(
        heartbeat_at=beat,
    ):
        raise _LeaseLost
    lease.last_tick = time.monotonic()


def _commit(
    lease: _Lease,
    last_id: int,
    documents: int,
    tally: _Tally,
    findings: list[FixityFinding],
    *,
    complete: bool,
) -> None:
    """Write a part's findings, counters and state together, or nothing.

    A part not complete (the slice or the limit ran out) is handed back with its cursor.
    The run's row is updated first: every writer locks the run, then a part, never the
    other way round.
    """
    beat = timezone.now()
    counts = {
        "documents_checked": F("documents_checked") + documents,
        "files_checked": F("files_checked") + tally.files,
        "bytes_read": F("bytes_read") + tally.bytes,
        "problems": F("problems") + len(findings),
    }
    with transaction.atomic():
        if not FixityRun.objects.filter(pk=lease.run_id, state=State.RUNNING).update(
            heartbeat_at=beat,
            last_document_id=Greatest(F("last_document_id"), last_id),
            **counts,
        ):
            raise _LeaseLost
        if not FixityChunk.objects.filter(
            pk=lease.chunk_id,
            state=Part.CLAIMED,
            claimed_by=lease.token,
        ).update(
            heartbeat_at=beat,
            last_document_id=last_id,
            **counts,
            **(
                {"state": Part.DONE}
                if complete
                else {"state": Part.PENDING, "claimed_by": "", "claimed_at": None}
            ),
        ):
            raise _LeaseLost
        FixityFinding.objects.bulk_create(findings)
    lease.last_tick = time.monotonic()


def _release(lease: _Lease) -> None:
    """Hand a part back unchanged (its uncommitted work is lost, never half-written)."""
    try:
        FixityChunk.objects.filter(
            pk=lease.chunk_id,
            state=Part.CLAIMED,
            claimed_by=lease.token,
        ).update(state=Part.PENDING, claimed_by="", claimed_at=None)
    except Exception:  # the database may be what failed; the heartbeat then expires
        logger.exception("Could not hand back a part of fixity check %s", lease.run_id)


def _finish(run_id: int) -> bool:
    """Finish the run if every part is done; True for the one worker that finished it."""
    if _left(run_id):
        return False
    with transaction.atomic():
        # Under the run's row lock: a second worker finishing too waits, then finds the
        # run finished. The chains are checked against the anchor before this run's,
        # then anchored anew, once.
        locked = (
            FixityRun.objects.select_for_update()
            .filter(pk=run_id, state=State.RUNNING)
            .values_list("pk", flat=True)
            .first()
        )
        if locked is None:
            return False
        chain_problems = [finding.as_dict() for finding in chains.verify()]
        chain_heads = chains.heads()
        now = timezone.now()
        return bool(
            FixityRun.objects.filter(pk=run_id, state=State.RUNNING).update(
                state=State.FINISHED,
                finished_at=now,
                heartbeat_at=now,
                chain_heads=chain_heads,
                chain_problems=chain_problems,
            ),
        )


def _interrupt(run_id: int) -> None:
    try:
        FixityRun.objects.filter(pk=run_id, state=State.RUNNING).update(
            state=State.INTERRUPTED,
            heartbeat_at=timezone.now(),
        )
    except Exception:  # the database may be what failed; the heartbeat then expires
        logger.exception("Could not mark fixity check %s interrupted", run_id)


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
