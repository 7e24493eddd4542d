"""The way from a document's page in paperless's UI to its record page in the admin.

paperless's UI has no extension slot, so the link is a native *URL* custom field,
档案详情, on each record. paperless's UI and API accept only absolute URLs there, so it is
written only where paperless knows its own address (``PAPERLESS_URL``); it is kept up to
date when that address changes (``refresh_all``, run by ``svc_archive_setup``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse

from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.services import records as records_service
from svc_archive_plugin.services.provisioning import provisioned

if TYPE_CHECKING:
    from collections.abc import Iterable


def record_url(retention_id: int) -> str | None:
    """The absolute address of the record's admin page, or None without PAPERLESS_URL."""
    base = getattr(settings, "PAPERLESS_URL", None)
    if not base:
        return None
    path = reverse("admin:svc_archive_plugin_archiverecord_change", args=[retention_id])
    return base.rstrip("/") + path


def refresh(document_ids: Iterable[int]) -> int:
    """Write the 档案详情 link of these documents: set for records, gone for the others.

    Returns how many links were written or removed; a fixed number of queries.
    """
    ids = list(document_ids)
    field = provisioned("custom_field.record_link")
    if field is None or not ids or not getattr(settings, "PAPERLESS_URL", None):
        return 0
    records = dict(
        RecordRetention.objects.filter(document_id__in=ids).values_list(
            "document_id",
            "pk",
        ),
    )
    links = {
        doc_id: record_url(records[doc_id]) if doc_id in records else None
        for doc_id in ids
    }
    return len(
        records_service.write_field(
            "record_link",
            links,
            column="value_url",
            remove_empty=True,
        ),
    )


def refresh_all(chunk: int = 2000) -> int:
    """Bring every record's link up to date (after an upgrade or a new PAPERLESS_URL)."""
    written = 0
    last = 0
    while ids := list(
        RecordRetention.objects.filter(document_id__gt=last)
        .order_by("document_id")
        .values_list("document_id", flat=True)[:chunk],
    ):
        written += refresh(ids)
        last = ids[-1]
    return written
