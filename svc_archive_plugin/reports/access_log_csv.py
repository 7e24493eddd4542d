"""The access log 查阅登记 as CSV, streamed (it runs to a million rows and more)."""

from __future__ import annotations

from django.utils import timezone

from svc_archive_plugin.reports.csv_download import csv_response
from svc_archive_plugin.reports.csv_download import text
from svc_archive_plugin.services.people import full_name

COLUMNS = (
    "time",
    "name",
    "username",
    "department",
    "document_id",
    "title",
    "customer_code",
    "project_code",
    "kind",
    "via",
    "access_request_id",
    "share_link",
    "share_link_creator",
    "client_address",
)
# One query for the lot: the user names were copied into the log; the people's full names
# and the codes come in the joins.
FIELDS = (
    "at",
    "username",
    "department_name",
    "document_id",
    "title",
    "customer__code",
    "project__code",
    "kind",
    "via",
    "request_id",
    "share_link",
    "shared_by_name",
    "client_address",
    "user__first_name",
    "user__last_name",
)


def access_log_csv_response(entries, filename: str):
    """The log entries as a CSV download."""
    rows = (
        [
            timezone.localtime(at).isoformat(timespec="seconds"),
            full_name(first, last, username),
            username,
            *(text(v) for v in rest),
        ]
        for at, username, *rest, first, last in entries.values_list(*FIELDS).iterator(
            chunk_size=2000,
        )
    )
    return csv_response(COLUMNS, rows, filename)
