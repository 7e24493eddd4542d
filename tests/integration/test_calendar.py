"""The stored calendar: deadlines from admin data and settings, CSV import in three doors."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError
from django.core.management import call_command

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import CalendarDay
from svc_archive_plugin.services.calendar import CalendarImportError
from svc_archive_plugin.services.calendar import import_calendar_csv
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
