"""Inventory 清查盘点 of paper originals (SPEC §7): a list to tick off, its results, its report.

- A round lists every dossier whose paper original the archive department holds — received
  or filed, with a location (cabinet, shelf or box) — over all locations or one cabinet.
  Each item copies the register as it stands at the start (archive code, title, location,
  pages) and the paper loan out then: the dossier's own, and, as a note, loans of single
  documents of it (those do not explain a missing dossier, but the box is short).
- The checkers record per item: present, missing, or misplaced (found elsewhere: where).
  A result may be corrected until the round is closed; the earlier result, its place,
  note, person and time are kept at the end of the note, so the printed report shows every
  correction under the checkers' signatures, whether or not paperless's audit log is on.
- Something on the shelf the list did not expect is recorded as found off the list; a
  dossier that the list expects elsewhere is that item found misplaced instead.
- Closing freezes the results; items nobody checked stay unchecked and are reported.
- The discrepancy report compares the results with the register and the loan register at
  the moment of each check: missing and not on loan; missing but on loan (explained,
  listed apart); present although on loan; misplaced (listed place and found place);
  found off the list; not checked.

Archive managers run rounds: ``add_inventoryround`` starts and closes them,
``change_inventoryitem`` records results, ``view_inventoryround`` reads them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import InventoryItem
from svc_archive_plugin.models import InventoryRound
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import LoanEvent
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services import catalogues
from svc_archive_plugin.services import records
from svc_archive_plugin.services.refusals import Forbidden
from svc_archive_plugin.services.refusals import Refused

if TYPE_CHECKING:
    import datetime
    from collections.abc import Iterable

    from django.contrib.auth.models import User

RUN = "svc_archive_plugin.add_inventoryround"
CHECK = "svc_archive_plugin.change_inventoryitem"
VIEW = "svc_archive_plugin.view_inventoryround"

Result = InventoryItem.Result
# Where the archive department holds the paper original.
HELD_STATES = (Dossier.State.RECEIVED, Dossier.State.FILED)


class InventoryError(Refused):
    """The step is not possible now; the message says why."""


class InventoryForbidden(InventoryError, Forbidden):
    """The person may not take this step."""


def _need(user: User, permission: str) -> None:
    if not user.has_perm(permission):
        raise InventoryForbidden(
            _("Only the archive department runs inventory rounds."),
        )


def can_view(user: User) -> bool:
    return user.has_perm(VIEW)


def can_run(user: User) -> bool:
    return user.has_perm(RUN)


def can_check(user: User) -> bool:
    return user.has_perm(CHECK)


def moment(value: datetime.datetime) -> str:
    """A time as the inventory sheets write it: local, to the minute."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def place(cabinet: str, shelf: str, box: str) -> str:
    """A location as the register writes it: ``cabinet-shelf-box``, empty parts left out."""
    return "-".join(p for p in (cabinet, shelf, box) if p)


def _normal(text: str) -> str:
    return "-".join(p for p in re.split(r"[\s\-/·,，、]+", text.upper()) if p)


def same_place(found_at: str, cabinet: str, shelf: str, box: str) -> bool:
    """Whether a written place names the location (ignoring case, spaces, separators)."""
    return bool(found_at.strip()) and _normal(found_at) == _normal(
        place(cabinet, shelf, box),
    )


def _closed_message(inventory_round: InventoryRound) -> str:
    return _(
        "Inventory round %(name)s was closed on %(at)s by %(user)s; its results "
        "no longer change.",
    ) % {
        "name": inventory_round.name,
        "at": moment(inventory_round.closed_at),
        "user": inventory_round.closed_by,
    }


def is_closed(inventory_round: InventoryRound) -> bool:
    """A closed round's results no longer change: no step is taken on it."""
    return inventory_round.closed_at is not None


# Step name (the admin's) -> the permission it needs; neither is taken on a closed round.
STEP_PERMISSIONS = {"scan": CHECK, "unlisted": CHECK, "close": RUN}


def allowed_steps(inventory_round: InventoryRound, user: User) -> list[str]:
    """The steps ``user`` may take on the round now (the screens' buttons)."""
    if is_closed(inventory_round):
        return []
    return [
        name
        for name, permission in STEP_PERMISSIONS.items()
        if user.has_perm(permission)
    ]


def waiting_for(inventory_round: InventoryRound) -> str:
    """What the round waits for."""
    if is_closed(inventory_round):
        return ""
    return _("Open; waiting for the checks and for closing")


def _lock_open(round_ids: Iterable[int]) -> dict[int, InventoryRound]:
    """Lock the rounds (checks and closing queue behind each other); refuse closed ones."""
    rounds = {
        r.pk: r
        for r in InventoryRound.objects.select_for_update()
        .filter(pk__in=set(round_ids))
        .order_by("pk")
    }
    for r in rounds.values():
        if is_closed(r):
            r = InventoryRound.objects.select_related("closed_by").get(pk=r.pk)
            raise InventoryError(_closed_message(r))
    return rounds


# What is out at the start ------------------------------------------------------------------


def _paper_loans_out() -> tuple[dict[int, int], dict[int, list[str]]]:
    """Paper loans out now: dossier id → its loan, dossier id → its documents' loans.

    An item is out from issue until it is inspected and shelved (``out_key`` is kept
    while a returned item waits at the desk). A few queries, however many dossiers.
    """
    from documents.models import Document

    dossier_loans: dict[int, int] = {}
    document_loans: list[dict] = []
    for loan in Loan.objects.filter(
        out_key__isnull=False,
        medium=Loan.Medium.PAPER,
    ).values("pk", "number", "dossier_id", "document_id", "borrower__username"):
        if loan["dossier_id"]:
            dossier_loans[loan["dossier_id"]] = loan["pk"]
        else:
            document_loans.append(loan)
    by_dossier: dict[int, list[str]] = defaultdict(list)
    if document_loans:
        ids = [loan["document_id"] for loan in document_loans]
        options = records.field_values("project", ids)
        dossiers = dict(
            ServiceProject.objects.filter(
                option_id__in=set(options.values()),
                dossier__isnull=False,
            ).values_list("option_id", "dossier__pk"),
        )
        titles = dict(Document.objects.filter(pk__in=ids).values_list("pk", "title"))
        for loan in sorted(document_loans, key=lambda loan: loan["number"]):
            dossier_id = dossiers.get(options.get(loan["document_id"]))
            if dossier_id is not None:
                title = titles.get(loan["document_id"], "")
                by_dossier[dossier_id].append(
                    f"{loan['number']} #{loan['document_id']} {title} "
                    f"({loan['borrower__username']})".replace("  ", " "),
                )
    return dossier_loans, by_dossier


def _title(code: str, name: str) -> str:
    return f"{code} {name}".strip()


# The round -------------------------------------------------------------------------------


def held_dossiers(cabinet: str = ""):
    """The dossiers whose paper original the archive holds at a location (in ``cabinet``)."""
    dossiers = Dossier.objects.filter(state__in=HELD_STATES).exclude(
        location_cabinet="",
        location_shelf="",
        location_box="",
    )
    if cabinet:
        dossiers = dossiers.filter(location_cabinet=cabinet)
    return dossiers


def start_round(
    user: User,
    name: str,
    cabinet: str = "",
    note: str = "",
) -> InventoryRound:
    """Start a round: one item per dossier held at a location, as the register has it now."""
    _need(user, RUN)
    name, cabinet = (name or "").strip(), (cabinet or "").strip()
    if not name:
        raise InventoryError(_("Give the inventory round a name."))
    with transaction.atomic():
        rows = list(
            held_dossiers(cabinet)
            .order_by(
                "location_cabinet",
                "location_shelf",
                "location_box",
                "archive_code",
                "pk",
            )
            .values(
                "pk",
                "archive_code",
                "project__code",
                "project__name",
                "location_cabinet",
                "location_shelf",
                "location_box",
                "paper_pages",
            ),
        )
        if not rows:
            raise InventoryError(
                _(
                    "No dossier is kept in cabinet %(cabinet)s: there is nothing to check.",
                )
                % {"cabinet": cabinet}
                if cabinet
                else _(
                    "No received or filed dossier has a location: there is nothing "
                    "to check.",
                ),
            )
        dossier_loans, document_loans = _paper_loans_out()
        inventory_round = InventoryRound.objects.create(
            name=name,
            cabinet=cabinet,
            note=(note or "").strip(),
            started_by=user,
        )
        InventoryItem.objects.bulk_create(
            [
                InventoryItem(
                    round=inventory_round,
                    dossier_id=row["pk"],
                    archive_code=row["archive_code"] or "",
                    title=_title(row["project__code"], row["project__name"]),
                    cabinet=row["location_cabinet"],
                    shelf=row["location_shelf"],
                    box=row["location_box"],
                    pages=row["paper_pages"],
                    loan_id=dossier_loans.get(row["pk"]),
                    document_loans="\n".join(document_loans.get(row["pk"], ())),
                )
                for row in rows
            ],
            batch_size=500,
        )
    return inventory_round


def _trace(item: InventoryItem) -> str:
    """The earlier result of ``item``, to keep when it is corrected."""
    parts = [
        item.get_result_display(),
        str(item.checked_by) if item.checked_by_id else "",
        moment(item.checked_at) if item.checked_at else "",
    ]
    if item.found_at:
        parts.append(_("found at %(place)s") % {"place": item.found_at})
    if item.note:
        parts.append(item.note)
    return _("[earlier: %(trace)s]") % {"trace": " · ".join(p for p in parts if p)}


def record_checks(
    items: Iterable[InventoryItem],
    user: User,
    result: str,
    found_at: str = "",
    note: str = "",
) -> int:
    """Record one result on each item; returns how many changed.

    ``misplaced`` needs the place it was found (``found_at``); the other results clear it.
    A result may be corrected until the round is closed; the earlier one is kept in the
    note. Recording the same result and place again, with no new note, changes nothing.
    """
    _need(user, CHECK)
    if result not in (Result.PRESENT, Result.MISSING, Result.MISPLACED):
        raise InventoryError(
            _("A check finds an item present, missing or misplaced, not %(result)s.")
            % {"result": result},
        )
    found_at, note = (found_at or "").strip(), (note or "").strip()
    if result == Result.MISPLACED and not found_at:
        raise InventoryError(
            _("Say where the misplaced item was found."),
        )
    if result != Result.MISPLACED:
        found_at = ""
    ids = [item.pk for item in items]
    now = timezone.now()
    with transaction.atomic():
        # The rounds first: a check waits for another on the same round, then reads.
        _lock_open(
            InventoryItem.objects.filter(pk__in=ids).values_list("round_id", flat=True),
        )
        found = list(
            InventoryItem.objects.filter(pk__in=ids).select_related("checked_by"),
        )
        changed = []
        for item in found:
            if item.unlisted and result == Result.MISSING:
                raise InventoryError(
                    _(
                        "%(item)s was found off the list; it cannot be missing. "
                        "Correct the place it was found instead.",
                    )
                    % {"item": item.archive_code or item.title},
                )
            if (item.result, item.found_at) == (result, found_at) and (
                not note or item.note == note or item.note.startswith(note + "\n")
            ):
                continue  # nothing new (a second click, a bulk action over it)
            if item.result != Result.UNCHECKED:
                item.note = "\n".join(p for p in (note, _trace(item)) if p)
            else:
                item.note = note
            item.result, item.found_at = result, found_at
            item.checked_by, item.checked_at = user, now
            changed.append(item)
        InventoryItem.objects.bulk_update(
            changed,
            ["result", "found_at", "note", "checked_by", "checked_at"],
        )
    return len(changed)


def record_check(
    item: InventoryItem,
    user: User,
    result: str,
    found_at: str = "",
    note: str = "",
) -> InventoryItem:
    """Record what the check found of one item (see ``record_checks``)."""
    record_checks([item], user, result, found_at, note)
    item.refresh_from_db()
    return item


def find_dossier(code: str) -> Dossier | None:
    """The dossier of an archive code or a label (project) code, typed or scanned."""
    return catalogues.find_dossier(code)


def check_scanned(
    inventory_round: InventoryRound,
    user: User,
    code: str,
) -> InventoryItem:
    """Record the dossier whose label was scanned (its 档号 or label code) present.

    The scan is taken at the dossier's listed place; one found elsewhere is recorded
    with ``record_unlisted``, which asks where.
    """
    _need(user, CHECK)
    dossier = find_dossier(code)
    if dossier is None:
        raise InventoryError(
            _("No dossier has the archive code or label code '%(code)s'.")
            % {"code": (code or "").strip()},
        )
    item = InventoryItem.objects.filter(
        round=inventory_round,
        dossier=dossier,
        unlisted=False,
    ).first()
    if item is None:
        raise InventoryError(
            _(
                "%(dossier)s is not on this round's list: record it as a find not on "
                "the list, with the place it was found.",
            )
            % {"dossier": dossier.archive_code or dossier.project.code},
        )
    return record_check(item, user, Result.PRESENT)


def record_unlisted(
    inventory_round: InventoryRound,
    user: User,
    *,
    found_at: str,
    dossier: Dossier | None = None,
    archive_code: str = "",
    note: str = "",
) -> InventoryItem:
    """Record something found on the shelves that the list did not expect there.

    A dossier the list expects elsewhere is that item, misplaced (or present, when
    found at its own place after all). Anything else becomes an item found off the
    list: a dossier of the register (outside the round's cabinet, not held yet, no
    location), or a code the register does not know.
    """
    _need(user, STEP_PERMISSIONS["unlisted"])
    found_at, note = (found_at or "").strip(), (note or "").strip()
    archive_code = (archive_code or "").strip()
    if not found_at:
        raise InventoryError(_("Say where it was found."))
    if dossier is None:
        dossier = find_dossier(archive_code)
    if dossier is None and not archive_code:
        raise InventoryError(
            _("Name the dossier, or write the code on the file that was found."),
        )
    with transaction.atomic():
        _lock_open([inventory_round.pk])
        if dossier is not None:
            item = (
                InventoryItem.objects.filter(round=inventory_round, dossier=dossier)
                .select_related("checked_by")
                .first()
            )
            if item is not None and item.unlisted:
                raise InventoryError(
                    _("%(item)s is recorded already, found at %(place)s.")
                    % {"item": item.archive_code or item.title, "place": item.found_at},
                )
            if item is not None:
                if item.result == Result.PRESENT:
                    raise InventoryError(
                        _(
                            "%(item)s is on the list at %(listed)s and was checked "
                            "present there by %(user)s; correct that check first if "
                            "it is really at %(place)s.",
                        )
                        % {
                            "item": item.archive_code or item.title,
                            "listed": place(item.cabinet, item.shelf, item.box),
                            "user": item.checked_by,
                            "place": found_at,
                        },
                    )
                if same_place(found_at, item.cabinet, item.shelf, item.box):
                    return record_check(item, user, Result.PRESENT, note=note)
                return record_check(item, user, Result.MISPLACED, found_at, note)
            dossier_loans, document_loans = _paper_loans_out()
            project = dossier.project
            return InventoryItem.objects.create(
                round=inventory_round,
                dossier=dossier,
                unlisted=True,
                archive_code=dossier.archive_code or "",
                title=_title(project.code, project.name),
                cabinet=dossier.location_cabinet,
                shelf=dossier.location_shelf,
                box=dossier.location_box,
                pages=dossier.paper_pages,
                loan_id=dossier_loans.get(dossier.pk),
                document_loans="\n".join(document_loans.get(dossier.pk, ())),
                result=Result.PRESENT,
                found_at=found_at,
                note=note,
                checked_by=user,
                checked_at=timezone.now(),
            )
        return InventoryItem.objects.create(
            round=inventory_round,
            unlisted=True,
            archive_code=archive_code[:64],
            result=Result.PRESENT,
            found_at=found_at,
            note=note,
            checked_by=user,
            checked_at=timezone.now(),
        )


def close_round(
    inventory_round: InventoryRound,
    user: User,
    note: str = "",
) -> InventoryRound:
    """Close the round: its results no longer change; unchecked items stay unchecked."""
    _need(user, STEP_PERMISSIONS["close"])
    with transaction.atomic():
        locked = _lock_open([inventory_round.pk])[inventory_round.pk]
        note = (note or "").strip()
        if note:
            locked.note = f"{locked.note}\n{note}".strip()
        locked.closed_by = user
        locked.closed_at = timezone.now()
        locked.save(update_fields=["note", "closed_by", "closed_at"])
    inventory_round.note = locked.note
    inventory_round.closed_by, inventory_round.closed_at = user, locked.closed_at
    return inventory_round


# Progress and discrepancies -------------------------------------------------------------


def progress_counts() -> dict[str, Count]:
    """Aggregates of a round's items, for ``annotate`` or ``aggregate`` (one query)."""
    listed = Q(items__unlisted=False)
    return {
        "listed": Count("items", filter=listed),
        "unchecked": Count("items", filter=listed & Q(items__result=Result.UNCHECKED)),
        "present": Count("items", filter=listed & Q(items__result=Result.PRESENT)),
        "missing": Count("items", filter=listed & Q(items__result=Result.MISSING)),
        "misplaced": Count("items", filter=listed & Q(items__result=Result.MISPLACED)),
        "unlisted": Count("items", filter=Q(items__unlisted=True)),
    }


def progress(inventory_round: InventoryRound) -> dict[str, int]:
    """How many items are listed, checked by result, unchecked, and found off the list."""
    return InventoryRound.objects.filter(pk=inventory_round.pk).aggregate(
        **progress_counts(),
    )


class Kind:
    MISSING = "missing"
    ON_LOAN = "missing_on_loan"
    PRESENT_ON_LOAN = "present_on_loan"
    MISPLACED = "misplaced"
    UNLISTED = "unlisted"
    UNCHECKED = "unchecked"


KINDS = {  # in the order the report lists them
    Kind.MISSING: gettext_lazy("Missing, not on loan"),
    Kind.PRESENT_ON_LOAN: gettext_lazy("Present, although the register has it on loan"),
    Kind.MISPLACED: gettext_lazy("Misplaced"),
    Kind.UNLISTED: gettext_lazy("Found, not on the list"),
    Kind.UNCHECKED: gettext_lazy("Not checked"),
    Kind.ON_LOAN: gettext_lazy("Missing, out on loan (explained)"),
}


@dataclass(frozen=True)
class Discrepancy:
    kind: str
    item: InventoryItem
    loan: Loan | None  # the dossier's paper loan out when the item was checked
    at_desk: bool  # that loan was back at the desk, not yet inspected and shelved

    @property
    def explained(self) -> bool:
        return self.kind == Kind.ON_LOAN

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])

    @property
    def listed_at(self) -> str:
        item = self.item
        return place(item.cabinet, item.shelf, item.box)


def _loans_during(inventory_round: InventoryRound) -> dict[int, list[Loan]]:
    """Dossier id → its paper loans out at some moment since the round started (one query).

    Each loan carries ``shelved_at``: when it was inspected and shelved (None: not yet).
    """
    shelved = LoanEvent.objects.filter(
        loan=OuterRef("pk"),
        action=LoanEvent.Action.INSPECT,
    ).values("at")[:1]
    loans = (
        Loan.objects.filter(
            medium=Loan.Medium.PAPER,
            issued_at__isnull=False,
            dossier_id__in=inventory_round.items.filter(
                dossier__isnull=False,
            ).values("dossier_id"),
        )
        .annotate(shelved_at=Subquery(shelved))
        .filter(
            Q(shelved_at__isnull=True) | Q(shelved_at__gt=inventory_round.started_at),
        )
        .select_related("borrower")
        .order_by("issued_at", "pk")
    )
    found: dict[int, list[Loan]] = defaultdict(list)
    for loan in loans:
        found[loan.dossier_id].append(loan)
    return found


def _out_at(loans: list[Loan], moment: datetime.datetime) -> Loan | None:
    for loan in loans:
        if loan.issued_at <= moment and (
            loan.shelved_at is None or loan.shelved_at > moment
        ):
            return loan
    return None


def report_items(inventory_round: InventoryRound):
    """The round's items in list order, with what the list and the report print."""
    return inventory_round.items.select_related(
        "loan__borrower",
        "checked_by",
    ).order_by(
        "unlisted",
        "cabinet",
        "shelf",
        "box",
        "archive_code",
        "pk",
    )


def discrepancies(inventory_round: InventoryRound) -> list[Discrepancy]:
    """What the round found against the register and the loans, by kind, in list order.

    Each checked item is compared with the loan register at the moment of its check (a
    loan issued or shelved during the round counts from then); an unchecked item with
    the loan out at the start. Items found present where listed and not on loan are in
    order and not reported. ``Kind.ON_LOAN`` rows are explained, not discrepancies.
    """
    loans = _loans_during(inventory_round)
    rows: list[Discrepancy] = []
    for item in report_items(inventory_round):
        loan = None
        if item.checked_at is not None and item.dossier_id:
            loan = _out_at(loans.get(item.dossier_id, []), item.checked_at)
        elif item.result == Result.UNCHECKED:
            loan = item.loan
        at_desk = bool(
            loan is not None
            and loan.returned_at is not None
            and (item.checked_at is None or loan.returned_at <= item.checked_at),
        )
        if item.unlisted:
            kind = Kind.UNLISTED
        elif item.result == Result.UNCHECKED:
            kind = Kind.UNCHECKED
        elif item.result == Result.MISPLACED:
            kind = Kind.MISPLACED
        elif item.result == Result.MISSING:
            kind = Kind.ON_LOAN if loan is not None else Kind.MISSING
        elif loan is not None:
            kind = Kind.PRESENT_ON_LOAN
        else:
            continue
        rows.append(Discrepancy(kind, item, loan, at_desk))
    rank = {kind: n for n, kind in enumerate(KINDS)}
    rows.sort(key=lambda row: rank[row.kind])  # stable: list order within a kind
    return rows
