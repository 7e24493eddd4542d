"""Rebuild the statistics' index of records (``RecordFacts``) from the documents."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from svc_archive_plugin.services.record_facts import rebuild


class Command(BaseCommand):
    help = (
        "Rewrite every archived record's row of the statistics index from its document, "
        "custom fields, project and retention (after restoring a database by other "
        "means than svc_archive_import). Changes no document; safe to run at any time."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--chunk",
            type=int,
            default=2000,
            help="documents per step (default 2000)",
        )

    def handle(self, *args, **options) -> None:
        count = rebuild(options["chunk"])
        self.stdout.write(f"{count} archived records in the statistics index.")
