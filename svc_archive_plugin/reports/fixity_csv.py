"""One fixity check's findings as CSV, streamed like the access log."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

from django.http import StreamingHttpResponse
from django.utils import timezone

from svc_archive_plugin.reports.access_log_csv import _Echo
from svc_archive_plugin.reports.access_log_csv import _text

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


def fixity_csv_response(run: FixityRun) -> StreamingHttpResponse:
    """The run's findings as CSV (UTF-8 with BOM, so spreadsheets read the Chinese right)."""
    writer = csv.writer(_Echo())
    rows = run.findings.order_by("document_id", "file", "pk").values_list(*FIELDS)

    def lines():
        yield "\ufeff" + writer.writerow(COLUMNS)
        for *values, at in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    *(_text(v) for v in values),
                    timezone.localtime(at).isoformat(timespec="seconds"),
                ],
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    day = timezone.localtime(run.started_at).date()
    response["Content-Disposition"] = (
        f'attachment; filename="fixity-check-{day}-{run.pk}.csv"'
    )
    return response
