"""Working days: weekends, public holidays and make-up working days (调休).

Deadlines in the policy count working days, e.g. filing within ``FILING_DAYS`` working days
after a project's end. ``WorkingDayCalendar`` is the arithmetic over plain sets of dates;
``calendar_between()`` fills it from the admin-maintained ``CalendarDay`` rows (one query)
and the ``HOLIDAYS`` / ``MAKEUP_WORKDAYS`` settings.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import CalendarDay

if TYPE_CHECKING:
    from collections.abc import Iterable

ONE_DAY = datetime.timedelta(days=1)
SATURDAY = 5


class WorkingDayCalendar:
    """Which days are working days, given the exceptions to the Monday-Friday week."""

    def __init__(
        self,
        holidays: Iterable[datetime.date] = (),
        workdays: Iterable[datetime.date] = (),
    ) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < SATURDAY

    def add_working_days(self, start: datetime.date, count: int) -> datetime.date:
        """Return the ``count``-th working day after ``start`` (``start`` itself not counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        while count:
            day += ONE_DAY
            if self.is_working_day(day):
                count -= 1
        return day

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Count the working days after ``start`` up to and including ``end``."""
        if end <= start:
            return -self.working_days_between(end, start) if end < start else 0
        return sum(
            self.is_working_day(start + ONE_DAY * offset)
            for offset in range(1, (end - start).days + 1)
        )


def calendar_between(start: datetime.date, end: datetime.date) -> WorkingDayCalendar:
    """Build the calendar for ``start``..``end``; the admin's entries win over settings."""
    rows = dict(
        CalendarDay.objects.filter(date__range=(start, end)).values_list(
            "date",
            "kind",
        ),
    )
    holidays = {d for d in archive_settings.HOLIDAYS if d not in rows}
    workdays = {d for d in archive_settings.MAKEUP_WORKDAYS if d not in rows}
    holidays |= {d for d, kind in rows.items() if kind == CalendarDay.Kind.HOLIDAY}
    workdays |= {d for d, kind in rows.items() if kind == CalendarDay.Kind.WORKDAY}
    return WorkingDayCalendar(holidays, workdays)


def working_day_deadline(start: datetime.date, count: int) -> datetime.date:
    """Return the date ``count`` working days after ``start``, by the stored calendar."""
    # Generous window: even a fortnight of holidays fits; widen if it does not.
    window = count * 2 + 30
    while True:
        calendar = calendar_between(start, start + ONE_DAY * window)
        deadline = calendar.add_working_days(start, count)
        if deadline <= start + ONE_DAY * window:
            return deadline
        window *= 2


# CSV import of the yearly official list ---------------------------------------------------

KIND_WORDS = {
    "holiday": CalendarDay.Kind.HOLIDAY,
    "休": CalendarDay.Kind.HOLIDAY,
    "workday": CalendarDay.Kind.WORKDAY,
    "班": CalendarDay.Kind.WORKDAY,
}


class CalendarImportError(ValueError):
    """The file has errors; nothing was imported."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class CalendarImportResult:
    created: list[datetime.date] = field(default_factory=list)
    updated: list[datetime.date] = field(default_factory=list)
    unchanged: list[datetime.date] = field(default_factory=list)


def _parse_calendar_csv(
    text: str,
) -> tuple[list[tuple[datetime.date, str, str]], list[str]]:
    rows, errors, seen = [], [], {}
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        if (
            not record
            or not "".join(record).strip()
            or record[0].strip().startswith("#")
        ):
            continue
        if number == 1 and record[0].strip().lower() == "date":
            continue  # header
        if len(record) < 2:
            errors.append(
                _("line %(line)s: expected 'date,kind[,name]', got '%(text)s'")
                % {"line": number, "text": ",".join(record)},
            )
            continue
        raw_date, raw_kind, name = (
            record[0].strip(),
            record[1].strip(),
            ",".join(record[2:]).strip(),
        )
        try:
            day = datetime.date.fromisoformat(raw_date)
        except ValueError:
            errors.append(
                _("line %(line)s: '%(text)s' is not a date as YYYY-MM-DD")
                % {"line": number, "text": raw_date},
            )
            continue
        kind = KIND_WORDS.get(raw_kind.lower())
        if kind is None:
            errors.append(
                _(
                    "line %(line)s: kind '%(text)s' is not one of holiday, workday, 休, 班",
                )
                % {"line": number, "text": raw_kind},
            )
            continue
        if day in seen:
            errors.append(
                _("line %(line)s: %(date)s is already on line %(first)s")
                % {"line": number, "date": raw_date, "first": seen[day]},
            )
            continue
        seen[day] = number
        rows.append((day, kind, name[:64]))
    return rows, errors


def import_calendar_csv(text: str) -> CalendarImportResult:
    """Import ``date,kind[,name]`` lines; all or nothing, with every error listed.

    ``kind`` is ``holiday`` / ``休`` or ``workday`` / ``班``; the official list is taken as
    authoritative, so a date already in the calendar takes the file's kind and name.
    """
    rows, errors = _parse_calendar_csv(text)
    if errors:
        raise CalendarImportError(errors)
    result = CalendarImportResult()
    with transaction.atomic():
        existing = {
            day.date: day
            for day in CalendarDay.objects.select_for_update().filter(
                date__in=[day for day, _kind, _name in rows],
            )
        }
        for day, kind, name in rows:
            current = existing.get(day)
            if current is None:
                CalendarDay.objects.create(date=day, kind=kind, name=name)
                result.created.append(day)
            elif (current.kind, current.name) != (kind, name):
                current.kind, current.name = kind, name
                current.save(update_fields=["kind", "name"])
                result.updated.append(day)
            else:
                result.unchanged.append(day)
    return result
