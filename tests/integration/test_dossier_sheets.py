"""A dossier's printed cover 案卷封面 and note sheet 备考表, from the dossier's admin page.

Printed in the reader's language; read here in Simplified and Traditional Chinese.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from svc_archive_plugin.services import filing
from tests.factories import UserFactory
from tests.factories import add_document
from tests.factories import mark
from tests.integration.test_register_pdf import poppler

pytestmark = pytest.mark.django_db


def named(user, family: str, given: str):
    user.last_name, user.first_name = family, given
    user.save()
    return user


@pytest.fixture
def filed(dossier, people):
    """A repair dossier of two dated documents (8 pages), filed though incomplete."""
    named(people["clerk"], "李", "小红")
    named(people["manager"], "张", "建国")
    first = add_document(
        dossier,
        "KH",
        created=datetime.date(2026, 3, 1),
        page_count=3,
    )
    add_document(dossier, "HT", created=datetime.date(2026, 8, 15), page_count=5)
    mark(first, "confidential")
    filing.accept_incomplete(dossier, people["manager"], "施工单据由客户保管")
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    filing.file_dossier(dossier, people["manager"])
    dossier.refresh_from_db()
    return dossier


def sheet(client, dossier, name: str, tmp_path, language: str = "zh-CN") -> str:
    client.force_login(UserFactory(username="root", superuser=True))
    response = client.get(
        f"/admin/svc_archive_plugin/dossier/{dossier.pk}/{name}.pdf",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return poppler("pdftotext", response.content, tmp_path)


def test_the_cover_carries_code_retention_dates_and_counts(client, filed, tmp_path):
    text = sheet(client, filed, "cover", tmp_path)

    flat = text.replace("\n", "").replace(" ", "")
    for expected in (
        "案卷封面",
        "全宗号",
        "档号",
        filed.archive_code,
        "立卷单位",
        "工程部",
        "案卷题名",
        "北京某科技有限公司",
        "机房维修",
        "起止日期",
        "2026-03-01至2026-08-15",
        "保管期限",
        "定期30年",
        "密级",
        "机密",
        "共2件，8页",
    ):
        assert expected in flat, expected


def test_the_note_sheet_tells_who_compiled_and_checked(client, filed, tmp_path):
    text = sheet(client, filed, "note", tmp_path)

    flat = text.replace("\n", "").replace(" ", "")
    today = timezone.localdate().isoformat()
    for expected in (
        "备考表",
        filed.archive_code,
        "本卷情况说明",
        "共2件，8页",
        "施工单据由客户保管",
        "立卷人：",
        "李小红",
        "检查人：",
        "张建国",
        "立卷时间：",
        today,
    ):
        assert expected in flat, expected
    assert "clerk" not in text


def test_the_sheets_in_traditional_chinese(client, filed, tmp_path):
    text = sheet(client, filed, "cover", tmp_path, "zh-TW").replace(" ", "")
    assert "案卷封面" in text
    assert "檔號" in text
    assert "保管期限" in text


def test_an_unfiled_dossier_says_so(client, dossier, tmp_path):
    text = sheet(client, dossier, "note", tmp_path).replace(" ", "")
    assert "尚未归档" in text
    assert "(not yet filed)" not in text


def test_the_dossier_page_links_to_its_sheets(client, filed):
    client.force_login(UserFactory(username="root", superuser=True))
    page = client.get(
        f"/admin/svc_archive_plugin/dossier/{filed.pk}/change/",
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    ).content.decode()
    assert f"/admin/svc_archive_plugin/dossier/{filed.pk}/cover.pdf" in page
    assert f"/admin/svc_archive_plugin/dossier/{filed.pk}/note.pdf" in page
