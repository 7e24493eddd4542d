"""Celery tasks: thin, idempotent wrappers around the services (found by autodiscovery)."""

from __future__ import annotations

import datetime

from celery import shared_task

from svc_archive_plugin.services.reminders import remind_overdue_filings as _remind


@shared_task
def remind_overdue_filings() -> int:
    """Daily: remind department heads of dossiers past their filing deadline."""
    return _remind()


@shared_task
def sweep_retention() -> int:
    """Daily: queue records whose retention has run out for appraisal (never deletes)."""
    from svc_archive_plugin.services.retention import sweep

    return sweep().queued


@shared_task
def recompute_retention() -> int:
    """After a schedule change: bring every record's retention up to date."""
    from svc_archive_plugin.services.retention import recompute_all

    return recompute_all()


@shared_task
def execute_destruction(destruction_list_id: int) -> int:
    """Carry out a supervised destruction list (re-runnable: skips what is destroyed)."""
    from svc_archive_plugin.services.destruction import execute

    return execute(destruction_list_id)


def _day(as_of: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(as_of) if as_of else None


@shared_task
def remind_overdue_loans(as_of: str | None = None) -> int:
    """Daily: e-mail borrowers of overdue loans 催还 (heads too after the grace period).

    ``as_of`` (YYYY-MM-DD) runs it as on another day, to catch up or to try it out.
    """
    from svc_archive_plugin.services.loans import remind_overdue

    return remind_overdue(_day(as_of))


@shared_task
def apply_access_periods(as_of: str | None = None) -> dict:
    """Daily: grant access whose period began; withdraw access whose period ended."""
    from svc_archive_plugin.services.access import apply_periods

    return apply_periods(_day(as_of))
