"""Access 查阅 (policy §6.1, §7.1): requests, time-boxed grants, sealing, the access log.

- A request names documents and/or dossiers, a purpose and a period. The head of the
  requester's department approves or refuses (never their own request).
- From the first day of the period the requester holds paperless's own object permission
  ``view_document`` on each document (a dossier: its documents at that moment); the day
  after the last, ``apply_periods`` withdraws it (withdrawing or revoking does so at once).
  Either way the documents are re-indexed, so paperless's search follows.
- A record marked 机密 or 客户隐私 is *sealed*: it always has an owner, and keeps no view or
  change grant but those of current requests, and no share link. Other grants are taken
  away and its share links expired, each kept as a ``WithdrawnPermission``, so nobody
  loses access without a trace; new share links to it are refused.
- Every view, preview and download of an archived document is logged (``record_access``),
  and so is every opening of a share link (with the link, its creator, the client address).
- The full text of a sealed or filed record is left out of document lists and search
  results for anyone without a current grant on it (``content_withheld``): the record's own
  page shows it, and is logged. A grant holder gets it, and that read is logged too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.models import AccessGrant
from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import AccessRequest
from svc_archive_plugin.models import AccessRequestItem
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ProvisionedObject
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import WithdrawnPermission
from svc_archive_plugin.services import records
from svc_archive_plugin.services.indexing import reindex
from svc_archive_plugin.services.people import department_of
from svc_archive_plugin.services.people import in_department
from svc_archive_plugin.services.refusals import Forbidden
from svc_archive_plugin.services.refusals import Refused

if TYPE_CHECKING:
    import datetime
    from collections.abc import Iterable

    from django.contrib.auth.models import User

logger = logging.getLogger("paperless.svc_archive")

State = AccessRequest.State
VIEW = "view_document"
CHANGE = "change_document"


class AccessError(Refused):
    """The step is not possible now; the message says why."""


class AccessForbidden(AccessError, Forbidden):
    """The person may not take this step."""


# Requests ---------------------------------------------------------------------------------


def request_access(
    user: User,
    *,
    purpose: str,
    starts: datetime.date,
    ends: datetime.date,
    document_ids: Iterable[int] = (),
    dossiers: Iterable[Dossier] = (),
) -> AccessRequest:
    """File an access request 查阅申请 for the head of the requester's department."""
    from documents.models import Document

    if not user.has_perm("svc_archive_plugin.add_accessrequest"):
        raise AccessForbidden(_("You may not request access to archived records."))
    purpose = (purpose or "").strip()
    if not purpose:
        raise AccessError(_("Say what the records are needed for (the purpose)."))
    if ends < starts:
        raise AccessError(_("The period ends before it starts."))
    if ends < timezone.localdate():
        raise AccessError(_("The period is already over."))
    document_ids = sorted(set(document_ids))
    dossiers = list(dossiers)
    if not document_ids and not dossiers:
        raise AccessError(_("Name at least one document or dossier."))
    found = set(
        Document.objects.filter(pk__in=document_ids).values_list("pk", flat=True),
    )
    if missing := [d for d in document_ids if d not in found]:
        raise AccessError(
            _("No such document: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
        )
    with transaction.atomic():
        request = AccessRequest.objects.create(
            requester=user,
            department=department_of(user),
            purpose=purpose,
            starts=starts,
            ends=ends,
        )
        AccessRequestItem.objects.bulk_create(
            [AccessRequestItem(request=request, document_id=d) for d in document_ids]
            + [AccessRequestItem(request=request, dossier=d) for d in dossiers],
        )
    return request


def may_decide(user: User, request: AccessRequest) -> bool:
    """The head of the requester's department (an archive manager if they have none)."""
    if user.pk == request.requester_id:
        return False
    if request.department_id is None:
        return user.has_perm("svc_archive_plugin.revoke_accessrequest")
    return user.has_perm("svc_archive_plugin.approve_accessrequest") and in_department(
        user,
        request.department_id,
    )


def _locked(request: AccessRequest) -> AccessRequest:
    return AccessRequest.objects.select_for_update().get(pk=request.pk)


def _decide_check(user: User, request: AccessRequest) -> None:
    if request.state != State.PENDING:
        raise AccessError(
            _("The request is %(state)s; only a pending request can be decided.")
            % {"state": request.get_state_display()},
        )
    if user.pk == request.requester_id:
        raise AccessForbidden(_("Nobody decides their own access request."))
    if not may_decide(user, request):
        raise AccessForbidden(
            _("Only the head of %(department)s decides this request.")
            % {"department": request.department or _("the archive department")},
        )


def approve(request: AccessRequest, user: User, reason: str = "") -> AccessRequest:
    with transaction.atomic():
        request = _locked(request)
        _decide_check(user, request)
        request.state = State.APPROVED
        request.decided_by = user
        request.decided_at = timezone.now()
        request.decision_reason = (reason or "").strip()
        request.save()
        if request.starts <= timezone.localdate():
            _grant(request)
    return request


def refuse(request: AccessRequest, user: User, reason: str) -> AccessRequest:
    reason = (reason or "").strip()
    if not reason:
        raise AccessError(_("Give the reason for refusing."))
    with transaction.atomic():
        request = _locked(request)
        _decide_check(user, request)
        request.state = State.REFUSED
        request.decided_by = user
        request.decided_at = timezone.now()
        request.decision_reason = reason
        request.save()
    return request


def _withdraw_check(user: User, request: AccessRequest) -> None:
    if user.pk != request.requester_id:
        raise AccessForbidden(_("Only the requester withdraws a request."))
    if request.state not in (State.PENDING, State.APPROVED):
        raise AccessError(
            _("The request is %(state)s already.")
            % {"state": request.get_state_display()},
        )


def withdraw(request: AccessRequest, user: User) -> AccessRequest:
    """The requester takes back their request (ending any access it gave)."""
    with transaction.atomic():
        request = _locked(request)
        _withdraw_check(user, request)
        _close(request, user, State.WITHDRAWN, "")
    return request


def _revoke_check(user: User, request: AccessRequest) -> None:
    if request.state != State.APPROVED:
        raise AccessError(_("Only an approved request can be revoked."))
    if not (
        user.has_perm("svc_archive_plugin.revoke_accessrequest")
        or may_decide(user, request)
    ):
        raise AccessForbidden(
            _("Only the department head or the archive department revokes access."),
        )


def revoke(request: AccessRequest, user: User, reason: str) -> AccessRequest:
    """End an approved request early: its department head or an archive manager."""
    reason = (reason or "").strip()
    if not reason:
        raise AccessError(_("Give the reason for revoking."))
    with transaction.atomic():
        request = _locked(request)
        _revoke_check(user, request)
        _close(request, user, State.REVOKED, reason)
    return request


# Step name (``steps.ACCESS_REQUEST``) -> the check its service function makes first.
STEP_CHECKS = {
    "approve": _decide_check,
    "refuse": _decide_check,
    "withdraw": _withdraw_check,
    "revoke": _revoke_check,
}


def allowed_steps(request: AccessRequest, user: User) -> list[str]:
    """The steps ``user`` may take on the request now (the screens' buttons)."""
    allowed = []
    for name, check in STEP_CHECKS.items():
        try:
            check(user, request)
        except AccessError:
            continue
        allowed.append(name)
    return allowed


def waiting_for(request: AccessRequest) -> str:
    """What the request waits for."""
    if request.state == State.PENDING:
        if request.department_id is None:
            return _("Waiting for the archive department's decision")
        return _("Waiting for the decision of the head of %(department)s") % {
            "department": request.department,
        }
    if request.state == State.APPROVED and request.starts > timezone.localdate():
        return _("Approved; access opens on %(date)s") % {
            "date": request.starts.isoformat(),
        }
    return ""


def _close(request: AccessRequest, user: User | None, state: str, reason: str) -> None:
    request.state = state
    request.closed_by = user
    request.closed_at = timezone.now()
    request.close_reason = reason
    request.save()
    _withdraw(AccessGrant.objects.filter(request=request, withdrawn_at__isnull=True))


def apply_periods(today: datetime.date | None = None, chunk: int = 500) -> dict:
    """Grant access whose period has begun and withdraw access whose period has ended.

    Idempotent and safe with two workers (rows are locked, others' rows skipped).
    """
    today = today or timezone.localdate()
    granted = expired = 0
    while True:
        with transaction.atomic():
            batch = list(
                AccessRequest.objects.select_for_update(skip_locked=True)
                .filter(state=State.APPROVED, ends__lt=today)
                .order_by("pk")
                .values_list("pk", flat=True)[:chunk],
            )
            AccessRequest.objects.filter(pk__in=batch).update(
                state=State.EXPIRED,
                closed_at=timezone.now(),
                close_reason=_("The period ended."),
            )
            _withdraw(
                AccessGrant.objects.filter(
                    request__in=batch,
                    withdrawn_at__isnull=True,
                ),
            )
            expired += len(batch)
        if len(batch) < chunk:
            break
    permission = _permission(VIEW)
    with transaction.atomic():
        for request in (
            AccessRequest.objects.select_for_update(skip_locked=True)
            .filter(state=State.APPROVED, starts__lte=today, ends__gte=today)
            .exclude(grants__isnull=False)
            .select_related("requester")
            .order_by("pk")
        ):
            granted += bool(_grant(request, permission))
    return {"granted": granted, "expired": expired}


# Grants -----------------------------------------------------------------------------------


def requested_documents(request: AccessRequest) -> list[int]:
    """The documents a request covers now: those named, and those of the dossiers named."""
    ids: set[int] = set()
    for item in request.items.select_related("dossier__project"):
        if item.dossier_id:
            ids.update(
                records.dossier_documents(item.dossier).values_list("pk", flat=True),
            )
        else:
            ids.add(item.document_id)
    return sorted(ids)


def _permission(codename: str):
    from django.contrib.auth.models import Permission

    return Permission.objects.get(
        content_type__app_label="documents",
        codename=codename,
    )


def _document_type():
    from django.contrib.contenttypes.models import ContentType
    from documents.models import Document

    return ContentType.objects.get_for_model(Document)


def _grant(request: AccessRequest, permission=None) -> list[int]:
    """Give the requester view on the request's documents; keep a grant row for each."""
    from documents.models import Document
    from guardian.models import UserObjectPermission

    user = request.requester
    documents = list(
        Document.objects.filter(pk__in=requested_documents(request))
        .exclude(owner=user)
        .values_list("pk", flat=True),
    )
    if not documents:
        return []
    permission = permission or _permission(VIEW)
    content_type = _document_type()
    existing = {
        int(pk)
        for pk in UserObjectPermission.objects.filter(
            user=user,
            permission=permission,
            object_pk__in=[str(d) for d in documents],
        ).values_list("object_pk", flat=True)
    }
    # A permission already held through another current request is shared; one held
    # otherwise is the person's own and is left alone (and never withdrawn by us).
    backed = set(
        AccessGrant.objects.filter(
            user=user,
            document_id__in=existing,
            withdrawn_at__isnull=True,
        ).values_list("document_id", flat=True),
    )
    UserObjectPermission.objects.bulk_create(
        [
            UserObjectPermission(
                user=user,
                permission=permission,
                content_type=content_type,
                object_pk=str(d),
            )
            for d in documents
            if d not in existing
        ],
    )
    covered = [d for d in documents if d not in existing or d in backed]
    AccessGrant.objects.bulk_create(
        [AccessGrant(request=request, user=user, document_id=d) for d in covered],
    )
    reindex(covered)
    return covered


def _withdraw(grants) -> list[int]:
    """End these grants; take the permission away where no other current grant needs it."""
    from guardian.models import UserObjectPermission

    rows = list(grants.values_list("pk", "user_id", "document_id"))
    if not rows:
        return []
    AccessGrant.objects.filter(pk__in=[r[0] for r in rows]).update(
        withdrawn_at=timezone.now(),
    )
    still = set(
        AccessGrant.objects.filter(
            withdrawn_at__isnull=True,
            document_id__in={r[2] for r in rows},
        ).values_list("user_id", "document_id"),
    )
    permission = _permission(VIEW)
    ended = {(user, doc) for _pk, user, doc in rows} - still
    for user_id in {user for user, _doc in ended}:
        UserObjectPermission.objects.filter(
            user_id=user_id,
            permission=permission,
            object_pk__in=[str(doc) for user, doc in ended if user == user_id],
        ).delete()
    changed = sorted({doc for _user, doc in ended})
    reindex(changed)
    return changed


# Sealing confidential records -------------------------------------------------------------


def seal(document_ids: Iterable[int]) -> list[int]:
    """Keep only the owner and current requests on confidential records; return changes."""
    from documents.models import Document
    from guardian.models import GroupObjectPermission
    from guardian.models import UserObjectPermission

    ids = records.sealed(document_ids)
    if not ids:
        return []
    changed: set[int] = set()
    unowned = list(
        Document.global_objects.filter(pk__in=ids, owner__isnull=True).values_list(
            "pk",
            flat=True,
        ),
    )
    if unowned:
        Document.global_objects.filter(pk__in=unowned).update(
            owner=records.records_account(),
        )
        changed.update(unowned)
    codenames = (VIEW, CHANGE)
    keys = [str(d) for d in ids]
    backed = set(
        AccessGrant.objects.filter(
            document_id__in=ids,
            withdrawn_at__isnull=True,
        ).values_list("user_id", "document_id"),
    )
    reason = _("sealed: the record is confidential or customer-private")
    withdrawn = []
    user_rows = UserObjectPermission.objects.filter(
        content_type=_document_type(),
        permission__codename__in=codenames,
        object_pk__in=keys,
    ).select_related("permission")
    drop_users = [
        row
        for row in user_rows
        if not (
            row.permission.codename == VIEW
            and (row.user_id, int(row.object_pk)) in backed
        )
    ]
    group_rows = list(
        GroupObjectPermission.objects.filter(
            content_type=_document_type(),
            permission__codename__in=codenames,
            object_pk__in=keys,
        ).select_related("permission"),
    )
    for row in drop_users:
        withdrawn.append(
            WithdrawnPermission(
                document_id=int(row.object_pk),
                user_id=row.user_id,
                permission=row.permission.codename,
                reason=reason,
            ),
        )
    withdrawn.extend(_expire_share_links(ids, reason))
    for row in group_rows:
        withdrawn.append(
            WithdrawnPermission(
                document_id=int(row.object_pk),
                group_id=row.group_id,
                permission=row.permission.codename,
                reason=reason,
            ),
        )
    if withdrawn:
        WithdrawnPermission.objects.bulk_create(withdrawn)
        UserObjectPermission.objects.filter(pk__in=[r.pk for r in drop_users]).delete()
        GroupObjectPermission.objects.filter(pk__in=[r.pk for r in group_rows]).delete()
        changed.update(w.document_id for w in withdrawn)
        logger.info(
            "Sealed %s confidential record(s): %s permission(s) withdrawn",
            len(ids),
            len(withdrawn),
        )
    result = sorted(changed)
    reindex(result)
    return result


def check_sharing(document_ids: Iterable[int]) -> None:
    """Refuse a share link to a sealed record: it would open it to anyone with the link."""
    if found := records.sealed(document_ids):
        raise AccessForbidden(
            _(
                "Document(s) %(ids)s are confidential or customer-private: they are not "
                "shared by link; ask for an access request instead.",
            )
            % {"ids": ", ".join(f"#{pk}" for pk in sorted(found))},
        )


def _expire_share_links(
    document_ids: set[int],
    reason: str,
) -> list[WithdrawnPermission]:
    """Expire the share links of newly sealed records; each is kept as withdrawn."""
    from documents.models import ShareLink

    links = list(
        ShareLink.objects.filter(document_id__in=document_ids)
        .exclude(expiration__lte=timezone.now())
        .values_list("pk", "document_id", "slug"),
    )
    ShareLink.objects.filter(pk__in=[pk for pk, _doc, _slug in links]).update(
        expiration=timezone.now(),
    )
    return [
        WithdrawnPermission(
            document_id=document_id,
            permission=f"{WithdrawnPermission.SHARE_LINK}{slug}",
            reason=reason,
        )
        for _pk, document_id, slug in links
    ]


# The access log ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedRead:
    """A document opened through a share link: by whoever holds the link."""

    slug: str
    creator: User | None
    client_address: str | None


def content_withheld(
    user: User | None,
    document_ids: Iterable[int],
) -> tuple[set[int], set[int]]:
    """Of the sealed or filed records among ``document_ids``: (withheld, granted).

    Lists and search results leave out the full text of the withheld ones; ``user`` holds
    a current access grant on the granted ones, and reads their text there on the log.
    """
    ids = list(document_ids)
    if not ids:
        return set(), set()
    guarded = records.sealed(ids) | records.declared(ids)
    if not guarded:
        return set(), set()
    granted = (
        set(
            AccessGrant.objects.filter(
                user=user,
                document_id__in=guarded,
                withdrawn_at__isnull=True,
            ).values_list("document_id", flat=True),
        )
        if user is not None and user.is_authenticated
        else set()
    )
    return guarded - granted, granted


def record_access(user: User, document_id: int, kind: str, via: str) -> None:
    """Log one access to an archived document (one with a service-archive type)."""
    record_accesses(user, [document_id], kind, via)


def record_accesses(
    user: User | None,
    document_ids: Iterable[int],
    kind: str,
    via: str,
    *,
    shared: SharedRead | None = None,
) -> int:
    """Log an access to each archived document among ``document_ids``; return how many.

    A fixed number of queries however many documents (a bulk download, an e-mail). A
    share link is logged whoever opens it, signed in or not.
    """
    from documents.models import CustomFieldInstance
    from documents.models import Document

    if user is not None and not user.is_authenticated:
        user = None
    if user is None and shared is None:
        return 0
    titles = dict(
        Document.global_objects.filter(
            pk__in=list(document_ids),
            document_type__svc_archive_code__isnull=False,
        ).values_list("pk", "title"),
    )
    if not titles:
        return 0
    fields = dict(
        ProvisionedObject.objects.filter(
            key__in=("custom_field.customer", "custom_field.project"),
        ).values_list("object_id", "key"),
    )
    options: dict[int, dict[str, str]] = {}
    for document_id, field_id, option in CustomFieldInstance.objects.filter(
        document_id__in=titles,
        field_id__in=fields,
        value_select__isnull=False,
    ).values_list("document_id", "field_id", "value_select"):
        options.setdefault(document_id, {})[fields[field_id]] = option
    wanted = {
        key: {o[key] for o in options.values() if key in o}
        for key in ("custom_field.customer", "custom_field.project")
    }
    projects = {
        option: (pk, customer)
        for option, pk, customer in ServiceProject.objects.filter(
            option_id__in=wanted["custom_field.project"],
        ).values_list("option_id", "pk", "customer_id")
    }
    customers = dict(
        Customer.objects.filter(
            option_id__in=wanted["custom_field.customer"],
        ).values_list("option_id", "pk"),
    )
    requests = (
        dict(
            AccessGrant.objects.filter(
                user=user,
                document_id__in=titles,
                withdrawn_at__isnull=True,
            )
            .order_by("pk")
            .values_list("document_id", "request_id"),
        )
        if user is not None
        else {}
    )
    department = department_of(user) if user is not None else None
    link = (
        {
            "share_link": shared.slug,
            "shared_by": shared.creator,
            "shared_by_name": shared.creator.get_username() if shared.creator else "",
            "client_address": shared.client_address,
        }
        if shared is not None
        else {}
    )
    entries = []
    for document_id, title in titles.items():
        own = options.get(document_id, {})
        project_id, customer_id = projects.get(
            own.get("custom_field.project"),
            (None, None),
        )
        entries.append(
            AccessLogEntry(
                user=user,
                username=user.get_username() if user is not None else "",
                department=department,
                department_name=department.name if department else "",
                document_id=document_id,
                title=title[:128],
                customer_id=customer_id
                or customers.get(own.get("custom_field.customer")),
                project_id=project_id,
                kind=kind,
                via=via,
                request_id=requests.get(document_id),
                **link,
            ),
        )
    AccessLogEntry.objects.bulk_create(entries)
    return len(entries)


def visible_requests(user: User, queryset=None):
    """Requests ``user`` may read: all (archive), their department's (head), their own."""
    from django.db.models import Q

    queryset = AccessRequest.objects.all() if queryset is None else queryset
    if user.has_perm("svc_archive_plugin.view_accessrequest"):
        return queryset
    mine = Q(requester=user)
    if user.has_perm("svc_archive_plugin.approve_accessrequest"):
        mine |= Q(department__in=user.groups.all())
    return queryset.filter(mine)


def visible_log_entries(user: User, queryset=None):
    """Access-log entries ``user`` may count: all (archive), their department's (head), own."""
    from django.db.models import Q

    queryset = AccessLogEntry.objects.all() if queryset is None else queryset
    if user.has_perm("svc_archive_plugin.view_accesslogentry"):
        return queryset
    mine = Q(user=user)
    if user.has_perm("svc_archive_plugin.approve_accessrequest"):
        mine |= Q(department__in=user.groups.all())
    return queryset.filter(mine)


def awaiting_decision(user: User, queryset=None):
    """Pending requests ``user`` decides (one flat query; see ``may_decide``)."""
    from django.db.models import Q

    queryset = AccessRequest.objects.all() if queryset is None else queryset
    mine = Q(pk__in=[])
    if user.has_perm("svc_archive_plugin.approve_accessrequest"):
        mine |= Q(department__in=user.groups.all())
    if user.has_perm("svc_archive_plugin.revoke_accessrequest"):
        mine |= Q(department__isnull=True)
    return queryset.filter(mine, state=State.PENDING).exclude(requester=user)
