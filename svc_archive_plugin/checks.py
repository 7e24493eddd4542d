"""System checks: a bad ``PAPERLESS_SVC_ARCHIVE_*`` value stops start-up with a precise message."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error
from django.core.checks import Warning
from django.core.checks import register
from django.db import DatabaseError
from django.utils import timezone

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.services.calendar import NATIONAL_YEARS
from svc_archive_plugin.services.calendar import uncovered_years_ahead


@register("svc_archive")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Report every invalid plugin setting."""
    return [
        Error(
            message,
            hint="See the Settings section of the plugin's README.",
            id="svc_archive.E001",
        )
        for message in archive_settings.errors()
    ]


@register("svc_archive")
def check_consumer_recursive(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn when the consumer ignores the folder convention's sub-folders."""
    if getattr(settings, "CONSUMER_RECURSIVE", False):
        return []
    return [
        Warning(
            "PAPERLESS_CONSUMER_RECURSIVE is off, so files in consume/<code>/ folders are "
            "never consumed and the folder convention cannot classify them.",
            hint="Set PAPERLESS_CONSUMER_RECURSIVE=true for the consumer.",
            id="svc_archive.W001",
        ),
    ]


# Not tagged as a database check, which Django runs only on ``migrate`` and paperless's
# image migrates with --skip-checks: untagged, it shows at every management command of a
# start (document_index, manage_superuser) and on ``manage.py check``. It costs one query,
# and none while the library covers both years.
@register("svc_archive")
def check_calendar_years(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn when this year or the next has neither national nor company holiday data."""
    try:
        years = uncovered_years_ahead(timezone.localdate())
    except DatabaseError:  # not migrated yet: the next start will tell
        return []
    return [
        Warning(
            f"No holiday calendar for {year}: the chinesecalendar library covers "
            f"{NATIONAL_YEARS.start}-{NATIONAL_YEARS.stop - 1} and the company calendar "
            f"has no complete list for {year}, so deadlines in {year} count public "
            "holidays as working days.",
            hint=f"Import the company's list of {year}'s days off and make-up working "
            "days with svc_archive_import_calendar --complete (or the admin's CSV "
            "import), or upgrade chinesecalendar once it has the year.",
            id="svc_archive.W002",
        )
        for year in years
    ]
