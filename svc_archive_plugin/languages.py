"""Django's own Chinese under paperless's language codes ``zh-cn`` and ``zh-tw``.

paperless names Chinese by region (``zh-cn``, ``zh-tw``: its web UI builds and its catalogs
in ``zh_CN``, ``zh_TW``), while Django and most apps ship their catalogs by script
(``zh_Hans``, ``zh_Hant``). gettext finds no ``zh_CN`` catalog in Django's directories, so
the admin's own chrome, widgets and messages stayed English under paperless's codes.

``install()`` teaches Django's translation lookup that a directory without a catalog for
the region has one for its script: each locale directory gives its ``zh_CN`` catalog if it
has one, else its ``zh_Hans`` one. The active language stays ``zh-cn`` (paperless picks its
web UI build by it), the catalogs keep Django's order of precedence, nothing is copied,
and the admin's JavaScript catalog (calendar, "0 of 2 selected") is found the same way.

The plugin's format module (``svc_archive_plugin.formats.zh``) gives every Chinese code
dates as YYYY-MM-DD.
"""

from __future__ import annotations

import functools
import gettext as gettext_module

from django.conf import settings
from django.utils.translation import to_locale
from django.utils.translation import trans_real

# A region's locale -> the script whose catalogs Django and its apps ship.
SCRIPTS = {
    "zh_CN": "zh_Hans",
    "zh_SG": "zh_Hans",
    "zh_TW": "zh_Hant",
    "zh_HK": "zh_Hant",
    "zh_MO": "zh_Hant",
}

FORMAT_MODULE = "svc_archive_plugin.formats"


def _by_script(new_gnu_trans):
    @functools.wraps(new_gnu_trans)
    def wrapped(self, localedir, use_null_fallback=True):  # noqa: FBT002 (Django's signature)
        found = new_gnu_trans(self, localedir, use_null_fallback)
        script = SCRIPTS.get(to_locale(self.language()))
        if script is None or isinstance(found, gettext_module.GNUTranslations):
            return found
        return gettext_module.translation(
            domain=self.domain,
            localedir=localedir,
            languages=[script],
            fallback=use_null_fallback,
        )

    wrapped.svc_archive_by_script = True
    return wrapped


def install() -> None:
    """Let ``zh-cn``/``zh-tw`` read the ``zh_Hans``/``zh_Hant`` catalogs; add the formats."""
    translation = trans_real.DjangoTranslation
    if not getattr(translation._new_gnu_trans, "svc_archive_by_script", False):
        translation._new_gnu_trans = _by_script(translation._new_gnu_trans)
    paths = settings.FORMAT_MODULE_PATH or []
    if isinstance(paths, str):
        paths = [paths]
    if FORMAT_MODULE not in paths:
        # After the operator's own: theirs win.
        settings.FORMAT_MODULE_PATH = [*paths, FORMAT_MODULE]
