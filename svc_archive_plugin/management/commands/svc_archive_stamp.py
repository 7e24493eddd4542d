"""Put the filing stamp 归档章 on every filed record still without it."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.services.stamping import stamp_all


class Command(BaseCommand):
    help = (
        "Stamp the archive version of every filed record left unstamped (a stopped run, "
        "a record declared later). Never stamps a file twice; safe to run at any time."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--retry",
            action="store_true",
            help="try the records skipped before again (after their problem is put right)",
        )

    def handle(self, *args, **options) -> None:
        if not archive_settings.FILING_STAMP:
            self.stdout.write(
                "The filing stamp is off (PAPERLESS_SVC_ARCHIVE_FILING_STAMP).",
            )
            return
        report = stamp_all(retry=options["retry"])
        for document_id, why in sorted(report.skipped.items()):
            self.stdout.write(f"#{document_id} not stamped: {why}")
        self.stdout.write(
            f"{len(report.stamped)} stamped, {len(report.repaired)} already stamped and "
            f"now recorded, {len(report.skipped)} skipped.",
        )
