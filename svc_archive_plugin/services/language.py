"""The language a person reads: the one they chose in paperless's settings, else the site's.

paperless keeps a user's UI language in ``UiSettings.settings["language"]`` as its web UI
codes (``zh-cn``, ``zh-tw``, ``en-us``, …; empty or absent: the browser's). Mails and
anything else made outside a request are written in that language.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils import translation

if TYPE_CHECKING:
    from collections.abc import Iterable
    from contextlib import AbstractContextManager

    from django.contrib.auth.models import User
    from django.db.models import QuerySet

# paperless's UI codes (and other spellings of the same) -> the Django codes whose catalogs
# the plugin and Django ship: zh_Hans, zh_Hant.
CHINESE = {
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-hans": "zh-hans",
    "zh-tw": "zh-hant",
    "zh-hk": "zh-hant",
    "zh-mo": "zh-hant",
    "zh-hant": "zh-hant",
}


def django_language(code: str | None) -> str:
    """The Django language code for a paperless UI code; the site's language for none."""
    code = (code or "").strip().lower().replace("_", "-")
    if not code:
        return settings.LANGUAGE_CODE
    if code in CHINESE:
        return CHINESE[code]
    if code in dict(settings.LANGUAGES) or translation.check_for_language(code):
        return code
    return settings.LANGUAGE_CODE


def date_in_text(day: datetime.date | datetime.datetime | None) -> str:
    """A date inside a sentence: 2026年12月2日 in Chinese, 2026-12-02 otherwise (tables,
    fields and sheets show YYYY-MM-DD through the formats)."""
    if day is None:
        return ""
    if isinstance(day, datetime.datetime):
        day = timezone.localdate(day) if timezone.is_aware(day) else day.date()
    if django_language(translation.get_language()) in {"zh-hans", "zh-hant"}:
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def language_of(user: User | None) -> str:
    """The Django language code of the language ``user`` chose in paperless's settings."""
    # No UiSettings row: the reverse accessor raises an AttributeError subclass.
    ui = getattr(user, "ui_settings", None) if user is not None else None
    chosen = (ui.settings or {}).get("language") if ui is not None else None
    return django_language(chosen if isinstance(chosen, str) else None)


def in_language_of(user: User | None) -> AbstractContextManager:
    """``with in_language_of(user):`` gettext answers in ``user``'s language."""
    return translation.override(language_of(user))


def with_languages(users: QuerySet) -> QuerySet:
    """``users`` with their paperless settings joined in: ``language_of`` costs no query."""
    return users.select_related("ui_settings")


def by_language(users: Iterable[User]) -> dict[str, list[User]]:
    """The users grouped by their language, in the order first met (load them ``with_languages``)."""
    groups: dict[str, list[User]] = {}
    for user in users:
        groups.setdefault(language_of(user), []).append(user)
    return groups
