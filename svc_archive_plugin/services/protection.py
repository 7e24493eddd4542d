"""Protection of records: why a document may not be trashed or purged, by any path.

A document is protected while it is under a legal hold, out on loan (its paper original,
or its dossier's), a filed record (before and after its retention runs out: only an
approved destruction list removes a filed record), in the appraisal queue or appraised
*destroy* (filed or not: its only way out is a destruction list), or on a destruction
list that is not being carried out. Every deletion path of paperless asks
``check`` first (see ``guards``), so the person is told why and nothing half-happens;
the ``pre_delete`` receiver is the backstop for any path nobody thought of.

The protection tags 冻结, 借出 and 待销毁 follow the same state (``settle_tags``): one
taken off or put on by hand is put right as soon as paperless reports the edit.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from svc_archive_plugin.models import DeclaredRecord
from svc_archive_plugin.models import DestructionItem
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ProvisionedObject
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import RefusedDeletion
from svc_archive_plugin.services.holds import holds_on
from svc_archive_plugin.services.indexing import set_tag
from svc_archive_plugin.services.language import date_in_text
from svc_archive_plugin.services.loans import out_on_loan

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Iterator

    from django.contrib.auth.models import User

logger = logging.getLogger("paperless.svc_archive")

# Waiting for a decision, or decided *destroy*: only a destruction list removes these.
APPRAISAL_STATES = (RecordRetention.State.DUE, RecordRetention.State.DESTROY)

# The provisioned keys of 冻结, 借出 and 待销毁, the tags that show the protection.
PROTECTION_TAGS = (
    "tag.retention.legal_hold",
    "tag.retention.on_loan",
    "tag.retention.pending_destruction",
)

# Document ids an executing destruction list may delete (set only inside ``destroying``).
_destroying: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "svc_archive_destroying",
    default=frozenset(),
)


class RecordProtected(PermissionDenied):
    """Deleting would remove a protected record; the message names each reason.

    A ``PermissionDenied``: DRF answers 403 with the message, the admin refuses.
    """

    def __init__(self, reasons: dict[int, list[str]]) -> None:
        self.reasons = reasons
        lines = [line for doc_reasons in reasons.values() for line in doc_reasons]
        super().__init__(" ".join(lines))


@contextlib.contextmanager
def destroying(document_ids: Iterable[int]) -> Iterator[None]:
    """Let an executing destruction list delete exactly these documents."""
    token = _destroying.set(frozenset(document_ids))
    try:
        yield
    finally:
        _destroying.reset(token)


def _day(value) -> str:
    return date_in_text(value)


def reasons(
    document_ids: Iterable[int],
    user: User | None = None,
) -> dict[int, list[str]]:
    """Why each protected document among ``document_ids`` cannot be deleted (or {}).

    Versions are protected with their root document. A fixed number of queries.
    """
    from documents.models import Document

    ids = set(document_ids)
    if not ids:
        return {}
    rows = Document.global_objects.filter(pk__in=ids).values_list(
        "pk",
        "root_document_id",
        "title",
    )
    root_of = {pk: root or pk for pk, root, _title in rows}
    roots = set(root_of.values())
    titles = dict(
        Document.global_objects.filter(pk__in=roots).values_list("pk", "title"),
    )
    allowed = _destroying.get()
    found: dict[int, list[str]] = defaultdict(list)

    see_holds = user is None or user.has_perm("svc_archive_plugin.view_legalhold")
    for root, holds in holds_on(roots).items():
        for hold in holds:
            if see_holds:
                found[root].append(
                    _(
                        "it is under the legal hold “%(hold)s” (%(reason)s), placed on "
                        "%(date)s by %(user)s",
                    )
                    % {
                        "hold": hold.name,
                        "reason": hold.reason,
                        "date": _day(hold.placed_at),
                        "user": hold.placed_by,
                    },
                )
            else:
                found[root].append(
                    _("it is under a legal hold (ask the archive department)"),
                )
    for item in DestructionItem.objects.filter(
        document_id__in=roots - allowed,
        released=False,
    ).select_related("destruction_list"):
        destruction_list = item.destruction_list
        if destruction_list.state != DestructionList.State.EXECUTED:
            found[item.document_id].append(
                _("it is on the destruction list %(number)s (%(state)s)")
                % {
                    "number": destruction_list.number,
                    "state": destruction_list.get_state_display(),
                },
            )
    for root, loans in out_on_loan(list(roots)).items():
        for loan in loans:
            found[root].append(
                _("it is out on loan %(number)s to %(borrower)s, due back %(due)s")
                % {
                    "number": loan.number,
                    "borrower": loan.borrower,
                    "due": _day(loan.due),
                },
            )
    filed = set()
    for row in RecordRetention.objects.filter(
        Q(filed=True) | Q(state__in=APPRAISAL_STATES),
        document_id__in=roots - allowed,
    ):
        found[row.document_id].append(_retention_reason(row))
        filed.add(row.document_id)
    # A declared record stays one even where no retention rule covers its type.
    for row in DeclaredRecord.objects.filter(
        document_id__in=roots - allowed - filed,
    ).select_related("dossier"):
        found[row.document_id].append(
            _("it is a record of the filed dossier %(code)s")
            % {"code": row.dossier.archive_code or row.dossier_id},
        )
    result = {}
    for pk, root in root_of.items():
        if root in found:
            head = _("Document #%(id)s “%(title)s” cannot be deleted: ") % {
                "id": root,
                "title": titles.get(root, ""),
            }
            result[pk] = [head + "; ".join(found[root]) + "."]
    return result


def _retention_reason(row: RecordRetention) -> str:
    if row.filed and row.state in APPRAISAL_STATES:
        return _(
            "it is a filed record whose retention ended on %(until)s; only an "
            "approved destruction list can remove it",
        ) % {"until": _day(row.until)}
    if row.state == RecordRetention.State.DUE:
        return _(
            "it is in the appraisal queue (its retention ended on %(until)s); only an "
            "approved destruction list can remove it",
        ) % {"until": _day(row.until)}
    if row.state == RecordRetention.State.DESTROY:
        return _(
            "it was appraised for destruction; only an approved destruction list can "
            "remove it",
        )
    if row.retention == Dossier.Retention.PERMANENT:
        return _("it is a filed record kept permanently")
    if row.until is None:
        return _(
            "it is a filed record whose retention has not started (its project has "
            "not ended)",
        )
    return _("it is a filed record retained until %(until)s") % {
        "until": _day(row.until),
    }


def check(
    document_ids: Iterable[int],
    *,
    user: User | None = None,
    path: str,
) -> None:
    """Raise ``RecordProtected`` if any of the documents is protected; log the attempt."""
    ids = list(document_ids)
    found = reasons(ids, user)
    if not found:
        return
    record_refusal(found, user=user, path=path)
    raise RecordProtected(found)


def record_refusal(
    found: dict[int, list[str]],
    *,
    user: User | None,
    path: str,
) -> None:
    """Keep the refused attempt as evidence and in paperless's log."""
    actor = user if user is not None and user.is_authenticated else None
    RefusedDeletion.objects.bulk_create(
        [
            RefusedDeletion(
                document_id=pk,
                user=actor,
                path=path,
                reason=" ".join(lines),
            )
            for pk, lines in found.items()
        ],
    )
    for lines in found.values():
        logger.warning("Refused (%s, %s): %s", path, actor, " ".join(lines))


def settle_tags(document_ids: Iterable[int]) -> None:
    """Give each document exactly the protection tags its state calls for.

    冻结 while a hold covers it, 借出 while its paper original (or its dossier) is out,
    待销毁 while it is appraised *destroy* (waiting for, or on, a destruction list).
    """
    from documents.models import Document

    ids = set(
        Document.global_objects.filter(
            pk__in=set(document_ids),
            root_document__isnull=True,
        ).values_list("pk", flat=True),
    )
    if not ids:
        return
    legal_hold, on_loan, pending_destruction = PROTECTION_TAGS
    wanted = {
        legal_hold: set(holds_on(ids)),
        on_loan: set(out_on_loan(list(ids))),
        pending_destruction: set(
            RecordRetention.objects.filter(
                document_id__in=ids,
                state=RecordRetention.State.DESTROY,
            ).values_list("document_id", flat=True),
        ),
    }
    for key, tagged in wanted.items():
        set_tag(key, sorted(tagged), add=True)
        set_tag(key, sorted(ids - tagged), add=False)


def protection_tag_ids() -> set[int]:
    """The ids of the tags 冻结, 借出 and 待销毁 (one query)."""
    return set(
        ProvisionedObject.objects.filter(key__in=PROTECTION_TAGS).values_list(
            "object_id",
            flat=True,
        ),
    )
