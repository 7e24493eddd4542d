"""Celery tasks: thin, idempotent wrappers around the services (found by autodiscovery)."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task

from svc_archive_plugin.models import FixityRun
from svc_archive_plugin.services import capture
from svc_archive_plugin.services import fixity
from svc_archive_plugin.services import stamping
from svc_archive_plugin.services.access import apply_periods
from svc_archive_plugin.services.destruction import execute
from svc_archive_plugin.services.loans import remind_overdue
from svc_archive_plugin.services.reminders import (
    remind_collection_deadlines as _collect,
)
from svc_archive_plugin.services.reminders import remind_overdue_filings as _remind
from svc_archive_plugin.services.retention import recompute_all
from svc_archive_plugin.services.retention import sweep
from svc_archive_plugin.services.saved_views import move_retention_window

logger = logging.getLogger("paperless.svc_archive")


@shared_task
def remind_overdue_filings() -> int:
    """Daily: remind department heads of dossiers past their filing deadline."""
    return _remind()


@shared_task
def remind_collection_deadlines() -> int:
    """Daily: remind department heads of dossiers whose collection deadline is near or past."""
    return _collect()


@shared_task
def sweep_retention() -> int:
    """Daily: queue records whose retention has run out for appraisal (never deletes).

    Also moves the "retention ends within a year" saved view on by a day.
    """
    queued = sweep().queued
    move_retention_window()
    return queued


@shared_task
def recompute_retention() -> int:
    """After a schedule change: bring every record's retention up to date."""
    return recompute_all()


@shared_task
def execute_destruction(destruction_list_id: int) -> int:
    """Carry out a supervised destruction list (re-runnable: skips what is destroyed)."""
    return execute(destruction_list_id)


def _day(as_of: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(as_of) if as_of else None


@shared_task
def remind_overdue_loans(as_of: str | None = None) -> int:
    """Daily: e-mail borrowers of overdue loans 催还 (heads too after the grace period).

    ``as_of`` (YYYY-MM-DD) runs it as on another day, to catch up or to try it out.
    """
    return remind_overdue(_day(as_of))


@shared_task
def apply_access_periods(as_of: str | None = None) -> dict:
    """Daily: grant access whose period began; withdraw access whose period ended."""
    return apply_periods(_day(as_of))


@shared_task
def check_fixity(user_id: int | None = None, *, resume: bool = True) -> dict | None:
    """Weekly: the fixity check 四性检测 of every stored file (see ``services.fixity``).

    Continues an interrupted check if the last one was (``resume``), else starts one,
    split into parts; then queues the chunk workers (``FIXITY_PARALLEL``) that check the
    parts in parallel. Does nothing while another check runs.
    """
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        run = fixity.resume_or_start(user) if resume else fixity.start(user)
    except fixity.FixityBusy as exc:
        logger.info("Fixity check not started: %s", exc)
        return None
    workers = fixity.workers_for(run)
    for _ in range(workers):
        check_fixity_parts.delay(run.pk)
    run.refresh_from_db()
    return {
        "run": run.pk,
        "state": run.state,
        "workers": workers,
        "documents": run.documents_checked,
        "problems": run.problems,
    }


@shared_task(bind=True)
def check_fixity_parts(self, run_id: int) -> dict | None:
    """One chunk worker of a fixity check: claims parts until none is left or its slice
    of at most ten minutes ran out, then queues itself again to go on (or, while other
    workers hold the last parts, to take them over should their worker die). Several
    run at once, on any worker; the one that checks the last part finishes the run."""
    run = FixityRun.objects.filter(pk=run_id, state=FixityRun.State.RUNNING).first()
    if run is None:
        return None
    run = fixity.check(run, seconds=fixity.slice_seconds())
    after = fixity.next_step(run.pk)
    if after is not None:
        check_fixity_parts.apply_async(
            (run.pk,),
            countdown=after or None,
            queue=(self.request.delivery_info or {}).get("routing_key"),
        )
    return {
        "run": run.pk,
        "state": run.state,
        "documents": run.documents_checked,
        "problems": run.problems,
    }


@shared_task
def summarise_capture() -> int:
    """Daily: queue again scans whose consumption died with a worker, hold the files the
    consumer passes over, then mail the archive managers the day's capture reports."""
    capture.recover_interrupted_scans()
    capture.hold_unsupported_files()
    return capture.daily_summary()


@shared_task
def stamp_filed_records(dossier_id: int | None = None) -> dict:
    """After a filing, the filing stamp 归档章 on its records' archive versions; daily,
    on every filed record left unstamped (re-runnable: nothing is stamped twice)."""
    report = (
        stamping.stamp_dossier(dossier_id)
        if dossier_id is not None
        else stamping.stamp_all()
    )
    return {
        "stamped": len(report.stamped),
        "repaired": len(report.repaired),
        "skipped": len(report.skipped),
    }
