"""The plugin's entries in paperless's celery beat schedule, changeable by env var."""

from __future__ import annotations

import logging

from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from svc_archive_plugin.conf import archive_settings

logger = logging.getLogger("paperless.svc_archive")

REMINDER = "svc_archive: remind overdue filings"
COLLECTION = "svc_archive: remind collection deadlines"
SWEEP = "svc_archive: retention sweep"
LOANS = "svc_archive: remind overdue loans"
ACCESS = "svc_archive: access periods"
FIXITY = "svc_archive: fixity check"
CAPTURE = "svc_archive: capture summary"
STAMPS = "svc_archive: filing stamps"

ENTRIES = {
    # name: (setting holding its cron, task)
    REMINDER: (
        "FILING_REMINDER_CRON",
        "svc_archive_plugin.tasks.remind_overdue_filings",
    ),
    COLLECTION: (
        "COLLECTION_REMINDER_CRON",
        "svc_archive_plugin.tasks.remind_collection_deadlines",
    ),
    SWEEP: (
        "RETENTION_SWEEP_CRON",
        "svc_archive_plugin.tasks.sweep_retention",
    ),
    LOANS: (
        "LOAN_REMINDER_CRON",
        "svc_archive_plugin.tasks.remind_overdue_loans",
    ),
    ACCESS: (
        "ACCESS_PERIODS_CRON",
        "svc_archive_plugin.tasks.apply_access_periods",
    ),
    FIXITY: (
        "FIXITY_CRON",
        "svc_archive_plugin.tasks.check_fixity",
    ),
    CAPTURE: (
        "CAPTURE_SUMMARY_CRON",
        "svc_archive_plugin.tasks.summarise_capture",
    ),
    STAMPS: (
        "FILING_STAMP_CRON",
        "svc_archive_plugin.tasks.stamp_filed_records",
    ),
}


def install_beat_schedule() -> None:
    """Add (or, with ``disable``, leave out) each daily task, as paperless does its own."""
    for name, (setting, task) in ENTRIES.items():
        settings.CELERY_BEAT_SCHEDULE.pop(name, None)
        try:
            cron = getattr(archive_settings, setting)
        except ImproperlyConfigured:
            continue  # the system check reports it
        if cron == "disable":
            continue
        minute, hour, day_of_month, month_of_year, day_of_week = cron.split()
        settings.CELERY_BEAT_SCHEDULE[name] = {
            "task": task,
            "schedule": crontab(
                minute=minute,
                hour=hour,
                day_of_week=day_of_week,
                day_of_month=day_of_month,
                month_of_year=month_of_year,
            ),
            "options": {
                "expires": 23.0 * 60.0 * 60.0,
                "headers": {"trigger_source": "scheduled"},
            },
        }
