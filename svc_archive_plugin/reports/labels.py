"""Words every printed sheet shares, in the language active when it is made."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.services.people import name_of

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
    """A person by name, as people know them ('' for nobody)."""
    return name_of(user)
