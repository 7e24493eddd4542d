"""What waits for a person 待办: the objects on which they may take a step now, by kind.

Each kind is a query built from the step services' own rules (filing, loans, access,
destruction, retention) and deadlines, so the work page lists exactly what the steps would
let this person do, and the queues' "waiting for me" filter shows the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models import AccessRequest
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import FilingEvent
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.services import access
from svc_archive_plugin.services import deadlines
from svc_archive_plugin.services import destruction
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import loans
from svc_archive_plugin.services import retention

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import User
    from django.db.models import Model
    from django.db.models import QuerySet
    from django.utils.functional import Promise

Action = FilingEvent.Action


@dataclass(frozen=True)
class Kind:
    key: str
    label: Promise
    model: type[Model]
    # The steps a waiting object's links take, the usual one first; none for reminders.
    steps: tuple[str, ...]
    query: Callable[[User, QuerySet | None], QuerySet]
    ordering: tuple[str, ...] = ("pk",)

    def waiting(self, user: User, queryset: QuerySet | None = None) -> QuerySet:
        """The objects of this kind waiting for ``user``, oldest first."""
        return self.query(user, queryset).order_by(*self.ordering)


def _overdue_filings(user: User, queryset: QuerySet | None) -> QuerySet:
    return filing.in_scope(user, queryset).filter(
        pk__in=deadlines.overdue().values("pk"),
    )


def _collection_due(user: User, queryset: QuerySet | None) -> QuerySet:
    return filing.in_scope(user, queryset).filter(
        pk__in=deadlines.collection_due().values("pk"),
    )


def _overdue_loans(user: User, queryset: QuerySet | None) -> QuerySet:
    return loans.visible_loans(user, queryset).filter(
        pk__in=loans.overdue_loans().values("pk"),
    )


# In the order of the page: the steps first, then what is late, then the appraisal queue.
KINDS = (
    Kind(
        "filing_approve",
        _("Dossiers to approve"),
        Dossier,
        ("approve", "return"),
        lambda user, qs: filing.waiting(user, Action.APPROVE, qs),
    ),
    Kind(
        "filing_receive",
        _("Dossiers to receive"),
        Dossier,
        ("receive", "return"),
        lambda user, qs: filing.waiting(user, Action.RECEIVE, qs),
    ),
    Kind(
        "filing_file",
        _("Dossiers to file"),
        Dossier,
        ("file", "return"),
        lambda user, qs: filing.waiting(user, Action.FILE, qs),
    ),
    Kind(
        "loan_head",
        _("Loans and renewals awaiting the department head's approval"),
        Loan,
        ("approve", "refuse"),
        lambda user, qs: loans.awaiting_approval(user, qs, role="head"),
        ("requested_at", "pk"),
    ),
    Kind(
        "loan_archive",
        _("Loans and renewals awaiting the archive department's approval"),
        Loan,
        ("approve", "refuse"),
        lambda user, qs: loans.awaiting_approval(user, qs, role="archive"),
        ("requested_at", "pk"),
    ),
    Kind(
        "loan_issue",
        _("Loans to issue at the desk"),
        Loan,
        ("issue",),
        loans.to_issue,
        ("requested_at", "pk"),
    ),
    Kind(
        "loan_inspect",
        _("Returned items to inspect"),
        Loan,
        ("inspect",),
        loans.to_inspect,
        ("returned_at", "pk"),
    ),
    Kind(
        "access_decide",
        _("Access requests to decide"),
        AccessRequest,
        ("approve", "refuse"),
        access.awaiting_decision,
        ("created_at", "pk"),
    ),
    Kind(
        "destruction_approve",
        _("Destruction lists to approve"),
        DestructionList,
        ("approve", "reject"),
        lambda user, qs: destruction.awaiting(user, "approve", qs),
        ("created_at", "pk"),
    ),
    Kind(
        "destruction_check",
        _("Destruction lists to check against the files"),
        DestructionList,
        ("check", "discrepancy"),
        lambda user, qs: destruction.awaiting(user, "check", qs),
        ("created_at", "pk"),
    ),
    Kind(
        "destruction_supervise",
        _("Destructions to supervise"),
        DestructionList,
        ("supervise",),
        lambda user, qs: destruction.awaiting(user, "supervise", qs),
        ("created_at", "pk"),
    ),
    Kind(
        "filing_overdue",
        _("Overdue filings"),
        Dossier,
        (),
        _overdue_filings,
        ("project__end_date", "pk"),
    ),
    Kind(
        "collection_due",
        _("Dossiers whose collection deadline is near or past"),
        Dossier,
        (),
        _collection_due,
        ("project__end_date", "pk"),
    ),
    Kind(
        "loan_overdue",
        _("Overdue loans"),
        Loan,
        (),
        _overdue_loans,
        ("due", "pk"),
    ),
    Kind(
        "appraisal",
        _("Records due for appraisal"),
        RecordRetention,
        (),
        retention.awaiting_appraisal,
        ("due_since", "pk"),
    ),
)
BY_KEY = {kind.key: kind for kind in KINDS}


def kinds_for(user: User, model: type[Model] | None = None) -> list[Kind]:
    """The kinds of work ``user``'s role can bring them (of ``model``'s objects)."""
    return [
        kind
        for kind in KINDS
        if (model is None or issubclass(model, kind.model))
        and not kind.query(user, None).query.is_empty()
    ]


def waiting_for(user: User) -> list[tuple[Kind, QuerySet]]:
    """Each kind of work that waits for ``user`` now, with its objects (none left out)."""
    found = []
    for kind in kinds_for(user):
        objects = kind.waiting(user)
        if objects.exists():
            found.append((kind, objects))
    return found
