"""Import the plugin's registers after paperless's own import (document_importer)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from svc_archive_plugin.management.commands.svc_archive_export import count_lines
from svc_archive_plugin.services.backup import DOCUMENT
from svc_archive_plugin.services.backup import FILE_NAME
from svc_archive_plugin.services.backup import BackupError
from svc_archive_plugin.services.backup import import_plugin_data


class Command(BaseCommand):
    help = (
        f"Load the registers of the service archive from <source>/{FILE_NAME} (or that "
        "file), after document_importer has loaded the paperless export made with it. "
        "All or nothing: it refuses, changing nothing, an export that does not match."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", type=Path, help="the export directory or file")
        parser.add_argument(
            "--replace-existing",
            action="store_true",
            help=(
                "Replace the service-archive registers this installation already has "
                "with the export's. Evidence is never replaced: it stays as it is, the "
                "export's copy of each evidence row must match it, and evidence the "
                "export lacks is kept."
            ),
        )

    def handle(self, *args, **options) -> None:
        try:
            result = import_plugin_data(
                options["source"],
                replace_existing=options["replace_existing"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] > 0:
            for line in count_lines(result.counts):
                self.stdout.write(line)
            renumbered = result.renumbered.get(DOCUMENT, 0)
            self.stdout.write(
                f"Documents matched by checksum: {result.documents}"
                + (f" ({renumbered} under another id here)" if renumbered else "")
                + "; ids of destroyed or deleted records kept: "
                f"{result.missing_documents}.",
            )
            if result.replaced:
                self.stdout.write(f"Rows replaced: {result.replaced}.")
            if result.kept:
                self.stdout.write(f"Evidence rows kept as they were: {result.kept}.")
            if result.register_problems:
                self.stdout.write(
                    self.style.WARNING(
                        f"The destruction register's chain was already broken in the "
                        f"export ({result.register_problems} problems); it is kept as "
                        "it was, see svc_archive_verify_register.",
                    ),
                )
            else:
                self.stdout.write(
                    f"The destruction register's chain verifies "
                    f"({result.register_entries} entries).",
                )
            self.stdout.write(
                f"Current access grants with their permission: {result.grants}.",
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {sum(result.counts.values())} rows of "
                f"{len(result.counts)} tables from {result.path}.",
            ),
        )
