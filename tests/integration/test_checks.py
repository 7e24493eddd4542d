"""A bad setting stops paperless's start-up checks with a precise message."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import CalendarYear
from svc_archive_plugin.services.calendar import NATIONAL_YEARS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reload_settings(paperless_dirs):
    archive_settings.reload()
    yield
    archive_settings.reload()


def test_bad_value_fails_the_check_command(monkeypatch):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_LOAN_MAX_DAYS", "ten")
    archive_settings.reload()

    with pytest.raises(SystemCheckError) as excinfo:
        call_command("check")

    assert (
        "(svc_archive.E001) PAPERLESS_SVC_ARCHIVE_LOAN_MAX_DAYS must be a whole number, got 'ten'."
        in str(excinfo.value)
    )


def test_good_settings_pass(capsys):
    call_command("check")
    assert "svc_archive" not in capsys.readouterr().out


def test_warns_when_the_consumer_ignores_subfolders(settings, capsys):
    settings.CONSUMER_RECURSIVE = False
    call_command("check")
    assert "svc_archive.W001" in capsys.readouterr().err


def test_warns_of_next_year_without_a_holiday_calendar(capsys):
    first_missing = NATIONAL_YEARS.stop
    with time_machine.travel(datetime(first_missing - 1, 12, 1, 12, tzinfo=UTC)):
        call_command("check")
        err = capsys.readouterr().err
        assert "svc_archive.W002" in err
        assert f"No holiday calendar for {first_missing}" in err
        assert f"No holiday calendar for {first_missing - 1}" not in err

        CalendarYear.objects.create(year=first_missing)
        call_command("check")
        assert "svc_archive.W002" not in capsys.readouterr().err
