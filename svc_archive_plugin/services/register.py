"""The destruction register 销毁清册: append-only, each entry chained to the previous by hash.

``entry_hash = sha256(previous_hash | sequence | canonical JSON of the tombstone)``; the
first entry's previous hash is 64 zeros. Rewriting, removing or reordering any entry
breaks the chain from that entry on, which ``verify`` reports. The register is one of the
evidence chains (``models/chains.py``), sealed on insert and anchored like the others
(``services/chains.py``); it keeps its own columns and its hash over the tombstone only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import RegisterEntry
from svc_archive_plugin.models.chains import GENESIS
from svc_archive_plugin.models.chains import canonical
from svc_archive_plugin.models.chains import digest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from svc_archive_plugin.models import DestructionItem

__all__ = ["COLUMNS", "GENESIS", "append", "canonical", "entry_hash", "verify"]

# The tombstone's fields, in the order the CSV and PDF show them.
COLUMNS = (
    "sequence",
    "list_number",
    "archive_code",
    "title",
    "customer",
    "project",
    "document_type",
    "created",
    "pages",
    "retention",
    "retention_until",
    "years_kept",
    "document_id",
    "destroyed_at",
    "files",
    "year",
    "method",
    "place",
    "remark",
)


def entry_hash(previous_hash: str, sequence: int, content: dict) -> str:
    """The hash a register entry carries (the evidence chains' ``digest``)."""
    return digest(previous_hash, sequence, content)


def _iso(value) -> str | None:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def append(
    item: DestructionItem,
    *,
    files: list[dict],
    signatories: dict,
    at: datetime.datetime,
    remark: str = "",
) -> RegisterEntry:
    """Write the tombstone of ``item`` at the end of the register (inside a transaction).

    How and where the list was destroyed, and the remark, are part of the tombstone (and
    so of its hash) since they were recorded; older entries simply lack them.
    """
    destruction_list = item.destruction_list
    content = {
        "list_number": destruction_list.number,
        "list_title": destruction_list.title,
        "reason": destruction_list.reason,
        "document_id": item.document_id,
        "title": item.title,
        "archive_code": item.archive_code,
        "customer": item.customer,
        "project": item.project,
        "document_type": item.document_type,
        "created": _iso(item.created),
        "pages": item.pages,
        "retention": item.retention,
        "retention_until": _iso(item.retention_until),
        "years_kept": item.years_kept,
        "destroyed_at": at.isoformat(),
        "files": files,
        "signatories": signatories,
        "method": destruction_list.method,
        "place": destruction_list.place,
        "remark": remark,
    }
    # The chain (sequence, previous hash, entry hash) is sealed by the insert itself,
    # under the register's lock (models/chains.py), so two lists carried out at once
    # never fork it.
    return RegisterEntry.objects.create(
        destruction_list=destruction_list,
        document_id=item.document_id,
        destroyed_at=at,
        content=content,
    )


@dataclass(frozen=True)
class Problem:
    sequence: int
    detail: str


def verify(chunk: int = 2000) -> Iterator[Problem]:
    """Walk the register in order and report every entry that does not chain."""
    previous, expected = GENESIS, 1
    last = 0
    while True:
        entries = list(
            RegisterEntry.objects.filter(sequence__gt=last).order_by("sequence")[
                :chunk
            ],
        )
        if not entries:
            return
        for entry in entries:
            if entry.sequence != expected:
                yield Problem(
                    entry.sequence,
                    _("entries %(first)s–%(last)s are missing")
                    % {"first": expected, "last": entry.sequence - 1},
                )
            if entry.previous_hash != previous:
                yield Problem(
                    entry.sequence,
                    _("does not follow the entry before it (previous hash differs)"),
                )
            if entry_hash(entry.previous_hash, entry.sequence, entry.content) != (
                entry.entry_hash
            ):
                yield Problem(
                    entry.sequence,
                    _("its content was changed after it was written"),
                )
            previous, expected = entry.entry_hash, entry.sequence + 1
            last = entry.sequence


def year_of(content: dict) -> str:
    """The record's year 年度: the year of its date, as the tombstone holds it."""
    created = content.get("created") or ""
    return created[:4] if created[:4].isdigit() else ""


def rows(entries) -> Iterator[list[str]]:
    """CSV rows of register entries: the columns of ``COLUMNS``, then the hashes."""
    for entry in entries:
        c = entry.content
        files = "; ".join(
            f"{f['role']} {f['name']} sha256:{f['sha256']}" for f in c.get("files", [])
        )
        yield [
            str(entry.sequence),
            c.get("list_number", ""),
            c.get("archive_code", ""),
            c.get("title", ""),
            c.get("customer", ""),
            c.get("project", ""),
            c.get("document_type", ""),
            c.get("created") or "",
            "" if c.get("pages") is None else str(c["pages"]),
            c.get("retention", ""),
            c.get("retention_until") or "",
            "" if c.get("years_kept") is None else str(c["years_kept"]),
            str(entry.document_id),
            c.get("destroyed_at", ""),
            files,
            year_of(c),
            c.get("method", ""),
            c.get("place", ""),
            c.get("remark", ""),
            entry.previous_hash,
            entry.entry_hash,
        ]


def list_entries(destruction_list: DestructionList):
    return destruction_list.register_entries.order_by("sequence")
