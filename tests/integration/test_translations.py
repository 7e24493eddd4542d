"""The plugin speaks the archive manager's language: zh-Hans and zh-Hant next to English."""

from __future__ import annotations

import gettext
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from tests.factories import UserFactory

LOCALE = Path(__file__).resolve().parents[2] / "svc_archive_plugin" / "locale"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-cn", "服务档案"),
        ("zh-hans", "服务档案"),
        ("zh-tw", "服務檔案"),
        ("zh-hant", "服務檔案"),
        ("en-us", "Service archive"),
    ],
)
def test_app_name_in_paperless_languages(language, expected):
    with translation.override(language):
        assert translation.gettext("Service archive") == expected


@pytest.mark.django_db
def test_admin_in_simplified_chinese(client):
    client.force_login(UserFactory(username="root", superuser=True))

    page = client.get(
        "/admin/svc_archive_plugin/capturereport/",
        HTTP_ACCEPT_LANGUAGE="zh-cn",
    ).content.decode()

    assert "采集异常" in page
    assert "无法按文件夹或扫描分隔页分类的扫描件" in page
    assert "待处理文件夹" in page  # where failed scans wait


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant"])
def test_every_message_is_translated_and_compiled(language):
    po = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]
    untranslated = [
        e for e in entries if 'msgstr ""' in e and '\n"' not in e.split('msgstr ""')[1]
    ]
    assert untranslated == []
    # The compiled catalog holds every entry (plus the header): compilemessages was run.
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    assert len({k for k in compiled if k}) == len(entries)


def untranslated(po_text: str) -> list[str]:
    """Return the entries of a .po file that have no translation or a fuzzy one."""
    entries = po_text.split("\n\n")[1:]
    return [
        e
        for e in entries
        if "#, fuzzy" in e
        or ('msgstr ""' in e and '\n"' not in e.split('msgstr ""')[1])
    ]


def test_no_user_facing_string_is_left_untranslated(tmp_path, monkeypatch):
    # Extract the messages afresh from a copy of the package, as `make messages` would.
    copy = tmp_path / "svc_archive_plugin"
    shutil.copytree(LOCALE.parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(copy)

    call_command(
        "makemessages",
        locale=["zh_Hans", "zh_Hant"],
        no_obsolete=True,
        verbosity=0,
    )

    for language in ("zh_Hans", "zh_Hant"):
        po = (copy / "locale" / language / "LC_MESSAGES" / "django.po").read_text(
            encoding="utf-8",
        )
        assert untranslated(po) == [], f"run `make messages` and translate ({language})"
