"""Backup of the plugin's registers next to paperless's own export, and their restore.

paperless's ``document_exporter`` and ``document_importer`` know only paperless's models.
``export_plugin_data`` writes every row of every concrete model of the plugin (the list
comes from the app registry, so a new model is never forgotten) to ``svc_archive.json`` in
the export directory; ``import_plugin_data`` loads it into a fresh installation after
``document_importer`` has loaded paperless's part, in one transaction, and verifies it.

The plugin's own rows keep their primary keys (the target's tables are empty). What they
refer to in paperless — documents, users, groups, content types, document types, the
objects the vocabulary provisioned — is matched by what identifies it across
installations, never by id: a document by its checksum (paperless's manifest carries it),
a user by user name, a group, tag, custom field or document type by name, a content type
by app and model. The export's header lists, for every id the rows refer to, that identity
as of the export; the import maps old id → new id through it and refuses, changing
nothing, when something is not there.

Destroyed records are the exception: their documents no longer exist, so the rows that
name them (destruction items, register entries, retention rows, the access log …) keep the
old id as it was. The destruction register's hash covers each tombstone's content — which
holds that document id and the destroyed files' ids — its sequence and the previous hash
(``services.register.entry_hash``); nothing of it is rewritten, so the chain verifies in
the new installation exactly as it did in the old. An old id that a document of the new
installation happens to carry is refused as a mismatch, and the document id sequence is
moved past every such id so no new document takes one.
"""

from __future__ import annotations

import datetime
import json
import shutil
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import ijson
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS
from django.db import IntegrityError
from django.db import connection
from django.db import models
from django.db import transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import svc_archive_plugin
from svc_archive_plugin.models.chains import chain_fields
from svc_archive_plugin.models.chains import row_hash
from svc_archive_plugin.models.evidence import AppendOnlyModel
from svc_archive_plugin.services import chains
from svc_archive_plugin.services.register import verify

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Iterator

APP_LABEL = "svc_archive_plugin"
FILE_NAME = "svc_archive.json"
FORMAT = "svc-archive-export"
FORMAT_VERSION = 1
DOCUMENT = "documents.document"
CONTENT_TYPE = "contenttypes.contenttype"

# Integer columns that hold a paperless document id without a foreign key (the record may
# be destroyed): mapped like a foreign key while the document exists, kept when it does not.
DOCUMENT_ID_FIELDS: dict[str, tuple[str, ...]] = {
    "svc_archive_plugin.destructionitem": ("document_id",),
    "svc_archive_plugin.refuseddeletion": ("document_id",),
    "svc_archive_plugin.refusedchange": ("document_id",),
}
# Integer columns named after documents that are never rewritten.
KEPT_AS_EXPORTED: dict[str, tuple[str, ...]] = {
    # The destroyed record's id, as in the tombstone's content that the hash covers.
    "svc_archive_plugin.registerentry": ("document_id",),
    # Where an interrupted fixity run resumes in id order: a position, not a document.
    "svc_archive_plugin.fixityrun": ("last_document_id",),
    # A part of a fixity run: the id range it covers and how far in it the run got.
    "svc_archive_plugin.fixitychunk": ("first_id", "last_id", "last_document_id"),
}
# Tables derived from others in the same database, not carried by a backup: the records'
# counts are written by triggers on the records' index (``RecordFacts``), so the import's
# inserts of the index count them again; exporting them too would count each record twice.
DERIVED: frozenset[str] = frozenset({"svc_archive_plugin.recordcount"})
# (content type, object id) pairs that name any paperless object.
GENERIC_REFERENCES: dict[str, tuple[str, str]] = {
    "svc_archive_plugin.provisionedobject": ("content_type", "object_id"),
}


class BackupError(Exception):
    """An export or import that cannot be done; nothing was changed."""


@dataclass(frozen=True)
class Identity:
    """What identifies an object of a paperless model across installations."""

    keys: tuple[str, ...]
    # What decides between several objects with the same keys (then the same id).
    ties: tuple[str, ...] = ()


def identity_of(model: type[models.Model]) -> Identity | None:
    """How objects of ``model`` are matched between installations (None: they cannot be)."""
    if model._meta.label_lower == DOCUMENT:
        return Identity(("checksum",), ("title",))
    if model is get_user_model():
        return Identity((model.USERNAME_FIELD,))
    if model is ContentType:
        return Identity(("app_label", "model"))
    names = {f.name for f in model._meta.concrete_fields}
    if "name" in names:
        return Identity(("name",), ("owner__username",) if "owner" in names else ())
    return None


@dataclass(frozen=True)
class Reference:
    """A column of a plugin model that holds the id of a paperless object."""

    name: str
    target: str


def plugin_models() -> list[type[models.Model]]:
    """Every model of the plugin with a table, each after the plugin models it refers to.

    Proxies share their model's table; unmanaged models (a permission holder) have none;
    ``DERIVED`` tables are rebuilt by the database from the others.
    """
    found = [
        m
        for m in apps.get_app_config(APP_LABEL).get_models(include_auto_created=True)
        if not m._meta.proxy and m._meta.managed and m._meta.label_lower not in DERIVED
    ]
    labels = {m._meta.label_lower for m in found}
    needs = {
        m: {
            f.related_model._meta.concrete_model
            for f in m._meta.concrete_fields
            if f.is_relation
            and f.related_model._meta.label_lower in labels
            and f.related_model._meta.concrete_model is not m
        }
        for m in found
    }
    ordered: list[type[models.Model]] = []
    while len(ordered) < len(found):
        ready = [m for m in found if m not in ordered and needs[m] <= set(ordered)]
        if not ready:
            raise BackupError("The plugin's models refer to each other in a circle.")
        ordered.extend(ready)
    return ordered


def references(model: type[models.Model]) -> list[Reference]:
    """The columns of a plugin model that refer to paperless objects."""
    label = model._meta.label_lower
    generic = GENERIC_REFERENCES.get(label, ())
    found = [
        Reference(f.name, f.related_model._meta.label_lower)
        for f in model._meta.concrete_fields
        if f.is_relation
        and f.related_model._meta.app_label != APP_LABEL
        and f.name not in generic
    ]
    found += [Reference(name, DOCUMENT) for name in DOCUMENT_ID_FIELDS.get(label, ())]
    return found


def option_fields(model: type[models.Model]) -> list[str]:
    """Columns holding the id of an option of a paperless select custom field."""
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.name == "option_id" or f.name.endswith("_option_id")
    ]


class ExportEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts times to milliseconds; evidence keeps every microsecond."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _dumps(value: Any, **kwargs: Any) -> str:
    return json.dumps(value, cls=ExportEncoder, ensure_ascii=False, **kwargs)


# Export -----------------------------------------------------------------------------------


@dataclass
class ExportResult:
    """What an export wrote."""

    path: Path
    counts: dict[str, int]
    documents: int
    missing_documents: int
    manifest_found: bool


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of the database for the whole export."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _migration_state() -> tuple[MigrationLoader, str, bool]:
    """The loader, the plugin's latest migration, and whether it is applied."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    leaves = loader.graph.leaf_nodes(APP_LABEL)
    leaf = leaves[-1][1]
    return loader, leaf, (APP_LABEL, leaf) in loader.applied_migrations


def _batches(queryset, size: int) -> Iterator[list[models.Model]]:
    iterator = queryset.iterator(chunk_size=size)
    while batch := list(islice(iterator, size)):
        yield batch


def _identities(
    label: str,
    ids: Iterable[Any],
) -> tuple[dict[str, dict], list[Any]]:
    """The identity of each object, and the ids no object has any more."""
    model = apps.get_model(label)
    identity = identity_of(model)
    if identity is None:
        raise BackupError(
            _(
                "The plugin refers to %(model)s, which a backup cannot match between "
                "installations.",
            )
            % {"model": label},
        )
    wanted = sorted(set(ids))
    found: dict[str, dict] = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        for row in model._base_manager.filter(pk__in=chunk).values(
            "pk",
            *identity.keys,
            *identity.ties,
        ):
            found[str(row.pop("pk"))] = row
    missing = [pk for pk in wanted if str(pk) not in found]
    return found, missing


def _select_options() -> dict[str, dict[str, str]]:
    """Every option of paperless's select custom fields: id → field name and label."""
    from documents.models import CustomField

    options = {}
    for name, extra in CustomField.objects.filter(
        data_type=CustomField.FieldDataType.SELECT,
    ).values_list("name", "extra_data"):
        for option in (extra or {}).get("select_options") or []:
            if isinstance(option, dict) and option.get("id"):
                options[str(option["id"])] = {
                    "field": name,
                    "label": option.get("label") or "",
                }
    return options


def _register_state() -> dict:
    from svc_archive_plugin.models import RegisterEntry

    last = RegisterEntry.objects.order_by("-sequence").first()
    return {
        "entries": RegisterEntry.objects.count(),
        "problems": sum(1 for _problem in verify()),
        "last_hash": last.entry_hash if last else None,
    }


def _grants_with_permission() -> list[int]:
    """The current access grants whose view permission on the document is in place."""
    from documents.models import Document
    from guardian.models import UserObjectPermission

    from svc_archive_plugin.models import AccessGrant

    grants = list(
        AccessGrant.objects.filter(withdrawn_at__isnull=True).values_list(
            "pk",
            "user_id",
            "document_id",
        ),
    )
    if not grants:
        return []
    held = set(
        UserObjectPermission.objects.filter(
            content_type=ContentType.objects.get_for_model(Document),
            permission__codename="view_document",
            user_id__in={user for _pk, user, _doc in grants},
        ).values_list("user_id", "object_pk"),
    )
    return sorted(pk for pk, user, doc in grants if (user, str(doc)) in held)


def export_plugin_data(
    target_dir: Path | str,
    *,
    batch_size: int = 1000,
) -> ExportResult:
    """Write every row of the plugin to ``<target_dir>/svc_archive.json``."""
    target_dir = Path(target_dir)
    if not target_dir.is_dir():
        raise BackupError(
            _("%(path)s is not a directory.") % {"path": target_dir},
        )
    path = target_dir / FILE_NAME
    records_tmp = target_dir / f".{FILE_NAME}.records"
    final_tmp = target_dir / f".{FILE_NAME}.tmp"
    counts: dict[str, int] = {}
    refs: dict[str, set] = defaultdict(set)
    generic: set[tuple[int, int]] = set()
    option_ids: set[str] = set()
    try:
        with _snapshot():
            _loader, migration, applied = _migration_state()
            if not applied:
                raise BackupError(
                    _(
                        "The plugin's migration %(migration)s is not applied here; run "
                        "migrate first.",
                    )
                    % {"migration": migration},
                )
            with records_tmp.open("w", encoding="utf-8") as out:
                first = True
                for model in plugin_models():
                    label = model._meta.label_lower
                    counts[label] = 0
                    refer = references(model)
                    options = option_fields(model)
                    many = [f.name for f in model._meta.many_to_many]
                    ct_name, obj_name = GENERIC_REFERENCES.get(label, (None, None))
                    # Evidence in chain order, which the import checks as it reads.
                    queryset = model._base_manager.order_by(
                        chain_fields(model)[0] if is_chained(model) else "pk",
                    )
                    for batch in _batches(queryset, batch_size):
                        for record in serializers.serialize("python", batch):
                            values = record["fields"]
                            for name in many:  # their through models are exported
                                values.pop(name, None)
                            for ref in refer:
                                if values.get(ref.name) is not None:
                                    refs[ref.target].add(values[ref.name])
                            for name in options:
                                if values.get(name):
                                    option_ids.add(str(values[name]))
                            if ct_name and values.get(ct_name) is not None:
                                generic.add((values[ct_name], values[obj_name]))
                            out.write("\n" if first else ",\n")
                            out.write(_dumps(record))
                            first = False
                            counts[label] += 1
            for ct_id, object_id in generic:
                refs[CONTENT_TYPE].add(ct_id)
                model = ContentType.objects.get_for_id(ct_id).model_class()
                if model is not None and object_id is not None:
                    refs[model._meta.label_lower].add(object_id)
            known, missing = {}, {}
            for label, ids in sorted(refs.items()):
                known[label], gone = _identities(label, ids)
                if gone:
                    missing[label] = gone
            select_options = _select_options()
            header = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "plugin_version": svc_archive_plugin.__version__,
                "paperless_version": _paperless_version(),
                "exported_at": timezone.now(),
                "migration": migration,
                "counts": counts,
                "references": known,
                "missing": missing,
                "select_options": {
                    o: select_options.get(o) for o in sorted(option_ids)
                },
                "register": _register_state(),
                "chains": chains.heads(),
                "grants_with_permission": _grants_with_permission(),
            }
        with final_tmp.open("w", encoding="utf-8") as out:
            out.write('{"header": ')
            out.write(_dumps(header, indent=1))
            out.write(',\n"records": [')
            with records_tmp.open(encoding="utf-8") as records:
                shutil.copyfileobj(records, out)
            out.write("\n]}\n")
        final_tmp.replace(path)
    except OSError as exc:  # a full disk, a directory that cannot be written
        raise BackupError(
            _("The export cannot be written to %(path)s: %(error)s")
            % {"path": target_dir, "error": exc},
        ) from exc
    finally:
        records_tmp.unlink(missing_ok=True)
        final_tmp.unlink(missing_ok=True)
    return ExportResult(
        path=path,
        counts=counts,
        documents=len(known.get(DOCUMENT, {})),
        missing_documents=len(missing.get(DOCUMENT, [])),
        manifest_found=(target_dir / "manifest.json").is_file(),
    )


def _paperless_version() -> str:
    from paperless import version

    return version.__full_version_str__


# Import -----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import loaded and how it matched paperless's objects."""

    path: Path
    counts: dict[str, int]
    documents: int = 0
    renumbered: dict[str, int] = field(default_factory=dict)
    missing_documents: int = 0
    replaced: int = 0
    # With --replace-existing: evidence rows that were here and stayed as they were.
    kept: int = 0
    register_entries: int = 0
    # Problems of the register's chain, as the export found them and the import kept them.
    register_problems: int = 0
    grants: int = 0


def export_file(source: Path | str) -> Path:
    """The plugin's export file in an export directory (or the file itself)."""
    source = Path(source)
    path = source / FILE_NAME if source.is_dir() else source
    if not path.is_file():
        raise BackupError(
            _(
                "%(path)s holds no export of the service archive (%(file)s); run "
                "svc_archive_export next to document_exporter first.",
            )
            % {"path": source, "file": FILE_NAME},
        )
    return path


def read_header(path: Path) -> dict:
    """The export's header, after checking that the file is an export of this plugin."""
    try:
        with path.open("rb") as f:
            header = next(ijson.items(f, "header", use_float=True), None)
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise BackupError(
            _("%(path)s is not an export of the service archive: %(error)s")
            % {"path": path, "error": exc},
        ) from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(
            _("%(path)s is not an export of the service archive.") % {"path": path},
        )
    if header.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            _(
                "%(path)s is in export format %(found)s; this version of the plugin "
                "reads format %(wanted)s.",
            )
            % {
                "path": path,
                "found": header.get("format_version"),
                "wanted": FORMAT_VERSION,
            },
        )
    return header


def _check_migration(header: dict) -> None:
    loader, leaf, applied = _migration_state()
    theirs = header.get("migration")
    version = header.get("plugin_version")
    if (APP_LABEL, theirs) not in loader.graph.nodes:
        raise BackupError(
            _(
                "The export was made by a newer version of the plugin (%(version)s, "
                "migration %(theirs)s); this installation knows migrations up to "
                "%(ours)s. Upgrade the plugin here first.",
            )
            % {"version": version, "theirs": theirs, "ours": leaf},
        )
    if theirs != leaf:
        raise BackupError(
            _(
                "The export was made by an older version of the plugin (%(version)s, "
                "migration %(theirs)s); this installation is at %(ours)s. Import it "
                "into an installation of that version, then upgrade.",
            )
            % {"version": version, "theirs": theirs, "ours": leaf},
        )
    if not applied:
        raise BackupError(
            _("The plugin's migration %(ours)s is not applied here; run migrate first.")
            % {"ours": leaf},
        )


def _existing_rows() -> dict[type[models.Model], int]:
    found = {}
    for model in plugin_models():
        if n := model._base_manager.count():
            found[model] = n
    return found


def _describe(label: str, identity: dict) -> str:
    if label == DOCUMENT:
        return f"“{identity.get('title', '')}” (checksum {identity.get('checksum')})"
    return " ".join(str(v) for v in identity.values() if v is not None)


def _match(label: str, wanted: dict[str, dict]) -> tuple[dict[int, Any], list[str]]:
    """Map each old id to the id of the same object here; describe what is not here."""
    model = apps.get_model(label)
    identity = identity_of(model)
    if identity is None:
        raise BackupError(
            _("The export refers to %(model)s, which cannot be matched here.")
            % {"model": label},
        )
    keys, ties = identity.keys, identity.ties

    def key(row: dict) -> tuple:
        return tuple(row.get(k) for k in keys)

    candidates: dict[tuple, list[dict]] = defaultdict(list)
    wanted_keys = sorted({key(i) for i in wanted.values()}, key=repr)
    for start in range(0, len(wanted_keys), 500):
        chunk = wanted_keys[start : start + 500]
        if len(keys) == 1:
            condition = Q(**{f"{keys[0]}__in": [values[0] for values in chunk]})
        else:
            condition = Q()
            for values in chunk:
                condition |= Q(**dict(zip(keys, values, strict=True)))
        for row in model._base_manager.filter(condition).values("pk", *keys, *ties):
            candidates[key(row)].append(row)
    mapping, problems = {}, []
    pk_field = model._meta.pk
    for old, ident in wanted.items():
        old_pk = pk_field.to_python(old)
        rows = candidates.get(key(ident), [])
        for tie in (*ties, "pk"):
            if len(rows) <= 1:
                break
            value = old_pk if tie == "pk" else ident.get(tie)
            rows = [r for r in rows if r[tie] == value] or rows
        if len(rows) == 1:
            mapping[old_pk] = rows[0]["pk"]
        elif rows:
            problems.append(
                _("%(what)s (several here)") % {"what": _describe(label, ident)},
            )
        else:
            problems.append(_describe(label, ident))
    return mapping, problems


_WHAT = {
    DOCUMENT: gettext_lazy("documents"),
    "auth.user": gettext_lazy("users"),
    "auth.group": gettext_lazy("groups"),
}


@dataclass
class _Plan:
    """How the export's references translate into this installation."""

    maps: dict[str, dict[Any, Any]]
    kept: dict[str, set]


def _plan(header: dict) -> _Plan:
    """Match every reference of the export, or refuse with everything that is missing."""
    ContentType.objects.clear_cache()
    maps, kept, problems = {}, {}, []
    for label, wanted in sorted(header["references"].items()):
        try:
            apps.get_model(label)
        except LookupError:
            problems.append(
                _("%(model)s does not exist in this installation") % {"model": label},
            )
            continue
        maps[label], missing = _match(label, wanted)
        if missing:
            what = _WHAT.get(label, label)
            shown = "; ".join(missing[:5])
            more = len(missing) - 5
            problems.append(
                _("%(count)d %(what)s it refers to are not here: %(shown)s")
                % {"count": len(missing), "what": what, "shown": shown}
                + (_(" and %(more)d more") % {"more": more} if more > 0 else ""),
            )
    for label, ids in sorted(header.get("missing", {}).items()):
        if label not in maps:
            continue  # a model this installation does not have: reported above
        model = apps.get_model(label)
        kept[label] = {model._meta.pk.to_python(i) for i in ids}
        ordered = sorted(kept[label])
        taken = [
            pk
            for start in range(0, len(ordered), 1000)
            for pk in model._base_manager.filter(
                pk__in=ordered[start : start + 1000],
            ).values_list("pk", flat=True)
        ]
        if taken:
            problems.append(
                _(
                    "%(what)s %(ids)s no longer existed when the export was made (destroyed "
                    "or deleted records), but exist here",
                )
                % {
                    "what": _WHAT.get(label, label),
                    "ids": ", ".join(f"#{i}" for i in sorted(taken)[:10]),
                },
            )
    if problems:
        raise BackupError(
            _(
                "The export does not match this installation: %(problems)s. Import the "
                "paperless export made together with it (document_importer) first.",
            )
            % {"problems": "; ".join(problems)},
        )
    return _Plan(maps=maps, kept=kept)


def _check_select_options(header: dict) -> None:
    here = _select_options()
    # An option already gone at the export (``about`` empty) cannot be asked for here.
    missing = [
        (option, about)
        for option, about in header["select_options"].items()
        if about and option not in here
    ]
    if missing:
        shown = "; ".join(
            f"{about['label']} ({about['field']})" for _option, about in missing[:5]
        )
        raise BackupError(
            _(
                "The export does not match this installation: %(count)d options of "
                "paperless's select fields it refers to are not here: %(shown)s. Import "
                "the paperless export made together with it (document_importer) first.",
            )
            % {"count": len(missing), "shown": shown},
        )


def _translate(value: Any, label: str, plan: _Plan, model_label: str) -> Any:
    if value is None:
        return None
    mapping = plan.maps.get(label, {})
    if value in mapping:
        return mapping[value]
    if value in plan.kept.get(label, ()):
        return value
    raise BackupError(
        _(
            "The export is damaged: a %(model)s row refers to %(target)s #%(id)s, which "
            "its header does not list.",
        )
        % {"model": model_label, "target": label, "id": value},
    )


def _rewrite(record: dict, model: type[models.Model], plan: _Plan) -> None:
    """Point the record's references at this installation's objects."""
    label = model._meta.label_lower
    values = record["fields"]
    for ref in references(model):
        values[ref.name] = _translate(values.get(ref.name), ref.target, plan, label)
    if label in GENERIC_REFERENCES:
        ct_name, obj_name = GENERIC_REFERENCES[label]
        old_ct = values.get(ct_name)
        if old_ct is not None:
            values[ct_name] = _translate(old_ct, CONTENT_TYPE, plan, label)
            target = ContentType.objects.get_for_id(values[ct_name]).model_class()
            if target is not None and values.get(obj_name) is not None:
                values[obj_name] = _translate(
                    values[obj_name],
                    target._meta.label_lower,
                    plan,
                    label,
                )


def _insert(model: type[models.Model], objects: list[models.Model]) -> None:
    """Insert rows exactly as exported: no ``save()``, no signals, no ``auto_now_add``.

    ``raw=True`` is what ``loaddata`` passes: values are stored as they are. Evidence
    models refuse to be changed through ``save()``; these rows are new, and they are
    inserted with the timestamps they had, which ``save()`` would replace.
    """
    fields = [
        f
        for f in model._meta.concrete_fields
        if not isinstance(f, models.GeneratedField)
    ]
    size = max(1, min(500, connection.ops.bulk_batch_size(fields, objects)))
    for start in range(0, len(objects), size):
        model._base_manager._insert(
            objects[start : start + size],
            fields=fields,
            using=DEFAULT_DB_ALIAS,
            raw=True,
        )


def _deserialize(records: list[dict]) -> list[models.Model]:
    try:
        return [d.object for d in serializers.deserialize("python", records)]
    except DeserializationError as exc:
        raise BackupError(
            _("The export cannot be loaded: %(error)s") % {"error": exc},
        ) from exc


def is_evidence(model: type[models.Model]) -> bool:
    return issubclass(model, AppendOnlyModel)


@dataclass
class _Loaded:
    """What a load inserted, and which export rows were already here as evidence."""

    inserted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    already_here: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    conflicts: list[str] = field(default_factory=list)
    conflicting: int = 0


def _differences(model: type[models.Model], there: models.Model, here) -> list[str]:
    """The columns in which the export's row differs from the row stored here."""
    return [
        str(f.verbose_name)
        for f in model._meta.concrete_fields
        if not isinstance(f, models.GeneratedField)
        and f.value_from_object(there) != f.value_from_object(here)
    ]


def _new_rows(
    model: type[models.Model],
    objects: list[models.Model],
    loaded: _Loaded,
) -> list[models.Model]:
    """The export's rows of an evidence table that are not here; compare the others.

    Evidence that is here stays as it is: an export row with the same id must be the same
    row, or it is a conflict (reported, and the import refused).
    """
    here = model._base_manager.in_bulk([o.pk for o in objects])
    if not here:
        return objects
    label = model._meta.label_lower
    for obj in objects:
        if obj.pk not in here:
            continue
        if differ := _differences(model, obj, here[obj.pk]):
            loaded.conflicting += 1
            if len(loaded.conflicts) < 5:
                loaded.conflicts.append(
                    _("%(model)s #%(id)s (%(fields)s)")
                    % {
                        "model": model._meta.verbose_name,
                        "id": obj.pk,
                        "fields": ", ".join(differ),
                    },
                )
        else:
            loaded.already_here[label] += 1
    return [o for o in objects if o.pk not in here]


def _load(
    path: Path,
    plan: _Plan,
    by_label: dict[str, type[models.Model]],
    chain_check: ChainCheck,
    evidence_here: set[type[models.Model]] = frozenset(),
) -> _Loaded:
    loaded = _Loaded()
    pending: list[dict] = []
    exported: list[dict] = []  # evidence rows as exported, before _rewrite
    current: type[models.Model] | None = None

    def flush() -> None:
        if not pending:
            return
        objects = _deserialize(list(pending))
        if exported:
            chain_check.feed(current, _deserialize(list(exported)), objects)
        if current in evidence_here:
            objects = _new_rows(current, objects, loaded)
        try:
            with transaction.atomic():
                _insert(current, objects)
        except IntegrityError as exc:  # e.g. a register sequence already taken here
            raise BackupError(
                _(
                    "The export conflicts with this installation's %(model)s, which "
                    "are never rewritten: %(error)s. Nothing was imported.",
                )
                % {"model": current._meta.verbose_name_plural, "error": exc},
            ) from exc
        loaded.inserted[current._meta.label_lower] += len(objects)
        pending.clear()
        exported.clear()

    try:
        with path.open("rb") as f:
            for record in ijson.items(f, "records.item", use_float=True):
                model = by_label.get(record.get("model"))
                if model is None:
                    raise BackupError(
                        _(
                            "The export holds rows of %(model)s, which this plugin "
                            "does not have.",
                        )
                        % {"model": record.get("model")},
                    )
                if model is not current or len(pending) >= 500:
                    flush()
                    current = model
                if is_chained(model):
                    exported.append({**record, "fields": dict(record["fields"])})
                _rewrite(record, model, plan)
                pending.append(record)
    except (ijson.JSONError, UnicodeDecodeError) as exc:  # a file cut short or damaged
        raise BackupError(
            _("The export cannot be loaded: %(error)s") % {"error": exc},
        ) from exc
    flush()
    if loaded.conflicting:
        raise BackupError(
            _(
                "The export differs from %(count)d evidence rows of this installation, "
                "which are never rewritten: %(rows)s. Nothing was imported. Export this "
                "installation first, or import into a fresh one.",
            )
            % {"count": loaded.conflicting, "rows": "; ".join(loaded.conflicts)},
        )
    return loaded


# The evidence chains: verified as exported, before anything is committed -----------------


def is_chained(model: type[models.Model]) -> bool:
    return issubclass(model, AppendOnlyModel)


def _renumbers(plan: _Plan) -> bool:
    return any(old != new for m in plan.maps.values() for old, new in m.items())


@dataclass
class _ChainState:
    seq: int = 0
    previous: str = chains.GENESIS  # the export's chain
    sealed: str = chains.GENESIS  # the chain as written here
    resealed: int = 0


class ChainCheck:
    """Verify each evidence chain of an export as its rows are read; refuse a broken one.

    Rows arrive in chain order (the export writes them so). Each is checked with the
    values it was exported with — before its references are pointed at this
    installation's objects — against the row before it and, at the end, against the heads
    the export recorded: an edited, removed, cut-off or re-chained export is refused and
    the transaction rolls back. Where the import renumbers a document or a person, the
    rows that name them are sealed again as they are written here (the chain was first
    verified as exported), and the heads the imported fixity checks anchored are carried
    over to the chain as sealed here.
    """

    def __init__(self, header: dict, path: Path, *, renumbering: bool) -> None:
        self.expected: dict[str, dict] = header.get("chains") or {}
        self.state: dict[str, _ChainState] = {}
        self.anchored: dict[tuple[str, int], dict[str, str]] = {}
        if renumbering:
            self.anchored = _anchored_heads(path)

    def refuse(self, label: str, pk: Any, seq: Any, problem: str) -> BackupError:
        return BackupError(
            _(
                "The export's evidence chain is broken: %(finding)s. Nothing was "
                "imported.",
            )
            % {"finding": chains.Finding(label, pk, seq, problem)},
        )

    def feed(
        self,
        model: type[models.Model],
        exported: list[models.Model],
        written: list[models.Model],
    ) -> None:
        label = model._meta.label_lower
        seq_name, prev_name, hash_name = chain_fields(model)
        state = self.state.setdefault(label, _ChainState())
        for old, new in zip(exported, written, strict=True):
            seq = getattr(old, seq_name)
            finding = None
            if seq != state.seq + 1:
                finding = _("entries %(first)s–%(last)s before it are missing") % {
                    "first": state.seq + 1,
                    "last": (seq or 0) - 1,
                }
            elif getattr(old, prev_name) != state.previous:
                finding = _(
                    "it does not follow the entry before it (previous hash differs)",
                )
            elif row_hash(old, state.previous, seq) != getattr(old, hash_name):
                finding = _(
                    "its fields were changed after it was written (hash differs)",
                )
            if finding:
                raise self.refuse(label, old.pk, seq, finding)
            state.seq, state.previous = seq, getattr(old, hash_name)
            sealed = row_hash(new, state.sealed, seq)
            if sealed != state.previous:
                state.resealed += 1
            setattr(new, prev_name, state.sealed)
            setattr(new, hash_name, sealed)
            state.sealed = sealed
            if (label, seq) in self.anchored:
                self.anchored[(label, seq)][state.previous] = sealed

    def finish(self) -> None:
        """Check every chain's end against the export's heads; carry the anchors over."""
        for label, head in sorted(self.expected.items()):
            state = self.state.get(label, _ChainState())
            if state.seq < head["seq"]:
                raise self.refuse(
                    label,
                    None,
                    state.seq,
                    _(
                        "the chain ends at entry %(found)s, but the export recorded "
                        "%(anchored)s entries: its tail was removed",
                    )
                    % {"found": state.seq, "anchored": head["seq"]},
                )
            if (state.seq, state.previous) != (head["seq"], head["hash"]):
                raise self.refuse(
                    label,
                    None,
                    state.seq,
                    _(
                        "its head is not the one the export recorded: the chain was "
                        "computed again (re-chained)",
                    ),
                )
        if any(state.resealed for state in self.state.values()):
            self._carry_anchors_over()

    def _carry_anchors_over(self) -> None:
        from svc_archive_plugin.models import FixityRun

        for run in FixityRun.objects.exclude(chain_heads={}).only("pk", "chain_heads"):
            heads = {
                label: {
                    **head,
                    "hash": self.anchored.get((label, head.get("seq")), {}).get(
                        head.get("hash"),
                        head.get("hash"),
                    ),
                }
                for label, head in run.chain_heads.items()
            }
            if heads != run.chain_heads:
                FixityRun.objects.filter(pk=run.pk).update(chain_heads=heads)


def _anchored_heads(path: Path) -> dict[tuple[str, int], dict[str, str]]:
    """Every (table, seq) a fixity check in the export anchored (read ahead in the file)."""
    anchored: dict[tuple[str, int], dict[str, str]] = {}
    with path.open("rb") as f:
        for record in ijson.items(f, "records.item", use_float=True):
            if record.get("model") != "svc_archive_plugin.fixityrun":
                continue
            for label, head in (record["fields"].get("chain_heads") or {}).items():
                anchored.setdefault((label, head.get("seq")), {})
    return anchored


def _check_kept_evidence(kept: Iterable[type[models.Model]]) -> None:
    """The evidence kept here must still find every row it refers to in the import."""
    tables = [model._meta.db_table for model in kept]
    if not tables:
        return
    try:
        with transaction.atomic():
            connection.check_constraints(table_names=tables)
    except IntegrityError as exc:
        raise BackupError(
            _(
                "This installation's evidence, which stays, refers to rows the export "
                "lacks (%(error)s); nothing was imported. Export this installation "
                "first, or import into a fresh one.",
            )
            % {"error": exc},
        ) from exc


def _delete_all(found: Iterable[type[models.Model]]) -> int:
    """Remove the plugin's rows here (``--replace-existing``), except the evidence.

    Evidence is never deleted (the database refuses anyway): it stays, and the export's
    copy of each row is compared with it while loading.
    """
    removed = 0
    found = {m for m in found if not is_evidence(m)}
    order = [m for m in reversed(plugin_models()) if m in found]
    with connection.cursor() as cursor:
        for model in order:
            cursor.execute(
                f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}",
            )
            removed += cursor.rowcount
    return removed


def _reserve_ids(label: str, highest: int) -> None:
    """Let no new row of ``label`` take an id up to ``highest`` (ids of destroyed records)."""
    model = apps.get_model(label)
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            sequence = cursor.fetchone()[0]
            if sequence is None:
                return
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last, called = cursor.fetchone()
            if (last if called else last - 1) < highest:
                cursor.execute("SELECT setval(%s, %s, true)", [sequence, highest])
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            if row is None:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                    [table, highest],
                )
            elif row[0] < highest:
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = %s WHERE name = %s",
                    [highest, table],
                )


def _verify(
    header: dict,
    loaded_models: list[type[models.Model]],
    plan: _Plan,
    kept_only: dict[str, int] | None = None,
) -> dict:
    """Check what was loaded against the header; raise (and so roll back) if it differs.

    ``kept_only``: evidence rows that were here, not in the export, and stayed.
    """
    kept_only = kept_only or {}
    counts = {}
    for model in loaded_models:
        label = model._meta.label_lower
        counts[label] = model._base_manager.count()
        expected_rows = header["counts"].get(label, 0) + kept_only.get(label, 0)
        if counts[label] != expected_rows:
            raise BackupError(
                _(
                    "After the import %(model)s holds %(found)d rows, the export "
                    "%(expected)d; nothing was imported.",
                )
                % {
                    "model": label,
                    "found": counts[label],
                    "expected": expected_rows,
                },
            )
    expected = header["register"]
    state = _register_state()
    # Entries kept here past the export's last one carry the chain on from it.
    grown = kept_only.get("svc_archive_plugin.registerentry", 0) > 0
    if state["problems"] != expected["problems"] or (
        not grown and state["last_hash"] != expected["last_hash"]
    ):
        raise BackupError(
            _(
                "The destruction register's chain does not verify after the import "
                "(%(problems)d problems, %(expected)d in the export); nothing was "
                "imported.",
            )
            % {"problems": state["problems"], "expected": expected["problems"]},
        )
    wanted = set(header.get("grants_with_permission", []))
    if missing := sorted(wanted - set(_grants_with_permission())):
        raise BackupError(
            _(
                "The view permissions of %(count)d current access grants (e.g. grant "
                "#%(example)s) are not in this installation; import the paperless export "
                "made together with this file (document_importer) first.",
            )
            % {"count": len(missing), "example": missing[0]},
        )
    return counts


def import_plugin_data(
    source: Path | str,
    *,
    replace_existing: bool = False,
) -> ImportResult:
    """Load an export made by ``export_plugin_data``: all of it, verified, or nothing."""
    path = export_file(source)
    header = read_header(path)
    _check_migration(header)
    ordered = plugin_models()
    by_label = {m._meta.label_lower: m for m in ordered}
    if unknown := sorted(set(header["counts"]) - set(by_label)):
        raise BackupError(
            _("The export holds rows of %(models)s, which this plugin does not have.")
            % {"models": ", ".join(unknown)},
        )
    with transaction.atomic():
        existing = _existing_rows()
        if existing and not replace_existing:
            raise BackupError(
                _(
                    "This installation already has service-archive rows (%(found)s); "
                    "import into a fresh installation, or pass --replace-existing to "
                    "replace them.",
                )
                % {
                    "found": ", ".join(
                        f"{model._meta.verbose_name_plural} {n}"
                        for model, n in existing.items()
                    ),
                },
            )
        plan = _plan(header)
        _check_select_options(header)
        evidence_here = {m: n for m, n in existing.items() if is_evidence(m)}
        replaced = _delete_all(existing) if existing else 0
        chain_check = ChainCheck(header, path, renumbering=_renumbers(plan))
        loaded = _load(path, plan, by_label, chain_check, set(evidence_here))
        chain_check.finish()
        _check_kept_evidence(evidence_here)
        kept_only = {
            m._meta.label_lower: n - loaded.already_here[m._meta.label_lower]
            for m, n in evidence_here.items()
        }
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), ordered):
                cursor.execute(sql)
        for label, ids in plan.kept.items():
            numeric = [i for i in ids if isinstance(i, int)]
            if numeric:
                _reserve_ids(label, max(numeric))
        counts = _verify(header, ordered, plan, kept_only)
    return ImportResult(
        path=path,
        counts=counts,
        documents=len(plan.maps.get(DOCUMENT, {})),
        renumbered={
            label: sum(1 for old, new in mapping.items() if old != new)
            for label, mapping in plan.maps.items()
        },
        missing_documents=len(plan.kept.get(DOCUMENT, ())),
        replaced=replaced,
        kept=sum(evidence_here.values()),
        register_entries=header["register"]["entries"],
        register_problems=header["register"]["problems"],
        grants=len(header.get("grants_with_permission", [])),
    )
