"""Settings: defaults of SPEC §10, environment parsing and precise errors."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from svc_archive_plugin.conf import archive_settings


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch):
    for name in (
        "MAJOR_COLLECTION_DAYS",
        "MAJOR_FILING_DAYS",
        "COVER_SHEETS",
        "FILING_STAMP",
        "FILING_STAMP_CRON",
        "CJK_FONT",
        "FONDS",
        "ARCHIVE_CODE_TEMPLATE",
        "RECORDS_ACCOUNT",
        "FILING_DUE_SOON_DAYS",
        "FILING_REMINDER_CRON",
        "COLLECTION_DAYS",
        "FILING_DAYS",
        "RETENTION_IMPORTANT",
        "RETENTION_ORDINARY",
        "LOAN_MAX_DAYS",
        "HOLIDAYS",
        "MAKEUP_WORKDAYS",
    ):
        monkeypatch.delenv(f"PAPERLESS_SVC_ARCHIVE_{name}", raising=False)
    archive_settings.reload()
    yield
    archive_settings.reload()


def test_defaults_are_the_policy_defaults():
    assert archive_settings.effective() == {
        "COLLECTION_DAYS": 10,
        "FILING_DAYS": 20,
        "RETENTION_IMPORTANT": 30,
        "RETENTION_ORDINARY": 10,
        "LOAN_MAX_DAYS": 10,
        "LOAN_MAX_RENEWALS": 1,
        "LOAN_ELECTRONIC_COPIES": False,
        "LOAN_REMINDER_GRACE_DAYS": 3,
        "LOAN_REMINDER_CRON": "0 9 * * *",
        "ACCESS_PERIODS_CRON": "10 0 * * *",
        "FIXITY_CRON": "30 1 * * sun",
        "FIXITY_CHUNK": 500,
        "FIXITY_PARALLEL": 0,
        "FIXITY_STALE_AFTER": 600,
        "MAJOR_COLLECTION_DAYS": 5,
        "MAJOR_FILING_DAYS": 10,
        "COVER_SHEETS": True,
        "FILING_STAMP": True,
        "FILING_STAMP_CRON": "15 2 * * *",
        "CJK_FONT": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "HOLDING_DIR": None,
        "CAPTURE_SUMMARY_CRON": "30 7 * * *",
        "FONDS": "SVC",
        "ARCHIVE_CODE_TEMPLATE": "{fonds}-{category}·{year}-{retention}-{department}-{seq:04}",
        "RECORDS_ACCOUNT": "archive-records",
        "FILING_DUE_SOON_DAYS": 5,
        "COLLECTION_DUE_SOON_DAYS": 3,
        "COLLECTION_REMINDER_CRON": "0 8 * * *",
        "FILING_REMINDER_CRON": "0 8 * * *",
        "RETENTION_FROM_NEXT_YEAR": True,
        "RETENTION_SWEEP_CRON": "30 1 * * *",
        "DESTRUCTION_CHECKERS": 2,
        "DESTRUCTION_SUPERVISORS": 2,
        "DESTRUCTION_PAUSE_SECONDS": 0,
        "HOLIDAYS": [],
        "MAKEUP_WORKDAYS": [],
    }
    assert archive_settings.errors() == []


def test_environment_values_are_read(monkeypatch):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_LOAN_MAX_DAYS", "15")
    monkeypatch.setenv(
        "PAPERLESS_SVC_ARCHIVE_MAKEUP_WORKDAYS",
        "2026-10-11, 2026-09-28",
    )
    archive_settings.reload()
    assert archive_settings.LOAN_MAX_DAYS == 15
    assert [
        datetime.date(2026, 9, 28),
        datetime.date(2026, 10, 11),
    ] == archive_settings.MAKEUP_WORKDAYS


def test_django_setting_wins_over_environment(monkeypatch, settings):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_FILING_DAYS", "25")
    settings.SVC_ARCHIVE_FILING_DAYS = 30
    assert archive_settings.FILING_DAYS == 30


def test_a_word_for_a_number_names_the_variable(monkeypatch):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_FILING_DAYS", "twenty")
    archive_settings.reload()
    assert archive_settings.errors() == [
        "PAPERLESS_SVC_ARCHIVE_FILING_DAYS must be a whole number, got 'twenty'.",
    ]
    with pytest.raises(ImproperlyConfigured, match="PAPERLESS_SVC_ARCHIVE_FILING_DAYS"):
        _ = archive_settings.FILING_DAYS


@pytest.mark.parametrize("value", ["0", "-3"])
def test_periods_must_be_positive(monkeypatch, value):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_LOAN_MAX_DAYS", value)
    archive_settings.reload()
    assert archive_settings.errors() == [
        f"PAPERLESS_SVC_ARCHIVE_LOAN_MAX_DAYS must be a whole number of at least 1, got {value}.",
    ]


def test_bad_holiday_date_is_reported(monkeypatch):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_HOLIDAYS", "2026-10-01,2026-13-01")
    archive_settings.reload()
    [message] = archive_settings.errors()
    assert message.startswith(
        "PAPERLESS_SVC_ARCHIVE_HOLIDAYS must be comma-separated dates as YYYY-MM-DD",
    )


def test_filing_before_collection_is_refused(monkeypatch):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_COLLECTION_DAYS", "15")
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_FILING_DAYS", "5")
    archive_settings.reload()
    [message] = archive_settings.errors()
    assert (
        "FILING_DAYS (5) must not be shorter than PAPERLESS_SVC_ARCHIVE_COLLECTION_DAYS (15)"
        in message
    )


def test_important_records_must_be_kept_longer(monkeypatch):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_RETENTION_IMPORTANT", "10")
    archive_settings.reload()
    [message] = archive_settings.errors()
    assert (
        "RETENTION_IMPORTANT (10) must be longer than PAPERLESS_SVC_ARCHIVE_RETENTION_ORDINARY (10)"
        in message
    )


def test_cover_sheets_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_COVER_SHEETS", "false")
    archive_settings.reload()
    assert archive_settings.COVER_SHEETS is False


def test_a_missing_font_is_reported(monkeypatch):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_CJK_FONT", "/nonexistent/font.ttc")
    archive_settings.reload()
    assert archive_settings.errors() == [
        "PAPERLESS_SVC_ARCHIVE_CJK_FONT names no readable file: /nonexistent/font.ttc "
        "(install fonts-wqy-microhei or set the path).",
    ]


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{fonds}-{year}", "must contain {seq}"),
        (
            "{fonds}-{project}-{seq:04}",
            "may use only {fonds}, {category}, {year}, {retention}, {department}, {seq}",
        ),
    ],
)
def test_bad_archive_code_template_is_reported(monkeypatch, template, problem):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_ARCHIVE_CODE_TEMPLATE", template)
    archive_settings.reload()
    [message] = archive_settings.errors()
    assert message.startswith("PAPERLESS_SVC_ARCHIVE_ARCHIVE_CODE_TEMPLATE")
    assert problem in message


def test_reminder_cron_is_checked(monkeypatch):
    monkeypatch.setenv("PAPERLESS_SVC_ARCHIVE_FILING_REMINDER_CRON", "daily")
    archive_settings.reload()
    assert archive_settings.errors() == [
        "PAPERLESS_SVC_ARCHIVE_FILING_REMINDER_CRON must be a cron expression of 5 fields or 'disable', got 'daily'.",
    ]


def test_fewer_than_two_checkers_or_supervisors_is_refused(settings):
    settings.SVC_ARCHIVE_DESTRUCTION_SUPERVISORS = 1
    archive_settings.reload()

    assert any("DESTRUCTION_SUPERVISORS" in e for e in archive_settings.errors())


def test_the_holding_folder_may_not_be_inside_the_consumption_folder(
    monkeypatch,
    settings,
    tmp_path,
):
    settings.CONSUMPTION_DIR = tmp_path / "consume"
    monkeypatch.setenv(
        "PAPERLESS_SVC_ARCHIVE_HOLDING_DIR",
        str(tmp_path / "consume/held"),
    )
    archive_settings.reload()

    [problem] = archive_settings.errors()

    assert (
        "PAPERLESS_SVC_ARCHIVE_HOLDING_DIR must be outside the consumption" in problem
    )
