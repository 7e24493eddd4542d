"""The plugin's entries in paperless's celery beat schedule, changeable by env var."""

from __future__ import annotations

import logging

from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from svc_archive_plugin.conf import archive_settings

logger = logging.getLogger("paperless.svc_archive")

REMINDER = "svc_archive: remind overdue filings"


def install_beat_schedule() -> None:
    """Add (or, with ``disable``, leave out) the daily reminder, as paperless does its own."""
    try:
        cron = archive_settings.FILING_REMINDER_CRON
    except ImproperlyConfigured:
        return  # the system check reports it
    settings.CELERY_BEAT_SCHEDULE.pop(REMINDER, None)
    if cron == "disable":
        return
    minute, hour, day_of_month, month_of_year, day_of_week = cron.split()
    settings.CELERY_BEAT_SCHEDULE[REMINDER] = {
        "task": "svc_archive_plugin.tasks.remind_overdue_filings",
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
