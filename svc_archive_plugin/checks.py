"""System checks: a bad ``PAPERLESS_SVC_ARCHIVE_*`` value stops start-up with a precise message."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error
from django.core.checks import Warning
from django.core.checks import register

from svc_archive_plugin.conf import archive_settings


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
