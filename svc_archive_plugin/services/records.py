"""A paperless document seen as an archive record: its dossier, facts and declaration.

A document belongs to a dossier through its *服务项目* field; its facts (type, category,
customer, project, 密级) are read from paperless's custom fields here, in a fixed number
of queries, for every service above (filing, retention, access, loans, the statistics).
Filed records are owned by the records account.

Once a dossier is filed its documents are *declared records*: the facts that make them
evidence (file, type, customer, project, category, 档号, retention, 密级, owner) no longer
change by any path. The one exception is an approved correction, which applies its change
inside ``correcting``. A document under a legal hold is frozen the same way while the
hold lasts.

The doors (``guards``, the admin, the backstop receivers in ``signals``) work out which
facts an attempt would change and call ``check``; it refuses with a message naming the
rule and keeps the refused attempt as evidence. The plugin's own writers (filing, the
retention mirror, record links, sealing, destruction) run inside ``writing``.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import logging
from typing import TYPE_CHECKING
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DeclaredRecord
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import ProvisionedObject
from svc_archive_plugin.models import RefusedChange
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services import vocabulary as vocab
from svc_archive_plugin.services.holds import holds_on
from svc_archive_plugin.services.provisioning import provisioned
from svc_archive_plugin.services.refusals import Forbidden

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Iterator

    from django.contrib.auth.models import User
    from django.db.models import QuerySet

    from svc_archive_plugin.models import Dossier

logger = logging.getLogger("paperless.svc_archive")

# Document ids an applying correction may change (set only inside ``correcting``).
_correcting: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "svc_archive_correcting",
    default=frozenset(),
)
# Set while one of the plugin's own writers keeps a record's derived facts right.
_writing: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "svc_archive_writing",
    default=False,
)

# The plugin's custom fields that are frozen facts (keys of ``provisioning``).
FROZEN_FIELDS = (
    "category",
    "customer",
    "project",
    "archive_code",
    "item_number",
    "retention_until",
    "confidentiality",
)
# The frozen facts kept on the document itself; the plugin's fields go by their names.
FACTS = {
    "file": gettext_lazy("original file"),
    "archive": gettext_lazy("archive version"),
    "versions": gettext_lazy("versions"),
    "document_type": gettext_lazy("document type"),
    "owner": gettext_lazy("owner"),
}
# Document columns -> the fact they carry.
COLUMNS = {
    "checksum": "file",
    "archive_checksum": "archive",
    "root_document_id": "versions",
    "document_type_id": "document_type",
    "owner_id": "owner",
}
MISSING = object()
# The 密级 levels whose records are seen through access requests only.
SEALED_LEVELS = ("confidential", "customer_private")


class RecordFrozen(Forbidden, PermissionDenied):
    """The change would alter a frozen fact of a record; the message names the rule."""

    def __init__(self, messages: dict[int, str]) -> None:
        self.messages = messages
        super().__init__(" ".join(messages.values()))


@contextlib.contextmanager
def correcting(document_ids: Iterable[int]) -> Iterator[None]:
    """Let an approved correction change exactly these records' frozen facts."""
    token = _correcting.set(frozenset(document_ids))
    try:
        yield
    finally:
        _correcting.reset(token)


def being_corrected(document_id: int) -> bool:
    return document_id in _correcting.get()


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Let the plugin's own writers keep records' derived facts (档号, retention) right."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def _allowed(document_id: int) -> bool:
    return _writing.get() or being_corrected(document_id)


# The record's dossier, owner and facts --------------------------------------------------


def dossier_documents(dossier: Dossier) -> QuerySet:
    """The documents (not in the trash) whose *Service project* field names the project."""
    from documents.models import Document

    field = provisioned("custom_field.project")
    if field is None or not dossier.project.option_id:
        return Document.objects.none()
    return Document.objects.filter(
        custom_fields__field=field,
        custom_fields__value_select=dossier.project.option_id,
    )


# A document as people know it: its 档号 and title ----------------------------------------


def document_label(document_id: int, title: str | None, code: str | None) -> str:
    """The one way a document is named on screens, in lists and messages: 档号 and title."""
    text = " ".join(
        part for part in ((code or "").strip(), (title or "").strip()) if part
    )
    return text or _("document %(id)s") % {"id": document_id}


def document_labels(document_ids: Iterable[int]) -> dict[int, str]:
    """Each document's label (``document_label``), trashed ones included; two queries."""
    from documents.models import Document

    ids = list(document_ids)
    codes = field_values("archive_code", ids, column="value_text")
    titles = dict(Document.global_objects.filter(pk__in=ids).values_list("pk", "title"))
    return {pk: document_label(pk, titles.get(pk), codes.get(pk)) for pk in ids}


def with_document_labels(queryset: QuerySet, field: str = "document_id") -> QuerySet:
    """``queryset`` with each row's document title and 档号 (``document_title``,
    ``document_code``) as subqueries, so a list of any length labels its documents at once."""
    from django.db.models import OuterRef
    from django.db.models import Subquery
    from documents.models import CustomFieldInstance
    from documents.models import Document

    return queryset.annotate(
        document_title=Subquery(
            Document.global_objects.filter(pk=OuterRef(field)).values("title")[:1],
        ),
        document_code=Subquery(
            CustomFieldInstance.objects.filter(
                document_id=OuterRef(field),
                field_id__in=ProvisionedObject.objects.filter(
                    key="custom_field.archive_code",
                ).values("object_id"),
            ).values("value_text")[:1],
        ),
    )


def find_documents(user: User, term: str, limit: int = 20) -> list[tuple[int, str]]:
    """Documents to pick by a word of their title or 档号: those ``user`` may see, and any
    other by its exact 档号 (then by the 档号 alone, not its title), with their labels."""
    from documents.models import CustomFieldInstance
    from documents.models import Document
    from documents.permissions import get_objects_for_user_owner_aware

    term = term.strip()
    code_field = ProvisionedObject.objects.filter(
        key="custom_field.archive_code",
    ).values("object_id")
    visible = get_objects_for_user_owner_aware(
        user,
        "documents.view_document",
        Document,
    )
    if term:
        coded = CustomFieldInstance.objects.filter(
            field_id__in=code_field,
            value_text__icontains=term,
        ).values("document_id")
        visible = visible.filter(Q(title__icontains=term) | Q(pk__in=coded))
    shown = dict(visible.order_by("-created", "-pk").values_list("pk", "title")[:limit])
    codes = field_values("archive_code", shown, column="value_text")
    found = [
        (pk, document_label(pk, title, codes.get(pk))) for pk, title in shown.items()
    ]
    if term:
        found += [
            (pk, document_label(pk, None, code))
            for pk, code in CustomFieldInstance.objects.filter(
                field_id__in=code_field,
                value_text=term,
                document__deleted_at__isnull=True,
            )
            .exclude(document_id__in=shown)
            .values_list("document_id", "value_text")[:limit]
        ]
    return found


def records_account() -> User:
    """The account that owns filed records; made on first use, unable to log in."""
    user, created = get_user_model().objects.get_or_create(
        username=archive_settings.RECORDS_ACCOUNT,
        defaults={"is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _sealed_options() -> tuple[int | None, set[str]]:
    field = provisioned("custom_field.confidentiality")
    if field is None:
        return None, set()
    labels = {
        name
        for key, term in vocab.CONFIDENTIALITY
        if key in SEALED_LEVELS
        for name in (term.zh_hans, term.zh_hant, term.en)
    }
    return field.pk, {
        str(option.get("id"))
        for option in field.extra_data.get("select_options", [])
        if option.get("label") in labels
    }


def sealed(document_ids: Iterable[int]) -> set[int]:
    """The documents among ``document_ids`` marked 机密 or 客户隐私."""
    from documents.models import CustomFieldInstance

    field_id, options = _sealed_options()
    ids = list(document_ids)
    if field_id is None or not options or not ids:
        return set()
    return set(
        CustomFieldInstance.objects.filter(
            field_id=field_id,
            document_id__in=ids,
            value_select__in=options,
        ).values_list("document_id", flat=True),
    )


def document_facts(document_ids: list[int]) -> dict[int, dict]:
    """What decides each document's retention and what statistics count it by.

    A fixed number of queries, whatever the number of documents; documents in the trash
    are not among them.
    """
    from documents.models import CustomFieldInstance
    from documents.models import Document

    docs = {
        pk: {"type_id": type_id, "created": _created_date(created), "root_id": root_id}
        for pk, type_id, created, root_id in Document.objects.filter(
            pk__in=document_ids,
        ).values_list("pk", "document_type_id", "created", "root_document_id")
    }
    if not docs:
        return {}
    field_ids = {
        key: field.pk
        for key in ("category", "project", "customer")
        if (field := provisioned(f"custom_field.{key}")) is not None
    }
    by_field = {pk: key for key, pk in field_ids.items()}
    options: dict[int, dict[str, str]] = {}
    for doc_id, field_id, option in CustomFieldInstance.objects.filter(
        document_id__in=docs,
        field_id__in=by_field,
    ).values_list("document_id", "field_id", "value_select"):
        options.setdefault(doc_id, {})[by_field[field_id]] = option
    categories = dict(ArchiveCategory.objects.values_list("option_id", "pk"))
    codes = {
        type_id: (code_id, default_category)
        for code_id, type_id, default_category in DocumentTypeCode.objects.values_list(
            "pk",
            "document_type_id",
            "default_category_id",
        )
    }
    projects = {
        row["option_id"]: row
        for row in ServiceProject.objects.filter(
            option_id__in={o.get("project") for o in options.values()} - {None, ""},
        ).values(
            "option_id",
            "pk",
            "customer_id",
            "department_id",
            "end_date",
            "dossier__pk",
            "dossier__state",
            "dossier__category_id",
            "dossier__retention",
            "dossier__retention_override_reason",
        )
    }
    customers = dict(
        Customer.objects.filter(
            option_id__in={o.get("customer") for o in options.values()} - {None, ""},
        ).values_list("option_id", "pk"),
    )
    for doc_id, doc in docs.items():
        own = options.get(doc_id, {})
        code_id, default_category = codes.get(doc["type_id"], (None, None))
        project = projects.get(own.get("project"))
        category = categories.get(own.get("category"))
        if category is None and project is not None:
            category = project["dossier__category_id"]
        customer = customers.get(own.get("customer"))
        doc.update(
            code_id=code_id,
            category_id=category or default_category,
            project=project,
            customer_id=customer or (project["customer_id"] if project else None),
        )
    return docs


def _created_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def document_chunks(chunk: int = 2000) -> Iterator[list[int]]:
    """The ids of every document not in the trash, ``chunk`` at a time, by id."""
    from documents.models import Document

    last = 0
    while ids := list(
        Document.objects.filter(pk__gt=last)
        .order_by("pk")
        .values_list("pk", flat=True)[:chunk],
    ):
        yield ids
        last = ids[-1]


# Reading and writing the plugin's custom fields ------------------------------------------


def field_values(
    key: str,
    document_ids: Iterable[int],
    *,
    column: str = "value_select",
) -> dict[int, Any]:
    """Each document's value of the plugin's field ``custom_field.<key>`` (set ones only)."""
    from documents.models import CustomFieldInstance

    ids = list(document_ids)
    if not ids:
        return {}
    return dict(
        CustomFieldInstance.objects.filter(
            # One query: the field is found by its provisioning key in a subquery.
            field_id__in=ProvisionedObject.objects.filter(
                key=f"custom_field.{key}",
            ).values("object_id"),
            document_id__in=ids,
            **{f"{column}__isnull": False},
        ).values_list("document_id", column),
    )


def write_field(
    key: str,
    values: dict[int, Any],
    *,
    column: str,
    remove_empty: bool = False,
) -> list[int]:
    """Set the plugin's field ``custom_field.<key>`` to ``values`` (document -> value).

    For the facts the plugin derives (retention until, location, the record link), in a
    fixed number of queries. A None value empties the field, or takes it off the document
    with ``remove_empty``. Returns the documents whose value changed.
    """
    from documents.models import CustomFieldInstance
    from documents.models import Document

    field = provisioned(f"custom_field.{key}")
    if field is None or not values:
        return []
    # A trashed document's values are in the trash with it; they are written there too.
    instances = {
        i.document_id: i
        for i in CustomFieldInstance.global_objects.filter(
            field=field,
            document_id__in=values,
        )
    }
    create, update, gone = [], [], []
    for doc_id, value in values.items():
        instance = instances.get(doc_id)
        if instance is None:
            if value is not None:
                create.append(
                    CustomFieldInstance(
                        document_id=doc_id,
                        field=field,
                        **{column: value},
                    ),
                )
        elif value is None and remove_empty:
            gone.append(instance)
        elif getattr(instance, column) != value:
            setattr(instance, column, value)
            update.append(instance)
    if create:
        # A destroyed record keeps its retention row, not its document: nothing to write.
        existing = set(
            Document.global_objects.filter(
                pk__in=[i.document_id for i in create],
            ).values_list("pk", flat=True),
        )
        create = [i for i in create if i.document_id in existing]
    CustomFieldInstance.objects.bulk_create(create)
    CustomFieldInstance.global_objects.bulk_update(update, [column])
    CustomFieldInstance.global_objects.filter(pk__in=[i.pk for i in gone]).delete()
    return sorted(i.document_id for i in (*create, *update, *gone))


# Which documents are records ------------------------------------------------------------


def roots(document_ids: Iterable[int]) -> dict[int, int]:
    """Each document's root document (itself unless it is a version)."""
    from documents.models import Document

    ids = {int(i) for i in document_ids}
    if not ids:
        return {}
    return {
        pk: root or pk
        for pk, root in Document.global_objects.filter(pk__in=ids).values_list(
            "pk",
            "root_document_id",
        )
    }


def declared(document_ids: Iterable[int]) -> set[int]:
    """The documents among ``document_ids`` that are declared records (or versions of one)."""
    root_of = roots(document_ids)
    found = set(
        DeclaredRecord.objects.filter(
            document_id__in=set(root_of.values()),
        ).values_list("document_id", flat=True),
    )
    return {pk for pk, root in root_of.items() if root in found}


def declare(dossier: Dossier, document_ids: Iterable[int]) -> int:
    """Declare the filed dossier's documents records; returns how many are new."""
    root_of = roots(document_ids)
    rows = [
        DeclaredRecord(document_id=root, dossier=dossier)
        for root in sorted(set(root_of.values()))
    ]
    before = DeclaredRecord.objects.filter(document_id__in=root_of.values()).count()
    DeclaredRecord.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows) - before


def _why(document_ids: Iterable[int]) -> dict[int, str]:
    """Why each frozen document among ``document_ids`` is frozen (root-resolved)."""
    root_of = roots(document_ids)
    if not root_of:
        return {}
    why: dict[int, str] = {}
    for row in DeclaredRecord.objects.filter(
        document_id__in=set(root_of.values()),
    ).select_related("dossier"):
        why[row.document_id] = _(
            "it is a declared record of the filed dossier %(code)s (record "
            "declaration: only an approved correction changes these facts)",
        ) % {"code": row.dossier.archive_code or row.dossier_id}
    for root, found in holds_on(set(root_of.values()) - set(why)).items():
        why[root] = _(
            "it is under the legal hold “%(hold)s” (a held record is frozen until the "
            "hold is released)",
        ) % {"hold": found[0].name}
    return {pk: why[root] for pk, root in root_of.items() if root in why}


def frozen(document_ids: Iterable[int]) -> set[int]:
    """The documents among ``document_ids`` whose frozen facts may not change now."""
    return {pk for pk in _why(document_ids) if not _allowed(pk)}


def frozen_field_ids() -> dict[int, str]:
    """The ids of the plugin's frozen custom fields -> their keys."""
    keys = {f"custom_field.{key}": key for key in FROZEN_FIELDS}
    return {
        object_id: keys[key]
        for key, object_id in ProvisionedObject.objects.filter(
            key__in=keys,
        ).values_list("key", "object_id")
    }


def fact_labels(facts: Iterable[str]) -> str:
    """The facts' names, in the order the rule lists them (the plugin's fields by name)."""
    from documents.models import CustomField

    field_keys = frozen_field_ids()
    names = dict(
        CustomField.objects.filter(pk__in=field_keys).values_list("pk", "name"),
    )
    by_key = {key: names.get(pk, key) for pk, key in field_keys.items()}
    order = [*FACTS, *FROZEN_FIELDS]
    return ", ".join(
        str(FACTS.get(fact) or by_key.get(fact, fact))
        for fact in sorted(
            set(facts),
            key=lambda f: (f not in order, order.index(f) if f in order else 0, f),
        )
    )


def refusals(changes: dict[int, set[str]]) -> dict[int, str]:
    """The refusal message of each document whose frozen facts ``changes`` would change.

    ``changes`` maps each document to the facts an attempt would change.
    """
    from documents.models import Document

    wanted = {pk: facts for pk, facts in changes.items() if facts}
    if not wanted:
        return {}
    why = {pk: text for pk, text in _why(wanted).items() if not _allowed(pk)}
    if not why:
        return {}
    titles = dict(
        Document.global_objects.filter(pk__in=why).values_list("pk", "title"),
    )
    return {
        pk: _(
            "Document #%(id)s “%(title)s”: its %(facts)s cannot be changed, because "
            "%(why)s.",
        )
        % {
            "id": pk,
            "title": titles.get(pk, ""),
            "facts": fact_labels(wanted[pk]),
            "why": text,
        }
        for pk, text in why.items()
    }


def check(
    changes: dict[int, set[str]],
    *,
    user: User | None = None,
    path: str,
) -> None:
    """Refuse (``RecordFrozen``) if any document would have a frozen fact changed.

    The refused attempt is kept as a ``RefusedChange`` row and in paperless's log (the
    doors ask before any transaction starts; a backstop's row goes with its caller's
    rollback, the log line stays).
    """
    messages = refusals(changes)
    if messages:
        _record(messages, changes, user=user, path=path)
        raise RecordFrozen(messages)


def skip(
    changes: dict[int, set[str]],
    *,
    user: User | None = None,
    path: str,
) -> dict[int, str]:
    """Keep as evidence the changes a path leaves out (a workflow); return the messages."""
    messages = refusals(changes)
    if messages:
        _record(messages, changes, user=user, path=path)
    return messages


def _record(
    messages: dict[int, str],
    changes: dict[int, set[str]],
    *,
    user: User | None,
    path: str,
) -> None:
    actor = user if user is not None and user.is_authenticated else None
    rows = [
        RefusedChange(
            document_id=pk,
            user=actor,
            path=path[:64],
            facts=", ".join(sorted(changes[pk]))[:255],
            reason=text,
        )
        for pk, text in messages.items()
    ]
    RefusedChange.objects.bulk_create(rows)
    for text in messages.values():
        logger.warning("Refused (%s, %s): %s", path, actor, text)


# What an attempt would change -----------------------------------------------------------


def _field_values(document_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Each document's values of the plugin's frozen fields, by key (absent if unset)."""
    from documents.models import CustomFieldInstance

    field_keys = frozen_field_ids()
    values: dict[int, dict[str, Any]] = {}
    for instance in CustomFieldInstance.objects.filter(
        document_id__in=list(document_ids),
        field_id__in=field_keys,
    ).select_related("field"):
        if instance.value is not None:
            values.setdefault(instance.document_id, {})[
                field_keys[instance.field_id]
            ] = instance.value
    return values


def _same(current: Any, new: Any) -> bool:
    if current is MISSING or current is None:
        return new is MISSING or new is None or new == ""
    return new is not MISSING and str(current) == str(new)


def update_changes(document, validated_data: dict[str, Any]) -> set[str]:
    """The frozen facts a PUT or PATCH with these validated values would change."""
    changed: set[str] = set()
    for name, fact in (("document_type", "document_type"), ("owner", "owner")):
        if name in validated_data:
            new = validated_data[name]
            if getattr(new, "pk", new) != getattr(document, f"{name}_id"):
                changed.add(fact)
    if "custom_fields" in validated_data:
        field_keys = frozen_field_ids()
        current = _field_values([document.pk]).get(document.pk, {})
        incoming = {
            field_keys[item["field"].pk]: item.get("value")
            for item in validated_data["custom_fields"]
            if item["field"].pk in field_keys
        }
        for key in FROZEN_FIELDS:
            if not _same(current.get(key, MISSING), incoming.get(key, MISSING)):
                changed.add(key)
    return changed


def operation_changes(
    method: str,
    document_ids: Iterable[int],
    parameters: dict[str, Any],
) -> dict[int, set[str]]:
    """The frozen facts each document would lose to a bulk-edit operation."""
    from documents.models import Document

    ids = [int(i) for i in document_ids]
    if method in ("rotate", "delete_pages", "reprocess"):
        return {pk: {"versions", "archive"} for pk in ids}
    if method in ("edit_pdf", "remove_password"):
        if parameters.get("update_document") or parameters.get("delete_original"):
            return {pk: {"versions"} for pk in ids}
        return {}
    if method in ("merge", "split"):
        return (
            {pk: {"file"} for pk in ids} if parameters.get("delete_originals") else {}
        )
    if method == "set_document_type":
        wanted = parameters.get("document_type")
        return {
            pk: {"document_type"}
            for pk, type_id in Document.objects.filter(pk__in=ids).values_list(
                "pk",
                "document_type_id",
            )
            if type_id != wanted
        }
    if method == "set_permissions":
        if "owner" not in parameters and parameters.get("merge"):
            return {}
        owner = parameters.get("owner")
        owner = getattr(owner, "pk", owner)
        rows = Document.objects.filter(pk__in=ids).values_list("pk", "owner_id")
        return {
            pk: {"owner"}
            for pk, owner_id in rows
            if owner_id != owner and not (parameters.get("merge") and owner_id)
        }
    if method == "modify_custom_fields":
        return _custom_field_changes(ids, parameters)
    return {}


def _custom_field_changes(
    ids: list[int],
    parameters: dict[str, Any],
) -> dict[int, set[str]]:
    field_keys = frozen_field_ids()
    add = parameters.get("add_custom_fields") or []
    adding = (
        {int(k): v for k, v in add.items()}
        if isinstance(add, dict)
        else {int(k): None for k in add}
    )
    removing = {int(k) for k in parameters.get("remove_custom_fields") or []}
    touched = {
        field_keys[pk]: value for pk, value in adding.items() if pk in field_keys
    }
    dropped = {field_keys[pk] for pk in removing if pk in field_keys}
    if not touched and not dropped:
        return {}
    values = _field_values(ids)
    changes: dict[int, set[str]] = {}
    for pk in ids:
        current = values.get(pk, {})
        facts = {
            key
            for key, value in touched.items()
            if not _same(current.get(key, MISSING), value)
        }
        facts |= {key for key in dropped if key not in touched and key in current}
        if facts:
            changes[pk] = facts
    return changes


def save_changes(document, update_fields: Iterable[str] | None) -> dict[int, set[str]]:
    """The frozen facts saving this document instance would change (backstop)."""
    from documents.models import Document

    if document.pk is None or document._state.adding:
        root = document.root_document_id
        return {root: {"versions"}} if root else {}
    columns = dict(COLUMNS)
    if update_fields is not None:
        names = {Document._meta.get_field(f).attname for f in update_fields}
        columns = {c: f for c, f in columns.items() if c in names}
    if not columns:
        return {}
    stored = (
        Document.global_objects.filter(pk=document.pk).values(*columns).first() or {}
    )
    changed = {
        fact
        for column, fact in columns.items()
        if column in stored and stored[column] != getattr(document, column)
    }
    return {document.pk: changed} if changed else {}


def field_value_changes(instance, *, deleting: bool) -> dict[int, set[str]]:
    """The frozen fact saving or deleting this custom-field value would change."""
    from documents.models import CustomFieldInstance

    key = frozen_field_ids().get(instance.field_id)
    if key is None or not instance.document_id:
        return {}
    stored = (
        CustomFieldInstance.global_objects.filter(pk=instance.pk)
        .select_related("field")
        .first()
        if instance.pk
        else None
    )
    current = stored.value if stored is not None else None
    if deleting or instance.deleted_at is not None:
        live = stored is not None and stored.deleted_at is None
        return {instance.document_id: {key}} if live and current is not None else {}
    # A restore from the trash puts back the same value: no change.
    return {} if _same(current, instance.value) else {instance.document_id: {key}}


def assignment_changes(action, document) -> set[str]:
    """The frozen facts a workflow assignment action would change on ``document``."""
    changed: set[str] = set()
    for name in ("document_type", "owner"):
        new = getattr(action, f"assign_{name}_id", None)
        if new is not None and new != getattr(document, f"{name}_id"):
            changed.add(name)
    if getattr(action, "has_assign_custom_fields", True):
        field_keys = frozen_field_ids()
        assigned = [
            pk
            for pk in action.assign_custom_fields.values_list("pk", flat=True)
            if pk in field_keys
        ]
        if assigned:
            current = _field_values([document.pk]).get(document.pk, {})
            values = action.assign_custom_fields_values or {}
            for pk in assigned:
                key, value = field_keys[pk], values.get(str(pk))
                # paperless leaves an existing value alone when the action gives none.
                if value is not None and not _same(current.get(key, MISSING), value):
                    changed.add(key)
    return changed


def removal_changes(action, document) -> set[str]:
    """The frozen facts a workflow removal action would change on ``document``."""
    changed: set[str] = set()
    for name, related in (("document_type", "document_types"), ("owner", "owners")):
        current = getattr(document, f"{name}_id")
        if current is not None and (
            getattr(action, f"remove_all_{related}")
            or getattr(action, f"remove_{related}").filter(pk=current).exists()
        ):
            changed.add(name)
    field_keys = frozen_field_ids()
    present = set(_field_values([document.pk]).get(document.pk, {}))
    if action.remove_all_custom_fields:
        changed |= present
    else:
        removed = set(action.remove_custom_fields.values_list("pk", flat=True))
        changed |= {key for pk, key in field_keys.items() if pk in removed} & present
    return changed
