"""Check that the destruction register's hash chain is intact."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from svc_archive_plugin.models import RegisterEntry
from svc_archive_plugin.services.register import verify


class Command(BaseCommand):
    help = (
        "Walk the destruction register and report every entry that was changed, removed "
        "or reordered after it was written (exit status 1 if any)."
    )

    def handle(self, *args, **options) -> None:
        problems = list(verify())
        for problem in problems:
            self.stdout.write(f"entry {problem.sequence}: {problem.detail}")
        if problems:
            raise CommandError(
                f"The destruction register's chain is broken ({len(problems)} problems).",
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"The destruction register's chain is intact "
                f"({RegisterEntry.objects.count()} entries).",
            ),
        )
