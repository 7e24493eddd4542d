"""The destruction register as CSV, streamed (the register grows without end)."""

from __future__ import annotations

from svc_archive_plugin.reports.csv_download import csv_response
from svc_archive_plugin.services import register


def register_csv_response(entries, filename: str):
    """The register as a CSV download, the hashes last."""
    return csv_response(
        [*register.COLUMNS, "previous_hash", "entry_hash"],
        register.rows(entries.iterator(chunk_size=2000)),
        filename,
    )
