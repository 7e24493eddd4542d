"""Django app configuration: ``ready()`` gives Django's own Chinese to paperless's language
codes, connects the receivers (``signals``), puts the guards and taps on paperless's views,
mounts the API, adds the beat entries and the audit log."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SvcArchiveConfig(AppConfig):
    name = "svc_archive_plugin"
    label = "svc_archive_plugin"
    verbose_name = _("Service archive")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from svc_archive_plugin import (
            checks,  # noqa: F401  (registers the system checks)
        )
        from svc_archive_plugin import guards
        from svc_archive_plugin import languages
        from svc_archive_plugin import signals
        from svc_archive_plugin.access_taps import install_taps
        from svc_archive_plugin.api.schema import register_enum_names
        from svc_archive_plugin.api.urls import mount_api
        from svc_archive_plugin.beat import install_beat_schedule

        languages.install()
        signals.connect_receivers(self)
        guards.install_guards()
        install_taps()
        mount_api()
        register_enum_names()
        install_beat_schedule()

        if settings.AUDIT_LOG_ENABLED:
            from auditlog.registry import auditlog

            from svc_archive_plugin.models import ArchiveCategory
            from svc_archive_plugin.models import CalendarDay
            from svc_archive_plugin.models import CalendarYear
            from svc_archive_plugin.models import DocumentTypeCode
            from svc_archive_plugin.models import RetentionRule

            # Configuration that changes how documents are classified or deadlines fall.
            auditlog.register(ArchiveCategory)
            auditlog.register(DocumentTypeCode)
            auditlog.register(CalendarDay)
            auditlog.register(CalendarYear)
            auditlog.register(RetentionRule)
