"""Filing 归档 (policy ch. 4): completeness, the review state machine, archive codes.

collecting → submitted (business department) → approved (its department head) → received
(archive department) → filed; either review may return the dossier with reasons, and it
goes round again. Every step is a ``FilingEvent``; nobody approves or files their own
submission. Filing assigns the archive code, hands the documents to the records account and declares
them records (``records.declare``): from then on their frozen facts do not change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError
from django.db import transaction
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models.filing import ArchiveCodeSeries
from svc_archive_plugin.models.filing import FilingEvent
from svc_archive_plugin.models.filing import RequiredDocumentType
from svc_archive_plugin.services import items
from svc_archive_plugin.services import records
from svc_archive_plugin.services.indexing import reindex
from svc_archive_plugin.services.people import in_department
from svc_archive_plugin.services.provisioning import provisioned
from svc_archive_plugin.services.refusals import Forbidden
from svc_archive_plugin.services.refusals import Refused
from svc_archive_plugin.services.retention import dossier_class
from svc_archive_plugin.services.retention import recompute

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import User
    from django.db.models import QuerySet

State = Dossier.State
Action = FilingEvent.Action


class FilingError(Refused):
    """The step is not allowed now; the message says why, for the person who tried it."""


class FilingForbidden(FilingError, Forbidden):
    """The person may not take this step (role, department, or their own submission)."""


# Step -> (states it starts from, state it leads to, permission it needs).
STEPS = {
    Action.SUBMIT: (
        {State.COLLECTING, State.RETURNED},
        State.SUBMITTED,
        "submit_dossier",
    ),
    Action.APPROVE: ({State.SUBMITTED}, State.APPROVED, "approve_dossier"),
    Action.RECEIVE: ({State.APPROVED}, State.RECEIVED, "file_dossier"),
    Action.FILE: ({State.RECEIVED}, State.FILED, "file_dossier"),
}
# Returning: the department head at its review, the archive department at its own.
RETURN_FROM = {
    State.SUBMITTED: "approve_dossier",
    State.APPROVED: "file_dossier",
    State.RECEIVED: "file_dossier",
}
# Steps only members of the dossier's department take; steps its last submitter may not.
DEPARTMENT_STEPS = (Action.SUBMIT, Action.APPROVE)
NOT_BY_SUBMITTER = (Action.APPROVE, Action.FILE)


# Completeness -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Completeness:
    required: tuple[str, ...]
    present: tuple[str, ...]
    missing: tuple[str, ...]
    documents: int


def type_names(codes: Iterable[str]) -> list[str]:
    """Document types by code and name ("FP 费用结算与发票"), in the order of ``codes``."""
    codes = list(codes)
    names = dict(
        DocumentTypeCode.objects.filter(code__in=codes).values_list(
            "code",
            "document_type__name",
        ),
    )
    return [f"{code} {names[code]}" if code in names else code for code in codes]


def completeness(dossier: Dossier) -> Completeness:
    """Which required document types the dossier has and lacks (codes)."""
    required = sorted(
        RequiredDocumentType.objects.filter(
            service_type_id=dossier.project.service_type_id,
        ).values_list(
            "document_type__code",
            flat=True,
        ),
    )
    documents = records.dossier_documents(dossier)
    present = sorted(
        set(
            DocumentTypeCode.objects.filter(
                document_type__documents__in=documents,
            ).values_list("code", flat=True),
        ),
    )
    return Completeness(
        required=tuple(required),
        present=tuple(present),
        missing=tuple(code for code in required if code not in present),
        documents=documents.count(),
    )


# The state machine ------------------------------------------------------------------------


def _department_member(user: User, dossier: Dossier) -> bool:
    department_id = dossier.project.department_id
    return department_id is None or in_department(user, department_id)


def _last_submission():
    return _submissions().filter(dossier=OuterRef("pk")).values("actor_id")[:1]


def with_last_submitter(queryset):
    """The dossiers with their last submitter read in the same query (for lists)."""
    return queryset.annotate(last_submitter_id=Subquery(_last_submission()))


def _submissions():
    return FilingEvent.objects.filter(action=Action.SUBMIT).order_by("-at", "-pk")


def _last_submitter_id(dossier: Dossier) -> int | None:
    if hasattr(
        dossier,
        "last_submitter_id",
    ):  # read with the list (with_last_submitter)
        return dossier.last_submitter_id
    event = _submissions().filter(dossier=dossier).first()
    return event.actor_id if event else None


def _check(
    user: User,
    dossier: Dossier,
    action: str,
    permission: str,
    states: set[str],
) -> None:
    if dossier.state not in states:
        allowed = ", ".join(sorted(str(State(s).label) for s in states))
        raise FilingError(
            _("The dossier is %(state)s; %(step)s needs it to be: %(allowed)s.")
            % {
                "state": State(dossier.state).label.lower(),
                "step": Action(action).label.lower(),
                "allowed": allowed,
            },
        )
    if not user.has_perm(f"svc_archive_plugin.{permission}"):
        raise FilingForbidden(
            _("You may not do this: it needs the permission '%(permission)s'.")
            % {"permission": permission},
        )
    # The department's own review: its steps, and returning at its head's review.
    departmental = action in DEPARTMENT_STEPS or (
        action == Action.RETURN and permission == "approve_dossier"
    )
    if departmental and not _department_member(user, dossier):
        raise FilingForbidden(
            _("Only members of %(department)s may do this.")
            % {"department": dossier.project.department},
        )
    if action in NOT_BY_SUBMITTER and _last_submitter_id(dossier) == user.pk:
        raise FilingForbidden(_("Nobody approves or files their own submission."))


def waiting(user: User, action: str, queryset: QuerySet | None = None) -> QuerySet:
    """Dossiers on which ``user`` may take step ``action`` now: ``_check``'s rules as a query."""
    states, _to_state, permission = STEPS[action]
    queryset = Dossier.objects.all() if queryset is None else queryset
    if not user.has_perm(f"svc_archive_plugin.{permission}"):
        return queryset.none()
    queryset = queryset.filter(state__in=states)
    if action in DEPARTMENT_STEPS:  # as ``_department_member``: no department, anyone
        queryset = queryset.filter(
            Q(project__department__isnull=True)
            | Q(project__department__in=user.groups.all()),
        )
    if action in NOT_BY_SUBMITTER:
        queryset = with_last_submitter(queryset).filter(
            Q(last_submitter_id__isnull=True) | ~Q(last_submitter_id=user.pk),
        )
    return queryset


def in_scope(user: User, queryset: QuerySet | None = None) -> QuerySet:
    """Dossiers whose filing ``user`` answers for: every one for the archive department,
    their department's for those who submit or approve."""
    queryset = Dossier.objects.all() if queryset is None else queryset
    if user.has_perm("svc_archive_plugin.file_dossier"):
        return queryset
    if user.has_perm("svc_archive_plugin.submit_dossier") or user.has_perm(
        "svc_archive_plugin.approve_dossier",
    ):
        return queryset.filter(project__department__in=user.groups.all())
    return queryset.none()


def _record(
    dossier: Dossier,
    user: User,
    action: str,
    to_state: str,
    reason: str = "",
) -> FilingEvent:
    event = FilingEvent.objects.create(
        dossier=dossier,
        action=action,
        from_state=dossier.state,
        to_state=to_state,
        actor=user,
        reason=reason,
    )
    dossier.state = to_state
    dossier.save(update_fields=["state"])
    return event


def _locked(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update().select_related("project").get(pk=dossier.pk)
    )


def _advance(dossier: Dossier, user: User, action: str) -> tuple[Dossier, str]:
    """Lock the dossier and check that ``user`` may take step ``action`` now.

    Call inside a transaction; returns the locked dossier and the state it moves to.
    """
    dossier = _locked(dossier)
    check_step(user, dossier, action)
    return dossier, STEPS[action][1]


def check_step(user: User, dossier: Dossier, action: str) -> None:
    """Refuse, with why, unless ``user`` may take step ``action`` on the dossier now.

    The one statement of who may take which filing step in which state: the steps call
    it, and ``allowed_steps`` asks it what the screens offer.
    """
    if action == Action.ACCEPT_INCOMPLETE:
        if not user.has_perm("svc_archive_plugin.accept_incomplete_dossier"):
            raise FilingForbidden(
                _("Only the archive department may accept an incomplete dossier."),
            )
        if dossier.state == State.FILED:
            raise FilingError(_("The dossier is already filed."))
        return
    if action == Action.RETURN:
        if dossier.state not in RETURN_FROM:
            raise FilingError(
                _("A dossier that is %(state)s cannot be returned.")
                % {"state": State(dossier.state).label.lower()},
            )
        _check(user, dossier, action, RETURN_FROM[dossier.state], {dossier.state})
        return
    states, _to_state, permission = STEPS[action]
    _check(user, dossier, action, permission, states)


# The screens' step names (``steps.FILING``) and the filing actions they take.
STEP_ACTIONS = {
    "submit": Action.SUBMIT,
    "approve": Action.APPROVE,
    "receive": Action.RECEIVE,
    "file": Action.FILE,
    "return": Action.RETURN,
    "accept_incomplete": Action.ACCEPT_INCOMPLETE,
}


def allowed_steps(dossier: Dossier, user: User) -> list[str]:
    """The filing steps ``user`` may take on the dossier in its state (``check_step``)."""
    allowed = []
    for name, action in STEP_ACTIONS.items():
        try:
            check_step(user, dossier, action)
        except FilingError:
            continue
        allowed.append(name)
    return allowed


def waiting_for(dossier: Dossier) -> str:
    """What the dossier waits for, in the reader's language."""
    state = dossier.state
    if state in (State.COLLECTING, State.RETURNED):
        what = _("Waiting for the department to submit it")
        if state == State.RETURNED:
            what = _("Returned; waiting for the department to submit it again")
        return what
    return {
        State.SUBMITTED: _("Waiting for the department head's approval"),
        State.APPROVED: _(
            "Waiting for the archive department to receive it (the department head "
            "has approved)",
        ),
        State.RECEIVED: _("Waiting for the archive department to file it"),
    }.get(state, "")


def submit(dossier: Dossier, user: User) -> FilingEvent:
    """Submit the dossier for filing; refused while incomplete unless accepted."""
    with transaction.atomic():
        dossier, to_state = _advance(dossier, user, Action.SUBMIT)
        missing = completeness(dossier).missing
        if missing and not dossier.completeness_override:
            raise FilingError(
                _("The dossier is incomplete; missing: %(types)s.")
                % {"types": ", ".join(type_names(missing))},
            )
        return _record(dossier, user, Action.SUBMIT, to_state)


def approve(dossier: Dossier, user: User) -> FilingEvent:
    """The department head approves the submitted dossier."""
    with transaction.atomic():
        dossier, to_state = _advance(dossier, user, Action.APPROVE)
        return _record(dossier, user, Action.APPROVE, to_state)


def receive(dossier: Dossier, user: User) -> FilingEvent:
    """The archive department receives the approved dossier for its review."""
    with transaction.atomic():
        dossier, to_state = _advance(dossier, user, Action.RECEIVE)
        return _record(dossier, user, Action.RECEIVE, to_state)


def return_dossier(dossier: Dossier, user: User, reason: str) -> FilingEvent:
    """Send the dossier back to the department with the reasons."""
    if not reason.strip():
        raise FilingError(_("Say why the dossier is returned."))
    with transaction.atomic():
        dossier = _locked(dossier)
        check_step(user, dossier, Action.RETURN)
        return _record(dossier, user, Action.RETURN, State.RETURNED, reason.strip())


def accept_incomplete(dossier: Dossier, user: User, reason: str) -> FilingEvent:
    """Record an archive manager's decision to file the dossier although it is incomplete."""
    if not reason.strip():
        raise FilingError(_("Say why the dossier may be filed incomplete."))
    with transaction.atomic():
        dossier = _locked(dossier)
        check_step(user, dossier, Action.ACCEPT_INCOMPLETE)
        dossier.completeness_override = reason.strip()
        dossier.completeness_override_by = user
        dossier.save(
            update_fields=["completeness_override", "completeness_override_by"],
        )
        return FilingEvent.objects.create(
            dossier=dossier,
            action=Action.ACCEPT_INCOMPLETE,
            from_state=dossier.state,
            to_state=dossier.state,
            actor=user,
            reason=reason.strip(),
        )


def file_dossier(dossier: Dossier, user: User) -> FilingEvent:
    """File the dossier: archive code, records account as owner, then the event."""
    with transaction.atomic():
        dossier, to_state = _advance(dossier, user, Action.FILE)
        if not dossier.retention:
            dossier.retention = dossier_class(dossier) or ""
            if not dossier.retention:
                raise FilingError(
                    _(
                        "The retention schedule gives none of the dossier's documents "
                        "a retention class; add a rule for their type or override the "
                        "dossier's class with a reason.",
                    ),
                )
            dossier.save(update_fields=["retention"])
        assign_archive_code(dossier)
        document_ids = list(
            records.dossier_documents(dossier).values_list("pk", flat=True),
        )
        with records.writing():
            _hand_over(dossier, document_ids)
        event = _record(dossier, user, Action.FILE, to_state)
        # From now on they are records whatever happens to the dossier or their fields.
        records.declare(dossier, document_ids)
        items.number(dossier)

        recompute(document_ids)  # the records are now filed, hence protected
    reindex(document_ids)
    return event


# Archive codes ----------------------------------------------------------------------------


def retention_mark(retention: str) -> str:
    """Y for permanent, D<years> for fixed terms (DA/T 13 style)."""
    if retention == Dossier.Retention.PERMANENT:
        return "Y"
    years = (
        archive_settings.RETENTION_IMPORTANT
        if retention == Dossier.Retention.IMPORTANT
        else archive_settings.RETENTION_ORDINARY
    )
    return f"D{years}"


def code_parts(dossier: Dossier) -> dict[str, str]:
    """The parts of the dossier's archive code: fonds, category, year, retention, department."""
    project = dossier.project
    # The year the records were formed: the project's end, else the year of filing.
    year = project.end_date.year if project.end_date else timezone.localdate().year
    return {
        "fonds": archive_settings.FONDS,
        "category": dossier.category.code,
        "year": str(year),
        "retention": retention_mark(dossier.retention),
        "department": project.department.name if project.department_id else "00",
    }


def archive_series(dossier: Dossier) -> str:
    """The series the dossier's code belongs in now: the code without its number."""
    template = archive_settings.ARCHIVE_CODE_TEMPLATE
    return re.sub(r"\{seq(:[^}]*)?\}", "", template).format(**code_parts(dossier))


def assign_archive_code(dossier: Dossier) -> str:
    """Give the dossier the next number of its series; stable once given.

    The series row is locked (``select_for_update``) so two filings at once never get one
    number, on PostgreSQL as on SQLite (whose writes are serialised anyway).
    """
    if dossier.archive_code:
        return dossier.archive_code
    template = archive_settings.ARCHIVE_CODE_TEMPLATE
    parts = code_parts(dossier)
    series = archive_series(dossier)
    with transaction.atomic():
        try:
            with transaction.atomic():
                ArchiveCodeSeries.objects.get_or_create(series=series)
        except IntegrityError:
            pass  # made at the same moment by another filing
        row = ArchiveCodeSeries.objects.select_for_update().get(series=series)
        row.last_number += 1
        row.save(update_fields=["last_number"])
        dossier.archive_code = template.format(**parts, seq=row.last_number)
        dossier.archive_series = series
        dossier.archive_number = row.last_number
        dossier.save(update_fields=["archive_code", "archive_series", "archive_number"])
    return dossier.archive_code


def archive_code_gaps() -> dict[str, list[int]]:
    """List, per series, the numbers given out that no dossier carries."""
    used: dict[str, set[int]] = {}
    for series, number in Dossier.objects.exclude(archive_number=None).values_list(
        "archive_series",
        "archive_number",
    ):
        used.setdefault(series, set()).add(number)
    gaps = {}
    for row in ArchiveCodeSeries.objects.all():
        missing = [
            n
            for n in range(1, row.last_number + 1)
            if n not in used.get(row.series, set())
        ]
        if missing:
            gaps[row.series] = missing
    return gaps


# Hand-over ---------------------------------------------------------------------------------


def _hand_over(dossier: Dossier, document_ids: list[int]) -> None:
    """Make the records account the owner; former owners and the department keep view.

    Not on confidential records: those are seen through access requests only.
    """
    from documents.models import CustomFieldInstance
    from documents.models import Document
    from documents.permissions import set_permissions_for_object

    owner = records.records_account()
    field = provisioned("custom_field.archive_code")
    department = dossier.project.department_id
    confidential = records.sealed(document_ids)
    for document in Document.objects.filter(pk__in=document_ids).select_related(
        "owner",
    ):
        viewers = (
            [document.owner_id]
            if document.owner_id and document.owner_id != owner.pk
            else []
        )
        if document.pk not in confidential:  # those are seen through requests only
            set_permissions_for_object(
                {
                    "view": {
                        "users": viewers,
                        "groups": [department] if department else [],
                    },
                },
                document,
                merge=True,
            )
        document.owner = owner
        document.save(update_fields=["owner"])
        if field is not None:
            CustomFieldInstance.objects.update_or_create(
                document=document,
                field=field,
                defaults={"value_text": dossier.archive_code},
            )
