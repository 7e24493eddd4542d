"""Words every printed sheet shares, in the language active when it is made."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _


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
