"""Rebuild the statistics' index of records (``RecordFacts``) and its counts, or check them."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from svc_archive_plugin.services import record_facts


class Command(BaseCommand):
    help = (
        "Rewrite every archived record's row of the statistics index from its document, "
        "custom fields, project and retention, and recount the counts kept from it "
        "(after restoring a database by other means than svc_archive_import). Changes "
        "no document; safe to run at any time. --check compares the counts with a "
        "recount of the rows; --recount recounts them alone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--chunk",
            type=int,
            default=2000,
            help="documents per step (default 2000)",
        )
        what = parser.add_mutually_exclusive_group()
        what.add_argument(
            "--check",
            action="store_true",
            help="only compare the kept counts with a recount of the rows; fail if any "
            "differs",
        )
        what.add_argument(
            "--recount",
            action="store_true",
            help="only recount the kept counts from the rows (the rows as they are)",
        )

    def handle(self, *args, **options) -> None:
        if not record_facts.counts_kept() and (options["check"] or options["recount"]):
            raise CommandError("This database keeps no record counts.")
        if options["check"]:
            differ = record_facts.count_differences()
            for key, (rows, counted) in sorted(differ.items()):
                self.stdout.write(f"{key}: {rows} records, {counted} counted")
            if differ:
                raise CommandError(
                    f"{len(differ)} record counts differ from a recount; run "
                    "svc_archive_record_facts --recount.",
                )
            self.stdout.write("The record counts equal a recount of the records.")
            return
        if options["recount"]:
            keys = record_facts.recount()
            self.stdout.write(f"Recounted: {keys} keys.")
            return
        count = record_facts.rebuild(options["chunk"])
        self.stdout.write(f"{count} archived records in the statistics index.")
