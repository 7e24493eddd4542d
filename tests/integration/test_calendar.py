"""The stored calendar: deadlines from admin data and settings, CSV import in three doors."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError
from django.core.management import call_command

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import CalendarDay
from svc_archive_plugin.models import CalendarYear
from svc_archive_plugin.services import loans
from svc_archive_plugin.services.calendar import NATIONAL_YEARS
from svc_archive_plugin.services.calendar import CalendarImportError
from svc_archive_plugin.services.calendar import import_calendar_csv
from svc_archive_plugin.services.calendar import uncovered_years
from svc_archive_plugin.services.calendar import working_day_deadline
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OFFICIAL_2026 = """date,kind,name
# National Day
2026-10-01,休,国庆节
2026-10-02,休,国庆节
2026-10-03,holiday,国庆节
2026-10-04,holiday,国庆节
2026-10-05,holiday,国庆节
2026-10-06,holiday,国庆节
2026-10-07,holiday,国庆节
2026-10-10,班,国庆节调休
"""


@pytest.fixture(autouse=True)
def _settings_reloaded():
    archive_settings.reload()
    yield
    archive_settings.reload()


def test_deadline_uses_the_imported_calendar():
    import_calendar_csv(OFFICIAL_2026)

    assert working_day_deadline(date(2026, 9, 30), 10) == date(2026, 10, 20)
    assert working_day_deadline(date(2026, 9, 30), 20) == date(2026, 11, 3)


def test_settings_add_days_the_calendar_does_not_list(settings):
    settings.SVC_ARCHIVE_HOLIDAYS = [date(2026, 10, 1), date(2026, 10, 2)]
    settings.SVC_ARCHIVE_MAKEUP_WORKDAYS = [date(2026, 10, 3)]
    CalendarDay.objects.create(date=date(2026, 10, 2), kind=CalendarDay.Kind.WORKDAY)

    # 1 Oct off (setting), 2 Oct worked (calendar wins), 3 Oct Saturday worked (setting).
    assert working_day_deadline(date(2026, 9, 30), 2) == date(2026, 10, 3)


def test_import_counts_new_changed_and_unchanged():
    CalendarDay.objects.create(
        date=date(2026, 10, 1),
        kind=CalendarDay.Kind.HOLIDAY,
        name="国庆节",
    )
    CalendarDay.objects.create(
        date=date(2026, 10, 10),
        kind=CalendarDay.Kind.HOLIDAY,
        name="wrong",
    )

    result = import_calendar_csv(OFFICIAL_2026)

    assert (len(result.created), len(result.updated), len(result.unchanged)) == (
        6,
        1,
        1,
    )
    assert (
        CalendarDay.objects.get(date=date(2026, 10, 10)).kind
        == CalendarDay.Kind.WORKDAY
    )
    assert CalendarDay.objects.count() == 8


def test_a_bad_file_imports_nothing_and_names_every_bad_line():
    text = "2026-10-01,休\n2026-13-01,休\n2026-10-03,maybe\n2026-10-01,班\n"

    with pytest.raises(CalendarImportError) as excinfo:
        import_calendar_csv(text)

    assert excinfo.value.errors == [
        "line 2: '2026-13-01' is not a date as YYYY-MM-DD",
        "line 3: kind 'maybe' is not one of holiday, workday, 休, 班",
        "line 4: 2026-10-01 is already on line 1",
    ]
    assert not CalendarDay.objects.exists()


def test_management_command(tmp_path):
    csv_file = tmp_path / "2026.csv"
    csv_file.write_text(OFFICIAL_2026, encoding="utf-8")
    out = StringIO()

    call_command("svc_archive_import_calendar", str(csv_file), stdout=out)

    assert "8 new, 0 changed, 0 unchanged." in out.getvalue()


def test_management_command_refuses_a_bad_file(tmp_path):
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("tomorrow,休\n", encoding="utf-8")

    with pytest.raises(CommandError) as excinfo:
        call_command("svc_archive_import_calendar", str(csv_file))

    assert str(excinfo.value) == (
        f"Nothing was imported from {csv_file}:\nline 1: 'tomorrow' is not a date as YYYY-MM-DD"
    )


def test_admin_import(client):
    client.force_login(UserFactory(username="root", superuser=True))
    changelist = client.get("/admin/svc_archive_plugin/calendarday/").content.decode()
    assert "/admin/svc_archive_plugin/calendarday/import/" in changelist

    response = client.post(
        "/admin/svc_archive_plugin/calendarday/import/",
        {"file": SimpleUploadedFile("2026.csv", OFFICIAL_2026.encode("utf-8-sig"))},
        follow=True,
    )

    assert "Imported: 8 new, 0 changed, 0 unchanged." in response.content.decode()
    assert CalendarDay.objects.count() == 8


def test_admin_import_shows_errors_and_keeps_the_calendar(client):
    CalendarDay.objects.create(
        date=date(2026, 1, 1),
        kind=CalendarDay.Kind.HOLIDAY,
        name="元旦",
    )
    client.force_login(UserFactory(username="root", superuser=True))

    response = client.post(
        "/admin/svc_archive_plugin/calendarday/import/",
        {"file": SimpleUploadedFile("bad.csv", b"2026-10-01,maybe\n")},
    )

    page = response.content.decode()
    assert "Nothing was imported" in page
    assert (
        "line 1: kind &#x27;maybe&#x27; is not one of holiday, workday, 休, 班" in page
    )
    assert list(CalendarDay.objects.values_list("name", flat=True)) == ["元旦"]


def test_staff_without_calendar_rights_cannot_import(client):
    client.force_login(UserFactory(username="clerk", staff=True))

    response = client.post(
        "/admin/svc_archive_plugin/calendarday/import/",
        {"file": SimpleUploadedFile("2026.csv", OFFICIAL_2026.encode())},
    )

    assert response.status_code == 403
    assert not CalendarDay.objects.exists()


# The national calendar (chinesecalendar) and the company's own days ------------------------

# 2027's 春节 as the company lists it: the library stops at 2026 (1.11.0).
COMPANY_2027_SPRING_FESTIVAL = "date,kind,name\n" + "".join(
    f"2027-02-{day:02d},休,春节\n" for day in range(6, 13)
)


def test_national_day_2026_comes_from_the_library_with_its_make_up_day():
    assert not CalendarDay.objects.exists()

    # 8 Thu, 9 Fri, 10 Sat (调休), 12 Mon, 13 Tue: 1-7 October are off.
    assert working_day_deadline(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert working_day_deadline(date(2026, 9, 30), 10) == date(2026, 10, 20)


def test_a_loan_issued_before_national_day_falls_due_after_it(people, dossier):
    loan = loans.request_loan(
        people["clerk"],
        reason="客户回访",
        days=5,
        dossier=dossier,
    )
    loans.approve(loan, people["head"])
    loans.approve(loan, people["manager"])

    desk = UserFactory(username="desk")
    desk.groups.add(Group.objects.get(name="档案管理员"))

    with time_machine.travel(datetime(2026, 9, 30, 12, tzinfo=UTC), tick=False):
        loan = loans.issue(loan, desk)

    assert loan.due == date(2026, 10, 13)


def test_a_company_day_off_overrides_the_library_make_up_day():
    import_calendar_csv("2026-10-10,休,公司调整\n")

    # 8, 9, then 12, 13, 14: the company does not work the national 调休 Saturday.
    assert working_day_deadline(date(2026, 9, 30), 5) == date(2026, 10, 14)


def test_a_company_working_day_overrides_a_library_holiday():
    import_calendar_csv("2026-10-07,班,值班\n")

    # 7 (worked), 8, 9, 10 (调休), 12.
    assert working_day_deadline(date(2026, 9, 30), 5) == date(2026, 10, 12)


def test_settings_override_the_library_and_the_admin_overrides_the_settings(settings):
    settings.SVC_ARCHIVE_MAKEUP_WORKDAYS = [date(2026, 10, 6), date(2026, 10, 7)]
    settings.SVC_ARCHIVE_HOLIDAYS = [date(2026, 10, 9)]
    CalendarDay.objects.create(date=date(2026, 10, 6), kind=CalendarDay.Kind.HOLIDAY)

    # 7 (setting), 8, 10 (library 调休), 12, 13: 6 stays off by the admin, 9 off by setting.
    assert working_day_deadline(date(2026, 9, 30), 5) == date(2026, 10, 13)


@pytest.mark.skipif(
    2027 in NATIONAL_YEARS,
    reason="chinesecalendar knows 2027 now; the work-page and check tests cover the next",
)
def test_spring_festival_2027_needs_the_company_list(tmp_path):
    assert uncovered_years([2026, 2027]) == [2027]
    # Friday 5 February: without a list, the festival week counts as working days.
    assert working_day_deadline(date(2027, 2, 5), 5) == date(2027, 2, 12)

    csv_file = tmp_path / "2027.csv"
    csv_file.write_text(COMPANY_2027_SPRING_FESTIVAL, encoding="utf-8")
    out = StringIO()
    call_command("svc_archive_import_calendar", str(csv_file), "--complete", stdout=out)

    assert "Marked complete: 2027." in out.getvalue()
    assert uncovered_years([2026, 2027]) == []
    assert working_day_deadline(date(2027, 2, 5), 5) == date(2027, 2, 19)


def test_a_partial_company_list_leaves_the_year_uncovered():
    first_missing = NATIONAL_YEARS.stop
    import_calendar_csv(f"{first_missing}-06-01,休,公司周年\n")

    assert uncovered_years([first_missing]) == [first_missing]


def test_admin_import_can_mark_the_years_complete(client):
    client.force_login(UserFactory(username="root", superuser=True))

    response = client.post(
        "/admin/svc_archive_plugin/calendarday/import/",
        {
            "file": SimpleUploadedFile(
                "2027.csv",
                COMPANY_2027_SPRING_FESTIVAL.encode(),
            ),
            "complete": "on",
        },
        follow=True,
    )

    assert "Marked complete: 2027." in response.content.decode()
    assert list(CalendarYear.objects.values_list("year", flat=True)) == [2027]


def test_work_page_warns_of_a_year_without_calendar_until_its_list_is_complete(client):
    first_missing = NATIONAL_YEARS.stop
    warning = f"No holiday calendar for {first_missing}"

    with time_machine.travel(
        datetime(first_missing - 1, 12, 1, 12, tzinfo=UTC),
        tick=False,
    ):
        client.force_login(UserFactory(username="root", superuser=True))
        assert warning in client.get("/admin/svc_archive_plugin/").content.decode()
        assert warning in client.get("/admin/").content.decode()
        CalendarYear.objects.create(year=first_missing)
        assert warning not in client.get("/admin/svc_archive_plugin/").content.decode()
        assert warning not in client.get("/admin/").content.decode()


def test_work_page_has_no_warning_inside_the_library_years(client):
    with time_machine.travel(datetime(2025, 3, 1, 12, tzinfo=UTC), tick=False):
        client.force_login(UserFactory(username="root", superuser=True))
        page = client.get("/admin/svc_archive_plugin/").content.decode()

    assert "No holiday calendar" not in page


def test_the_warning_reads_in_chinese(client):
    first_missing = NATIONAL_YEARS.stop

    with time_machine.travel(datetime(first_missing, 3, 1, 12, tzinfo=UTC), tick=False):
        client.force_login(UserFactory(username="root", superuser=True))
        hans = client.get(
            "/admin/svc_archive_plugin/",
            HTTP_ACCEPT_LANGUAGE="zh-cn",
            follow=True,
        ).content.decode()
        hant = client.get(
            "/admin/svc_archive_plugin/",
            HTTP_ACCEPT_LANGUAGE="zh-tw",
            follow=True,
        ).content.decode()

    assert f"{first_missing}年没有节假日日历" in hans
    assert f"{first_missing + 1}年没有节假日日历" in hans
    assert "导入公司的安排" in hans
    assert f"{first_missing}年沒有節假日日曆" in hant
