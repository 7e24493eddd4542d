"""Django app configuration: ``ready()`` wires receivers, guards, routes, beat and audit log."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SvcArchiveConfig(AppConfig):
    name = "svc_archive_plugin"
    label = "svc_archive_plugin"
    verbose_name = _("Service archive")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.signals import task_failure
        from celery.signals import task_postrun
        from celery.signals import task_prerun
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import m2m_changed
        from django.db.models.signals import post_delete
        from django.db.models.signals import post_migrate
        from django.db.models.signals import post_save
        from django.db.models.signals import pre_delete
        from django.db.models.signals import pre_save
        from django_softdelete.signals import post_restore
        from django_softdelete.signals import post_soft_delete
        from documents.models import CustomField
        from documents.models import CustomFieldInstance
        from documents.models import Document
        from documents.signals import document_consumption_finished
        from documents.signals import document_consumption_started
        from documents.signals import document_updated

        from svc_archive_plugin import (
            checks,  # noqa: F401  (registers the system checks)
        )
        from svc_archive_plugin import db_triggers
        from svc_archive_plugin import guards
        from svc_archive_plugin import signals
        from svc_archive_plugin.access_taps import install_taps
        from svc_archive_plugin.api.schema import register_enum_names
        from svc_archive_plugin.api.urls import mount_api
        from svc_archive_plugin.beat import install_beat_schedule
        from svc_archive_plugin.models import Customer
        from svc_archive_plugin.models import DocumentTypeCode
        from svc_archive_plugin.models import Dossier
        from svc_archive_plugin.models import RetentionRule
        from svc_archive_plugin.models import ServiceProject

        task_prerun.connect(
            signals.classify_consumed_file,
            dispatch_uid="svc_archive_classify",
        )
        task_postrun.connect(signals.forget_task, dispatch_uid="svc_archive_forget")
        # Failed scans: refused early (password) or late (no text), reported on failure.
        document_consumption_started.connect(
            signals.refuse_unreadable_scan,
            dispatch_uid="svc_archive_refuse_unreadable",
        )
        document_consumption_finished.connect(
            signals.refuse_textless_record,
            dispatch_uid="svc_archive_refuse_textless",
        )
        task_failure.connect(
            signals.report_failed_consumption,
            dispatch_uid="svc_archive_failed_scan",
        )
        document_consumption_finished.connect(
            signals.report_capture_problems,
            dispatch_uid="svc_archive_capture_report",
        )
        for register in (Customer, ServiceProject):
            post_save.connect(signals.register_saved, sender=register)
            pre_delete.connect(signals.register_deleting, sender=register)
            post_delete.connect(signals.register_deleted, sender=register)
        document_updated.connect(
            signals.document_edited,
            dispatch_uid="svc_archive_follow_edits",
        )
        pre_save.connect(signals.mirrored_field_saving, sender=CustomField)
        post_save.connect(signals.mirrored_field_saved, sender=CustomField)
        document_consumption_finished.connect(
            signals.retention_for_new_document,
            dispatch_uid="svc_archive_retention",
        )
        m2m_changed.connect(
            signals.protection_tags_changed,
            sender=Document.tags.through,
            dispatch_uid="svc_archive_protection_tags",
        )
        pre_delete.connect(
            signals.document_deleting,
            sender=Document,
            dispatch_uid="svc_archive_protect",
        )
        # Record declaration's backstop: frozen facts change by no path.
        pre_save.connect(
            signals.document_saving,
            sender=Document,
            dispatch_uid="svc_archive_declared_record",
        )
        pre_save.connect(
            signals.field_value_saving,
            sender=CustomFieldInstance,
            dispatch_uid="svc_archive_declared_field",
        )
        pre_delete.connect(
            signals.field_value_deleting,
            sender=CustomFieldInstance,
            dispatch_uid="svc_archive_declared_field_removed",
        )
        document_consumption_started.connect(
            signals.refuse_version_of_record,
            dispatch_uid="svc_archive_refuse_new_version",
        )
        post_delete.connect(
            signals.document_purged,
            sender=Document,
            dispatch_uid="svc_archive_purged",
        )
        post_soft_delete.connect(
            signals.document_trashed,
            sender=Document,
            dispatch_uid="svc_archive_trashed",
        )
        post_restore.connect(
            signals.document_restored,
            sender=Document,
            dispatch_uid="svc_archive_restored",
        )
        # A type code makes its documents records, with a default category.
        for change in (post_save, post_delete):
            change.connect(signals.schedule_changed, sender=RetentionRule)
            change.connect(signals.schedule_changed, sender=DocumentTypeCode)
        post_save.connect(signals.dossier_saved, sender=Dossier)
        # Register data that filed records depend on is frozen (corrections excepted).
        for register in (ServiceProject, Dossier):
            pre_save.connect(signals.register_saving, sender=register)
        m2m_changed.connect(
            signals.group_membership_changed,
            sender=get_user_model().groups.through,
            dispatch_uid="svc_archive_role_views",
        )
        user_logged_in.connect(signals.signed_in, dispatch_uid="svc_archive_sign_in")
        task_prerun.connect(
            guards.spare_protected_from_purge,
            dispatch_uid="svc_archive_spare_protected",
        )
        # SQLite drops a table's triggers when a migration rebuilds it; new evidence
        # tables need them too.
        post_migrate.connect(
            db_triggers.reinstall_after_migrate,
            sender=self,
            dispatch_uid="svc_archive_evidence_triggers",
        )
        guards.install_guards()
        install_taps()
        mount_api()
        register_enum_names()
        install_beat_schedule()

        if settings.AUDIT_LOG_ENABLED:
            from auditlog.registry import auditlog

            from svc_archive_plugin.models import ArchiveCategory
            from svc_archive_plugin.models import CalendarDay

            # Configuration that changes how documents are classified or deadlines fall.
            auditlog.register(ArchiveCategory)
            auditlog.register(DocumentTypeCode)
            auditlog.register(CalendarDay)
            auditlog.register(RetentionRule)
