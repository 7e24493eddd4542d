"""Keeping paperless's search index in step with what the plugin changes through the ORM."""

from __future__ import annotations

from django.db import transaction

from svc_archive_plugin.services.provisioning import provisioned


def reindex(document_ids: list[int]) -> None:
    """Re-index the documents once the transaction commits (paperless has no post_save hook)."""
    from documents.tasks import bulk_update_documents

    if document_ids:
        ids = list(document_ids)
        transaction.on_commit(lambda: bulk_update_documents.delay(document_ids=ids))


def set_tag(key: str, document_ids: list[int], *, add: bool) -> list[int]:
    """Add or remove the provisioned tag ``key``; re-index only the documents it changed."""
    from documents.models import Document

    tag = provisioned(key)
    if tag is None or not document_ids:
        return []
    through = Document.tags.through
    have = set(
        through.objects.filter(
            tag_id=tag.pk,
            document_id__in=document_ids,
        ).values_list("document_id", flat=True),
    )
    if add:
        changed = [d for d in document_ids if d not in have]
        through.objects.bulk_create(
            [through(document_id=d, tag_id=tag.pk) for d in changed],
        )
    else:
        changed = sorted(have)
        through.objects.filter(tag_id=tag.pk, document_id__in=changed).delete()
    reindex(changed)
    return changed
