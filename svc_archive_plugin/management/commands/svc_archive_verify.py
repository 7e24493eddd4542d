"""Check every evidence chain, and against the heads last anchored outside the chains."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from svc_archive_plugin.services import chains


class Command(BaseCommand):
    help = (
        "Walk every evidence table's hash chain and compare its head with the latest "
        "anchor (the last finished fixity check, or --heads): names the first bad entry "
        "of each table (edited, removed, tail cut off, re-chained); exit status 1 if any."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--heads",
            type=Path,
            help=(
                "A JSON file of heads to compare with instead of the last fixity check's "
                '({"<table>": {"seq": N, "hash": "…"}}, as the fixity API shows them).'
            ),
        )

    def handle(self, *args, **options) -> None:
        anchor = None
        if options["heads"]:
            try:
                heads = json.loads(options["heads"].read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read {options['heads']}: {exc}") from exc
            anchor = (heads, str(options["heads"]))
        else:
            anchor = chains.latest_anchor()
            if anchor is None:
                self.stdout.write(
                    "No anchor yet (no fixity check has finished): only the chains "
                    "themselves are checked.",
                )
        findings = chains.verify(anchor)
        for finding in findings:
            self.stdout.write(str(finding))
        if findings:
            raise CommandError(
                f"{len(findings)} evidence chains do not verify.",
            )
        heads = chains.heads()
        self.stdout.write(
            self.style.SUCCESS(
                f"All {len(heads)} evidence chains verify"
                + (f" against {anchor[1]}" if anchor else "")
                + ".",
            ),
        )
        for line in chains.head_lines(heads):
            self.stdout.write(f"  {line}")
