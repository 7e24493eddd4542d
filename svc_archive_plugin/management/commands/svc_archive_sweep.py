"""Run the retention sweep now: queue records whose retention has run out for appraisal."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand

from svc_archive_plugin.services.retention import sweep


class Command(BaseCommand):
    help = (
        "Queue retained records whose retention ended before today (or --as-of) for "
        "appraisal. Deletes nothing; safe to run at any time, also twice at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day to sweep as of (YYYY-MM-DD); default today",
        )

    def handle(self, *args, **options) -> None:
        run = sweep(options["as_of"])
        self.stdout.write(
            f"{run.queued} records queued for appraisal (retention ended before {run.as_of}).",
        )
