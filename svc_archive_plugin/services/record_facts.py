"""Each archived record's facts for the statistics, kept in ``RecordFacts``.

The statistics count records by category, type, retention class, month, project, customer
and department. Those facts live in paperless's documents, their custom-field values, the
project register and the retention table; joining them for a million documents takes
seconds, so every change that ``retention.recompute`` follows (an edit in paperless, bulk
edit, consumption, a project or dossier saved, a restore) also rewrites the records' rows
here, from the facts it has just read. A row is derived data: a document that is no longer
an archived record (another type, in the trash, purged) simply loses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from svc_archive_plugin.models import RecordFacts
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.services import records

if TYPE_CHECKING:
    from collections.abc import Iterable

FIELDS = [
    "document_type",
    "category",
    "created",
    "retention",
    "project",
    "customer",
    "department",
]


def store(document_ids: Iterable[int], facts: dict[int, dict]) -> None:
    """Write the rows of ``document_ids`` from ``retention.document_facts``.

    Call after their retention is written: the row carries its class.
    """
    ids = set(document_ids)
    archived = {
        doc_id: fact
        for doc_id, fact in facts.items()
        if fact["code_id"] is not None and fact["root_id"] is None
    }
    retention = dict(
        RecordRetention.objects.filter(document_id__in=archived).values_list(
            "document_id",
            "retention",
        ),
    )
    rows = [
        RecordFacts(
            document_id=doc_id,
            document_type_id=fact["type_id"],
            category_id=fact["category_id"],
            created=fact["created"],
            retention=retention.get(doc_id, ""),
            project_id=fact["project"]["pk"] if fact["project"] else None,
            customer_id=fact["customer_id"],
            department_id=(
                fact["project"]["department_id"] if fact["project"] else None
            ),
        )
        for doc_id, fact in archived.items()
    ]
    with transaction.atomic():
        RecordFacts.objects.filter(document_id__in=ids - set(archived)).delete()
        # One upsert: two edits of the same record at once cannot both insert it.
        RecordFacts.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["document"],
            update_fields=FIELDS,
        )


def refresh(document_ids: Iterable[int]) -> None:
    """Rewrite the rows of these documents from what they are now."""
    ids = sorted(set(document_ids))
    if ids:
        store(ids, records.document_facts(ids))


def rebuild(chunk: int = 2000) -> int:
    """Rewrite every row, in chunks of documents; returns the number of records."""
    from documents.models import Document

    for ids in records.document_chunks(chunk):
        refresh(ids)
    # Rows of documents gone meanwhile, or in the trash.
    RecordFacts.objects.exclude(
        document_id__in=Document.objects.values("pk"),
    ).delete()
    return RecordFacts.objects.count()
