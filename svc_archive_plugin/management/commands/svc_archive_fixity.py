"""Run the fixity check 四性检测 now: every stored file's SHA-256 against paperless's."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.template.defaultfilters import filesizeformat

from svc_archive_plugin.models import FixityRun
from svc_archive_plugin.services import fixity


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        msg = f"must be at least 1, got {number}"
        raise ValueError(msg)
    return number


class Command(BaseCommand):
    help = (
        "Recompute the SHA-256 of every document's original and archive version, check "
        "that each file exists and opens, and compare with paperless's stored checksums. "
        "Writes a dated report (admin: Fixity checks) and mails the archive managers "
        "when something is wrong (exit status 1). One check runs at a time."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--resume",
            action="store_true",
            help="continue the last check where it was interrupted",
        )
        parser.add_argument(
            "--chunk",
            type=_positive,
            default=None,
            help="documents per part, each committed at once (default "
            "PAPERLESS_SVC_ARCHIVE_FIXITY_CHUNK, 500); parts of a resumed check stay "
            "as they were",
        )
        parser.add_argument(
            "--limit",
            type=_positive,
            default=None,
            help="stop after this many documents, leaving the check to be resumed",
        )

    def handle(self, *args, **options) -> None:
        try:
            run = (
                fixity.resume()
                if options["resume"]
                else fixity.start(size=options["chunk"])
            )
        except fixity.FixityError as exc:
            raise CommandError(str(exc)) from exc
        resumed_after = run.last_document_id
        # In this process; chunk workers of the same run may help, and parts held by a
        # worker that dies are taken over once its heartbeat is stale.
        run = fixity.check(run, limit=options["limit"], wait=True)
        self._summary(run, resumed_after)
        if run.problems:
            raise CommandError(
                f"The fixity check found {run.problems} problems (check {run.pk}).",
            )

    def _summary(self, run: FixityRun, resumed_after: int) -> None:
        write = self.stdout.write
        if resumed_after:
            write(f"Resumed check {run.pk} after document #{resumed_after}.")
        write(
            f"Check {run.pk}, started {run.started_at:%Y-%m-%d %H:%M}: "
            f"{run.get_state_display()}.",
        )
        write(
            f"{run.documents_checked} documents, {run.files_checked} files, "
            f"{filesizeformat(run.bytes_read)} read, {run.problems} problems.",
        )
        for finding in run.findings.order_by("document_id", "file", "pk").iterator(
            chunk_size=2000,
        ):
            detail = f" ({finding.detail})" if finding.detail else ""
            write(
                f"  #{finding.document_id} {finding.title} — {finding.get_file_display()}: "
                f"{finding.get_problem_display()}{detail}\n"
                f"      {finding.path or '-'}"
                + (f"\n      stored   {finding.expected}" if finding.expected else "")
                + (f"\n      computed {finding.actual}" if finding.actual else ""),
            )
        if run.state == FixityRun.State.INTERRUPTED:
            write(
                f"Stopped after document #{run.last_document_id}; "
                "continue with --resume.",
            )
        elif not run.problems:
            write(self.style.SUCCESS("Every file is intact."))
