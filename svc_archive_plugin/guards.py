"""Guards on each door through which paperless deletes documents.

paperless has no deletion-policy hook, and its doors react badly to a vetoing ``pre_delete``
(the single delete drops the index entry first and answers a generic 400; bulk delete
answers 200; one protected document aborts the whole nightly purge). So each door asks
``protection.check`` *before* paperless starts:

- ``DELETE /api/documents/{id}/`` and ``…/versions/{vid}/``: 403 with the reasons;
- ``POST /api/documents/delete/``, legacy ``bulk_edit`` ``delete``, merge/split with
  ``delete_originals``, edit_pdf/remove_password with ``delete_original``: 403 with the
  reasons, nothing deleted;
- ``POST /api/trash/`` ``empty``: 403 with the reasons, nothing purged;
- the nightly ``empty_trash`` task: purges the others, leaves protected ones in the trash;
- a workflow's *move to trash*: skipped for protected documents, the rest of the workflow runs;
- ``DELETE /api/users/{id}/`` and ``/api/groups/{id}/`` of a person or department that
  evidence names: 409 with the reason (the evidence's ``PROTECT`` would be a 500).

The Django admin is guarded in ``admin.documents``. The ``pre_delete`` receiver
(``signals.document_deleting``) refuses whatever gets past these.

Record declaration (``services.records``) guards the doors that change a declared or held
record's frozen facts, before paperless starts: PUT and PATCH ``/api/documents/{id}/``,
every document operation (bulk edit and its per-operation endpoints), the version upload
(403 with the rule), and a workflow's assignment and removal actions (the frozen parts are
left out, the rest runs). ``signals.document_saving`` and ``signals.field_value_*`` are
the backstop.
"""

from __future__ import annotations

import datetime
import functools
import logging
from typing import Any

from django.db.models import ProtectedError
from documents.filters import TagFilterSet
from documents.models import Tag
from rest_framework import exceptions
from rest_framework.response import Response

from svc_archive_plugin.services import records
from svc_archive_plugin.services import vocabulary_in_use as in_use
from svc_archive_plugin.services.people import deletion_refused
from svc_archive_plugin.services.protection import check
from svc_archive_plugin.services.protection import reasons
from svc_archive_plugin.services.protection import record_refusal

logger = logging.getLogger("paperless.svc_archive")

_MARK = "_svc_archive_guarded"


def _wrap(owner: Any, name: str, guard) -> None:
    original = getattr(owner, name)
    if getattr(original, _MARK, False):
        return
    wrapped = functools.wraps(original)(guard(original))
    setattr(wrapped, _MARK, True)
    setattr(owner, name, wrapped)


def _user(request) -> Any:
    return getattr(request, "user", None)


def _guard_destroy(original):
    def destroy(self, request, *args, **kwargs):
        document = self.get_object()  # paperless's own permission check and 404
        check([document.pk], user=_user(request), path="api: delete")
        return original(self, request, *args, **kwargs)

    return destroy


def _guard_delete_version(original):
    def delete_version(self, request, pk=None, version_id=None, *args, **kwargs):
        if pk is not None and version_id is not None:
            check([int(version_id)], user=_user(request), path="api: delete version")
        return original(self, request, pk, version_id, *args, **kwargs)

    return delete_version


def _deletes_documents(method, parameters: dict) -> bool:
    from documents import bulk_edit

    if method == bulk_edit.delete:
        return True
    if method in (bulk_edit.merge, bulk_edit.split):
        return bool(parameters.get("delete_originals"))
    if method in (bulk_edit.edit_pdf, bulk_edit.remove_password):
        return bool(parameters.get("delete_original")) and not parameters.get(
            "update_document",
        )
    return False


def _guard_document_operation(original):
    # Both /api/documents/delete/ (and its siblings) and /api/documents/bulk_edit/ ask
    # this before acting, with the resolved document ids, superusers included.
    def _has_document_permissions(self, *, user, documents, method, parameters):
        if _deletes_documents(method, parameters or {}):
            check(documents, user=user, path=f"api: {method.__name__}")
        records.check(
            records.operation_changes(method.__name__, documents, parameters or {}),
            user=user,
            path=f"api: {method.__name__}",
        )
        return original(
            self,
            user=user,
            documents=documents,
            method=method,
            parameters=parameters,
        )

    return _has_document_permissions


def _guard_trash(original):
    def post(self, request, *args, **kwargs):
        if request.data.get("action") == "empty":
            ids = request.data.get("documents")
            if ids is None:
                ids = self.filter_queryset(self.get_queryset()).values_list(
                    "pk",
                    flat=True,
                )
            check(
                [int(i) for i in ids if str(i).isdigit()],
                user=_user(request),
                path="api: empty trash",
            )
        return original(self, request, *args, **kwargs)

    return post


def _guard_move_to_trash(original):
    def execute_move_to_trash_action(action, document, logging_group, *args, **kwargs):
        from documents.models import Document

        if isinstance(document, Document) and document.pk:
            found = reasons([document.pk])
            if found:
                record_refusal(found, user=None, path="workflow: move to trash")
                logger.warning(
                    "Workflow %s did not move document %s to the trash: %s",
                    getattr(getattr(action, "workflows", None), "first", lambda: "")(),
                    document.pk,
                    " ".join(found[document.pk]),
                    extra={"group": logging_group},
                )
                return None
        return original(action, document, logging_group, *args, **kwargs)

    return execute_move_to_trash_action


def spare_protected_from_purge(
    sender: Any = None,
    task_id: str | None = None,
    task: Any = None,
    args: tuple | None = None,
    kwargs: dict | None = None,
    **extra: Any,
) -> None:
    """Before ``empty_trash`` runs, leave protected documents out of its batch.

    paperless purges in one transaction, so one protected document would keep every
    other one in the trash; instead the task gets the ids it may purge.
    """
    if getattr(task, "name", None) != "documents.tasks.empty_trash" or kwargs is None:
        return
    from django.conf import settings
    from django.utils import timezone
    from documents.models import Document

    if args:
        return  # paperless passes the ids by keyword; the pre_delete veto still holds
    doc_ids = kwargs.get("doc_ids")
    if doc_ids is None:
        cutoff = timezone.localtime(timezone.now()) - datetime.timedelta(
            days=settings.EMPTY_TRASH_DELAY,
        )
        doc_ids = list(
            Document.deleted_objects.filter(deleted_at__lt=cutoff).values_list(
                "pk",
                flat=True,
            ),
        )
    found = reasons(doc_ids)
    if not found:
        return
    record_refusal(found, user=None, path="nightly trash purge")
    kwargs["doc_ids"] = [pk for pk in doc_ids if pk not in found]


def _guard_person_delete(original):
    """``DELETE /api/users/{id}/`` or ``/api/groups/{id}/`` of someone the evidence names.

    paperless lets the ``ProtectedError`` through as a 500; its UI shows an error's detail.
    """

    def destroy(self, request, *args, **kwargs):
        try:
            return original(self, request, *args, **kwargs)
        except ProtectedError as exc:
            message = deletion_refused(self.get_object(), exc.protected_objects)
            return Response({"detail": message}, status=409)

    return destroy


def _guard_update(original):
    """PUT and PATCH ``/api/documents/{id}/``: refused if a frozen fact would change.

    The incoming data is validated as paperless will, then compared with the record: a
    PATCH that sends the same values (as paperless's UI does on every save) passes.
    """

    def update(self, request, *args, **kwargs):
        document = self.get_object()  # paperless's own permission check and 404
        if records.frozen([document.pk]):
            serializer = self.get_serializer(
                document,
                data=request.data,
                partial=kwargs.get("partial", False),
            )
            serializer.is_valid(raise_exception=True)
            records.check(
                {
                    document.pk: records.update_changes(
                        document,
                        serializer.validated_data,
                    ),
                },
                user=_user(request),
                path=f"api: {request.method}",
            )
        return original(self, request, *args, **kwargs)

    return update


def _guard_update_version(original):
    """``POST /api/documents/{id}/update_version/``: no new version of a frozen record."""

    def update_version(self, request, pk=None, *args, **kwargs):
        if pk is not None and str(pk).isdigit():
            records.check(
                {int(pk): {"versions"}},
                user=_user(request),
                path="api: update version",
            )
        return original(self, request, pk, *args, **kwargs)

    return update_version


class _WithoutFrozenFacts:
    """A workflow action seen without its parts that change a record's frozen facts."""

    def __init__(self, action, **overrides) -> None:
        self._action = action
        self.__dict__.update(overrides)

    def __getattr__(self, name: str):
        return getattr(self._action, name)

    def __str__(self) -> str:
        return str(self._action)


def _skip_frozen(action, document, changes: set[str], kind: str) -> bool:
    """Keep as evidence and log what the workflow leaves out; whether anything was."""
    skipped = records.skip({document.pk: changes}, path=f"workflow: {kind}")
    for message in skipped.values():
        logger.warning(
            "Workflow action %s left the record's frozen facts alone: %s",
            action,
            message,
        )
    return bool(skipped)


def _guard_assignment(original):
    def apply_assignment_to_document(action, document, logging_group, *args, **kwargs):
        changes = records.assignment_changes(action, document)
        if changes and _skip_frozen(action, document, changes, "assignment"):
            action = _WithoutFrozenFacts(
                action,
                assign_document_type=None,
                assign_owner=None,
                assign_custom_fields=action.assign_custom_fields.exclude(
                    pk__in=records.frozen_field_ids(),
                ),
            )
        return original(action, document, logging_group, *args, **kwargs)

    return apply_assignment_to_document


def _guard_removal(original):
    def apply_removal_to_document(action, document, *args, **kwargs):
        from django.contrib.auth import get_user_model
        from documents.models import CustomField
        from documents.models import DocumentType

        changes = records.removal_changes(action, document)
        if changes and _skip_frozen(action, document, changes, "removal"):
            frozen_fields = records.frozen_field_ids()
            removed = (
                CustomField.objects.all()
                if action.remove_all_custom_fields
                else action.remove_custom_fields.all()
            )
            action = _WithoutFrozenFacts(
                action,
                remove_all_document_types=False,
                remove_document_types=DocumentType.objects.none(),
                remove_all_owners=False,
                remove_owners=get_user_model().objects.none(),
                remove_all_custom_fields=False,
                has_remove_custom_fields=True,
                remove_custom_fields=removed.exclude(pk__in=frozen_fields),
            )
        return original(action, document, *args, **kwargs)

    return apply_removal_to_document


# The plugin's custom fields, options and tags -------------------------------------------------
# Deleting or renaming them away (or removing a select option in use) would strip or hide
# records' facts at once; ``services.vocabulary_in_use`` decides, these doors ask it.


def _asking(ask):
    """A guard that calls ``ask(view, request)`` first; a vocabulary in use answers 403."""

    def guard(original):
        def run(self, request, *args, **kwargs):
            try:
                ask(self, request)
            except in_use.VocabularyInUse as exc:
                raise exceptions.PermissionDenied(str(exc)) from exc
            return original(self, request, *args, **kwargs)

        return run

    return guard


def _data(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _field_deleted(view, request) -> None:
    in_use.check_field_change(view.get_object(), delete=True)


def _field_updated(view, request) -> None:
    data = _data(request)
    extra = data.get("extra_data")
    options = extra.get("select_options") if isinstance(extra, dict) else None
    in_use.check_field_change(
        view.get_object(),
        name=_text(data.get("name")),
        options=options if isinstance(options, list) else None,
    )


def _tag_deleted(view, request) -> None:
    in_use.check_tag_change(view.get_object(), delete=True)


def _tag_updated(view, request) -> None:
    in_use.check_tag_change(view.get_object(), name=_text(_data(request).get("name")))


def _tags_bulk_deleted(view, request) -> None:
    data = _data(request)
    if data.get("object_type") != "tags" or data.get("operation") != "delete":
        return
    if data.get("all"):
        filters = data.get("filters")
        tags = TagFilterSet(
            data=filters if isinstance(filters, dict) else {},
            queryset=Tag.objects.all(),
        ).qs
    else:
        ids = data.get("objects")
        ids = [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []
        tags = Tag.objects.filter(pk__in=ids)
    in_use.check_tags_delete(tags)


def install_vocabulary_guards() -> None:
    """Guard paperless's custom-field and tag endpoints (idempotent)."""
    from documents.views import BulkEditObjectsView
    from documents.views import CustomFieldViewSet
    from documents.views import TagViewSet

    _wrap(CustomFieldViewSet, "destroy", _asking(_field_deleted))
    _wrap(CustomFieldViewSet, "update", _asking(_field_updated))
    _wrap(TagViewSet, "destroy", _asking(_tag_deleted))
    _wrap(TagViewSet, "update", _asking(_tag_updated))
    _wrap(BulkEditObjectsView, "post", _asking(_tags_bulk_deleted))


def install_guards() -> None:
    """Put the guards on paperless's views and workflow action (idempotent)."""
    from documents.signals import handlers
    from documents.views import DocumentOperationPermissionMixin
    from documents.views import DocumentViewSet
    from documents.views import TrashView
    from paperless.views import GroupViewSet
    from paperless.views import UserViewSet

    _wrap(DocumentViewSet, "destroy", _guard_destroy)
    _wrap(UserViewSet, "destroy", _guard_person_delete)
    _wrap(GroupViewSet, "destroy", _guard_person_delete)
    _wrap(DocumentViewSet, "delete_version", _guard_delete_version)
    _wrap(
        DocumentOperationPermissionMixin,
        "_has_document_permissions",
        _guard_document_operation,
    )
    _wrap(TrashView, "post", _guard_trash)
    _wrap(handlers, "execute_move_to_trash_action", _guard_move_to_trash)
    # Record declaration: the doors that change a record's frozen facts.
    _wrap(DocumentViewSet, "update", _guard_update)
    _wrap(DocumentViewSet, "update_version", _guard_update_version)
    _wrap(handlers, "apply_assignment_to_document", _guard_assignment)
    _wrap(handlers, "apply_removal_to_document", _guard_removal)
    install_vocabulary_guards()
