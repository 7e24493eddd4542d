"""Words every printed sheet shares, in the language active when it is made."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def blank_date() -> str:
    """A date left to write in by hand."""
    # Translators: a blank date on a printed form, filled in by hand (Chinese: 年 月 日).
    return _("____-__-__")


def page_label(page: int) -> str:
    """The page number at the foot of a printed page."""
    return _("page %(page)s") % {"page": page}


def printed_on() -> str:
    """The day a sheet is printed, under its last line (ISO, in every language)."""
    return _("printed %(date)s") % {"date": timezone.localdate().isoformat()}


def person(user: User | None) -> str:
    """A person as the desk knows them: full name and user name ('' for nobody)."""
    if user is None:
        return ""
    full = user.get_full_name().strip()
    if not full:
        return user.get_username()
    return _("%(name)s (%(username)s)") % {
        "name": full,
        "username": user.get_username(),
    }
