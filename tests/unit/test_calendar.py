"""Working-day arithmetic across weekends, a holiday week and a make-up working day."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

import pytest

from svc_archive_plugin.services.calendar import WorkingDayCalendar

# An example National Day week: Thursday 1 to Wednesday 7 October off, Saturday 10 worked.
GOLDEN_WEEK = WorkingDayCalendar(
    holidays=[date(2026, 10, 1) + timedelta(days=i) for i in range(7)],
    workdays=[date(2026, 10, 10)],
)
PROJECT_END = date(2026, 9, 30)  # a Wednesday


def test_plain_week_skips_weekends():
    assert WorkingDayCalendar().add_working_days(PROJECT_END, 10) == date(2026, 10, 14)


def test_collection_deadline_across_the_holiday_and_the_make_up_day():
    # 8 Thu, 9 Fri, 10 Sat (make-up), 12-16, 19, 20.
    assert GOLDEN_WEEK.add_working_days(PROJECT_END, 10) == date(2026, 10, 20)


def test_filing_deadline_across_the_holiday_and_the_make_up_day():
    assert GOLDEN_WEEK.add_working_days(PROJECT_END, 20) == date(2026, 11, 3)


def test_make_up_saturday_is_a_working_day_and_holiday_weekday_is_not():
    assert GOLDEN_WEEK.is_working_day(date(2026, 10, 10))
    assert not GOLDEN_WEEK.is_working_day(date(2026, 10, 5))
    assert not GOLDEN_WEEK.is_working_day(date(2026, 10, 11))


def test_working_days_between_counts_after_start_up_to_end():
    assert GOLDEN_WEEK.working_days_between(PROJECT_END, date(2026, 10, 20)) == 10
    assert GOLDEN_WEEK.working_days_between(date(2026, 10, 20), PROJECT_END) == -10
    assert GOLDEN_WEEK.working_days_between(PROJECT_END, PROJECT_END) == 0


def test_zero_days_is_the_start_and_negative_is_refused():
    assert GOLDEN_WEEK.add_working_days(PROJECT_END, 0) == PROJECT_END
    with pytest.raises(ValueError, match="must not be negative"):
        GOLDEN_WEEK.add_working_days(PROJECT_END, -1)
