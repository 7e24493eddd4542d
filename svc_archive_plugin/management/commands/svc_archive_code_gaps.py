"""List numbers given out in each archive-code series that no dossier carries."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from svc_archive_plugin.services.filing import archive_code_gaps


class Command(BaseCommand):
    help = "List gaps in the archive-code series (exit status 0; an empty list means none)."

    def handle(self, *args, **options) -> None:
        gaps = archive_code_gaps()
        if not gaps:
            self.stdout.write(self.style.SUCCESS("No gaps in any archive-code series."))
            return
        for series, numbers in sorted(gaps.items()):
            self.stdout.write(f"{series}: {', '.join(str(n) for n in numbers)}")
