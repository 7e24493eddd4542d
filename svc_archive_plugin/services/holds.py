"""Legal holds 冻结: placing, releasing, and which documents a hold covers.

A hold's scope names documents, dossiers, customers or projects; documents are covered
through their *Customer* / *Service project* fields at the moment of asking, so a document
filed into a held project later is held too.
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
from svc_archive_plugin.models import HoldScope
from svc_archive_plugin.models import LegalHold
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services.indexing import set_tag
from svc_archive_plugin.services.provisioning import provisioned

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import User


class HoldError(Exception):
    """The hold cannot be placed or released; the message says why."""


class HoldForbidden(HoldError):
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


def holds_on(document_ids: Iterable[int]) -> dict[int, list[LegalHold]]:
    """The active holds covering each of ``document_ids`` (in the trash or not)."""
    from documents.models import CustomFieldInstance

    ids = set(document_ids)
    scopes = HoldScope.objects.filter(hold__released_at=None).select_related("hold")
    scopes = list(scopes)
    if not ids or not scopes:
        return {}
    holds = {scope.hold_id: scope.hold for scope in scopes}
    documents, projects, customers = _scope_options(scopes)
    found: dict[int, set[int]] = defaultdict(set)
    for hold_id, doc_ids in documents.items():
        for doc_id in doc_ids & ids:
            found[doc_id].add(hold_id)
    fields = {
        provisioned("custom_field.project"): projects,
        provisioned("custom_field.customer"): customers,
    }
    condition = Q(pk__in=[])
    for field, options in fields.items():
        if field is not None and options:
            condition |= Q(field=field, value_select__in=list(options))
    if condition != Q(pk__in=[]):
        for doc_id, field_id, option in CustomFieldInstance.global_objects.filter(
            condition,
            document_id__in=ids,
        ).values_list("document_id", "field_id", "value_select"):
            for field, options in fields.items():
                if field is not None and field.pk == field_id:
                    found[doc_id].update(options.get(option, ()))
    return {
        doc_id: sorted((holds[h] for h in hold_ids), key=lambda h: h.pk)
        for doc_id, hold_ids in found.items()
    }


def held_documents(hold: LegalHold):
    """The documents (not in the trash) that ``hold``'s scope covers now."""
    from documents.models import Document

    documents, projects, customers = _scope_options(hold.scope.all())
    condition = Q(pk__in=documents.get(hold.pk, set()))
    for key, options in (
        ("custom_field.project", projects),
        ("custom_field.customer", customers),
    ):
        field = provisioned(key)
        if field is not None and options:
            condition |= Q(
                custom_fields__field=field,
                custom_fields__value_select__in=list(options),
            )
    return Document.objects.filter(condition).distinct()


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
        HoldScope.objects.bulk_create(
            [HoldScope(hold=hold, document_id=d) for d in document_ids]
            + [HoldScope(hold=hold, dossier=d) for d in dossiers]
            + [HoldScope(hold=hold, customer=c) for c in customers]
            + [HoldScope(hold=hold, project=p) for p in projects],
        )
        _tag(list(held_documents(hold).values_list("pk", flat=True)), add=True)
    return hold


def release_hold(hold: LegalHold, user: User, reason: str) -> LegalHold:
    """Release a hold, with the reason; records stay held while any other hold covers them."""
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
        covered = list(held_documents(hold).values_list("pk", flat=True))
        hold.released_at = timezone.now()
        hold.released_by = user
        hold.release_reason = reason.strip()
        hold.save(update_fields=["released_at", "released_by", "release_reason"])
        still_held = holds_on(covered)
        _tag([d for d in covered if d not in still_held], add=False)
    return hold


def tag_if_held(document_ids: list[int]) -> None:
    """Give the 冻结 tag to documents a hold covers now (filed into a held project later)."""
    held = list(holds_on(document_ids))
    if held:
        _tag(held, add=True)


def _tag(document_ids: list[int], *, add: bool) -> None:
    # Re-indexing fires paperless's ``document_updated``, which asks ``tag_if_held`` again:
    # nothing changes the second time, so it stops there.
    set_tag("tag.retention.legal_hold", document_ids, add=add)
