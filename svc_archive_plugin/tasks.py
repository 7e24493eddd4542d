"""Celery tasks: thin, idempotent wrappers around the services (found by autodiscovery)."""

from __future__ import annotations

from celery import shared_task

from svc_archive_plugin.services.reminders import remind_overdue_filings as _remind


@shared_task
def remind_overdue_filings() -> int:
    """Daily: remind department heads of dossiers past their filing deadline."""
    return _remind()
