"""Import the yearly official holiday and make-up working-day list from a CSV file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from svc_archive_plugin.services.calendar import CalendarImportError
from svc_archive_plugin.services.calendar import import_calendar_csv


class Command(BaseCommand):
    help = (
        "Import calendar days from a CSV file of 'date,kind[,name]' lines "
        "(kind: holiday/休 or workday/班). All or nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("csv_file", type=Path)
        parser.add_argument(
            "--complete",
            action="store_true",
            help="the file is the company's full list for the years of its dates: mark "
            "them complete (needed for years the chinesecalendar library does not know)",
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["csv_file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            result = import_calendar_csv(text, complete=options["complete"])
        except CalendarImportError as exc:
            raise CommandError(f"Nothing was imported from {path}:\n{exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.created)} new, {len(result.updated)} changed, "
                f"{len(result.unchanged)} unchanged.",
            ),
        )
        if result.complete_years:
            years = ", ".join(map(str, result.complete_years))
            self.stdout.write(self.style.SUCCESS(f"Marked complete: {years}."))
