"""Loans 借阅 (policy §6.2): request → two approvals → issue → renewals → return → inspection.

- The borrower asks with a reason and a period of at most ``LOAN_MAX_DAYS`` working days.
- The head of the borrower's department *and* the archive department head approve (two
  different people, neither the borrower); either may refuse with a reason. For a
  borrower in no department, a second archive approver stands in for the head.
- The desk issues the item: who, when, the location it left; the due date is counted in
  working days from that day. While out the documents carry the 借出 tag and their
  存放位置 field says where they are; an item out on loan cannot be deleted or destroyed.
- One item is out once: ``Loan.out_key`` is unique in the database, so two desks issuing
  the same dossier at once cannot both succeed; a new borrower needs the item back first.
- A dossier and any of its documents are never out at the same time, either way round.
  A paper loan holds a ``LoanOccupancy`` key for each original it takes off the shelf (a
  dossier: itself and each of its documents), and the keys are unique in the database.
  Both kinds of loan also lock the dossier's row before they look, so a document joining
  the dossier later is covered too and the loser of a race is told which loan won.
- An item inspected *lost* keeps its keys: it is not requested, approved or issued again
  until the desk records it *found* (with a note), which shelves it again.
- A request is refused while the paper item, its dossier or one of its documents is out;
  an approval goes ahead (the loan waits for the item) unless it is lost.
- A renewal 续借 is asked for before the due date and approved again, at most
  ``LOAN_MAX_RENEWALS`` times.
- The desk receives the item back, then inspects it: intact / damaged / pages missing /
  lost, with a note; anything but intact records the borrower's liability. The location
  is restored.

Every step is a ``LoanEvent``.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import LoanEvent
from svc_archive_plugin.models import LoanLiability
from svc_archive_plugin.models import LoanOccupancy
from svc_archive_plugin.services import records
from svc_archive_plugin.services.calendar import calendar_between
from svc_archive_plugin.services.calendar import working_day_deadline
from svc_archive_plugin.services.indexing import reindex
from svc_archive_plugin.services.indexing import set_tag
from svc_archive_plugin.services.language import by_language
from svc_archive_plugin.services.language import date_in_text
from svc_archive_plugin.services.language import in_language_of
from svc_archive_plugin.services.language import with_languages
from svc_archive_plugin.services.people import department_of
from svc_archive_plugin.services.people import heads_of
from svc_archive_plugin.services.people import in_department
from svc_archive_plugin.services.people import name_of
from svc_archive_plugin.services.refusals import Forbidden
from svc_archive_plugin.services.refusals import Refused

if TYPE_CHECKING:
    import datetime

    from django.contrib.auth.models import User

logger = logging.getLogger("paperless.svc_archive")

State = Loan.State
Action = LoanEvent.Action
HEAD = "svc_archive_plugin.approve_loan"
ARCHIVE = "svc_archive_plugin.approve_loan_for_archive"
DESK = "svc_archive_plugin.issue_loan"


class LoanError(Refused):
    """The step is not possible now; the message says why."""


class LoanForbidden(LoanError, Forbidden):
    """The person may not take this step."""


def _event(loan: Loan, action: str, user: User | None, note: str = "", *, to=None):
    LoanEvent.objects.create(
        loan=loan,
        action=action,
        from_state=loan.state,
        to_state=to or loan.state,
        actor=user,
        note=note,
    )
    if to:
        loan.state = to


def _locked(loan: Loan) -> Loan:
    return Loan.objects.select_for_update().get(pk=loan.pk)


def _need(user: User, permission: str, message: str) -> None:
    if not user.has_perm(permission):
        raise LoanForbidden(message)


def _check_days(days: int) -> None:
    limit = archive_settings.LOAN_MAX_DAYS
    if not isinstance(days, int) or days < 1 or days > limit:
        raise LoanError(
            _("A loan is for 1 to %(limit)s working days, not %(days)s.")
            % {"limit": limit, "days": days},
        )


# Request and approval ---------------------------------------------------------------------


def request_loan(
    user: User,
    *,
    reason: str,
    days: int,
    dossier: Dossier | None = None,
    document_id: int | None = None,
    medium: str = Loan.Medium.PAPER,
) -> Loan:
    from documents.models import Document

    _need(
        user,
        "svc_archive_plugin.add_loan",
        _("You may not borrow archived records."),
    )
    reason = (reason or "").strip()
    if not reason:
        raise LoanError(_("Give the reason for the loan."))
    _check_days(days)
    if (dossier is None) == (document_id is None):
        raise LoanError(_("Name one dossier or one document to borrow."))
    if document_id is not None and not Document.objects.filter(pk=document_id).exists():
        raise LoanError(_("No such document: %(id)s.") % {"id": document_id})
    if medium not in Loan.Medium.values:
        raise LoanError(_("Unknown kind of loan: %(medium)s.") % {"medium": medium})
    if medium == Loan.Medium.ELECTRONIC and not archive_settings.LOAN_ELECTRONIC_COPIES:
        raise LoanError(
            _("Electronic copies are not lent here (LOAN_ELECTRONIC_COPIES)."),
        )
    if medium == Loan.Medium.PAPER:
        item = Loan(dossier=dossier, document_id=document_id, medium=medium)
        _check_shelf(item, _dossier_of(item), out_too=True)
    with transaction.atomic():
        loan = Loan.objects.create(
            number=f"pending-{timezone.now().timestamp()}",
            borrower=user,
            department=department_of(user),
            dossier=dossier,
            document_id=document_id,
            medium=medium,
            reason=reason,
            days=days,
        )
        loan.number = f"JY-{timezone.localdate():%Y}-{loan.pk:05d}"
        loan.save(update_fields=["number"])
        _event(loan, Action.REQUEST, user, reason)
    return loan


def _stage(loan: Loan) -> str:
    if loan.state == State.REQUESTED:
        return "loan"
    if loan.state == State.ISSUED and loan.renewal_days:
        return "renewal"
    raise LoanError(
        _("Loan %(number)s is %(state)s: there is nothing to approve.")
        % {"number": loan.number, "state": loan.get_state_display()},
    )


def roles(user: User, loan: Loan) -> set[str]:
    """The approvals ``user`` may give this loan: ``head``, ``archive`` (maybe both)."""
    if user.pk == loan.borrower_id:
        return set()
    found = set()
    if user.has_perm(HEAD) and in_department(user, loan.department_id):
        found.add("head")
    if user.has_perm(ARCHIVE):
        found.add("archive")
        if loan.department_id is None:
            # A borrower in no department: a second person of the archive stands in.
            found.add("head")
    return found


def _approvals(loan: Loan, stage: str) -> dict[str, int | None]:
    if stage == "loan":
        return {
            "head": loan.head_approved_by_id,
            "archive": loan.archive_approved_by_id,
        }
    return {"head": loan.renewal_head_by_id, "archive": loan.renewal_archive_by_id}


def _approval_due(loan: Loan, user: User) -> str:
    """The approval ``user`` gives the loan now (``head`` or ``archive``), or a refusal."""
    stage = _stage(loan)
    if user.pk == loan.borrower_id:
        raise LoanForbidden(_("Nobody approves their own loan."))
    given = _approvals(loan, stage)
    if user.pk in given.values():
        raise LoanForbidden(
            _(
                "You have approved this already; the other approval needs someone else.",
            ),
        )
    open_roles = [r for r in ("head", "archive") if given[r] is None]
    mine = [r for r in open_roles if r in roles(user, loan)]
    if not mine:
        raise LoanForbidden(
            _(
                "This needs the approval of the head of %(department)s and of the "
                "archive department head; you are neither (or yours is given).",
            )
            % {"department": loan.department or _("the borrower's department")},
        )
    return mine[0]


def awaiting(user: User, loan: Loan) -> bool:
    """Whether the loan waits for an approval ``user`` may give."""
    return _allows(_approval_due, loan, user)


def approve(loan: Loan, user: User, note: str = "") -> Loan:
    """Give the department head's or the archive head's approval (whichever is due)."""
    with transaction.atomic():
        loan = _locked(loan)
        role = _approval_due(loan, user)
        stage = _stage(loan)
        given = _approvals(loan, stage)
        if stage == "loan" and loan.medium == Loan.Medium.PAPER:
            # Out with someone else: the loan waits for it; lost: nothing to wait for.
            _check_shelf(loan, _dossier_of(loan), out_too=False)
        if stage == "loan":
            field = "head_approved_by" if role == "head" else "archive_approved_by"
            action = Action.APPROVE_HEAD if role == "head" else Action.APPROVE_ARCHIVE
        else:
            field = "renewal_head_by" if role == "head" else "renewal_archive_by"
            action = (
                Action.APPROVE_RENEWAL_HEAD
                if role == "head"
                else Action.APPROVE_RENEWAL_ARCHIVE
            )
        setattr(loan, field, user)
        given[role] = user.pk
        done = all(given.values())
        if stage == "loan":
            _event(loan, action, user, note, to=State.APPROVED if done else None)
        else:
            _event(loan, action, user, note)
            if done:
                _renew(loan, user)
        loan.save()
    return loan


def _check_refuse(loan: Loan, user: User) -> None:
    _stage(loan)
    if not roles(user, loan):
        raise LoanForbidden(
            _("Only the department head or the archive department head refuses."),
        )


def refuse(loan: Loan, user: User, reason: str) -> Loan:
    """Refuse the loan, or the renewal it asks for; with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise LoanError(_("Give the reason for refusing."))
    with transaction.atomic():
        loan = _locked(loan)
        _check_refuse(loan, user)
        stage = _stage(loan)
        if stage == "loan":
            _event(loan, Action.REFUSE, user, reason, to=State.REFUSED)
        else:
            _event(loan, Action.REFUSE_RENEWAL, user, reason)
            _clear_renewal(loan)
        loan.save()
    return loan


def _check_cancel(loan: Loan, user: User) -> None:
    if user.pk != loan.borrower_id and not user.has_perm(DESK):
        raise LoanForbidden(_("Only the borrower or the desk cancels a loan."))
    if loan.state not in (State.REQUESTED, State.APPROVED):
        raise LoanError(
            _(
                "Loan %(number)s is %(state)s; only a loan not yet issued is cancelled.",
            )
            % {"number": loan.number, "state": loan.get_state_display()},
        )


def cancel(loan: Loan, user: User, reason: str = "") -> Loan:
    """The borrower (or the desk) cancels a loan not yet issued."""
    with transaction.atomic():
        loan = _locked(loan)
        _check_cancel(loan, user)
        _event(loan, Action.CANCEL, user, reason, to=State.CANCELLED)
        loan.save()
    return loan


# At the desk ------------------------------------------------------------------------------


def item_documents(loan: Loan) -> list[int]:
    """The documents the loan's item holds (a dossier's at this moment)."""
    if loan.dossier_id:
        return list(
            records.dossier_documents(loan.dossier).values_list("pk", flat=True),
        )
    return [loan.document_id]


def home_location(loan: Loan) -> str:
    """Where the paper original lives: its dossier's cabinet-shelf-box."""
    if loan.dossier_id:
        return loan.dossier.location
    dossier = _dossier_of(loan)
    if dossier is not None and dossier.location:
        return dossier.location
    return records.field_values(
        "location",
        [loan.document_id],
        column="value_text",
    ).get(loan.document_id, "")


def _dossier_of(loan: Loan) -> Dossier | None:
    """The loan's dossier, or the dossier the lent document's project field names."""
    if loan.dossier_id:
        return loan.dossier
    option = records.field_values("project", [loan.document_id]).get(loan.document_id)
    return Dossier.objects.filter(project__option_id=option).first() if option else None


# A dossier and its documents exclude each other ------------------------------------------


def _keys(loan: Loan) -> list[str]:
    """The originals a paper loan takes off the shelf: a dossier and each of its documents."""
    if loan.dossier_id:
        return [
            f"dossier:{loan.dossier_id}",
            *(f"document:{pk}" for pk in item_documents(loan)),
        ]
    return [f"document:{loan.document_id}"]


def _blockers(loan: Loan, dossier: Dossier | None) -> list[LoanOccupancy]:
    """Other loans holding the item, a document of it, or (a document) its dossier."""
    keys = _keys(loan)
    if not loan.dossier_id and dossier is not None:
        keys.append(f"dossier:{dossier.pk}")
    held = LoanOccupancy.objects.filter(key__in=keys)
    if loan.pk:
        held = held.exclude(loan_id=loan.pk)
    return list(
        held.select_related("loan__borrower", "loan__dossier__project").order_by("pk"),
    )


def _refusal(loan: Loan, blocker: LoanOccupancy) -> str:
    other = blocker.loan
    if other.condition == Loan.Condition.LOST:
        part = (
            _("dossier %(dossier)s") % {"dossier": other.dossier}
            if other.dossier_id
            else _("document #%(id)s") % {"id": other.document_id}
        )
        return _(
            "Not lent: %(part)s was lost on loan %(loan)s, and is lent again only "
            "once the archive desk records it found.",
        ) % {"part": part, "loan": other.number}
    if other.item_key == loan.item_key:
        return _("%(item)s is out already (%(loan)s); it must come back first.") % {
            "item": loan.item_label,
            "loan": f"{other.number} {name_of(other.borrower)}",
        }
    part = (
        _("dossier %(dossier)s") % {"dossier": other.dossier}
        if other.dossier_id
        else _("document #%(id)s") % {"id": other.document_id}
    )
    return _(
        "Not lent now: %(part)s is out on loan %(loan)s (%(borrower)s) until %(due)s, "
        "and a dossier and its documents are never out at the same time.",
    ) % {
        "part": part,
        "loan": other.number,
        "borrower": other.borrower.username,
        "due": date_in_text(other.due) if other.due else "?",
    }


def _check_shelf(loan: Loan, dossier: Dossier | None, *, out_too: bool) -> None:
    """Refuse while the item or a part of it is lost (and, ``out_too``, while it is out)."""
    for blocker in _blockers(loan, dossier):
        if out_too or blocker.loan.condition == Loan.Condition.LOST:
            raise LoanError(_refusal(loan, blocker))


def _lock_dossier(dossier: Dossier | None) -> None:
    # Dossier loans and document loans of one dossier queue on this row, so each sees
    # what the other committed (the unique keys decide even without it).
    if dossier is not None:
        list(Dossier.objects.select_for_update().filter(pk=dossier.pk).values("pk"))


def _set_location(document_ids: list[int], text: str) -> None:
    records.write_field(
        "location",
        dict.fromkeys(document_ids, text),
        column="value_text",
    )
    reindex(document_ids)


def _check_issue(loan: Loan, user: User) -> None:
    _need(user, DESK, _("Only the archive desk issues loans."))
    if loan.state != State.APPROVED:
        raise LoanError(
            _("Loan %(number)s is %(state)s; only an approved loan is issued.")
            % {"number": loan.number, "state": loan.get_state_display()},
        )
    if user.pk == loan.borrower_id:
        raise LoanForbidden(_("Nobody issues a loan to themselves."))


def issue(loan: Loan, user: User, note: str = "") -> Loan:
    """Hand the item out at the desk; refused while it, or a part of it, is out or lost."""
    today = timezone.localdate()
    with transaction.atomic():
        loan = _locked(loan)
        _check_issue(loan, user)
        paper = loan.medium == Loan.Medium.PAPER
        dossier = _dossier_of(loan) if paper else None
        if paper:
            _lock_dossier(dossier)
            _check_shelf(loan, dossier, out_too=True)
        loan.out_key = (
            loan.item_key if paper else f"{loan.item_key}:copy:{loan.borrower_id}"
        )
        loan.issued_by = user
        loan.issued_at = timezone.now()
        loan.location_out = home_location(loan) if paper else ""
        loan.due = working_day_deadline(today, loan.days)
        _event(loan, Action.ISSUE, user, note, to=State.ISSUED)
        try:
            with transaction.atomic():  # the unique keys decide, even for two desks
                loan.save()
                if paper:
                    LoanOccupancy.objects.bulk_create(
                        [LoanOccupancy(loan=loan, key=key) for key in _keys(loan)],
                    )
        except IntegrityError:
            blockers = _blockers(loan, dossier) if paper else []
            holder = (
                Loan.objects.filter(out_key=loan.out_key)
                .values_list("number", "borrower__username")
                .first()
            )
            raise LoanError(
                _refusal(loan, blockers[0])
                if blockers
                else _("%(item)s is out already (%(loan)s); it must come back first.")
                % {
                    "item": loan.item_label,
                    "loan": " ".join(holder) if holder else _("another loan"),
                },
            ) from None
        if paper:
            documents = item_documents(loan)
            set_tag("tag.retention.on_loan", documents, add=True)
            _set_location(
                documents,
                _("On loan: %(number)s, %(borrower)s, due %(due)s")
                % {
                    "number": loan.number,
                    "borrower": loan.borrower,
                    "due": loan.due.isoformat(),
                },
            )
    return loan


def _check_renewal(loan: Loan, user: User) -> None:
    if user.pk != loan.borrower_id:
        raise LoanForbidden(_("Only the borrower asks for a renewal."))
    if loan.state != State.ISSUED:
        raise LoanError(_("Only a loan that is out can be renewed."))
    if loan.renewal_days:
        raise LoanError(_("A renewal is already waiting for approval."))
    if timezone.localdate() >= loan.due:
        raise LoanError(
            _(
                "A renewal is asked for before the due date (%(due)s); return it now.",
            )
            % {"due": date_in_text(loan.due)},
        )
    limit = archive_settings.LOAN_MAX_RENEWALS
    if loan.renewals >= limit:
        raise LoanError(
            _("This loan has been renewed %(count)s time(s), the most allowed.")
            % {"count": loan.renewals},
        )


def request_renewal(loan: Loan, user: User, days: int, reason: str) -> Loan:
    """The borrower asks for more time 续借, before the due date."""
    reason = (reason or "").strip()
    if not reason:
        raise LoanError(_("Give the reason for the renewal."))
    _check_days(days)
    with transaction.atomic():
        loan = _locked(loan)
        _check_renewal(loan, user)
        loan.renewal_days = days
        loan.renewal_reason = reason
        _event(loan, Action.REQUEST_RENEWAL, user, f"{days}: {reason}")
        loan.save()
    return loan


def _clear_renewal(loan: Loan) -> None:
    loan.renewal_days = None
    loan.renewal_reason = ""
    loan.renewal_head_by = None
    loan.renewal_archive_by = None


def _renew(loan: Loan, user: User) -> None:
    loan.due = working_day_deadline(loan.due, loan.renewal_days)
    loan.renewals += 1
    _event(loan, Action.RENEW, user, loan.due.isoformat())
    _clear_renewal(loan)
    if loan.medium == Loan.Medium.PAPER:
        _set_location(
            item_documents(loan),
            _("On loan: %(number)s, %(borrower)s, due %(due)s")
            % {
                "number": loan.number,
                "borrower": loan.borrower,
                "due": loan.due.isoformat(),
            },
        )


def _check_receive(loan: Loan, user: User) -> None:
    _need(user, DESK, _("Only the archive desk takes returns."))
    if loan.state != State.ISSUED:
        raise LoanError(_("Only a loan that is out can be returned."))


def receive(loan: Loan, user: User, note: str = "") -> Loan:
    """The item is back at the desk; it is inspected next."""
    with transaction.atomic():
        loan = _locked(loan)
        _check_receive(loan, user)
        loan.returned_at = timezone.now()
        loan.received_by = user
        _clear_renewal(loan)
        _event(loan, Action.RETURN, user, note, to=State.RETURNED)
        loan.save()
    return loan


def _check_inspect(loan: Loan, user: User) -> None:
    _need(user, DESK, _("Only the archive desk inspects returns."))
    if loan.state != State.RETURNED:
        raise LoanError(_("Only a returned loan is inspected."))


def inspect(loan: Loan, user: User, condition: str, note: str = "") -> Loan:
    """Record what the returned item looks like; liability unless intact; shelve it."""
    _need(user, DESK, _("Only the archive desk inspects returns."))
    note = (note or "").strip()
    if condition not in Loan.Condition.values:
        raise LoanError(_("Unknown condition: %(value)s.") % {"value": condition})
    if condition != Loan.Condition.INTACT and not note:
        raise LoanError(_("Say what was found: the note is the liability record."))
    with transaction.atomic():
        loan = _locked(loan)
        _check_inspect(loan, user)
        loan.condition = condition
        loan.inspection_note = note
        loan.inspected_by = user
        loan.out_key = None
        _event(
            loan,
            Action.INSPECT,
            user,
            f"{loan.get_condition_display()}: {note}".rstrip(": "),
            to=State.CLOSED,
        )
        loan.save()
        if condition != Loan.Condition.LOST:
            # Back on the shelf; a lost item keeps its keys until it is found.
            LoanOccupancy.objects.filter(loan=loan).delete()
        if condition != Loan.Condition.INTACT:
            LoanLiability.objects.create(
                loan=loan,
                borrower_id=loan.borrower_id,
                condition=condition,
                note=note,
                recorded_by=user,
            )
        if loan.medium == Loan.Medium.PAPER:
            documents = item_documents(loan)
            set_tag("tag.retention.on_loan", documents, add=False)
            _set_location(
                documents,
                loan.location_out
                if condition != Loan.Condition.LOST
                else _("Lost on loan %(number)s") % {"number": loan.number},
            )
    return loan


def _check_found(loan: Loan, user: User) -> None:
    _need(user, DESK, _("Only the archive desk records a lost item found."))
    if not lost_and_not_found(loan):
        raise LoanError(
            _("Loan %(number)s has no lost item to bring back.")
            % {"number": loan.number},
        )


def found(loan: Loan, user: User, note: str) -> Loan:
    """Bring back an item inspected lost: where and how it was found; it is lent again."""
    _need(user, DESK, _("Only the archive desk records a lost item found."))
    note = (note or "").strip()
    if not note:
        raise LoanError(
            _("Say where and how the item was found: the note is the record."),
        )
    with transaction.atomic():
        loan = _locked(loan)
        _check_found(loan, user)
        _event(loan, Action.FOUND, user, note)
        LoanOccupancy.objects.filter(loan=loan).delete()
        _set_location(item_documents(loan), loan.location_out)
    return loan


def lost_and_not_found(loan: Loan) -> bool:
    """Whether the loan's item was inspected lost and is not yet found."""
    return (
        loan.condition == Loan.Condition.LOST
        and LoanOccupancy.objects.filter(loan_id=loan.pk).exists()
    )


# What is out ------------------------------------------------------------------------------


def out_on_loan(document_ids: list[int]) -> dict[int, list[Loan]]:
    """Paper loans out now that hold each document (directly or through its dossier)."""
    ids = list(document_ids)
    if not ids:
        return {}
    found: dict[int, list[Loan]] = defaultdict(list)
    out = Loan.objects.filter(out_key__isnull=False, medium=Loan.Medium.PAPER)
    for loan in out.filter(document_id__in=ids).select_related("borrower"):
        found[loan.document_id].append(loan)
    options = defaultdict(list)
    for doc, option in records.field_values("project", ids).items():
        options[option].append(doc)
    if options:
        for loan in out.filter(
            dossier__project__option_id__in=list(options),
        ).select_related("borrower", "dossier__project"):
            for doc in options[loan.dossier.project.option_id]:
                found[doc].append(loan)
    return found


# Overdue reminders 催还 --------------------------------------------------------------------


def overdue_loans(today: datetime.date | None = None):
    today = today or timezone.localdate()
    return Loan.objects.filter(state=State.ISSUED, due__lt=today)


def remind_overdue(today: datetime.date | None = None) -> int:
    """Mail each borrower of an overdue loan once a day; heads too after the grace period.

    Each reader gets the mail in the language they chose in paperless: one mail per
    language. Returns the number of mails sent. Loans already reminded today are skipped,
    so a second run (or a second worker) sends nothing twice.
    """
    if not getattr(settings, "EMAIL_ENABLED", False):
        logger.info(
            "Overdue-loan reminders skipped: paperless has no mail server configured",
        )
        return 0
    today = today or timezone.localdate()
    grace = archive_settings.LOAN_REMINDER_GRACE_DAYS
    sent = 0
    loans = (
        overdue_loans(today)
        .exclude(last_reminded_on=today)
        .select_related("borrower__ui_settings", "department", "dossier__project")
        .order_by("due", "pk")
    )
    loans = list(loans)
    if not loans:
        return 0
    calendar = calendar_between(min(loan.due for loan in loans), today)
    heads: dict[int | None, list[User]] = {}
    for loan in loans:
        with transaction.atomic():
            locked = (
                Loan.objects.select_for_update(skip_locked=True)
                .filter(pk=loan.pk, state=State.ISSUED)
                .exclude(last_reminded_on=today)
                .first()
            )
            if locked is None:
                continue
            late = calendar.working_days_between(loan.due, today)
            to = [loan.borrower] if loan.borrower.email else []
            cc = []
            if late >= grace:
                if loan.department_id not in heads:
                    # No department: the archive department heads stand in.
                    responsible = (
                        heads_of(loan.department_id, HEAD)
                        if loan.department_id
                        else heads_of(None, ARCHIVE)
                    )
                    heads[loan.department_id] = list(
                        with_languages(responsible.exclude(email="")).order_by(
                            "email",
                            "pk",
                        ),
                    )
                cc = heads[loan.department_id]
            if not to and not cc:
                continue
            reached = []
            for language_to, language_cc in _by_language(to, cc):
                try:
                    _send_reminder(loan, late, language_to, language_cc)
                except (OSError, smtplib.SMTPException) as exc:
                    # Not marked reminded unless another mail went out: tomorrow's run
                    # (or a re-run) tries again, and nobody hears of it twice a day.
                    logger.warning(
                        "Could not remind %s of %s: %s",
                        ", ".join(u.email for u in language_to),
                        loan,
                        exc,
                    )
                    continue
                reached += [u.email for u in language_to + language_cc]
                sent += 1
            if not reached:
                continue
            locked.last_reminded_on = today
            _event(
                locked,
                Action.REMIND,
                None,
                ", ".join(dict.fromkeys(reached)),
            )
            locked.save(update_fields=["last_reminded_on"])
    return sent


def _by_language(to: list[User], cc: list[User]) -> list[tuple[list[User], list[User]]]:
    """(to, cc) of one mail per language; the heads alone are addressed when the
    borrower reads another language (or has no address)."""
    borrower = set(to)
    mails = []
    for readers in by_language(dict.fromkeys(to + cc)).values():
        language_to = [u for u in readers if u in borrower]
        language_cc = [u for u in readers if u not in borrower]
        mails.append(
            (language_to, language_cc) if language_to else (language_cc, []),
        )
    return mails


def _send_reminder(loan: Loan, late: int, to: list[User], cc: list[User]) -> None:
    """One overdue reminder, in the language of its readers (all read the same one)."""
    with in_language_of(to[0]):
        subject = _("Loan overdue: %(number)s %(item)s") % {
            "number": loan.number,
            "item": loan.item_label,
        }
        body = _(
            "%(borrower)s: %(item)s (%(number)s) was due back on %(due)s and is "
            "%(late)s working day(s) overdue. Please return it to the archive desk.",
        ) % {
            "borrower": name_of(loan.borrower),
            "item": loan.item_label,
            "number": loan.number,
            "due": loan.due,
            "late": late,
        }
    EmailMessage(
        subject=subject,
        body=body,
        to=list(dict.fromkeys(u.email for u in to)),
        cc=list(dict.fromkeys(u.email for u in cc)),
    ).send()


def visible_loans(user: User, queryset=None):
    """Loans ``user`` may read: all (archive), their department's (head), their own."""
    from django.db.models import Q

    queryset = Loan.objects.all() if queryset is None else queryset
    if user.has_perm("svc_archive_plugin.view_loan") or user.has_perm(ARCHIVE):
        return queryset
    mine = Q(borrower=user)
    if user.has_perm(HEAD):
        mine |= Q(department__in=user.groups.all())
    return queryset.filter(mine)


def awaiting_approval(user: User, queryset=None, role: str | None = None):
    """Loans and renewals waiting for an approval ``user`` may give (one flat query).

    ``role`` (``head`` or ``archive``) keeps those waiting for that one of the two.
    """
    from django.db.models import Q

    queryset = Loan.objects.all() if queryset is None else queryset
    is_head, is_archive = user.has_perm(HEAD), user.has_perm(ARCHIVE)
    if not (is_head or is_archive):
        return queryset.none()
    departments = list(user.groups.values_list("pk", flat=True))
    new = Q(state=State.REQUESTED)
    renewal = Q(state=State.ISSUED, renewal_days__isnull=False)
    wanted = {"head": Q(pk__in=[]), "archive": Q(pk__in=[])}
    if is_head:
        wanted["head"] |= (
            new
            & Q(head_approved_by__isnull=True, department__in=departments)
            & ~Q(archive_approved_by=user)
        )
        wanted["head"] |= (
            renewal
            & Q(renewal_head_by__isnull=True, department__in=departments)
            & ~Q(renewal_archive_by=user)
        )
    if is_archive:
        wanted["archive"] |= (
            new & Q(archive_approved_by__isnull=True) & ~Q(head_approved_by=user)
        )
        # A borrower in no department: the archive stands in for the head (``roles``).
        wanted["head"] |= (
            new
            & Q(head_approved_by__isnull=True, department__isnull=True)
            & ~Q(archive_approved_by=user)
        )
        wanted["archive"] |= (
            renewal & Q(renewal_archive_by__isnull=True) & ~Q(renewal_head_by=user)
        )
    condition = wanted[role] if role else wanted["head"] | wanted["archive"]
    return queryset.filter(condition).exclude(borrower=user)


def to_issue(user: User, queryset=None):
    """Approved loans ``user`` may hand out at the desk (never to themselves: ``issue``)."""
    queryset = Loan.objects.all() if queryset is None else queryset
    if not user.has_perm(DESK):
        return queryset.none()
    return queryset.filter(state=State.APPROVED).exclude(borrower=user)


def to_inspect(user: User, queryset=None):
    """Items back at the desk that ``user`` may inspect (``inspect``)."""
    queryset = Loan.objects.all() if queryset is None else queryset
    if not user.has_perm(DESK):
        return queryset.none()
    return queryset.filter(state=State.RETURNED)


# Step name (``steps.LOAN``) -> the check its service function makes before it acts.
STEP_CHECKS = {
    "approve": _approval_due,
    "refuse": _check_refuse,
    "cancel": _check_cancel,
    "issue": _check_issue,
    "renew": _check_renewal,
    "receive": _check_receive,
    "inspect": _check_inspect,
    "found": _check_found,
}


def _allows(check, loan: Loan, user: User) -> bool:
    try:
        check(loan, user)
    except LoanError:
        return False
    return True


def allowed_steps(loan: Loan, user: User) -> list[str]:
    """The steps ``user`` may take on ``loan`` now (the screens' buttons)."""
    return [name for name, check in STEP_CHECKS.items() if _allows(check, loan, user)]


def waiting_for(loan: Loan) -> str:
    """What the loan waits for, and which approval is given already."""
    if loan.state == State.ISSUED and loan.renewal_days:
        head, archive = loan.renewal_head_by_id, loan.renewal_archive_by_id
        both = _("Renewal waiting for the department head and the archive department")
        only_archive = _(
            "Renewal waiting for the archive department (the department head has "
            "approved)",
        )
        only_head = _(
            "Renewal waiting for the department head (the archive department has "
            "approved)",
        )
    elif loan.state == State.REQUESTED:
        head, archive = loan.head_approved_by_id, loan.archive_approved_by_id
        both = _("Waiting for the department head and the archive department")
        only_archive = _(
            "Waiting for the archive department's approval (the department head has "
            "approved)",
        )
        only_head = _(
            "Waiting for the department head's approval (the archive department has "
            "approved)",
        )
    else:
        return {
            State.APPROVED: _("Waiting to be issued at the desk"),
            State.ISSUED: _("Out; waiting to be returned by %(due)s")
            % {"due": loan.due.isoformat() if loan.due else "?"},
            State.RETURNED: _("Waiting for the desk's inspection"),
        }.get(loan.state, "")
    if head is None and archive is None:
        return both
    return only_archive if head is not None else only_head
