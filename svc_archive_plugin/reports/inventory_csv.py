"""An inventory round's list and its discrepancy report as CSV (UTF-8 with BOM)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from svc_archive_plugin.reports.csv_download import csv_response
from svc_archive_plugin.reports.csv_download import text
from svc_archive_plugin.services.people import name_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    from svc_archive_plugin.models import InventoryItem
    from svc_archive_plugin.models import InventoryRound

LIST_COLUMNS = (
    "item_id",
    "cabinet",
    "shelf",
    "box",
    "archive_code",
    "title",
    "pages",
    "loan",
    "borrower",
    "documents_on_loan",
    "unlisted",
    "result",
    "found_at",
    "note",
    "checked_by",
    "checked_at",
)
DISCREPANCY_COLUMNS = (
    "kind",
    "kind_label",
    "explained",
    "item_id",
    "archive_code",
    "title",
    "listed_at",
    "found_at",
    "result",
    "loan",
    "borrower",
    "loan_back_at_desk",
    "note",
    "checked_by",
    "checked_at",
)


def _checked(item: InventoryItem) -> list[str]:
    return [
        name_of(item.checked_by) if item.checked_by_id else "",
        timezone.localtime(item.checked_at).isoformat(timespec="seconds")
        if item.checked_at
        else "",
    ]


def _yes(value: bool) -> str:  # noqa: FBT001
    return "yes" if value else "no"


def list_rows(inventory_round: InventoryRound) -> Iterator[list[str]]:
    """The list in its order (cabinet, shelf, box, code), then what was found off it."""
    from svc_archive_plugin.services.inventory import report_items

    for item in report_items(inventory_round).iterator(chunk_size=2000):
        loan = item.loan
        yield [
            str(item.pk),
            item.cabinet,
            item.shelf,
            item.box,
            item.archive_code,
            item.title,
            text(item.pages),
            loan.number if loan else "",
            name_of(loan.borrower) if loan else "",
            item.document_loans.replace("\n", "; "),
            _yes(item.unlisted),
            item.result,
            item.found_at,
            item.note,
            *_checked(item),
        ]


def discrepancy_rows(inventory_round: InventoryRound) -> Iterator[list[str]]:
    """One row per discrepancy, by kind; the explained ones (out on loan) last."""
    from svc_archive_plugin.services.inventory import discrepancies

    for row in discrepancies(inventory_round):
        item, loan = row.item, row.loan
        yield [
            row.kind,
            row.kind_label,
            _yes(row.explained),
            str(item.pk),
            item.archive_code,
            item.title,
            row.listed_at,
            item.found_at,
            item.result,
            loan.number if loan else "",
            name_of(loan.borrower) if loan else "",
            _yes(row.at_desk),
            item.note,
            *_checked(item),
        ]


def inventory_list_csv_response(inventory_round: InventoryRound):
    return csv_response(
        LIST_COLUMNS,
        list_rows(inventory_round),
        f"inventory-list-{inventory_round.pk}.csv",
    )


def discrepancies_csv_response(inventory_round: InventoryRound):
    return csv_response(
        DISCREPANCY_COLUMNS,
        discrepancy_rows(inventory_round),
        f"inventory-discrepancies-{inventory_round.pk}.csv",
    )
