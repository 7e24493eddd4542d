"""A statistics figure as CSV: its column labels as the header, one line per row."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponse

from svc_archive_plugin.reports.csv_download import line_writer
from svc_archive_plugin.reports.csv_download import text

if TYPE_CHECKING:
    from svc_archive_plugin.services.statistics import Figure
    from svc_archive_plugin.services.statistics import Filters


def figure_csv(figure: Figure) -> str:
    """The figure as CSV text (UTF-8 with BOM, so spreadsheets read the Chinese right)."""
    writer = line_writer()
    lines = [writer.writerow([str(c.label) for c in figure.columns])]
    lines += [writer.writerow([text(v) for v in row]) for row in figure.rows]
    return "\ufeff" + "".join(lines)


def figure_csv_response(figure: Figure, filters: Filters) -> HttpResponse:
    """The figure as a CSV download named after it and its period."""
    period = "_".join(
        filters.as_params()[key] for key in ("from", "to") if key in filters.as_params()
    )
    filename = f"{figure.name}{'_' + period if period else ''}.csv"
    response = HttpResponse(
        figure_csv(figure).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
