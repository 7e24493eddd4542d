"""CSV downloads, streamed: UTF-8 with a BOM, so spreadsheets read the Chinese right."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

from django.http import StreamingHttpResponse

if TYPE_CHECKING:
    from collections.abc import Iterable


class _Echo:
    """A file that hands back what is written: csv.writer then returns each line."""

    def write(self, value):
        return value


def line_writer():
    """A csv writer whose ``writerow`` returns the line instead of storing it."""
    return csv.writer(_Echo())


def text(value) -> str:
    return "" if value is None else str(value)


def csv_response(
    header: Iterable[str],
    rows: Iterable[Iterable[str]],
    filename: str,
) -> StreamingHttpResponse:
    """``rows`` under ``header`` as a CSV download, one line at a time."""
    writer = line_writer()

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
