"""Every reader in their language: sheets in the request's, mails in the recipient's.

The request's language is paperless's: its language cookie (set by its web UI from the
user's settings), else the browser's Accept-Language. A mail is written in the language
the recipient chose in paperless's settings, else in ``LANGUAGE_CODE``.
"""

from __future__ import annotations

import datetime
import subprocess

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils import translation
from documents.models import UiSettings

from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import LoanEvent
from svc_archive_plugin.reports.loan_slip import loan_slip_pdf
from svc_archive_plugin.services import loans
from svc_archive_plugin.services.language import language_of
from svc_archive_plugin.services.reminders import remind_overdue_filings
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/svc_archive/"


def ui_language(user, code):
    """What paperless's web UI stores when the user picks a language in its settings."""
    UiSettings.objects.update_or_create(
        user=user,
        defaults={"settings": {"language": code}},
    )
    return user


def text_of(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def requested_loan(people, dossier) -> Loan:
    return Loan.objects.create(
        number="JY-2026-00001",
        borrower=people["clerk"],
        department=people["engineering"],
        dossier=dossier,
        reason="核对合同",
        days=5,
    )


# The language of a person -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ("zh-cn", "zh-hans"),  # paperless's UI codes
        ("zh-tw", "zh-hant"),
        ("en-us", "en-us"),
        ("zh-CN", "zh-hans"),  # other spellings of the same
        ("zh_TW", "zh-hant"),
        ("zh-Hant", "zh-hant"),
        ("", "zh-hans"),  # "use the browser's language": nothing to go by, the site's
        ("xx-yy", "zh-hans"),  # not a language paperless knows
    ],
)
def test_a_persons_language_is_the_one_chosen_in_paperless(settings, chosen, expected):
    settings.LANGUAGE_CODE = "zh-hans"
    user = ui_language(UserFactory(username="reader"), chosen)
    assert language_of(user) == expected


def test_without_paperless_settings_the_sites_language(settings):
    settings.LANGUAGE_CODE = "zh-hant"
    never_signed_in = UserFactory(username="new")
    blank = UserFactory(username="blank")
    UiSettings.objects.create(user=blank, settings=None)

    assert language_of(never_signed_in) == "zh-hant"
    assert language_of(blank) == "zh-hant"
    assert language_of(None) == "zh-hant"


# Printed sheets: the language of the request ---------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected", "foreign"),
    [
        (
            "zh-hans",
            [
                "服务档案借阅单",
                "借阅单号",
                "借阅人签字",
                "经办人（借阅台）",
                "档案管理部门负责人",
                "纸质原件",
                "完好",
                "验收人",
                "第 1 页",
            ],
            ["Service archive loan slip", "服務檔案借閱單", "Borrower"],
        ),
        (
            "zh-hant",
            [
                "服務檔案借閱單",
                "借閱單號",
                "借閱人簽字",
                "經辦人（借閱臺）",
                "檔案管理部門負責人",
                "紙質原件",
                "完好",
                "驗收人",
                "第 1 頁",
            ],
            ["Service archive loan slip", "服务档案借阅单", "Borrower"],
        ),
        (
            "en",
            [
                "Service archive loan slip",
                "Loan No.",
                "Borrower's signature",
                "Desk officer",
                "Archive department head",
                "Paper original",
                "Intact",
                "Inspected by",
                "page 1",
            ],
            ["借阅", "借閱", "年"],
        ),
    ],
)
def test_the_loan_slip_in_each_language(
    people,
    dossier,
    tmp_path,
    language,
    expected,
    foreign,
):
    loan = requested_loan(people, dossier)

    with translation.override(language):
        text = text_of(loan_slip_pdf(loan), tmp_path)

    # pdftotext drops the spaces it finds between Chinese characters and numbers.
    squashed = text.replace(" ", "")
    for label in expected:
        assert label.replace(" ", "") in squashed, label
    for label in foreign:
        assert label not in text, label
    # The particulars are printed as they are, in any language; dates stay ISO.
    for value in ("JY-2026-00001", "核对合同", "P2026-07", "机房维修", "工程部"):
        assert value in text, value
    assert timezone.localdate().isoformat() in text


def test_the_api_prints_the_slip_in_the_readers_language(
    api_client,
    people,
    dossier,
    settings,
    tmp_path,
):
    loan = requested_loan(people, dossier)
    api_client.force_authenticate(people["clerk"])
    url = f"{API}loans/{loan.pk}/slip/"

    browser = api_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.9")
    assert "服務檔案借閱單" in text_of(browser.content, tmp_path)

    # paperless's own language cookie, set by its UI, wins over the browser's.
    api_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-cn"
    chosen = api_client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "服务档案借阅单" in text_of(chosen.content, tmp_path)

    del api_client.cookies[settings.LANGUAGE_COOKIE_NAME]
    default = api_client.get(url)
    assert "Service archive loan slip" in text_of(default.content, tmp_path)


def test_the_admin_follows_paperless_language_cookie(client, settings):
    client.force_login(UserFactory(username="root", superuser=True))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-tw"

    page = client.get(
        "/admin/svc_archive_plugin/capturereport/",
        HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
    ).content.decode()

    assert "採集異常" in page
    assert "Capture reports" not in page


# Mails: the language of each recipient -------------------------------------------------------


def overdue_loan(people, dossier, days_late=3) -> Loan:
    return Loan.objects.create(
        number="JY-2026-00007",
        borrower=people["clerk"],
        department=people["engineering"],
        dossier=dossier,
        reason="核对合同",
        days=5,
        state=Loan.State.ISSUED,
        issued_at=timezone.now(),
        due=timezone.localdate() - datetime.timedelta(days=days_late),
    )


def test_a_loan_reminder_reaches_each_reader_in_their_language(
    people,
    dossier,
    settings,
):
    settings.EMAIL_ENABLED = True
    settings.SVC_ARCHIVE_LOAN_REMINDER_GRACE_DAYS = 0
    clerk = people["clerk"]
    clerk.email = "clerk@example.com"
    clerk.save()
    ui_language(clerk, "zh-tw")
    ui_language(people["head"], "en-us")
    loan = overdue_loan(people, dossier)

    assert loans.remind_overdue() == 2

    by_reader = {m.to[0]: m for m in mail.outbox}
    borrower, head = by_reader["clerk@example.com"], by_reader["head@example.com"]
    assert borrower.cc == []
    assert "借閱催還" in borrower.subject
    assert "JY-2026-00007" in borrower.subject
    assert "請盡快歸還" in borrower.body
    assert head.cc == []
    assert head.subject.startswith("Loan overdue: JY-2026-00007")
    assert "working day(s) overdue" in head.body
    # Once a day, however many languages it went out in.
    assert loans.remind_overdue() == 0
    [event] = loan.events.filter(action=LoanEvent.Action.REMIND)
    assert event.note == "clerk@example.com, head@example.com"


def test_readers_of_one_language_share_one_mail(people, dossier, settings):
    settings.EMAIL_ENABLED = True
    settings.SVC_ARCHIVE_LOAN_REMINDER_GRACE_DAYS = 0
    clerk = people["clerk"]
    clerk.email = "clerk@example.com"
    clerk.save()
    ui_language(clerk, "zh-cn")
    ui_language(people["head"], "zh-CN")
    overdue_loan(people, dossier)

    assert loans.remind_overdue() == 1

    [message] = mail.outbox
    assert (message.to, message.cc) == (["clerk@example.com"], ["head@example.com"])
    assert "借阅催还" in message.subject


def test_without_a_chosen_language_a_mail_is_in_the_sites(people, dossier, settings):
    settings.EMAIL_ENABLED = True
    settings.LANGUAGE_CODE = "zh-hans"
    clerk = people["clerk"]
    clerk.email = "clerk@example.com"
    clerk.save()
    overdue_loan(people, dossier, days_late=1)

    loans.remind_overdue()

    [message] = mail.outbox
    assert "借阅催还" in message.subject
    assert "已逾期" in message.body


def a_head_of_engineering(people, name, language):
    head = UserFactory(username=name, email=f"{name}@example.com")
    head.groups.add(people["engineering"], Group.objects.get(name="部门负责人"))
    return ui_language(head, language)


def test_the_filing_reminder_reaches_each_head_in_their_language(
    people,
    dossier,
    settings,
):
    settings.EMAIL_ENABLED = True
    ui_language(people["head"], "zh-tw")
    a_head_of_engineering(people, "head_en", "en-us")

    assert remind_overdue_filings() == 2

    by_reader = {m.to[0]: m for m in mail.outbox}
    traditional, english = (
        by_reader["head@example.com"],
        by_reader["head_en@example.com"],
    )
    assert traditional.subject == "檔案歸檔逾期提醒：1 個案卷"
    assert "已超過歸檔期限" in traditional.body
    assert "P2026-07 机房维修" in traditional.body
    assert english.subject == "Overdue filings: 1"
    assert "past their filing deadline" in english.body
    assert "P2026-07 机房维修" in english.body


def test_more_readers_in_more_languages_cost_no_more_queries(people, dossier, settings):
    settings.EMAIL_ENABLED = True
    settings.SVC_ARCHIVE_LOAN_REMINDER_GRACE_DAYS = 0
    clerk = people["clerk"]
    clerk.email = "clerk@example.com"
    clerk.save()
    ui_language(clerk, "zh-tw")
    ui_language(people["head"], "zh-cn")

    def queries(remind) -> int:
        mail.outbox.clear()
        Loan.objects.update(last_reminded_on=None)
        cache.clear()  # the filing reminders' claims of the day
        with CaptureQueriesContext(connection) as context:
            remind()
        return len(context.captured_queries)

    overdue_loan(people, dossier)
    one = queries(loans.remind_overdue), queries(remind_overdue_filings)
    for n, language in enumerate(("en-us", "zh-tw", "de-de")):
        a_head_of_engineering(people, f"head{n}", language)
    more = queries(loans.remind_overdue), queries(remind_overdue_filings)

    assert len(mail.outbox) > 2
    assert more == one
