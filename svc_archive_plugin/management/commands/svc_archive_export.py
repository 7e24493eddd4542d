"""Export the plugin's registers next to paperless's own export (document_exporter)."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from svc_archive_plugin.services.backup import FILE_NAME
from svc_archive_plugin.services.backup import BackupError
from svc_archive_plugin.services.backup import export_plugin_data


def count_lines(counts: dict[str, int]) -> list[str]:
    """One line per register: its name and how many rows it holds."""
    names = {
        label: str(apps.get_model(label)._meta.verbose_name_plural) for label in counts
    }
    width = max((len(n) for n in names.values()), default=0)
    return [f"  {names[label]:<{width}}  {n:>9}" for label, n in counts.items()]


class Command(BaseCommand):
    help = (
        f"Write every register of the service archive to <target>/{FILE_NAME}. Run it "
        "right after document_exporter, into the same directory; svc_archive_import "
        "loads it after document_importer."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("target", type=Path, help="paperless's export directory")

    def handle(self, *args, **options) -> None:
        try:
            result = export_plugin_data(options["target"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] > 0:
            for line in count_lines(result.counts):
                self.stdout.write(line)
            self.stdout.write(
                f"Documents referred to: {result.documents}; ids of destroyed or "
                f"deleted records kept as they are: {result.missing_documents}.",
            )
        if not result.manifest_found:
            self.stdout.write(
                self.style.WARNING(
                    f"No manifest.json in {options['target']}: run document_exporter "
                    "into the same directory, or the registers cannot be imported.",
                ),
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {sum(result.counts.values())} rows of "
                f"{len(result.counts)} tables to {result.path}.",
            ),
        )
