"""Retention 保管期限 (policy §5.3): class determines destiny, the clock, sweep and appraisal.

Each record's class comes from the retention schedule (document type and archive category),
unless its dossier overrides it with a recorded reason or an appraisal decided otherwise.
The clock starts at the project's end (the document's date without a project), by default
from 1 January of the following year. ``recompute`` keeps ``RecordRetention``, the
*Retention until* field and the retention tag right; the sweep only ever queues records
for appraisal, and appraisal is the archive department's decision.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import AppraisalDecision
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import RetentionRule
from svc_archive_plugin.models import SweepRun
from svc_archive_plugin.services import holds
from svc_archive_plugin.services import record_facts
from svc_archive_plugin.services import record_links
from svc_archive_plugin.services import records
from svc_archive_plugin.services.indexing import reindex
from svc_archive_plugin.services.provisioning import provisioned
from svc_archive_plugin.services.refusals import Forbidden
from svc_archive_plugin.services.refusals import Refused
from svc_archive_plugin.services.vocabulary import DEFAULT_LANGUAGE
from svc_archive_plugin.services.vocabulary import RETENTION_TAGS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import User

Retention = Dossier.Retention
State = RecordRetention.State
Basis = RecordRetention.Basis
Decision = AppraisalDecision.Decision

# Longest first: a dossier takes the longest class of its records.
RANK = {Retention.PERMANENT: 3, Retention.IMPORTANT: 2, Retention.ORDINARY: 1}


class RetentionError(Refused):
    """The retention step is not allowed; the message says why."""


class RetentionForbidden(RetentionError, Forbidden):
    """The person may not take this step."""


def period_years(retention: str) -> int | None:
    if retention == Retention.IMPORTANT:
        return archive_settings.RETENTION_IMPORTANT
    if retention == Retention.ORDINARY:
        return archive_settings.RETENTION_ORDINARY
    return None


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def retention_until(
    starts: datetime.date | None,
    years: int | None,
) -> datetime.date | None:
    """The last day a record is kept: counted from 1 January after ``starts`` by default."""
    if starts is None or years is None:
        return None
    if archive_settings.RETENTION_FROM_NEXT_YEAR:
        return datetime.date(starts.year + years, 12, 31)
    return add_years(starts, years) - datetime.timedelta(days=1)


class Schedule:
    """The retention schedule, read once: the most specific rule wins."""

    def __init__(self) -> None:
        self.rules = {
            (type_id, category_id): retention
            for type_id, category_id, retention in RetentionRule.objects.values_list(
                "document_type_id",
                "category_id",
                "retention",
            )
        }

    def retention(
        self,
        type_code_id: int | None,
        category_id: int | None,
    ) -> str | None:
        for key in (
            (type_code_id, category_id),
            (type_code_id, None),
            (None, category_id),
        ):
            if key != (None, None) and key in self.rules:
                return self.rules[key]
        return None


def dossier_class(dossier: Dossier) -> str | None:
    """The longest class among the dossier's records by the schedule (for its archive code)."""
    schedule = Schedule()
    codes = dict(DocumentTypeCode.objects.values_list("document_type_id", "pk"))
    found = [
        schedule.retention(codes.get(type_id), dossier.category_id)
        for type_id in records.dossier_documents(dossier)
        .values_list("document_type_id", flat=True)
        .distinct()
    ]
    found = [f for f in found if f]
    return max(found, key=RANK.__getitem__) if found else None


# Keeping each record's retention right -------------------------------------------------------


RECOMPUTE_ATTEMPTS = 3  # a lost race to insert a new record's row is tried again


def recompute(document_ids: Iterable[int]) -> list[int]:
    """Bring the records' retention up to date; returns the ids that changed.

    A fixed number of queries per call, whatever the number of documents.
    """
    ids = sorted(set(document_ids))
    if not ids:
        return []
    for _attempt in range(RECOMPUTE_ATTEMPTS - 1):
        try:
            return _recompute(ids)
        except IntegrityError:
            # Another worker (or an edit) brought one of these records under retention
            # after we looked: its row is committed now, so the next attempt updates it.
            continue
    return _recompute(ids)


def _recompute(ids: list[int]) -> list[int]:
    schedule = Schedule()
    today = timezone.localdate()
    with transaction.atomic():
        facts = records.document_facts(ids)
        existing = {
            row.document_id: row
            for row in RecordRetention.objects.select_for_update().filter(
                document_id__in=facts,
            )
        }
        changed: list[RecordRetention] = []
        created: list[RecordRetention] = []
        declared = records.declared(facts)
        for doc_id, fact in facts.items():
            row = existing.get(doc_id)
            project = fact["project"]
            filed = bool(project and project["dossier__state"] == Dossier.State.FILED)
            # Declaration is sticky: only an approved correction can un-file a record,
            # or change the retention it was filed with (a revised schedule does not;
            # the record is appraised when its term runs out).
            as_filed = doc_id in declared and not records.being_corrected(doc_id)
            if as_filed:
                filed = True
            if row is not None and (
                row.basis == Basis.APPRAISAL or (as_filed and row.filed)
            ):
                wanted = {"filed": filed}
            else:
                # A filed dossier's records keep its class, the longest of its items'
                # (DA/T 22): the 档号's D30, *Retention until* and the stamp agree.
                if project and (
                    project["dossier__retention_override_reason"]
                    or (filed and project["dossier__retention"])
                ):
                    retention, basis = project["dossier__retention"], Basis.DOSSIER
                else:
                    retention = schedule.retention(fact["code_id"], fact["category_id"])
                    basis = Basis.SCHEDULE
                if retention is None:
                    if row is not None and row.state == State.ACTIVE and not row.filed:
                        row.delete()  # no longer a record of any scheduled class
                        changed.append(row)
                    continue
                starts = project["end_date"] if project else fact["created"]
                years = period_years(retention)
                until = retention_until(starts, years)
                wanted = {
                    "retention": retention,
                    "period_years": years,
                    "basis": basis,
                    "starts": starts,
                    "until": until,
                    "filed": filed,
                }
                # A corrected date can take a record out of the queue again.
                if (
                    row is not None
                    and row.state == State.DUE
                    and (until is None or until >= today)
                ):
                    wanted.update(state=State.ACTIVE, due_since=None)
            if row is None:
                created.append(RecordRetention(document_id=doc_id, **wanted))
            elif any(getattr(row, k) != v for k, v in wanted.items()):
                for k, v in wanted.items():
                    setattr(row, k, v)
                changed.append(row)
        RecordRetention.objects.bulk_create(created)
        RecordRetention.objects.bulk_update(
            [r for r in changed if r.pk],
            [
                "retention",
                "period_years",
                "basis",
                "starts",
                "until",
                "filed",
                "state",
                "due_since",
            ],
        )
        touched = [r.document_id for r in created + changed]
        mirror(touched)
        record_facts.store(ids, facts)
        # A document its project or customer brings under a hold joins it now.
        holds.join_by_scope(facts)
    return touched


def recompute_all(chunk: int = 2000) -> int:
    """Recompute every document's retention, in chunks (after a schedule change)."""
    return sum(len(recompute(ids)) for ids in records.document_chunks(chunk))


# Showing it in paperless: the *Retention until* field and the retention tag ----------------


def retention_label(retention: str, years: int | None) -> str:
    """How the archive writes a retention period: 永久, 定期10年 (the vocabulary's words)."""
    terms = dict(RETENTION_TAGS)
    if retention == Retention.PERMANENT or not years:
        return terms["permanent"].name(DEFAULT_LANGUAGE)
    return terms["ordinary"].name(DEFAULT_LANGUAGE, n=years)


def _period_tag(years: int):
    """The tag 定期N年 under the retention root, made if an extension needs a new period."""
    from documents.models import MatchingModel
    from documents.models import Tag

    root = provisioned("tag.retention")
    if root is None:
        return None
    term = dict(RETENTION_TAGS)["ordinary"]
    names = {term.name(lang, n=years) for lang in ("zh-hans", "zh-hant", "en")}
    tag = Tag.objects.filter(tn_parent=root, name__in=names).first()
    if tag is None:
        tag = Tag.objects.create(
            name=term.name("zh-hans", n=years),
            tn_parent=root,
            matching_algorithm=MatchingModel.MATCH_NONE,
            color=root.color,
        )
    return tag


def _class_tags() -> dict[str, object]:
    tags = {}
    for key in ("permanent", "important", "ordinary", "pending_destruction"):
        tag = provisioned(f"tag.retention.{key}")
        if tag is not None:
            tags[key] = tag
    return tags


def mirror(document_ids: list[int]) -> None:
    """Write *Retention until*, the 档案详情 link and the retention tags, then re-index."""
    from documents.models import Document
    from documents.models import Tag

    if not document_ids:
        return
    rows = {
        r.document_id: r
        for r in RecordRetention.objects.filter(document_id__in=document_ids)
    }
    records.write_field(
        "retention_until",
        {d: rows[d].until if d in rows else None for d in document_ids},
        column="value_date",
    )
    record_links.refresh(document_ids)
    class_tags = _class_tags()
    root = provisioned("tag.retention")
    keep_out = {
        provisioned(f"tag.retention.{k}") for k in ("legal_hold", "on_loan")
    } - {None}
    retention_tag_ids = set(
        Tag.objects.filter(tn_parent=root).values_list("pk", flat=True)
        if root is not None
        else [],
    ) - {t.pk for t in keep_out}
    wanted = []
    for doc_id, row in rows.items():
        if row.retention == Retention.PERMANENT:
            tag = class_tags.get("permanent")
        elif row.retention == Retention.IMPORTANT and row.period_years == period_years(
            Retention.IMPORTANT,
        ):
            tag = class_tags.get("important")
        elif row.retention == Retention.ORDINARY and row.period_years == period_years(
            Retention.ORDINARY,
        ):
            tag = class_tags.get("ordinary")
        else:
            tag = _period_tag(row.period_years) if row.period_years else None
        if tag is not None:
            wanted.append((doc_id, tag.pk))
        if row.state == State.DESTROY and "pending_destruction" in class_tags:
            wanted.append((doc_id, class_tags["pending_destruction"].pk))
    through = Document.tags.through
    through.objects.filter(
        document_id__in=document_ids,
        tag_id__in=retention_tag_ids,
    ).delete()
    through.objects.bulk_create(
        [through(document_id=d, tag_id=t) for d, t in wanted],
        ignore_conflicts=True,
    )
    reindex(document_ids)


# The daily sweep -----------------------------------------------------------------------------


def sweep(today: datetime.date | None = None) -> SweepRun:
    """Queue every retained record whose retention has run out for appraisal.

    One UPDATE whatever the number of records; safe to run twice at once and on several
    workers: each row moves from *retained* to *due* once (the second UPDATE re-checks
    the state of rows the first one changed). Nothing is deleted here.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        queued = RecordRetention.objects.filter(
            state=State.ACTIVE,
            until__lt=today,
        ).update(state=State.DUE, due_since=today)
        return SweepRun.objects.create(as_of=today, queued=queued)


# Appraisal 鉴定 -------------------------------------------------------------------------------


def appraisal_queue(queryset=None):
    """The appraisal queue: records due, or appraised for destruction, not in the trash."""
    queryset = RecordRetention.objects.all() if queryset is None else queryset
    return queryset.filter(
        state__in=(State.DUE, State.DESTROY),
        document__deleted_at__isnull=True,
    )


def awaiting_appraisal(user: User, queryset=None):
    """Records of the queue still waiting for ``user``'s appraisal decision."""
    queryset = appraisal_queue(queryset)
    if not user.has_perm("svc_archive_plugin.appraise_record"):
        return queryset.none()
    return queryset.filter(state=State.DUE)


def appraise(
    user: User,
    document_ids: Iterable[int],
    decision: str,
    reason: str,
    *,
    years: int | None = None,
    dossier: Dossier | None = None,
) -> list[AppraisalDecision]:
    """Decide on expired records: destroy, extend by ``years``, or keep permanently."""
    if not user.has_perm("svc_archive_plugin.appraise_record"):
        raise RetentionForbidden(_("Only the archive department appraises records."))
    if decision not in Decision.values:
        raise RetentionError(_("Unknown decision '%(value)s'.") % {"value": decision})
    if not reason.strip():
        raise RetentionError(_("Give the reason for the appraisal decision."))
    if decision == Decision.EXTEND and (not years or years < 1):
        raise RetentionError(_("Say by how many years the retention is extended."))
    ids = sorted(set(document_ids))
    if not ids:
        raise RetentionError(_("Choose the records to appraise."))
    from svc_archive_plugin.models import DestructionItem

    with transaction.atomic():
        rows = list(
            RecordRetention.objects.select_for_update().filter(document_id__in=ids),
        )
        listed = set(
            DestructionItem.objects.filter(
                document_id__in=ids,
                released=False,
            ).values_list("document_id", flat=True),
        )
        wrong = [
            r.document_id
            for r in rows
            if r.state not in (State.DUE, State.DESTROY) or r.document_id in listed
        ]
        missing = set(ids) - {r.document_id for r in rows}
        if wrong or missing:
            raise RetentionError(
                _(
                    "Only records in the appraisal queue, not on a destruction list, "
                    "can be appraised; not: %(ids)s.",
                )
                % {"ids": ", ".join(map(str, sorted(set(wrong) | missing)))},
            )
        decisions = []
        for row in rows:
            before = row.until
            if decision == Decision.DESTROY:
                row.state = State.DESTROY
            else:
                row.state, row.due_since, row.basis = (
                    State.ACTIVE,
                    None,
                    Basis.APPRAISAL,
                )
                if decision == Decision.PERMANENT:
                    row.retention, row.period_years, row.until = (
                        Retention.PERMANENT,
                        None,
                        None,
                    )
                else:
                    row.until = add_years(row.until or timezone.localdate(), years)
                    row.period_years = (row.period_years or 0) + years
            decisions.append(
                AppraisalDecision(
                    document_id=row.document_id,
                    dossier=dossier,
                    decision=decision,
                    years=years if decision == Decision.EXTEND else None,
                    until_before=before,
                    until_after=row.until,
                    reason=reason.strip(),
                    decided_by=user,
                ),
            )
        RecordRetention.objects.bulk_update(
            rows,
            ["state", "due_since", "basis", "retention", "period_years", "until"],
        )
        created = AppraisalDecision.objects.bulk_create(decisions)
        mirror(ids)
        record_facts.refresh(ids)  # a record kept permanently counts as permanent
    return created


def appraise_dossier(
    user: User,
    dossier: Dossier,
    decision: str,
    reason: str,
    *,
    years: int | None = None,
) -> list[AppraisalDecision]:
    """Decide for every record of the dossier that is in the appraisal queue."""
    ids = RecordRetention.objects.filter(
        document__in=records.dossier_documents(dossier),
        state__in=(State.DUE, State.DESTROY),
    ).values_list("document_id", flat=True)
    if not ids:
        raise RetentionError(
            _("No record of %(dossier)s is waiting for appraisal.")
            % {"dossier": dossier},
        )
    return appraise(user, list(ids), decision, reason, years=years, dossier=dossier)


def override_dossier_retention(
    dossier: Dossier,
    user: User,
    retention: str,
    reason: str,
) -> Dossier:
    """Give the dossier's records a class other than the schedule's, with the reason."""
    if not user.has_perm("svc_archive_plugin.file_dossier"):
        raise RetentionForbidden(
            _("Only the archive department overrides the schedule."),
        )
    if retention not in Retention.values:
        raise RetentionError(
            _("Unknown retention class '%(value)s'.") % {"value": retention},
        )
    if not reason.strip():
        raise RetentionError(
            _("Give the reason for overriding the retention schedule."),
        )
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
        if dossier.archive_code and dossier.retention != retention:
            raise RetentionError(
                _(
                    "The dossier is filed as %(code)s; its class is part of the archive "
                    "code. Appraise its records instead.",
                )
                % {"code": dossier.archive_code},
            )
        dossier.retention = retention
        dossier.retention_override_reason = reason.strip()
        dossier.retention_override_by = user
        dossier.save(
            update_fields=[
                "retention",
                "retention_override_reason",
                "retention_override_by",
            ],
        )
        recompute(records.dossier_documents(dossier).values_list("pk", flat=True))
    return dossier
