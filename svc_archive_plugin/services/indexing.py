"""Keeping paperless's search index in step with what the plugin changes through the ORM."""

from __future__ import annotations

from django.db import transaction


def reindex(document_ids: list[int]) -> None:
    """Re-index the documents once the transaction commits (paperless has no post_save hook)."""
    from documents.tasks import bulk_update_documents

    if document_ids:
        ids = list(document_ids)
        transaction.on_commit(lambda: bulk_update_documents.delay(document_ids=ids))
