"""Receivers for paperless's consumption: the folder convention classifies new files.

The folder is known only to the ``consume_file`` task (paperless passes no path to its
signals), so classification happens at ``task_prerun`` by filling in the task's metadata
overrides: paperless then stores and indexes the document with its type in one go.
Problems wait, per task, for ``document_consumption_finished`` to name the document.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery.signals import task_failure
from celery.signals import task_postrun
from celery.signals import task_prerun
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import m2m_changed
from django.db.models.signals import post_delete
from django.db.models.signals import post_migrate
from django.db.models.signals import post_save
from django.db.models.signals import pre_delete
from django.db.models.signals import pre_save
from django.utils import translation
from django.utils.translation import gettext as _
from django_softdelete.signals import post_restore
from django_softdelete.signals import post_soft_delete
from documents.models import CustomField
from documents.models import CustomFieldInstance
from documents.models import Document
from documents.signals import document_consumption_finished
from documents.signals import document_consumption_started
from documents.signals import document_updated

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.db_triggers import reinstall_after_migrate
from svc_archive_plugin.guards import spare_protected_from_purge
from svc_archive_plugin.models import CaptureReport
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import RetentionRule
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services import record_facts
from svc_archive_plugin.services import records
from svc_archive_plugin.services.access import seal
from svc_archive_plugin.services.capture import apply_to_overrides
from svc_archive_plugin.services.capture import check_has_text
from svc_archive_plugin.services.capture import check_readable
from svc_archive_plugin.services.capture import classify_codes
from svc_archive_plugin.services.capture import classify_folder
from svc_archive_plugin.services.capture import consume_folder
from svc_archive_plugin.services.capture import record_problems
from svc_archive_plugin.services.capture import relative_path
from svc_archive_plugin.services.capture import report_duplicate
from svc_archive_plugin.services.capture import report_failed_scan
from svc_archive_plugin.services.capture import report_missing_metadata
from svc_archive_plugin.services.capture import resolve_completed
from svc_archive_plugin.services.cover_sheets import read_cover_sheet
from svc_archive_plugin.services.cover_sheets import remove_first_page
from svc_archive_plugin.services.protection import check
from svc_archive_plugin.services.protection import protection_tag_ids
from svc_archive_plugin.services.protection import settle_tags
from svc_archive_plugin.services.provisioning import sync_option
from svc_archive_plugin.services.registers import RegisterInUse
from svc_archive_plugin.services.registers import align_customer_with_project
from svc_archive_plugin.services.registers import check_deletable
from svc_archive_plugin.services.registers import ensure_dossier
from svc_archive_plugin.services.registers import follow_field_edits
from svc_archive_plugin.services.registers import keep_register_options
from svc_archive_plugin.services.registers import refuse_frozen_save
from svc_archive_plugin.services.registers import remove_option
from svc_archive_plugin.services.retention import recompute
from svc_archive_plugin.services.saved_views import offer
from svc_archive_plugin.tasks import recompute_retention

logger = logging.getLogger("paperless.svc_archive")

CONSUME_TASK = "documents.tasks.consume_file"

# Task id -> classification with problems, within one worker process.
_pending_reports: dict[str, Any] = {}


def classify_consumed_file(
    sender: Any = None,
    task_id: str | None = None,
    task: Any = None,
    args: tuple | None = None,
    kwargs: dict | None = None,
    **extra: Any,
) -> None:
    """Classify an incoming file by its cover sheet or folder before paperless consumes it."""
    if getattr(task, "name", None) != CONSUME_TASK or kwargs is None:
        return
    from documents.data_models import DocumentMetadataOverrides

    input_doc = kwargs.get("input_doc", args[0] if args else None)
    if input_doc is None or input_doc.root_document_id:
        return
    # Capture reports are read later by anyone: in the site's language, not the one a
    # previous request left active in this worker thread.
    with translation.override(settings.LANGUAGE_CODE):
        classification = _classify(input_doc)
    if classification is None:
        return
    if kwargs.get("overrides") is None:
        kwargs["overrides"] = DocumentMetadataOverrides()
    apply_to_overrides(classification, kwargs["overrides"])
    for problem in classification.problems:
        logger.warning("%s: %s", classification.relative_path, problem.detail)
    if classification.problems and task_id:
        _pending_reports[task_id] = classification


def _classify(input_doc: Any):
    from documents.data_models import DocumentSource

    path = Path(input_doc.original_file)
    if archive_settings.COVER_SHEETS and input_doc.mime_type == "application/pdf":
        code = read_cover_sheet(path)
        if code is not None:
            label = f"cover sheet {code.payload()} on {path.name}"
            classification = classify_codes(
                label,
                project_code=code.project_code,
                type_code=code.type_code,
            )
            if not remove_first_page(path):
                classification = classification.with_problem(
                    CaptureReport.Reason.COVER_SHEET,
                    _(
                        "The scan separator sheet is the only page; it was kept as "
                        "the document.",
                    ),
                )
            return classification
    if input_doc.source != DocumentSource.ConsumeFolder:
        return None
    return classify_folder(path, Path(settings.CONSUMPTION_DIR))


def report_capture_problems(sender: Any, document: Any, **kwargs: Any) -> None:
    """Record what capture could not classify, duplicates, and metadata the document's type
    requires that it arrived without, naming the new document.

    paperless's own receivers (workflows included) have run: what they set counts.
    """
    from celery import current_task

    task_id = getattr(getattr(current_task, "request", None), "id", None)
    classification = _pending_reports.pop(task_id, None) if task_id else None
    with translation.override(settings.LANGUAGE_CODE):
        if classification is not None:
            record_problems(document, classification)
        if document.root_document_id is None:
            report_duplicate(document)
            original = _current_original()
            report_missing_metadata(
                document,
                relative_path(original) if original else "",
            )


def _consume_task_input(task: Any, args: Any, kwargs: Any):
    if getattr(task, "name", None) != CONSUME_TASK:
        return None, None
    args, kwargs = args or (), kwargs or {}
    input_doc = kwargs.get("input_doc", args[0] if args else None)
    overrides = kwargs.get("overrides", args[1] if len(args) > 1 else None)
    return input_doc, overrides


def _current_original() -> Path | None:
    """The file the running consume task was given (the consumption folder's path)."""
    from celery import current_task

    request = getattr(current_task, "request", None)
    input_doc, _overrides = _consume_task_input(
        current_task,
        getattr(request, "args", None),
        getattr(request, "kwargs", None),
    )
    return Path(input_doc.original_file) if input_doc is not None else None


def refuse_unreadable_scan(sender: Any, filename: Any, **kwargs: Any) -> None:
    """Stop a password-protected PDF before OCR; the failure is then reported."""
    original = _current_original()
    folder = consume_folder(relative_path(original)) if original else "consume/"
    with translation.override(settings.LANGUAGE_CODE):
        check_readable(Path(filename), folder)


def refuse_textless_record(sender: Any, document: Any, **kwargs: Any) -> None:
    """A record whose type needs text, with none: the consumption fails and is reported."""
    if document.root_document_id is None:
        with translation.override(settings.LANGUAGE_CODE):
            check_has_text(document)


def report_failed_consumption(
    sender: Any = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    **extra: Any,
) -> None:
    """A scan paperless refused: a capture report, and its file in the holding folder."""
    input_doc, overrides = _consume_task_input(sender, args, kwargs)
    if input_doc is None:
        return
    name = getattr(overrides, "filename", None) or ""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            report_failed_scan(Path(input_doc.original_file), exception, name=name)
    except Exception:  # the report must never hide paperless's own failure
        logger.exception("Could not report the failed scan %s", input_doc.original_file)


def forget_task(sender: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    """Drop what a finished (or failed) consumption left pending."""
    _pending_reports.pop(task_id, None)


# Registers <-> select custom fields ----------------------------------------------------------


def register_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Mirror a customer or project into its select field; give a project its dossier."""
    if kwargs.get("raw"):
        return
    sync_option(instance)
    if isinstance(instance, ServiceProject):
        dossier = ensure_dossier(instance)
        # The project's end date starts its records' retention clock.
        recompute(records.dossier_documents(dossier).values_list("pk", flat=True))


def register_saving(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Refuse a change to register data that filed records depend on (the backstop)."""
    if not kwargs.get("raw"):
        refuse_frozen_save(instance, kwargs.get("update_fields"))


def register_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Refuse to delete a customer or project that anything still refers to."""
    from django.db.models import ProtectedError

    try:
        check_deletable(instance)
    except RegisterInUse as exc:
        raise ProtectedError(str(exc), set()) from exc


def register_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    remove_option(instance)


def mirrored_field_saving(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        keep_register_options(instance)


def mirrored_field_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        follow_field_edits(instance)


def document_edited(sender: Any, document: Any, **kwargs: Any) -> None:
    """Follow an edit in paperless: customer from project, retention, holds, sealing, and
    the missing-metadata report the edit dealt with.

    A document the edit moved into a held scope joins the hold; protection tags taken
    off or put on by hand (PATCH, bulk edit) are put right.
    """
    align_customer_with_project(document)
    recompute([document.pk])
    settle_tags([document.pk])
    seal([document.pk])
    resolve_completed(document)


# Retention and protection -----------------------------------------------------------------


def retention_for_new_document(sender: Any, document: Any, **kwargs: Any) -> None:
    """Give a consumed record its retention; one of a held scope joins the hold; seal it.

    Never fails the consumption over its retention.
    """
    try:
        recompute([document.pk])
        settle_tags([document.pk])
    except Exception:
        logger.exception("Could not compute the retention of document %s", document.pk)
    # A confidential record must not stay visible to everyone for a moment longer.
    seal([document.pk])


def protection_tags_changed(
    sender: Any,
    instance: Any,
    action: str,
    reverse: bool = False,  # noqa: FBT001, FBT002
    pk_set: set[int] | None = None,
    **kwargs: Any,
) -> None:
    """冻结, 借出 or 待销毁 put on or taken off by hand (PATCH, the admin): put right at once.

    Bulk edits change tags behind the ORM's signals; ``document_edited`` settles those.
    """
    if action not in ("post_add", "post_remove", "post_clear"):
        return

    if reverse:
        # tag.documents.add/remove(...): the tag is the instance, pk_set the documents.
        if pk_set and instance.pk in protection_tag_ids():
            settle_tags(pk_set)
    elif action == "post_clear" or (pk_set and pk_set & protection_tag_ids()):
        settle_tags([instance.pk])


def document_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    """The backstop behind every guarded door: a protected document is never deleted."""
    path = "delete" if instance.deleted_at is None else "purge"
    check([instance.pk], path=f"{path} (pre_delete)")


# Record declaration: the backstop behind the guarded doors --------------------------------


def document_saving(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Refuse a save that changes a declared or held record's frozen facts, by any path."""
    if not kwargs.get("raw"):
        records.check(
            records.save_changes(instance, kwargs.get("update_fields")),
            path="save (pre_save)",
        )


def field_value_saving(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Refuse a changed value of a frozen plugin field on a declared or held record."""
    if not kwargs.get("raw"):
        records.check(
            records.field_value_changes(instance, deleting=False),
            path="custom field (pre_save)",
        )


def field_value_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Refuse removing a frozen plugin field from a declared or held record.

    Not when the document or the field itself is being deleted: their own guards decide.
    """
    origin = kwargs.get("origin")
    model = getattr(origin, "model", type(origin))
    if model in (Document, CustomField):
        return
    records.check(
        records.field_value_changes(instance, deleting=True),
        path="custom field (pre_delete)",
    )


def refuse_version_of_record(sender: Any, filename: Any, **kwargs: Any) -> None:
    """A consume task adding a version to a declared or held record fails before OCR."""
    from celery import current_task

    request = getattr(current_task, "request", None)
    input_doc, _overrides = _consume_task_input(
        current_task,
        getattr(request, "args", None),
        getattr(request, "kwargs", None),
    )
    root = getattr(input_doc, "root_document_id", None)
    if root:
        records.check({root: {"versions"}}, path="consume: new version")


def document_purged(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A purged document leaves no retention behind (a destroyed one keeps its row)."""
    RecordRetention.objects.filter(document_id=instance.pk).exclude(
        state=RecordRetention.State.DESTROYED,
    ).delete()
    record_facts.refresh([instance.pk])


def document_trashed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A document in the trash is not counted by the statistics (paperless's view)."""
    record_facts.refresh([instance.pk])


def document_restored(sender: Any, instance: Any, **kwargs: Any) -> None:
    recompute([instance.pk])


def schedule_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A changed schedule rule or type code re-classifies records, in the background.

    Once per transaction however many rules it saves (the set-up saves dozens): the task
    recomputes every record, and each task costs paperless's worker a fresh process.
    """
    if kwargs.get("raw"):
        return
    pending = transaction.get_connection().run_on_commit
    if any(func is _queue_recompute for _, func, _ in pending):
        return
    transaction.on_commit(_queue_recompute)


def _queue_recompute() -> None:
    recompute_retention.delay()


def dossier_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A dossier's archive category classifies its records for the schedule."""
    fields = kwargs.get("update_fields")
    if (
        kwargs.get("raw")
        or kwargs.get("created")
        or (fields and "category" not in fields)
    ):
        return
    recompute(records.dossier_documents(instance).values_list("pk", flat=True))


def group_membership_changed(
    sender: Any,
    instance: Any,
    action: str,
    reverse: bool = False,  # noqa: FBT001, FBT002
    pk_set: set[int] | None = None,
    **kwargs: Any,
) -> None:
    """Someone joined a role group: the role's saved views go on their dashboard."""
    if action != "post_add" or not pk_set:
        return
    user_ids = list(pk_set) if reverse else [instance.pk]
    transaction.on_commit(
        lambda: offer(get_user_model().objects.filter(pk__in=user_ids, is_active=True)),
    )


def signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """At sign-in, views of roles given by any means (admin, API, superuser) are offered."""
    offer([user])


def connect_receivers(app_config) -> None:
    """Connect every receiver to paperless's and Django's signals (from ``ready()``)."""
    task_prerun.connect(
        classify_consumed_file,
        dispatch_uid="svc_archive_classify",
    )
    task_postrun.connect(forget_task, dispatch_uid="svc_archive_forget")
    # Failed scans: refused early (password) or late (no text), reported on failure.
    document_consumption_started.connect(
        refuse_unreadable_scan,
        dispatch_uid="svc_archive_refuse_unreadable",
    )
    document_consumption_finished.connect(
        refuse_textless_record,
        dispatch_uid="svc_archive_refuse_textless",
    )
    task_failure.connect(
        report_failed_consumption,
        dispatch_uid="svc_archive_failed_scan",
    )
    document_consumption_finished.connect(
        report_capture_problems,
        dispatch_uid="svc_archive_capture_report",
    )
    for register in (Customer, ServiceProject):
        post_save.connect(register_saved, sender=register)
        pre_delete.connect(register_deleting, sender=register)
        post_delete.connect(register_deleted, sender=register)
    document_updated.connect(
        document_edited,
        dispatch_uid="svc_archive_follow_edits",
    )
    pre_save.connect(mirrored_field_saving, sender=CustomField)
    post_save.connect(mirrored_field_saved, sender=CustomField)
    document_consumption_finished.connect(
        retention_for_new_document,
        dispatch_uid="svc_archive_retention",
    )
    m2m_changed.connect(
        protection_tags_changed,
        sender=Document.tags.through,
        dispatch_uid="svc_archive_protection_tags",
    )
    pre_delete.connect(
        document_deleting,
        sender=Document,
        dispatch_uid="svc_archive_protect",
    )
    # Record declaration's backstop: frozen facts change by no path.
    pre_save.connect(
        document_saving,
        sender=Document,
        dispatch_uid="svc_archive_declared_record",
    )
    pre_save.connect(
        field_value_saving,
        sender=CustomFieldInstance,
        dispatch_uid="svc_archive_declared_field",
    )
    pre_delete.connect(
        field_value_deleting,
        sender=CustomFieldInstance,
        dispatch_uid="svc_archive_declared_field_removed",
    )
    document_consumption_started.connect(
        refuse_version_of_record,
        dispatch_uid="svc_archive_refuse_new_version",
    )
    post_delete.connect(
        document_purged,
        sender=Document,
        dispatch_uid="svc_archive_purged",
    )
    post_soft_delete.connect(
        document_trashed,
        sender=Document,
        dispatch_uid="svc_archive_trashed",
    )
    post_restore.connect(
        document_restored,
        sender=Document,
        dispatch_uid="svc_archive_restored",
    )
    # A type code makes its documents records, with a default category.
    for change in (post_save, post_delete):
        change.connect(schedule_changed, sender=RetentionRule)
        change.connect(schedule_changed, sender=DocumentTypeCode)
    post_save.connect(dossier_saved, sender=Dossier)
    # Register data that filed records depend on is frozen (corrections excepted).
    for register in (ServiceProject, Dossier):
        pre_save.connect(register_saving, sender=register)
    m2m_changed.connect(
        group_membership_changed,
        sender=get_user_model().groups.through,
        dispatch_uid="svc_archive_role_views",
    )
    user_logged_in.connect(signed_in, dispatch_uid="svc_archive_sign_in")
    task_prerun.connect(
        spare_protected_from_purge,
        dispatch_uid="svc_archive_spare_protected",
    )
    # SQLite drops a table's triggers when a migration rebuilds it; new evidence
    # tables need them too.
    post_migrate.connect(
        reinstall_after_migrate,
        sender=app_config,
        dispatch_uid="svc_archive_evidence_triggers",
    )
    post_migrate.connect(
        record_facts.install_after_migrate,
        sender=app_config,
        dispatch_uid="svc_archive_count_triggers",
    )
