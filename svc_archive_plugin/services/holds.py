"""Legal holds 冻结: placing, releasing, and which documents a hold covers.

A hold's scope names documents, dossiers, customers or projects. The documents it covers
are its *members*, recorded when it is placed (everything its scope names then, through
the *Customer* / *Service project* fields) and whenever a document comes to match the
scope later (a new document of a held project, an edit that moves one in). Membership is
never taken back while the hold is in force: editing a document's fields does not take it
out of a hold.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import HoldEvent
from svc_archive_plugin.models import HoldMember
from svc_archive_plugin.models import HoldScope
from svc_archive_plugin.models import LegalHold
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services.indexing import set_tag
from svc_archive_plugin.services.provisioning import provisioned
from svc_archive_plugin.services.refusals import Forbidden
from svc_archive_plugin.services.refusals import Refused

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import User


class HoldError(Refused):
    """The hold cannot be placed or released; the message says why."""


class HoldForbidden(HoldError, Forbidden):
    """The person may not place or release holds."""


def _scope_options(
    scopes: Iterable[HoldScope],
) -> tuple[dict[int, set[int]], dict[str, set[int]], dict[str, set[int]]]:
    """Per hold id: its document ids, project option ids and customer option ids."""
    documents: dict[int, set[int]] = defaultdict(set)
    projects: dict[str, set[int]] = defaultdict(set)
    customers: dict[str, set[int]] = defaultdict(set)
    dossier_ids, project_ids, customer_ids = set(), set(), set()
    scopes = list(scopes)
    for scope in scopes:
        dossier_ids.add(scope.dossier_id)
        project_ids.add(scope.project_id)
        customer_ids.add(scope.customer_id)
    project_options = dict(
        ServiceProject.objects.filter(
            Q(pk__in=project_ids - {None})
            | Q(dossier__pk__in=dossier_ids - {None})
            | Q(customer_id__in=customer_ids - {None}),
        ).values_list("pk", "option_id"),
    )
    dossier_projects = dict(
        Dossier.objects.filter(pk__in=dossier_ids - {None}).values_list(
            "pk",
            "project_id",
        ),
    )
    customer_rows = Customer.objects.filter(pk__in=customer_ids - {None}).values_list(
        "pk",
        "option_id",
    )
    customer_options = dict(customer_rows)
    customer_projects: dict[int, list[int]] = defaultdict(list)
    for project_id, customer_id in ServiceProject.objects.filter(
        customer_id__in=customer_ids - {None},
    ).values_list("pk", "customer_id"):
        customer_projects[customer_id].append(project_id)
    for scope in scopes:
        hold = scope.hold_id
        if scope.document_id:
            documents[hold].add(scope.document_id)
        project_id = scope.project_id or dossier_projects.get(scope.dossier_id)
        if project_id and project_options.get(project_id):
            projects[project_options[project_id]].add(hold)
        if scope.customer_id:
            if customer_options.get(scope.customer_id):
                customers[customer_options[scope.customer_id]].add(hold)
            # A project's documents are its customer's even if their customer field is empty.
            for pid in customer_projects[scope.customer_id]:
                if project_options.get(pid):
                    projects[project_options[pid]].add(hold)
    return documents, projects, customers


def _scope_matches(
    scopes: Iterable[HoldScope],
    document_ids: set[int] | None = None,
) -> dict[int, set[int]]:
    """Per document (in the trash or not): the holds whose scope names it by its fields now.

    ``document_ids`` None: every document. A fixed number of queries.
    """
    from documents.models import CustomFieldInstance

    documents, projects, customers = _scope_options(scopes)
    found: dict[int, set[int]] = defaultdict(set)
    for hold_id, doc_ids in documents.items():
        for doc_id in doc_ids if document_ids is None else doc_ids & document_ids:
            found[doc_id].add(hold_id)
    fields = {
        provisioned("custom_field.project"): projects,
        provisioned("custom_field.customer"): customers,
    }
    condition = Q(pk__in=[])
    for field, options in fields.items():
        if field is not None and options:
            condition |= Q(field=field, value_select__in=list(options))
    if condition == Q(pk__in=[]):
        return found
    # A trashed document's field values are soft-deleted with it: count them too.
    instances = CustomFieldInstance.global_objects.filter(condition)
    if document_ids is not None:
        instances = instances.filter(document_id__in=document_ids)
    for doc_id, field_id, option in instances.values_list(
        "document_id",
        "field_id",
        "value_select",
    ):
        for field, options in fields.items():
            if field is not None and field.pk == field_id:
                found[doc_id].update(options.get(option, ()))
    return found


def _join(pairs: set[tuple[int, int]], how: str, user: User | None = None) -> None:
    """Record (document id, hold id) members of active holds, and tag them 冻结."""
    if not pairs:
        return
    hold_ids = {hold_id for _doc, hold_id in pairs}
    with transaction.atomic():
        # Two edits joining the same document at once: the second waits and finds it in.
        active = set(
            LegalHold.objects.select_for_update()
            .filter(pk__in=hold_ids, released_at=None)
            .values_list("pk", flat=True),
        )
        existing = set(
            HoldMember.objects.filter(
                hold_id__in=active,
                document_id__in={doc for doc, _hold in pairs},
            ).values_list("document_id", "hold_id"),
        )
        new = sorted(p for p in pairs if p[1] in active and p not in existing)
        if not new:
            return
        now = timezone.now()
        HoldMember.objects.bulk_create(
            [
                HoldMember(hold_id=h, document_id=d, joined_at=now, how=how)
                for d, h in new
            ],
        )
        if how == HoldMember.How.JOINED:
            HoldEvent.objects.bulk_create(
                [
                    HoldEvent(
                        hold_id=h,
                        action=HoldEvent.Action.JOINED,
                        document_id=d,
                        actor=user,
                        at=now,
                    )
                    for d, h in new
                ],
            )
        _tag(sorted({d for d, _h in new}), add=True)


def _covering(ids: set[int]) -> tuple[dict[int, LegalHold], dict[int, set[int]], set]:
    """(active holds, holds covering each document, the (document, hold) not yet members)."""
    active = {h.pk: h for h in LegalHold.objects.filter(released_at=None)}
    if not active:
        return {}, {}, set()
    found: dict[int, set[int]] = defaultdict(set)
    for doc_id, hold_id in HoldMember.objects.filter(
        hold_id__in=active,
        document_id__in=ids,
    ).values_list("document_id", "hold_id"):
        found[doc_id].add(hold_id)
    matches = _scope_matches(HoldScope.objects.filter(hold_id__in=active), ids)
    joining = {
        (doc_id, hold_id)
        for doc_id, hold_ids in matches.items()
        for hold_id in hold_ids - found[doc_id]
    }
    for doc_id, hold_id in joining:
        found[doc_id].add(hold_id)
    return active, found, joining


def holds_on(document_ids: Iterable[int]) -> dict[int, list[LegalHold]]:
    """The active holds covering each of ``document_ids`` (in the trash or not).

    A hold covers its members, and a document its scope names now (it joins the hold at
    its next change: ``join_by_scope``). Only reads; root ids in; a fixed number of queries.
    """
    ids = set(document_ids)
    if not ids:
        return {}
    active, found, _joining = _covering(ids)
    return {
        doc_id: sorted((active[h] for h in hold_ids), key=lambda h: h.pk)
        for doc_id, hold_ids in found.items()
        if hold_ids
    }


def join_by_scope(document_ids: Iterable[int]) -> int:
    """Record as members the documents an active hold's scope names now; returns how many.

    Called where documents change (consumption, edits, restores, corrections: every
    change ``retention.recompute`` follows); from then on no edit takes them out.
    """
    ids = set(document_ids)
    if not ids:
        return 0
    _active, _found, joining = _covering(ids)
    _join(joining, HoldMember.How.JOINED)
    return len(joining)


def held_documents(hold: LegalHold):
    """The documents (not in the trash) that ``hold`` holds: its members."""
    from documents.models import Document

    return Document.objects.filter(
        pk__in=HoldMember.objects.filter(hold=hold).values("document_id"),
    )


def place_hold(
    user: User,
    *,
    name: str,
    reason: str,
    documents: Iterable[int] = (),
    dossiers: Iterable[Dossier] = (),
    customers: Iterable[Customer] = (),
    projects: Iterable[ServiceProject] = (),
) -> LegalHold:
    """Place a named hold; it covers its scope until released."""
    from documents.models import Document

    if not user.has_perm("svc_archive_plugin.place_legalhold"):
        raise HoldForbidden(_("You may not place legal holds."))
    if not name.strip() or not reason.strip():
        raise HoldError(_("A legal hold needs a name and a reason."))
    document_ids = sorted(set(documents))
    dossiers, customers, projects = list(dossiers), list(customers), list(projects)
    if not (document_ids or dossiers or customers or projects):
        raise HoldError(
            _("Say what the hold covers: documents, dossiers, customers or projects."),
        )
    found = set(
        Document.global_objects.filter(pk__in=document_ids).values_list(
            "pk",
            flat=True,
        ),
    )
    if missing := [d for d in document_ids if d not in found]:
        raise HoldError(
            _("No such document: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
        )
    # A held document in the trash would wait there forever: restore it first.
    if trashed := list(
        Document.deleted_objects.filter(pk__in=document_ids).values_list(
            "pk",
            flat=True,
        ),
    ):
        raise HoldError(
            _("Restore these documents from the trash before holding them: %(ids)s.")
            % {"ids": ", ".join(map(str, trashed))},
        )
    with transaction.atomic():
        hold = LegalHold.objects.create(
            name=name.strip(),
            reason=reason.strip(),
            placed_by=user,
        )
        scopes = HoldScope.objects.bulk_create(
            [HoldScope(hold=hold, document_id=d) for d in document_ids]
            + [HoldScope(hold=hold, dossier=d) for d in dossiers]
            + [HoldScope(hold=hold, customer=c) for c in customers]
            + [HoldScope(hold=hold, project=p) for p in projects],
        )
        members = sorted(_scope_matches(scopes))
        HoldMember.objects.bulk_create(
            [
                HoldMember(
                    hold=hold,
                    document_id=d,
                    joined_at=hold.placed_at,
                    how=HoldMember.How.PLACED,
                )
                for d in members
            ],
        )
        HoldEvent.objects.create(
            hold=hold,
            action=HoldEvent.Action.PLACED,
            actor=user,
            at=hold.placed_at,
            reason=hold.reason,
        )
        _tag(members, add=True)
    return hold


def release_hold(hold: LegalHold, user: User, reason: str) -> LegalHold:
    """Release a hold, with the reason; records stay held while any other hold covers them.

    The hold's members and events stay, as the evidence of what it held.
    """
    if not user.has_perm("svc_archive_plugin.release_legalhold"):
        raise HoldForbidden(_("You may not release legal holds."))
    if not reason.strip():
        raise HoldError(_("Say why the hold is released."))
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if not hold.active:
            raise HoldError(
                _("The hold “%(hold)s” was already released.") % {"hold": hold},
            )
        covered = list(hold.members.values_list("document_id", flat=True))
        hold.released_at = timezone.now()
        hold.released_by = user
        hold.release_reason = reason.strip()
        hold.save(update_fields=["released_at", "released_by", "release_reason"])
        HoldEvent.objects.create(
            hold=hold,
            action=HoldEvent.Action.RELEASED,
            actor=user,
            at=hold.released_at,
            reason=hold.release_reason,
        )
        still_held = holds_on(covered)
        _tag([d for d in covered if d not in still_held], add=False)
    return hold


def _tag(document_ids: list[int], *, add: bool) -> None:
    # Re-indexing fires paperless's ``document_updated``, which settles the protection
    # tags again: nothing changes the second time, so it stops there.
    set_tag("tag.retention.legal_hold", document_ids, add=add)
