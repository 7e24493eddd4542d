"""Every admin screen of the plugin reads in Chinese under paperless's codes zh-cn and zh-tw.

The admin index, the login page, every plugin list, add, change, history and delete page and
every page the plugin adds (step pages, imports, statistics, …) is rendered as paperless's
language cookie (zh-cn, zh-tw) or the browser (Accept-Language) asks, its visible text taken
(scripts and styles left out; titles, placeholders and button values in) and every English
word in it reported. Codes and proper names are the only Latin words a manager should see.
"""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib import admin
from django.urls import URLPattern
from django.urls import reverse
from django.utils import translation

from svc_archive_plugin.models import CalendarDay
from svc_archive_plugin.services.protection import reasons
from tests.backup_fixture import build_archive

pytestmark = pytest.mark.django_db

# Latin words a Chinese screen may show: formats, products and the fixture's proper names.
ALLOWED = {
    "PDF",
    "CSV",
    "API",
    "QR",
    "URL",
    "SHA",
    "ID",
    "paperless",
    "Paperless",
    "ngx",
    "Django",
    "chinesecalendar",  # the holiday library, by its package name
    "YYYY",  # a date's format, as typed
}
# The fixture's own data: the door it names in refusals ("backup fixture").
FIXTURE_DATA = {"backup", "fixture"}
# The fixture's people by user name. They have full names, so a screen showing these shows
# an id instead of a name: issue 15's "names, not ids" (another part) removes them.
USER_NAMES = {"clerk", "head", "manager", "desk", "leader"}


class _VisibleText(HTMLParser):
    """The text a person sees on a page, with the titles, placeholders and button labels.

    Left out: scripts and styles, text only screen readers get (``visually-hidden``), and
    paperless's and other apps' own models (the sidebar, the index's other sections): those
    are named by paperless's catalogs, which its image compiles and this harness does not.
    """

    # <code>: literal codes (CSV columns, file contents), not wording.
    HIDDEN = {"script", "style", "template", "noscript", "code"}
    # Not alt: Django's own icons carry untranslated alt texts ("True", "Search").
    ATTRIBUTES = {"title", "placeholder", "aria-label"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: str | None = None  # the tag whose subtree is left out
        self._depth = 0

    def _left_out(self, tag: str, attrs: dict) -> bool:
        classes = (attrs.get("class") or "").split()
        return (
            tag in self.HIDDEN
            or "visually-hidden" in classes
            or attrs.get("id") == "nav-sidebar"
            or any(
                c.startswith("app-") and c != "app-svc_archive_plugin" for c in classes
            )
        )

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._skipping:
            self._depth += tag == self._skipping
            return
        if self._left_out(tag, attrs):
            self._skipping, self._depth = tag, 1
            return
        if attrs.get("type") == "hidden":
            return
        for name in self.ATTRIBUTES:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in {"submit", "button", "reset"}:
            self.parts.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if self._skipping and tag == self._skipping:
            self._depth -= 1
            if not self._depth:
                self._skipping = None

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def english_words(text: str) -> set[str]:
    """Latin words of two letters or more; codes (upper case up to 3 letters, or with digits),
    file names, addresses and allowed names left out."""
    words = set()
    for token in re.findall(r"[\w.@/:-]+", text, flags=re.ASCII):
        if re.search(r"[@/]|\.\w{2,4}$|^https?:", token):
            continue  # an address, a path or a file name: data, not wording
        for word in re.findall(r"[A-Za-z]+", token):
            if len(word) < 2 or word in ALLOWED | FIXTURE_DATA | USER_NAMES:
                continue
            if re.fullmatch(r"[0-9a-f]{16,}", token):
                continue  # a checksum
            if len(word) >= 12 and re.search(r"[a-z][A-Z]", word):
                continue  # a generated id (a select option's)
            if re.search(r"\d", token) or (word.isupper() and len(word) <= 3):
                continue  # a code: P2026-07, A01, FP
            words.add(word)
    return words


def plugin_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "svc_archive_plugin"
    ]


def pages(archive) -> list[str]:
    """Every plugin admin page that shows something for a GET, with an object where needed."""
    urls = ["/admin/", "/admin/svc_archive_plugin/"]
    for model, model_admin in plugin_admins():
        opts = model._meta
        info = f"{opts.app_label}_{opts.model_name}"
        urls.append(reverse(f"admin:{info}_changelist"))
        if model_admin.has_add_permission(archive["request_object"]):
            urls.append(reverse(f"admin:{info}_add"))
        if not opts.managed:
            continue  # a page without a table (statistics)
        obj = model_admin.get_queryset(archive["request_object"]).order_by("pk").first()
        if obj is None:
            continue
        urls.append(reverse(f"admin:{info}_change", args=[obj.pk]))
        urls.append(reverse(f"admin:{info}_history", args=[obj.pk]))
        if model_admin.has_delete_permission(archive["request_object"], obj):
            urls.append(reverse(f"admin:{info}_delete", args=[obj.pk]))
        standard = {
            str(p.pattern) for p in admin.ModelAdmin(model, admin.site).get_urls()
        }
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern) or str(pattern.pattern) in standard:
                continue
            args = [obj.pk] if "<int:pk>" in str(pattern.pattern) else []
            if "<str:" in str(pattern.pattern):
                continue  # downloads by name (statistics' CSV)
            urls.append(reverse(f"admin:{pattern.name}", args=args))
    return urls


@pytest.fixture
def paperless_catalogs(settings, tmp_path):
    """paperless's own Chinese catalogs compiled, as its image does (its source has .po only)."""
    target = tmp_path / "locale"
    for source in Path(settings.LOCALE_PATHS[0]).glob("zh_*/LC_MESSAGES/django.po"):
        compiled = target / source.parent.relative_to(source.parents[2]) / "django.mo"
        compiled.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["msgfmt", "-o", compiled, source], check=True)
    settings.LOCALE_PATHS = [target]


@pytest.fixture
def archive(paperless_dirs, paperless_catalogs, rf):
    # Built by Chinese-speaking staff: what they wrote is stored in their language.
    with translation.override("zh-hans"):
        built = build_archive()
    # People have names; screens show those, not user names.
    for n, user in enumerate(built["people"].values()):
        user.last_name, user.first_name = "王李张刘陈杨赵黄周"[n], "小明"
        user.save()
    root = built["people"]["manager"]
    root.is_superuser = root.is_staff = True
    root.save()
    request = rf.get("/admin/")
    request.user = root
    built["request_object"] = request
    built["calendar_day"] = CalendarDay.objects.get().pk
    built["root"] = root
    return built


def english_on(client, url: str, **headers) -> set[str]:
    response = client.get(url, follow=True, **headers)
    assert response.status_code == 200, url
    if not response["Content-Type"].startswith("text/html"):
        return set()
    return english_words(visible_text(response.content.decode()))


@pytest.mark.parametrize(
    ("how", "code"),
    [
        ("cookie", "zh-cn"),
        ("browser", "zh-cn"),
        ("cookie", "zh-tw"),
        ("browser", "zh-tw"),
    ],
)
def test_every_admin_page_is_in_chinese(client, settings, archive, how, code):
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
        headers = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
    else:
        headers = {"HTTP_ACCEPT_LANGUAGE": f"{code},zh;q=0.9"}

    found: dict[str, set[str]] = {}
    login = english_on(client, "/admin/login/", **headers)
    if login:
        found["/admin/login/"] = login
    client.force_login(archive["root"])
    for url in pages(archive):
        words = english_on(client, url, **headers)
        if words:
            found[url] = words

    assert found == {}, "\n".join(f"{url}: {sorted(w)}" for url, w in found.items())


def test_dates_and_retention_classes_read_one_way(client, settings, archive):
    client.force_login(archive["root"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-cn"

    dossiers = client.get("/admin/svc_archive_plugin/dossier/").content.decode()
    log = client.get("/admin/svc_archive_plugin/accesslogentry/").content.decode()
    statistics = client.get("/admin/svc_archive_plugin/statistics/").content.decode()

    # Retention classes by the one name, with the configured periods (30 and 10 years).
    assert "定期30年" in dossiers
    assert "定期10年" in statistics
    assert "重要档案" not in dossiers + statistics
    # Times as YYYY-MM-DD HH:MM, never "Dec. 5, 2026, 11:39 a.m.".
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", log)
    assert "a.m." not in log
    assert "p.m." not in log
    assert (
        "保存并继续编辑"
        in client.get(
            f"/admin/svc_archive_plugin/calendarday/{archive['calendar_day']}/change/",
        ).content.decode()
    )


def test_a_date_in_a_sentence_reads_in_chinese(archive):
    held = archive["filed"][1]
    with translation.override("zh-cn"):
        why = " ".join(reasons([held.pk])[held.pk])
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", why)
    with translation.override("en-us"):
        why = " ".join(reasons([held.pk])[held.pk])
    assert re.search(r"\d{4}-\d\d-\d\d", why)
