"""Corrections 更正: the one way a frozen fact of a record, dossier or project changes.

1. An archive manager proposes it: which record, dossier or project, which fact, the new
   value and the reason.
2. A second archive manager, or the archive head (anyone holding *approve correction*
   except the proposer), approves or refuses it with a reason.
3. On approval the change is applied inside ``records.correcting`` (the record guards let
   exactly those records through) and ``registers.amending`` (the register freeze lets
   exactly that entry through). Retention and archive codes then follow as the normal
   code computes them: the records' retention is recomputed; a filed dossier whose code
   parts (category, year, retention class, department) changed gets the next number of
   its new series, written into its records' 档号, and its old number stays a gap
   explained by this evidence. Each step is a ``CorrectionEvent`` with the old and new
   values and what followed.

A record moved to another project (a wrong project) goes only into a **filed** dossier,
so it stays a filed, protected record throughout and takes that dossier's 档号.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from documents.models import CustomFieldInstance
from documents.models import Document
from documents.models import DocumentType
from guardian.shortcuts import assign_perm
from guardian.shortcuts import remove_perm

from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import Correction
from svc_archive_plugin.models import CorrectionEvent
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import holds
from svc_archive_plugin.services import items
from svc_archive_plugin.services import loans
from svc_archive_plugin.services import records
from svc_archive_plugin.services import registers
from svc_archive_plugin.services import retention
from svc_archive_plugin.services import vocabulary
from svc_archive_plugin.services.access import seal
from svc_archive_plugin.services.indexing import reindex
from svc_archive_plugin.services.people import role_group_ids
from svc_archive_plugin.services.provisioning import provisioned
from svc_archive_plugin.services.records import correcting
from svc_archive_plugin.services.refusals import Forbidden
from svc_archive_plugin.services.refusals import Refused

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet

Fact = Correction.Fact
State = Correction.State
Action = CorrectionEvent.Action

PROPOSE = "svc_archive_plugin.propose_correction"
APPROVE = "svc_archive_plugin.approve_correction"

RECORD_FACTS = frozenset(
    {Fact.DOCUMENT_TYPE, Fact.PROJECT, Fact.RECORD_CATEGORY, Fact.CONFIDENTIALITY},
)
DOSSIER_FACTS = frozenset({Fact.DOSSIER_CATEGORY})
PROJECT_FACTS = frozenset({Fact.END_DATE, Fact.CUSTOMER, Fact.DEPARTMENT})
# The record's own select fields, by provisioning key.
RECORD_SELECTS = {
    Fact.RECORD_CATEGORY: "category",
    Fact.CONFIDENTIALITY: "confidentiality",
}


class CorrectionError(Refused):
    """The correction cannot be proposed or decided now; the message says why."""


class CorrectionForbidden(CorrectionError, Forbidden):
    """The person may not take this step (role, or their own proposal)."""


# Reading a fact --------------------------------------------------------------------------


def _record_project(document_id: int) -> ServiceProject | None:
    field = provisioned("custom_field.project")
    if field is None:
        return None
    option = (
        CustomFieldInstance.objects.filter(document_id=document_id, field=field)
        .values_list("value_select", flat=True)
        .first()
    )
    if not option:
        return None
    return (
        ServiceProject.objects.select_related("dossier")
        .filter(option_id=option)
        .first()
    )


def _select_value(document_id: int, key: str) -> str:
    field = provisioned(f"custom_field.{key}")
    if field is None:
        return ""
    return (
        CustomFieldInstance.objects.filter(document_id=document_id, field=field)
        .values_list("value_select", flat=True)
        .first()
        or ""
    )


def _option_label(key: str, option_id: str) -> str:
    field = provisioned(f"custom_field.{key}")
    options = field.extra_data.get("select_options", []) if field else []
    return next((o.get("label", "") for o in options if o.get("id") == option_id), "")


def _label(fact: str, value: str) -> str:
    """How people read a stored value of ``fact``."""
    if not value:
        return "—"
    if fact == Fact.DOCUMENT_TYPE:
        return (
            DocumentType.objects.filter(pk=value).values_list("name", flat=True).first()
        )
    if fact == Fact.PROJECT:
        return str(ServiceProject.objects.get(pk=value))
    if fact in (Fact.RECORD_CATEGORY, Fact.DOSSIER_CATEGORY):
        return str(ArchiveCategory.objects.get(pk=value))
    if fact == Fact.CONFIDENTIALITY:
        return _option_label("confidentiality", value) or value
    if fact == Fact.CUSTOMER:
        return str(Customer.objects.get(pk=value))
    if fact == Fact.DEPARTMENT:
        return Group.objects.get(pk=value).name
    return value  # a date, YYYY-MM-DD


def current_value(correction: Correction) -> str:
    """The fact's value now, as stored (ids, option ids, YYYY-MM-DD; "" for none)."""
    fact = correction.fact
    if fact in RECORD_FACTS:
        if fact == Fact.DOCUMENT_TYPE:
            type_id = (
                Document.objects.filter(pk=correction.document_id)
                .values_list("document_type_id", flat=True)
                .first()
            )
            return str(type_id or "")
        if fact == Fact.PROJECT:
            project = _record_project(correction.document_id)
            return str(project.pk) if project else ""
        option = _select_value(correction.document_id, RECORD_SELECTS[fact])
        if fact == Fact.RECORD_CATEGORY:
            category = ArchiveCategory.objects.filter(option_id=option).first()
            return str(category.pk) if option and category else ""
        return option
    if fact == Fact.DOSSIER_CATEGORY:
        return str(correction.dossier.category_id)
    project = correction.project
    if fact == Fact.END_DATE:
        return project.end_date.isoformat() if project.end_date else ""
    value = getattr(project, f"{fact}_id")
    return str(value or "")


# Checking a proposal ---------------------------------------------------------------------


def _frozen_target(correction: Correction) -> None:
    """Refuse a correction of a fact that is not frozen: that is changed directly."""
    fact = correction.fact
    if fact in RECORD_FACTS:
        if correction.document_id is None:
            raise CorrectionError(_("Name the record to correct."))
        if not Document.objects.filter(pk=correction.document_id).exists():
            raise CorrectionError(
                _("There is no document #%(id)s.") % {"id": correction.document_id},
            )
        project = _record_project(correction.document_id)
        if project is None or project.dossier.state != Dossier.State.FILED:
            raise CorrectionError(
                _(
                    "Document #%(id)s is not a filed record: change it directly; "
                    "corrections are for the frozen facts of filed records.",
                )
                % {"id": correction.document_id},
            )
        correction.dossier = project.dossier
    elif fact in DOSSIER_FACTS:
        if correction.dossier is None:
            raise CorrectionError(_("Name the dossier to correct."))
        if correction.dossier.state != Dossier.State.FILED:
            raise CorrectionError(
                _("%(dossier)s is not filed: change it directly.")
                % {"dossier": correction.dossier},
            )
    else:
        if correction.project is None:
            raise CorrectionError(_("Name the service project to correct."))
        dossier = Dossier.objects.filter(project=correction.project).first()
        if dossier is None or dossier.state not in registers.PROJECT_FROZEN_IN:
            raise CorrectionError(
                _(
                    "%(project)s is not frozen (its dossier is neither in review nor "
                    "filed): change it directly.",
                )
                % {"project": correction.project},
            )
        correction.dossier = dossier


def _invalid(fact: str, value: str) -> CorrectionError:
    return CorrectionError(
        _("'%(value)s' is not a valid new value for: %(fact)s.")
        % {"value": value, "fact": Fact(fact).label},
    )


def parse_value(correction: Correction, value: str) -> str:
    """The new value as stored, checked; ``value`` is an id, a code or YYYY-MM-DD."""
    fact, value = correction.fact, str(value or "").strip()
    if fact == Fact.END_DATE:
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            raise _invalid(fact, value) from None
        start = correction.project.start_date
        if start and day < start:
            raise CorrectionError(_("The end date is before the start date."))
        return day.isoformat()
    if fact == Fact.CONFIDENTIALITY:
        field = provisioned("custom_field.confidentiality")
        terms = dict(vocabulary.CONFIDENTIALITY)
        names = (
            {terms[value].zh_hans, terms[value].zh_hant, terms[value].en}
            if value in terms
            else {value}
        )
        for option in field.extra_data.get("select_options", []) if field else []:
            if option.get("id") == value or option.get("label") in names:
                return option["id"]
        raise _invalid(fact, value)
    # Ids are ASCII digits within 64 bits (a longer one would overflow the query).
    if not (value.isascii() and value.isdigit()) or int(value) >= 2**63:
        raise _invalid(fact, value)
    models = {
        Fact.DOCUMENT_TYPE: DocumentType.objects.all(),
        Fact.PROJECT: ServiceProject.objects.all(),
        Fact.RECORD_CATEGORY: ArchiveCategory.objects.all(),
        Fact.DOSSIER_CATEGORY: ArchiveCategory.objects.all(),
        Fact.CUSTOMER: Customer.objects.all(),
        Fact.DEPARTMENT: Group.objects.exclude(pk__in=role_group_ids()),
    }
    if not models[fact].filter(pk=int(value)).exists():
        raise _invalid(fact, value)
    if fact == Fact.PROJECT:
        _check_move(int(value))
    return value


def _check_move(project_id: int) -> Dossier:
    """A record moves only into a filed dossier, so it never stops being a filed record."""
    target = Dossier.objects.select_related("project").get(project_id=project_id)
    if target.state != Dossier.State.FILED:
        raise CorrectionError(
            _(
                "A record moves only into a filed dossier, so that it stays a filed "
                "record; %(dossier)s is not filed yet. File it first.",
            )
            % {"dossier": target},
        )
    return target


# The steps ---------------------------------------------------------------------------------


def propose(
    user: User,
    *,
    fact: str,
    value: str,
    reason: str,
    document_id: int | None = None,
    dossier: Dossier | None = None,
    project: ServiceProject | None = None,
) -> Correction:
    """An archive manager proposes to put one frozen fact right, with the reason."""
    if not user.has_perm(PROPOSE):
        raise CorrectionForbidden(
            _("Only archive managers propose corrections."),
        )
    if fact not in Fact.values:
        raise CorrectionError(_("Unknown fact '%(value)s'.") % {"value": fact})
    if not (reason or "").strip():
        raise CorrectionError(_("Give the reason for the correction."))
    correction = Correction(
        fact=fact,
        document_id=document_id if fact in RECORD_FACTS else None,
        dossier=dossier if fact in DOSSIER_FACTS else None,
        project=project if fact in PROJECT_FACTS else None,
        reason=reason.strip(),
        proposed_by=user,
    )
    with transaction.atomic():
        _frozen_target(correction)
        correction.new_value = parse_value(correction, value)
        correction.old_value = current_value(correction)
        if correction.new_value == correction.old_value:
            raise CorrectionError(
                _("%(fact)s is already %(value)s.")
                % {
                    "fact": Fact(fact).label,
                    "value": _label(fact, correction.new_value),
                },
            )
        correction.old_label = _label(fact, correction.old_value)[:256]
        correction.new_label = _label(fact, correction.new_value)[:256]
        correction.save()
        _event(correction, Action.PROPOSE, user, correction.reason)
    return correction


def may_decide(user: User, correction: Correction) -> bool:
    return (
        correction.state == State.PROPOSED
        and user.has_perm(APPROVE)
        and user.pk != correction.proposed_by_id
    )


def waiting_for(correction: Correction) -> str:
    """What the correction waits for."""
    if correction.state == State.PROPOSED:
        return _("Waiting for a second archive manager's decision")
    return ""


def _decide_check(user: User, correction: Correction) -> Correction:
    correction = Correction.objects.select_for_update().get(pk=correction.pk)
    if correction.state != State.PROPOSED:
        raise CorrectionError(
            _("The correction is already decided: %(state)s.")
            % {"state": correction.get_state_display()},
        )
    if not user.has_perm(APPROVE):
        raise CorrectionForbidden(
            _(
                "Only a second archive manager or the archive head approves or refuses "
                "a correction.",
            ),
        )
    if user.pk == correction.proposed_by_id:
        raise CorrectionForbidden(
            _("Nobody approves or refuses their own correction: a second person must."),
        )
    return correction


def refuse(correction: Correction, user: User, reason: str) -> Correction:
    """Refuse the proposal, with the reason; nothing changes."""
    if not (reason or "").strip():
        raise CorrectionError(_("Give the reason for refusing the correction."))
    with transaction.atomic():
        correction = _decide_check(user, correction)
        _close(correction, user, State.REFUSED, reason.strip())
        _event(correction, Action.REFUSE, user, reason.strip())
    return correction


def approve(correction: Correction, user: User, reason: str = "") -> Correction:
    """Approve the proposal and apply it; the evidence keeps old and new values."""
    with transaction.atomic():
        correction = _decide_check(user, correction)
        if current_value(correction) != correction.old_value:
            raise CorrectionError(
                _(
                    "%(fact)s has changed since the correction was proposed (it is now "
                    "%(value)s); refuse this one and propose it again.",
                )
                % {
                    "fact": correction.get_fact_display(),
                    "value": _label(correction.fact, current_value(correction)),
                },
            )
        _check_free(correction)
        documents, effects = _apply(correction)
        _close(correction, user, State.APPLIED, (reason or "").strip())
        _event(
            correction,
            Action.APPLY,
            user,
            (reason or "").strip(),
            documents=documents,
            effects=effects,
        )
    reindex(documents)
    return correction


def _close(correction: Correction, user: User, state: str, reason: str) -> None:
    correction.state = state
    correction.decided_by = user
    correction.decided_at = timezone.now()
    correction.decision_reason = reason
    correction.save(
        update_fields=["state", "decided_by", "decided_at", "decision_reason"],
    )


def _event(
    correction: Correction,
    action: str,
    user: User,
    reason: str,
    *,
    documents: list[int] | None = None,
    effects: dict | None = None,
) -> CorrectionEvent:
    return CorrectionEvent.objects.create(
        correction=correction,
        action=action,
        actor=user,
        reason=reason,
        fact=correction.fact,
        old_value=correction.old_value,
        old_label=correction.old_label,
        new_value=correction.new_value,
        new_label=correction.new_label,
        documents=documents or [],
        effects=effects or {},
    )


# Applying ------------------------------------------------------------------------------------


def _check_free(correction: Correction) -> None:
    """Refuse while a legal hold covers what the correction changes, or it moves a record out.

    A hold keeps its records as they are until it is released; a record out on loan is
    moved to another dossier only once it is back on its shelf.
    """
    if correction.document_id:
        ids = [correction.document_id]
    else:
        ids = _ids(
            Dossier.objects.select_related("project").get(pk=correction.dossier_id),
        )
    if held := holds.holds_on(ids):
        found = next(iter(held.values()))[0]
        raise CorrectionError(
            _(
                "A record it changes is under the legal hold “%(hold)s”: corrections "
                "wait until the hold is released.",
            )
            % {"hold": found.name},
        )
    if correction.fact == Fact.PROJECT and (out := loans.out_on_loan(ids)):
        loan = next(iter(out.values()))[0]
        raise CorrectionError(
            _(
                "The record is out on loan %(number)s; move it to another dossier once "
                "it is back.",
            )
            % {"number": loan.number},
        )


def _ids(dossier: Dossier) -> list[int]:
    return list(records.dossier_documents(dossier).values_list("pk", flat=True))


def _untils(document_ids: list[int]) -> dict[int, str | None]:
    return {
        doc: until.isoformat() if until else None
        for doc, until in RecordRetention.objects.filter(
            document_id__in=document_ids,
        ).values_list("document_id", "until")
    }


def _apply(correction: Correction) -> tuple[list[int], dict]:
    """Change the fact, then retention and archive codes; returns records and effects."""
    fact, value = correction.fact, correction.new_value
    dossiers = [Dossier.objects.select_related("project").get(pk=correction.dossier_id)]
    if fact == Fact.PROJECT:
        target = _check_move(int(value))
        dossiers.append(target)
    affected = sorted({pk for d in dossiers for pk in _ids(d)})
    moved = [correction.document_id] if correction.document_id else []
    before_untils = _untils(affected)
    before_codes = {d.pk: d.archive_code for d in dossiers}
    before_items = items.numbers_of(moved)
    with (
        correcting(affected),
        registers.amending(*dossiers, *(d.project for d in dossiers)),
    ):
        if fact in RECORD_FACTS:
            _apply_to_record(correction)
        elif fact == Fact.DOSSIER_CATEGORY:
            dossier = dossiers[0]
            dossier.category_id = int(value)
            dossier.save(update_fields=["category"])
        else:
            _apply_to_project(correction, dossiers[0])
        affected = sorted(set(affected) | {pk for d in dossiers for pk in _ids(d)})
        with correcting(affected):
            for dossier in dossiers:
                _recode(dossier)
            retention.recompute(affected)
    after_untils = _untils(affected)
    effects = {
        "retention_until": {
            str(doc): [before_untils.get(doc), after_untils.get(doc)]
            for doc in affected
            if before_untils.get(doc) != after_untils.get(doc)
        },
        "archive_codes": {
            str(d.pk): [before_codes[d.pk], d.archive_code]
            for d in dossiers
            if before_codes[d.pk] != d.archive_code
        },
    }
    if fact == Fact.PROJECT:
        effects["moved"] = {
            "document": correction.document_id,
            "from": dossiers[0].pk,
            "to": dossiers[1].pk,
        }
        # The 件号 it had in the source dossier and the one it takes in the target.
        effects["item_numbers"] = {
            str(doc): [before_items.get(doc), number]
            for doc, number in items.numbers_of(moved).items()
        }
    touched = sorted(set(moved) | {int(d) for d in effects["retention_until"]})
    if effects["archive_codes"] or fact in PROJECT_FACTS | DOSSIER_FACTS:
        touched = affected
    return touched, effects


def _set_select(document_id: int, key: str, option_id: str) -> None:
    field = provisioned(f"custom_field.{key}")
    instance, created = CustomFieldInstance.objects.get_or_create(
        document_id=document_id,
        field=field,
        defaults={"value_select": option_id},
    )
    if not created and instance.value_select != option_id:
        instance.value_select = option_id
        instance.save()


def _apply_to_record(correction: Correction) -> None:
    fact, value, doc_id = correction.fact, correction.new_value, correction.document_id
    document = Document.objects.get(pk=doc_id)
    if fact == Fact.DOCUMENT_TYPE:
        document.document_type_id = int(value)
        document.save(update_fields=["document_type", "modified"])
    elif fact == Fact.PROJECT:
        source = correction.dossier.project
        target = ServiceProject.objects.get(pk=int(value))
        _set_select(doc_id, "project", target.option_id)
        registers.align_customer_with_project(document)
        _write_code([doc_id], target.dossier.archive_code)
        items.move(doc_id, target.dossier)
        _move_department_view([doc_id], source.department_id, target.department_id)
    elif fact == Fact.RECORD_CATEGORY:
        category = ArchiveCategory.objects.get(pk=int(value))
        _set_select(doc_id, "category", category.option_id)
    else:
        _set_select(doc_id, "confidentiality", value)
        seal([doc_id])


def _apply_to_project(correction: Correction, dossier: Dossier) -> None:
    project = dossier.project
    fact, value = correction.fact, correction.new_value
    old_department = project.department_id
    if fact == Fact.END_DATE:
        project.end_date = datetime.date.fromisoformat(value)
    elif fact == Fact.CUSTOMER:
        project.customer_id = int(value)
    else:
        project.department_id = int(value)
    project.save()  # the register follows: option, retention clock
    documents = Document.objects.filter(pk__in=_ids(dossier))
    if fact == Fact.CUSTOMER:
        for document in documents:
            registers.align_customer_with_project(document)
    if fact == Fact.DEPARTMENT and dossier.state == Dossier.State.FILED:
        _move_department_view(
            [d.pk for d in documents],
            old_department,
            project.department_id,
        )


def _move_department_view(
    document_ids: list[int],
    old_department: int | None,
    new_department: int | None,
) -> None:
    """Filing gave the department view of its records: the right department keeps it."""
    if old_department == new_department:
        return
    confidential = records.sealed(document_ids)
    documents = list(
        Document.objects.filter(pk__in=document_ids).exclude(pk__in=confidential),
    )
    for department, give in ((old_department, False), (new_department, True)):
        if department is None or not documents:
            continue
        group = Group.objects.get(pk=department)
        (assign_perm if give else remove_perm)("view_document", group, documents)


def _recode(dossier: Dossier) -> None:
    """A filed dossier's class and code as the normal code makes them, after a change."""
    dossier.refresh_from_db()
    if dossier.state != Dossier.State.FILED:
        return
    if not dossier.retention_override_reason:
        wanted = retention.dossier_class(dossier) or dossier.retention
        if wanted != dossier.retention:
            dossier.retention = wanted
            dossier.save(update_fields=["retention"])
    if filing.archive_series(dossier) == dossier.archive_series:
        return
    dossier.archive_code = None
    filing.assign_archive_code(dossier)
    _write_code(_ids(dossier), dossier.archive_code)


def _write_code(document_ids: list[int], code: str) -> None:
    """Write the dossier's archive code into its records' 档号 field."""
    field = provisioned("custom_field.archive_code")
    if field is None:
        return
    for doc_id in document_ids:
        instance, created = CustomFieldInstance.objects.get_or_create(
            document_id=doc_id,
            field=field,
            defaults={"value_text": code},
        )
        if not created and instance.value_text != code:
            instance.value_text = code
            instance.save()


# Lists ---------------------------------------------------------------------------------------


def awaiting_decision(user: User, queryset: QuerySet | None = None) -> QuerySet:
    """Proposals this person may decide (someone else's, while they hold the permission)."""
    queryset = Correction.objects.all() if queryset is None else queryset
    if not user.has_perm(APPROVE):
        return queryset.none()
    return queryset.filter(state=State.PROPOSED).exclude(proposed_by=user)
