"""One fixity check's findings as CSV, streamed like the access log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from svc_archive_plugin.reports.csv_download import csv_response
from svc_archive_plugin.reports.csv_download import text

if TYPE_CHECKING:
    from svc_archive_plugin.models import FixityRun

COLUMNS = (
    "document_id",
    "title",
    "file",
    "problem",
    "path",
    "stored_sha256",
    "computed_sha256",
    "detail",
    "found_at",
)
FIELDS = (
    "document_id",
    "title",
    "file",
    "problem",
    "path",
    "expected",
    "actual",
    "detail",
    "at",
)


def fixity_csv_response(run: FixityRun):
    """The run's findings as a CSV download."""
    findings = run.findings.order_by("document_id", "file", "pk").values_list(*FIELDS)
    rows = (
        [
            *(text(v) for v in values),
            timezone.localtime(at).isoformat(timespec="seconds"),
        ]
        for *values, at in findings.iterator(chunk_size=2000)
    )
    day = timezone.localtime(run.started_at).date()
    return csv_response(COLUMNS, rows, f"fixity-check-{day}-{run.pk}.csv")
