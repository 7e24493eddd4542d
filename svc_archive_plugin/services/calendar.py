"""Working days: weekends, public holidays and make-up working days (调休).

Deadlines in the policy count working days, e.g. filing within ``FILING_DAYS`` working days
after a project's end. ``WorkingDayCalendar`` is the arithmetic over plain sets of dates;
``calendar_between()`` fills it from three layers, each overriding the one before for the
dates it names:

1. the national calendar of the ``chinesecalendar`` library (public holidays and 调休);
2. the ``HOLIDAYS`` / ``MAKEUP_WORKDAYS`` settings (the deployment's standing exceptions);
3. the company calendar kept in the admin or imported from CSV (``CalendarDay``, one query).

The library only knows the years the State Council has announced. A year is *covered* when
the library has it or the company has marked its own list of that year complete
(``CalendarYear``); ``uncovered_years()`` names the others, so the system check and the work
page can warn that deadlines there would count public holidays as working days.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

import chinese_calendar
from django.db import transaction
from django.utils.translation import gettext as _

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import CalendarDay
from svc_archive_plugin.models import CalendarYear

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


# The library's data: its dicts map a date to its holiday; is_workday() and friends
# raise NotImplementedError outside the years they cover, so the sets are read directly.
NATIONAL_HOLIDAYS = frozenset(chinese_calendar.holidays)
NATIONAL_WORKDAYS = frozenset(chinese_calendar.workdays)
NATIONAL_YEARS = range(
    min(day.year for day in NATIONAL_HOLIDAYS),
    max(day.year for day in NATIONAL_HOLIDAYS) + 1,
)


def _in(days: Iterable[datetime.date], start: datetime.date, end: datetime.date):
    return (day for day in days if start <= day <= end)


def calendar_between(start: datetime.date, end: datetime.date) -> WorkingDayCalendar:
    """Build the calendar for ``start``..``end``: library < settings < company calendar."""
    kinds = dict.fromkeys(_in(NATIONAL_HOLIDAYS, start, end), CalendarDay.Kind.HOLIDAY)
    kinds |= dict.fromkeys(_in(NATIONAL_WORKDAYS, start, end), CalendarDay.Kind.WORKDAY)
    kinds |= dict.fromkeys(
        _in(archive_settings.HOLIDAYS, start, end),
        CalendarDay.Kind.HOLIDAY,
    )
    kinds |= dict.fromkeys(
        _in(archive_settings.MAKEUP_WORKDAYS, start, end),
        CalendarDay.Kind.WORKDAY,
    )
    kinds |= dict(
        CalendarDay.objects.filter(date__range=(start, end)).values_list(
            "date",
            "kind",
        ),
    )
    return WorkingDayCalendar(
        (day for day, kind in kinds.items() if kind == CalendarDay.Kind.HOLIDAY),
        (day for day, kind in kinds.items() if kind == CalendarDay.Kind.WORKDAY),
    )


def uncovered_years(years: Iterable[int]) -> list[int]:
    """The ``years`` for which neither the library nor a complete company list has data."""
    wanted = sorted({year for year in years if year not in NATIONAL_YEARS})
    if not wanted:
        return []
    complete = set(
        CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True),
    )
    return [year for year in wanted if year not in complete]


def uncovered_years_ahead(today: datetime.date) -> list[int]:
    """Of this year and the next, where deadlines fall soon, the ones without a calendar."""
    return uncovered_years((today.year, today.year + 1))


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
    # The years now marked complete (the file was the company's full list of them).
    complete_years: list[int] = field(default_factory=list)


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


def import_calendar_csv(text: str, *, complete: bool = False) -> CalendarImportResult:
    """Import ``date,kind[,name]`` lines; all or nothing, with every error listed.

    ``kind`` is ``holiday`` / ``休`` or ``workday`` / ``班``; the official list is taken as
    authoritative, so a date already in the calendar takes the file's kind and name. With
    ``complete`` the file is the company's full list for the years of its dates: those years
    are marked complete, which silences the missing-calendar warning for them.
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
        if complete:
            for year in sorted({day.year for day, _kind, _name in rows}):
                CalendarYear.objects.get_or_create(year=year)
                result.complete_years.append(year)
    return result
