"""Collection and filing deadlines in working days, and the queue of dossiers due."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.services.calendar import ONE_DAY
from svc_archive_plugin.services.calendar import calendar_between
from svc_archive_plugin.services.calendar import working_day_deadline

if TYPE_CHECKING:
    import datetime
    from collections.abc import Callable

    from django.db.models import QuerySet

    from svc_archive_plugin.models import ServiceProject

# The filing deadline is the business department's, for the transfer: once the archive
# department has received a dossier, filing it is no longer late on the department's side.
NOT_TRANSFERRED = [
    s
    for s in Dossier.State.values
    if s not in (Dossier.State.RECEIVED, Dossier.State.FILED)
]
# Records count as collected once the department submits the dossier; every later state,
# a return for correction included, comes after a submission.
NOT_COLLECTED = [Dossier.State.COLLECTING]


def filing_days(*, major: bool) -> int:
    return archive_settings.MAJOR_FILING_DAYS if major else archive_settings.FILING_DAYS


def collection_days(*, major: bool) -> int:
    return (
        archive_settings.MAJOR_COLLECTION_DAYS
        if major
        else archive_settings.COLLECTION_DAYS
    )


def collection_deadline(project: ServiceProject) -> datetime.date | None:
    if project.end_date is None:
        return None
    return working_day_deadline(
        project.end_date,
        collection_days(major=project.is_major),
    )


def filing_deadline(project: ServiceProject) -> datetime.date | None:
    if project.end_date is None:
        return None
    return working_day_deadline(project.end_date, filing_days(major=project.is_major))


def _latest_end_date_due_by(day: datetime.date, days: int) -> datetime.date:
    """The latest project end date whose deadline (``days`` working days on) is ``<= day``."""
    window = days * 2 + 31
    calendar = calendar_between(day - ONE_DAY * (window * 2), day + ONE_DAY)
    end = day
    while calendar.add_working_days(end, days) > day:
        end -= ONE_DAY
    return end


def overdue(today: datetime.date | None = None) -> QuerySet:
    """Dossiers not yet received whose filing deadline has passed (constant queries)."""
    today = today or timezone.localdate()
    return _due_by(today - ONE_DAY, filing_days, NOT_TRANSFERRED)


def due_soon(today: datetime.date | None = None) -> QuerySet:
    """Dossiers not yet received whose filing deadline falls within
    ``FILING_DUE_SOON_DAYS`` working days."""
    today = today or timezone.localdate()
    horizon = working_day_deadline(today, archive_settings.FILING_DUE_SOON_DAYS)
    return _due_by(horizon, filing_days, NOT_TRANSFERRED).exclude(
        pk__in=overdue(today).values("pk"),
    )


def collection_overdue(today: datetime.date | None = None) -> QuerySet:
    """Dossiers not yet submitted whose collection deadline has passed."""
    today = today or timezone.localdate()
    return _due_by(today - ONE_DAY, collection_days, NOT_COLLECTED)


def collection_due_soon(today: datetime.date | None = None) -> QuerySet:
    """Dossiers not yet submitted whose collection deadline falls within
    ``COLLECTION_DUE_SOON_DAYS`` working days."""
    today = today or timezone.localdate()
    horizon = working_day_deadline(today, archive_settings.COLLECTION_DUE_SOON_DAYS)
    return _due_by(horizon, collection_days, NOT_COLLECTED).exclude(
        pk__in=collection_overdue(today).values("pk"),
    )


def collection_due(today: datetime.date | None = None) -> QuerySet:
    """Dossiers not yet submitted whose collection deadline is near or past."""
    today = today or timezone.localdate()
    horizon = working_day_deadline(today, archive_settings.COLLECTION_DUE_SOON_DAYS)
    return _due_by(horizon, collection_days, NOT_COLLECTED)


def _due_by(
    day: datetime.date,
    days: Callable[..., int],
    states: list[str],
) -> QuerySet:
    """Dossiers in ``states`` whose deadline (``days`` working days) is on or before ``day``."""
    from django.db.models import Q

    ordinary = _latest_end_date_due_by(day, days(major=False))
    major = _latest_end_date_due_by(day, days(major=True))
    return Dossier.objects.filter(state__in=states).filter(
        Q(project__is_major=False, project__end_date__lte=ordinary)
        | Q(project__is_major=True, project__end_date__lte=major),
    )
