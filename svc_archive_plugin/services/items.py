"""Item numbers 件号 (DA/T 22): each record's place in its filed dossier.

Numbers are given when the dossier is filed, in the order the service type's checklist lists
the document types, then by document date: the order a reader of the 卷内目录 expects. The
checklist reads in the order of the type register, which is the policy's collection scope
(§2.1: 客户基本信息, 合同协议, 需求调研与方案设计, 实施记录, …, 费用结算与发票); types
the archive manager adds later follow, and types outside the checklist come last.
Once given a number never changes: a record declared later (an approved correction adds one)
gets the next free number, so the catalogue printed at filing stays true.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction

from svc_archive_plugin.models import DeclaredRecord
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import RequiredDocumentType
from svc_archive_plugin.services import records

if TYPE_CHECKING:
    from collections.abc import Iterable

# A type the checklist does not list comes after every listed one.
UNLISTED = 10**6
NO_DATE = datetime.date.max


def checklist_rank(dossier: Dossier) -> dict[int, int]:
    """paperless document type id -> its place in the dossier's checklist (register order)."""
    return {
        type_id: place
        for place, type_id in enumerate(
            RequiredDocumentType.objects.filter(
                service_type_id=dossier.project.service_type_id,
            )
            .order_by("document_type__pk")
            .values_list("document_type__document_type_id", flat=True),
        )
    }


def in_catalogue_order(dossier: Dossier, document_ids: Iterable[int]) -> list[int]:
    """``document_ids`` in the order of the dossier's checklist, then by date, then id."""
    from documents.models import Document

    rank = checklist_rank(dossier)
    rows = Document.global_objects.filter(pk__in=list(document_ids)).values_list(
        "pk",
        "document_type_id",
        "created",
    )

    def key(row) -> tuple:
        pk, type_id, created = row
        day = created.date() if isinstance(created, datetime.datetime) else created
        return (rank.get(type_id, UNLISTED), day or NO_DATE, pk)

    return [row[0] for row in sorted(rows, key=key)]


def number(dossier: Dossier) -> dict[int, int]:
    """Give the filed dossier's records without a 件号 the next numbers; returns them all.

    Runs inside the filing's transaction with the dossier's records locked, so two filings
    at once never share a number and a re-run gives out none twice.
    """
    with transaction.atomic():
        rows = list(
            DeclaredRecord.objects.select_for_update().filter(dossier=dossier),
        )
        given = {r.document_id: r.item_number for r in rows if r.item_number}
        waiting = {r.document_id: r for r in rows if not r.item_number}
        following = max(given.values(), default=0) + 1
        for offset, document_id in enumerate(
            in_catalogue_order(dossier, waiting),
        ):
            waiting[document_id].item_number = following + offset
            given[document_id] = following + offset
        DeclaredRecord.objects.bulk_update(waiting.values(), ["item_number"])
        mirror(given)
    return given


def move(document_id: int, target: Dossier) -> int:
    """Declare the record into ``target`` under its next 件号 (an approved correction).

    The old number stays a gap in the source dossier, as a moved dossier's archive number
    does; the correction's event keeps both numbers.
    """
    with transaction.atomic():
        row = DeclaredRecord.objects.select_for_update().get(
            document_id=records.roots([document_id])[document_id],
        )
        taken = list(
            DeclaredRecord.objects.select_for_update()
            .filter(dossier=target)
            .exclude(item_number=None)
            .values_list("item_number", flat=True),
        )
        row.dossier = target
        row.item_number = max(taken, default=0) + 1
        row.save(update_fields=["dossier", "item_number"])
        mirror({row.document_id: row.item_number})
    return row.item_number


def mirror(numbers: dict[int, int]) -> None:
    """Show the numbers in paperless's 件号 field, on the records and their versions."""
    from documents.models import Document

    if not numbers:
        return
    versions = dict(
        Document.global_objects.filter(root_document_id__in=numbers).values_list(
            "pk",
            "root_document_id",
        ),
    )
    values = dict(numbers)
    values.update({pk: numbers[root] for pk, root in versions.items()})
    with records.writing():
        records.write_field("item_number", values, column="value_int")


def mirror_all() -> int:
    """Write every numbered record's 件号 field (after an upgrade or a restored backup)."""
    numbers = dict(
        DeclaredRecord.objects.exclude(item_number=None).values_list(
            "document_id",
            "item_number",
        ),
    )
    mirror(numbers)
    return len(numbers)


def numbers_of(document_ids: Iterable[int]) -> dict[int, int]:
    """document id -> its 件号, for records and their versions alike."""
    root_of = records.roots(document_ids)
    by_root = dict(
        DeclaredRecord.objects.filter(
            document_id__in=set(root_of.values()),
        )
        .exclude(item_number=None)
        .values_list("document_id", "item_number"),
    )
    return {pk: by_root[root] for pk, root in root_of.items() if root in by_root}


def numbered(dossier: Dossier) -> list[tuple[int, int]]:
    """The dossier's (document id, 件号), in 件号 order."""
    return list(
        DeclaredRecord.objects.filter(dossier=dossier)
        .exclude(item_number=None)
        .order_by("item_number")
        .values_list("document_id", "item_number"),
    )
