"""The steps of the plugin's state machines, taken the same way from the API and the admin.

Each kind of object that moves by steps has one table here: step name -> ``Step``, the
service function, the inputs it takes after the object and the person, and its label.
``take`` runs one step with an interface's validated inputs (a serializer's or a form's,
named as the inputs are). A refusal comes back as the service raised it; both kinds
derive from ``services.refusals``, so the API answers 409 or 403 and the admin shows the
message on the form, whichever service said no.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.services import access
from svc_archive_plugin.services import corrections
from svc_archive_plugin.services import destruction
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import loans
from svc_archive_plugin.tasks import execute_destruction
from svc_archive_plugin.tasks import stamp_filed_records

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Mapping

    from django.contrib.auth.models import User
    from django.utils.functional import Promise

    from svc_archive_plugin.models import DestructionEvent
    from svc_archive_plugin.models import DestructionList
    from svc_archive_plugin.models import Dossier
    from svc_archive_plugin.models import FilingEvent


@dataclass(frozen=True)
class Step:
    label: Promise
    run: Callable[..., Any]
    # The inputs the service takes after the object and the person, in order.
    inputs: tuple[str, ...] = ()
    # Whether the first input must be given (a reason for refusing, returning, …).
    required: bool = False


def take(step: Step, obj: Any, user: User, values: Mapping[str, Any]) -> Any:
    """Take ``step`` on ``obj`` as ``user``; the service's refusals pass through."""
    return step.run(obj, user, *(values.get(name, "") for name in step.inputs))


def start_destruction(
    destruction_list: DestructionList,
    user: User,
    method: str = "",
    place: str = "",
    note: str = "",
) -> DestructionEvent:
    """Start carrying out the list, and queue its execution once that is committed."""
    with transaction.atomic():
        event = destruction.start_execution(destruction_list, user, method, place, note)
        transaction.on_commit(lambda: execute_destruction.delay(destruction_list.pk))
    return event


def file_dossier(dossier: Dossier, user: User) -> FilingEvent:
    """File the dossier, and queue the filing stamp on its records once that is committed."""
    with transaction.atomic():
        event = filing.file_dossier(dossier, user)
        transaction.on_commit(lambda: stamp_filed_records.delay(dossier.pk))
    return event


FILING = {
    "submit": Step(_("Submit for filing"), filing.submit),
    "approve": Step(_("Approve (department head)"), filing.approve),
    "receive": Step(_("Receive (archive department)"), filing.receive),
    "file": Step(_("File the dossiers"), file_dossier),
    "return": Step(
        _("Return with reasons"),
        filing.return_dossier,
        ("reason",),
        required=True,
    ),
    "accept_incomplete": Step(
        _("Accept as incomplete"),
        filing.accept_incomplete,
        ("reason",),
        required=True,
    ),
}

ACCESS_REQUEST = {
    "approve": Step(_("Approve the access request"), access.approve, ("reason",)),
    "refuse": Step(
        _("Refuse the access request"),
        access.refuse,
        ("reason",),
        required=True,
    ),
    "withdraw": Step(_("Withdraw my request"), access.withdraw),
    "revoke": Step(
        _("Revoke the access"),
        access.revoke,
        ("reason",),
        required=True,
    ),
}

LOAN = {
    "approve": Step(_("Approve the loan"), loans.approve, ("reason",)),
    "refuse": Step(_("Refuse the loan"), loans.refuse, ("reason",), required=True),
    "cancel": Step(_("Cancel the loan"), loans.cancel, ("reason",)),
    "issue": Step(_("Issue at the desk"), loans.issue, ("reason",)),
    "renew": Step(
        _("Ask for a renewal (续借)"),
        loans.request_renewal,
        ("days", "reason"),
    ),
    "receive": Step(_("Take the item back"), loans.receive, ("reason",)),
    "inspect": Step(
        _("Inspect the returned item"),
        loans.inspect,
        ("condition", "note"),
    ),
    "found": Step(
        _("Record the lost item found"),
        loans.found,
        ("note",),
        required=True,
    ),
}

DESTRUCTION_LIST = {
    "submit": Step(_("Submit for approval"), destruction.submit),
    "approve": Step(_("Approve (company leader)"), destruction.approve),
    "reject": Step(_("Reject the list"), destruction.reject, ("note",), required=True),
    "check": Step(
        _("Confirm the check against the files"),
        lambda dl, u, n: destruction.check(dl, u, note=n),
        ("note",),
    ),
    "discrepancy": Step(
        _("Report a discrepancy"),
        lambda dl, u, n: destruction.check(dl, u, matches=False, note=n),
        ("note",),
        required=True,
    ),
    "supervise": Step(
        _("Confirm as supervisor (监销)"),
        destruction.supervise,
        ("note",),
    ),
    "execute": Step(
        _("Carry out the destruction"),
        start_destruction,
        ("method", "place", "note"),
    ),
    "cancel": Step(_("Cancel the list"), destruction.cancel, ("note",), required=True),
}

CORRECTION = {
    "approve": Step(
        _("Approve and apply the correction"),
        corrections.approve,
        ("reason",),
    ),
    "refuse": Step(_("Refuse the correction"), corrections.refuse, ("reason",)),
}
