"""The destruction register as CSV, streamed (the register grows without end)."""

from __future__ import annotations

import csv

from django.http import StreamingHttpResponse

from svc_archive_plugin.services import register


class _Echo:
    def write(self, value):
        return value


def register_csv_response(entries, filename: str) -> StreamingHttpResponse:
    """The register as CSV (UTF-8 with BOM, so spreadsheets read the Chinese right)."""
    writer = csv.writer(_Echo())
    header = [*register.COLUMNS, "previous_hash", "entry_hash"]

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in register.rows(entries.iterator(chunk_size=2000)):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
