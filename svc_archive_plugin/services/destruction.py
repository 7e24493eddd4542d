"""Destruction 销毁 (policy ch. 9, SPEC §8): a supervised state machine, then the tombstones.

draft (archive department) → submitted → approved (a company leader, never the preparer)
→ checked (``DESTRUCTION_CHECKERS`` distinct people compare the list with the files)
→ supervised (``DESTRUCTION_SUPERVISORS`` distinct supervisors 监销人, none of them the
preparer, confirm) → executing → executed. A leader may reject a submitted list, a checker
may report a discrepancy (back to draft, a new round), the preparer may cancel before
execution; rejected and cancelled lists release their records for another list.

Execution removes the original, archive and thumbnail files, any copy in paperless's trash
directory and the search-index entry, and writes one register entry (the tombstone, with the
SHA-256 of each destroyed file) per record, chained by hash.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError
from django.db import transaction
from django.db.models import Exists
from django.db.models import Max
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import DestructionEvent
from svc_archive_plugin.models import DestructionItem
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.services import records
from svc_archive_plugin.services import register
from svc_archive_plugin.services.holds import holds_on
from svc_archive_plugin.services.loans import out_on_loan
from svc_archive_plugin.services.protection import destroying
from svc_archive_plugin.services.provisioning import provisioned
from svc_archive_plugin.services.refusals import Forbidden
from svc_archive_plugin.services.refusals import Refused
from svc_archive_plugin.services.retention import retention_label

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import User

logger = logging.getLogger("paperless.svc_archive")

State = DestructionList.State
Action = DestructionEvent.Action


class DestructionError(Refused):
    """The step is not allowed now; the message says why."""


class DestructionForbidden(DestructionError, Forbidden):
    """The person may not take this step (role, or a person the rules keep out)."""


def _require(user: User, permission: str, what: str) -> None:
    if not user.has_perm(f"svc_archive_plugin.{permission}"):
        raise DestructionForbidden(
            _("You may not %(step)s: it needs '%(permission)s'.")
            % {"step": what, "permission": permission},
        )


def _locked(destruction_list: DestructionList, *states: str) -> DestructionList:
    locked = DestructionList.objects.select_for_update().get(pk=destruction_list.pk)
    _in_state(locked, *states)
    return locked


def _in_state(destruction_list: DestructionList, *states: str) -> None:
    if states and destruction_list.state not in states:
        wanted = ", ".join(str(State(s).label) for s in states)
        raise DestructionError(
            _("The list %(number)s is %(state)s; this step needs it to be: %(wanted)s.")
            % {
                "number": destruction_list.number,
                "state": destruction_list.get_state_display().lower(),
                "wanted": wanted,
            },
        )


def _event(
    destruction_list: DestructionList,
    user: User,
    action: str,
    note: str = "",
    state: str | None = None,
) -> DestructionEvent:
    if state is not None:
        destruction_list.state = state
        destruction_list.save(update_fields=["state", "round"])
    return DestructionEvent.objects.create(
        destruction_list=destruction_list,
        round=destruction_list.round,
        action=action,
        actor=user,
        note=note,
    )


def _round_actors(destruction_list: DestructionList, action: str) -> list[int]:
    return list(
        destruction_list.events.filter(
            round=destruction_list.round,
            action=action,
        ).values_list("actor_id", flat=True),
    )


def _next_number() -> str:
    year = timezone.localdate().year
    prefix = f"XH-{year}-"
    last = DestructionList.objects.filter(number__startswith=prefix).aggregate(
        n=Max("number"),
    )["n"]
    return f"{prefix}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:03d}"


# Preparing ------------------------------------------------------------------------------------


def _describe(document_ids: list[int]) -> list[DestructionItem]:
    """The list's description of each record, taken from paperless and the registers."""
    from documents.models import CustomFieldInstance
    from documents.models import Document

    docs = {
        d.pk: d
        # global_objects: a record appraised for destruction may sit in the trash.
        for d in Document.global_objects.filter(pk__in=document_ids).select_related(
            "document_type",
        )
    }
    retention = {
        r.document_id: r for r in RecordRetention.objects.filter(document_id__in=docs)
    }
    fields = {
        key: provisioned(f"custom_field.{key}")
        for key in ("archive_code", "customer", "project")
    }
    values: dict[int, dict[str, str]] = {}
    for instance in CustomFieldInstance.objects.filter(
        document_id__in=docs,
        field__in=[f for f in fields.values() if f is not None],
    ).select_related("field"):
        for key, field in fields.items():
            if field is not None and instance.field_id == field.pk:
                values.setdefault(instance.document_id, {})[key] = str(
                    instance.value_for_search or "",
                )
    today = timezone.localdate()
    items = []
    for doc_id in document_ids:
        doc = docs[doc_id]
        row = retention.get(doc_id)
        own = values.get(doc_id, {})
        years = row.period_years if row else None
        items.append(
            DestructionItem(
                document_id=doc_id,
                title=doc.title,
                archive_code=own.get("archive_code", ""),
                customer=own.get("customer", ""),
                project=own.get("project", ""),
                document_type=doc.document_type.name if doc.document_type else "",
                created=doc.created,
                pages=doc.page_count,
                retention=retention_label(row.retention, years) if row else "",
                retention_until=row.until if row else None,
                years_kept=(
                    max(today.year - row.starts.year, 0) if row and row.starts else None
                ),
            ),
        )
    return items


def prepare(
    user: User,
    *,
    title: str,
    reason: str,
    document_ids: Iterable[int],
) -> DestructionList:
    """Draw up a destruction list of records appraised for destruction."""
    _require(user, "prepare_destruction", _("prepare destruction lists"))
    if not title.strip() or not reason.strip():
        raise DestructionError(_("A destruction list needs a title and a reason."))
    ids = sorted(set(document_ids))
    if not ids:
        raise DestructionError(_("A destruction list needs at least one record."))
    with transaction.atomic():
        decided = set(
            RecordRetention.objects.select_for_update()
            .filter(
                document_id__in=ids,
                state=RecordRetention.State.DESTROY,
            )
            .values_list("document_id", flat=True),
        )
        if not_decided := [d for d in ids if d not in decided]:
            raise DestructionError(
                _("Only records appraised for destruction can be listed; not: %(ids)s.")
                % {"ids": ", ".join(map(str, not_decided))},
            )
        destruction_list = DestructionList.objects.create(
            number=_next_number(),
            title=title.strip(),
            reason=reason.strip(),
            prepared_by=user,
        )
        items = _describe(ids)
        for item in items:
            item.destruction_list = destruction_list
        try:
            with transaction.atomic():
                DestructionItem.objects.bulk_create(items)
        except IntegrityError:
            listed = DestructionItem.objects.filter(
                document_id__in=ids,
                released=False,
            ).values_list("document_id", flat=True)
            raise DestructionError(
                _("These records are already on another destruction list: %(ids)s.")
                % {"ids": ", ".join(map(str, sorted(listed)))},
            ) from None
        _event(destruction_list, user, Action.CREATE)
    return destruction_list


def _check_submit(destruction_list: DestructionList, user: User) -> None:
    _in_state(destruction_list, State.DRAFT)
    if destruction_list.prepared_by_id != user.pk:
        raise DestructionForbidden(
            _("Only the person who prepared the list submits it."),
        )


def submit(destruction_list: DestructionList, user: User) -> DestructionEvent:
    """The preparer hands the list to the company leaders; a new round starts."""
    with transaction.atomic():
        destruction_list = _locked(destruction_list)
        _check_submit(destruction_list, user)
        destruction_list.round += 1
        return _event(destruction_list, user, Action.SUBMIT, state=State.SUBMITTED)


def _check_approve(destruction_list: DestructionList, user: User) -> None:
    _require(user, "approve_destruction", _("approve destruction lists"))
    _in_state(destruction_list, State.SUBMITTED)
    if destruction_list.prepared_by_id == user.pk:
        raise DestructionForbidden(_("Nobody approves a list they prepared."))


def _check_reject(destruction_list: DestructionList, user: User) -> None:
    _require(user, "approve_destruction", _("reject destruction lists"))
    _in_state(destruction_list, State.SUBMITTED)
    if destruction_list.prepared_by_id == user.pk:
        raise DestructionForbidden(_("Nobody decides on a list they prepared."))


def approve(destruction_list: DestructionList, user: User) -> DestructionEvent:
    """A company leader approves the list; never the person who prepared it."""
    with transaction.atomic():
        destruction_list = _locked(destruction_list)
        _check_approve(destruction_list, user)
        return _event(destruction_list, user, Action.APPROVE, state=State.APPROVED)


def _release(destruction_list: DestructionList) -> None:
    destruction_list.items.filter(released=False).update(released=True)


def reject(
    destruction_list: DestructionList,
    user: User,
    reason: str,
) -> DestructionEvent:
    """A company leader refuses the list; its records can be appraised again."""
    with transaction.atomic():
        destruction_list = _locked(destruction_list)
        _check_reject(destruction_list, user)
        if not reason.strip():
            raise DestructionError(_("Say why the list is rejected."))
        _release(destruction_list)
        return _event(
            destruction_list,
            user,
            Action.REJECT,
            reason.strip(),
            state=State.REJECTED,
        )


def _check_check(destruction_list: DestructionList, user: User) -> None:
    _require(user, "check_destruction", _("check destruction lists"))
    _in_state(destruction_list, State.APPROVED)
    if user.pk in _round_actors(destruction_list, Action.CHECK):
        raise DestructionForbidden(_("You have already checked this list."))


def check(
    destruction_list: DestructionList,
    user: User,
    *,
    matches: bool = True,
    note: str = "",
) -> DestructionEvent:
    """A designated checker compares the list with the files 清点核对.

    ``matches=False`` (with a note) sends the list back to the preparer for a new round.
    """
    with transaction.atomic():
        destruction_list = _locked(destruction_list)
        _check_check(destruction_list, user)
        if not matches:
            if not note.strip():
                raise DestructionError(_("Describe the discrepancy."))
            return _event(
                destruction_list,
                user,
                Action.DISCREPANCY,
                note.strip(),
                state=State.DRAFT,
            )
        done = len(_round_actors(destruction_list, Action.CHECK)) + 1
        state = State.CHECKED if done >= archive_settings.DESTRUCTION_CHECKERS else None
        return _event(destruction_list, user, Action.CHECK, note.strip(), state=state)


def _check_supervise(destruction_list: DestructionList, user: User) -> None:
    _require(user, "supervise_destruction", _("supervise destruction"))
    _in_state(destruction_list, State.CHECKED)
    if destruction_list.prepared_by_id == user.pk:
        raise DestructionForbidden(
            _("The preparer cannot supervise their own list."),
        )
    if user.pk in _round_actors(destruction_list, Action.SUPERVISE):
        raise DestructionForbidden(
            _("You have already confirmed this destruction."),
        )


def supervise(
    destruction_list: DestructionList,
    user: User,
    note: str = "",
) -> DestructionEvent:
    """A supervisor 监销人 confirms the destruction; not the preparer, each person once."""
    with transaction.atomic():
        destruction_list = _locked(destruction_list)
        _check_supervise(destruction_list, user)
        done = len(_round_actors(destruction_list, Action.SUPERVISE)) + 1
        state = (
            State.SUPERVISED
            if done >= archive_settings.DESTRUCTION_SUPERVISORS
            else None
        )
        return _event(
            destruction_list,
            user,
            Action.SUPERVISE,
            note.strip(),
            state=state,
        )


def _check_cancel(destruction_list: DestructionList, user: User) -> None:
    _require(user, "prepare_destruction", _("cancel destruction lists"))
    _in_state(
        destruction_list,
        State.DRAFT,
        State.SUBMITTED,
        State.APPROVED,
        State.CHECKED,
        State.SUPERVISED,
    )


def cancel(
    destruction_list: DestructionList,
    user: User,
    reason: str,
) -> DestructionEvent:
    """The archive department withdraws the list before it is carried out."""
    with transaction.atomic():
        destruction_list = _locked(destruction_list)
        _check_cancel(destruction_list, user)
        if not reason.strip():
            raise DestructionError(_("Say why the list is cancelled."))
        _release(destruction_list)
        return _event(
            destruction_list,
            user,
            Action.CANCEL,
            reason.strip(),
            state=State.CANCELLED,
        )


def _check_execute(destruction_list: DestructionList, user: User) -> None:
    _require(user, "prepare_destruction", _("carry out destruction lists"))
    _in_state(destruction_list, State.SUPERVISED, State.EXECUTING)


# Step name (``steps.DESTRUCTION_LIST``) -> the check its service function makes first.
STEP_CHECKS = {
    "submit": _check_submit,
    "approve": _check_approve,
    "reject": _check_reject,
    "check": _check_check,
    "discrepancy": _check_check,
    "supervise": _check_supervise,
    "execute": _check_execute,
    "cancel": _check_cancel,
}


def allowed_steps(destruction_list: DestructionList, user: User) -> list[str]:
    """The steps ``user`` may take on the list now (the screens' buttons)."""
    allowed = []
    for name, rule in STEP_CHECKS.items():
        try:
            rule(destruction_list, user)
        except DestructionError:
            continue
        allowed.append(name)
    return allowed


def waiting_for(destruction_list: DestructionList) -> str:
    """What the list waits for, with the confirmations given so far."""
    state = destruction_list.state
    if state == State.APPROVED:
        return _("Waiting for the check against the files (%(done)s of %(needed)s)") % {
            "done": len(_round_actors(destruction_list, Action.CHECK)),
            "needed": archive_settings.DESTRUCTION_CHECKERS,
        }
    if state == State.CHECKED:
        return _("Waiting for the supervisors (%(done)s of %(needed)s)") % {
            "done": len(_round_actors(destruction_list, Action.SUPERVISE)),
            "needed": archive_settings.DESTRUCTION_SUPERVISORS,
        }
    return {
        State.DRAFT: _("Waiting for the preparer to submit it"),
        State.SUBMITTED: _("Waiting for a company leader's approval"),
        State.SUPERVISED: _("Waiting for the archive department to carry it out"),
        State.EXECUTING: _("Being carried out"),
    }.get(state, "")


# The steps that wait for someone other than the preparer: who takes each, and when.
OVERSIGHT = {
    "approve": ("approve_destruction", State.SUBMITTED, None),
    "check": ("check_destruction", State.APPROVED, Action.CHECK),
    "supervise": ("supervise_destruction", State.CHECKED, Action.SUPERVISE),
}


def awaiting(user: User, step: str, queryset=None):
    """Lists waiting for ``user`` to take ``step`` (approve, check or supervise) now.

    As the steps rule: never the preparer for approval and supervision, and each checker
    and supervisor once per round.
    """
    permission, state, once_per_round = OVERSIGHT[step]
    queryset = DestructionList.objects.all() if queryset is None else queryset
    if not user.has_perm(f"svc_archive_plugin.{permission}"):
        return queryset.none()
    queryset = queryset.filter(state=state)
    if step != "check":
        queryset = queryset.exclude(prepared_by=user)
    if once_per_round:
        queryset = queryset.exclude(
            Exists(
                DestructionEvent.objects.filter(
                    destruction_list=OuterRef("pk"),
                    round=OuterRef("round"),
                    action=once_per_round,
                    actor=user,
                ),
            ),
        )
    return queryset


def start_execution(
    destruction_list: DestructionList,
    user: User,
    method: str = "",
    place: str = "",
    note: str = "",
) -> DestructionEvent:
    """The archive department starts the destruction of a supervised list.

    How and where it is destroyed (销毁方式, 销毁地点) are kept on the list and go into
    every register entry it writes, with ``note`` as the entries' remark (备注).

    Refused while any of its records is under a legal hold (placed after approval, say)
    or out on loan.
    The files are removed by ``execute`` (a celery task), which skips what is already
    destroyed: a list whose execution stopped half-way is started again the same way.
    """
    with transaction.atomic():
        destruction_list = _locked(destruction_list)
        _check_execute(destruction_list, user)
        ids = list(destruction_list.items.values_list("document_id", flat=True))
        if held := holds_on(ids):
            names = sorted({h.name for hs in held.values() for h in hs})
            raise DestructionError(
                _(
                    "Records of this list are under legal hold (%(holds)s); release "
                    "the hold or cancel the list.",
                )
                % {"holds": ", ".join(names)},
            )
        if out := out_on_loan(ids):
            numbers = sorted({loan.number for loans in out.values() for loan in loans})
            raise DestructionError(
                _(
                    "Records of this list are out on loan (%(loans)s); they are "
                    "destroyed once they are back.",
                )
                % {"loans": ", ".join(numbers)},
            )
        destruction_list.method = method.strip()
        destruction_list.place = place.strip()
        destruction_list.save(update_fields=["method", "place"])
        event = _event(
            destruction_list,
            user,
            Action.EXECUTE,
            note=note,
            state=State.EXECUTING,
        )
    return event


# Carrying it out ------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files_of(document) -> list[tuple[str, Path]]:
    files = [("original", Path(document.source_path))]
    if document.has_archive_version:
        files.append(("archive", Path(document.archive_path)))
    files.append(("thumbnail", Path(document.thumbnail_path)))
    return files


def _trash_copies(checksums: set[str]) -> list[Path]:
    """Copies of the destroyed originals that paperless moved to its trash directory."""
    trash = getattr(settings, "EMPTY_TRASH_DIR", None)
    if not trash or not Path(trash).is_dir() or not checksums:
        return []
    return [
        p for p in Path(trash).rglob("*") if p.is_file() and _sha256(p) in checksums
    ]


def _signatories(destruction_list: DestructionList) -> dict:
    events = destruction_list.events.filter(
        round=destruction_list.round,
    ).select_related(
        "actor",
    )
    by_action: dict[str, list[dict]] = {}
    for event in events:
        by_action.setdefault(event.action, []).append(
            {"user": event.actor.get_username(), "at": event.at.isoformat()},
        )
    return {
        "preparer": destruction_list.prepared_by.get_username(),
        "approved": by_action.get(Action.APPROVE, []),
        "checked": by_action.get(Action.CHECK, []),
        "supervised": by_action.get(Action.SUPERVISE, []),
        "executed": by_action.get(Action.EXECUTE, []),
    }


def _destroy_one(item: DestructionItem, signatories: dict, remark: str = "") -> bool:
    """Remove one record's files, index entry and rows; write its tombstone. Idempotent.

    The rows go and the tombstone is written in one transaction, which also notes what is
    left to remove (``leftovers``); then the index entries and files go. A worker killed
    in between leaves the record destroyed with its leftovers noted, and the list's next
    run removes them (``_remove_leftovers``). False when another run destroyed it first.
    """
    from documents.models import Document

    documents = list(
        Document.global_objects.filter(pk=item.document_id).order_by("pk"),
    ) + list(
        Document.global_objects.filter(root_document_id=item.document_id).order_by(
            "pk",
        ),
    )
    files = []
    for document in documents:
        for role, path in _files_of(document):
            if path.is_file():
                files.append(
                    {
                        "document_id": document.pk,
                        "role": role,
                        "name": path.name,
                        "bytes": path.stat().st_size,
                        "sha256": _sha256(path),
                    },
                )
    originals = {f["sha256"] for f in files if f["role"] == "original"}
    copies = _trash_copies(originals)
    files += [
        {
            "document_id": item.document_id,
            "role": "trash copy",
            "name": p.name,
            "bytes": p.stat().st_size,
            "sha256": _sha256(p),
        }
        for p in copies
    ]
    ids = [d.pk for d in documents]
    paths = [str(path) for d in documents for _role, path in _files_of(d)]
    leftovers = {"documents": ids, "files": paths + [str(p) for p in copies]}
    # The record's own fields go with it: an allowance, not a weaker rule.
    with transaction.atomic(), destroying(ids), records.writing():
        now = timezone.now()
        # Claimed first: a second run of the list (re-queued while this one still
        # works) waits here for this one's commit, then finds it destroyed.
        claimed = DestructionItem.objects.filter(
            pk=item.pk,
            destroyed_at=None,
        ).update(destroyed_at=now, leftovers=leftovers)
        if not claimed:
            return False
        # First, so the purge's receivers keep the retention row of a destroyed record.
        RecordRetention.objects.filter(document_id__in=ids).update(
            state=RecordRetention.State.DESTROYED,
        )
        for document in documents:
            if document.deleted_at is None:
                document.delete()  # to the trash, so paperless's own handlers run
        Document.deleted_objects.filter(pk__in=ids).delete()
        item.destroyed_at = now
        item.leftovers = leftovers
        register.append(
            item,
            files=files,
            signatories=signatories,
            at=now,
            remark=remark,
        )
    if pause := archive_settings.DESTRUCTION_PAUSE_SECONDS:
        time.sleep(pause)  # a testing aid (see conf.py): 0 in production
    _remove_leftovers(item)
    return True


def _remove_leftovers(item: DestructionItem) -> None:
    """Remove a destroyed record's index entries and files still noted; then forget them."""
    from documents.search import get_backend

    leftovers = item.leftovers or {}
    backend = get_backend()
    for pk in leftovers.get("documents", []):
        backend.remove(pk)
    for path in leftovers.get("files", []):
        Path(path).unlink(missing_ok=True)
    DestructionItem.objects.filter(pk=item.pk).update(leftovers=None)
    item.leftovers = None


def execute(destruction_list_id: int) -> int:
    """Destroy every record of an executing list not yet destroyed; returns how many."""
    destruction_list = DestructionList.objects.select_related("prepared_by").get(
        pk=destruction_list_id,
    )
    if destruction_list.state != State.EXECUTING:
        raise DestructionError(
            _("The list %(number)s is not being carried out.")
            % {"number": destruction_list.number},
        )
    signatories = _signatories(destruction_list)
    # The note given when the destruction was (last) started is each entry's remark.
    started = (
        destruction_list.events.filter(
            round=destruction_list.round,
            action=Action.EXECUTE,
        )
        .order_by("-at", "-pk")
        .first()
    )
    remark = started.note if started else ""
    # A run that stopped after a record's tombstone left its files: they go first.
    for item in destruction_list.items.filter(
        destroyed_at__isnull=False,
        leftovers__isnull=False,
    ).order_by("pk"):
        _remove_leftovers(item)
    done = 0
    for item in destruction_list.items.filter(destroyed_at=None).order_by("pk"):
        done += _destroy_one(item, signatories, remark)
    with transaction.atomic():
        destruction_list = _locked(destruction_list, State.EXECUTING)
        executor = destruction_list.events.filter(action=Action.EXECUTE).latest("at")
        _event(destruction_list, executor.actor, Action.EXECUTED, state=State.EXECUTED)
    logger.info("Destruction list %s carried out", destruction_list.number)
    return done
