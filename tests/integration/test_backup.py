"""Backup and restore of the plugin's registers (svc_archive_export / svc_archive_import).

The rich archive is exported, the plugin's tables emptied and paperless's side changed as
a different installation would have it (other document and user ids for the same
documents and people), then imported: every row comes back, pointing at the same
documents and people, and the destruction register's chain verifies. Every refusal names
its reason and leaves the installation as it was.
"""

from __future__ import annotations

import json
from io import StringIO
from typing import TYPE_CHECKING

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError
from django.core.management import call_command
from django.db import connection
from django.db import models
from django.db.migrations.loader import MigrationLoader
from documents.models import CustomField
from documents.models import Document
from guardian.models import GroupObjectPermission
from guardian.models import UserObjectPermission

from svc_archive_plugin.db_triggers import evidence_maintenance
from svc_archive_plugin.models import AccessGrant
from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import LoanEvent
from svc_archive_plugin.models import RegisterEntry
from svc_archive_plugin.services import access
from svc_archive_plugin.services import backup
from svc_archive_plugin.services import chains
from svc_archive_plugin.services import loans
from svc_archive_plugin.services import record_facts
from svc_archive_plugin.services.register import verify
from tests.backup_fixture import build_archive
from tests.backup_fixture import natural_rows
from tests.factories import DocumentFactory

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(paperless_dirs):
    return build_archive()


@pytest.fixture
def exported(archive, tmp_path) -> Path:
    """The archive exported; returns the export directory."""
    target = tmp_path / "export"
    target.mkdir()
    backup.export_plugin_data(target)
    return target


def empty_plugin_tables() -> None:
    """The plugin's tables as a fresh installation has them (paperless's side untouched).

    A fresh installation, made here through the evidence maintenance door.
    """
    with evidence_maintenance(), connection.cursor() as cursor:
        for model in reversed(backup.plugin_models()):
            cursor.execute(
                f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}",
            )


def plugin_row_count() -> int:
    return sum(m._base_manager.count() for m in backup.plugin_models())


def rotate_documents() -> dict[int, int]:
    """Give every document the checksum and title of the one before it, as if imported
    into another installation under other ids; object permissions move along."""
    documents = list(
        Document.global_objects.order_by("pk").values_list("pk", "checksum", "title"),
    )
    ids = [pk for pk, _c, _t in documents]
    moved = dict(zip(ids, ids[1:] + ids[:1], strict=True))
    for (pk, checksum, title), new in zip(documents, moved.values(), strict=True):
        Document.global_objects.filter(pk=new).update(checksum=checksum, title=title)
    doc_type = ContentType.objects.get_for_model(Document)
    for model in (UserObjectPermission, GroupObjectPermission):
        rows = model.objects.filter(content_type=doc_type)
        for old, new in moved.items():
            rows.filter(object_pk=str(old)).update(object_pk=f"moving-{new}")
        for new in moved.values():
            rows.filter(object_pk=f"moving-{new}").update(object_pk=str(new))
    return moved


def swap_users(a: str, b: str) -> None:
    """Two people whose user ids are the other way round; their permissions follow them."""
    users = get_user_model().objects
    first, second = users.get(username=a), users.get(username=b)
    users.filter(pk=first.pk).update(username=f"swapping-{a}")
    users.filter(pk=second.pk).update(username=a)
    users.filter(pk=first.pk).update(username=b)
    permissions = UserObjectPermission.objects
    mine = list(permissions.filter(user=first).values_list("pk", flat=True))
    permissions.filter(user=second).update(user=first)
    permissions.filter(pk__in=mine).update(user=second)


def edit_export(target: Path, change) -> None:
    path = target / backup.FILE_NAME
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# What is exported -----------------------------------------------------------------------------


def test_every_concrete_model_is_exported(archive, tmp_path):
    """A model added later is in the export, and the fixture must give it rows to test."""
    result = backup.export_plugin_data(tmp_path)
    # Proxies share a table; an unmanaged model (the statistics permission) has none.
    with_tables = {
        m._meta.label_lower
        for m in apps.get_app_config("svc_archive_plugin").get_models()
        if not m._meta.proxy and m._meta.managed
    }
    assert with_tables - backup.DERIVED <= set(result.counts)
    empty = sorted(label for label, n in result.counts.items() if n == 0)
    assert empty == [], f"add rows of {empty} to tests/backup_fixture.py"
    header = backup.read_header(result.path)
    assert header["counts"] == result.counts
    latest = MigrationLoader(connection).graph.leaf_nodes("svc_archive_plugin")
    assert header["migration"] == latest[-1][1]


def test_every_reference_to_paperless_can_be_matched():
    """A new column pointing into paperless must say how it is matched, or this fails."""
    for model in backup.plugin_models():
        label = model._meta.label_lower
        for ref in backup.references(model):
            target = apps.get_model(ref.target)
            assert backup.identity_of(target) is not None, (label, ref)
        declared = {
            *backup.DOCUMENT_ID_FIELDS.get(label, ()),
            *backup.KEPT_AS_EXPORTED.get(label, ()),
        }
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is ContentType:
                assert label in backup.GENERIC_REFERENCES, (label, f.name)
            # An integer named after documents: a document id the backup must map.
            named_after_documents = "document" in f.name and f.name.endswith("_id")
            if isinstance(f, models.IntegerField) and named_after_documents:
                assert f.name in declared, (label, f.name)


def test_the_header_names_what_the_rows_refer_to(archive, exported):
    header = backup.read_header(exported / backup.FILE_NAME)
    assert header["format"] == "svc-archive-export"
    assert header["plugin_version"]
    assert header["paperless_version"].startswith("3.")
    secret = archive["secret"]
    assert header["references"]["documents.document"][str(secret.pk)] == {
        "checksum": secret.checksum,
        "title": "保密协议",
    }
    assert header["references"]["auth.user"][str(archive["people"]["clerk"].pk)] == {
        "username": "clerk",
    }
    assert sorted(header["missing"]["documents.document"]) == archive["destroyed"]
    # A document in paperless's trash is still there: paperless exports it too.
    assert str(archive["trashed"].pk) in header["references"]["documents.document"]
    assert header["register"]["entries"] == 2
    assert header["register"]["problems"] == 0
    assert len(header["grants_with_permission"]) == 1


# The round trip -------------------------------------------------------------------------------


def test_import_brings_every_row_back_under_the_new_ids(archive, exported):
    before = natural_rows(seals=False)
    grant = AccessGrant.objects.get()
    empty_plugin_tables()
    moved = rotate_documents()
    swap_users("clerk", "desk")

    result = backup.import_plugin_data(exported)

    # The rows naming renumbered documents and people are sealed again as written here.
    assert natural_rows(seals=False) == before
    assert chains.verify() == []
    # The statistics' counts, kept from the index by the database, count each record once.
    assert record_facts.count_differences() == {}
    assert result.counts == backup.read_header(exported / backup.FILE_NAME)["counts"]
    assert (
        result.documents == len(moved) and result.renumbered["documents.document"] > 0
    )
    assert result.renumbered["auth.user"] == 2
    assert result.missing_documents == 2
    assert list(verify()) == []
    assert RegisterEntry.objects.count() == 2
    # The grant now names the clerk and the document under their new ids.
    grant_now = AccessGrant.objects.get(pk=grant.pk)
    assert grant_now.user.username == "clerk"
    assert grant_now.user_id == archive["people"]["desk"].pk
    assert grant_now.document_id == moved[grant.document_id]
    # The destroyed records keep their ids; the register's documents are still gone.
    assert (
        sorted(
            RegisterEntry.objects.values_list("document_id", flat=True),
        )
        == archive["destroyed"]
    )


def test_timestamps_survive_to_the_microsecond(archive, exported):
    entry = RegisterEntry.objects.order_by("sequence").first()
    at = entry.destroyed_at
    empty_plugin_tables()
    backup.import_plugin_data(exported)
    assert RegisterEntry.objects.get(pk=entry.pk).destroyed_at == at


def evidence_row_count() -> int:
    return sum(
        m._base_manager.count() for m in backup.plugin_models() if backup.is_evidence(m)
    )


def test_replace_existing_loads_the_export_over_what_is_there(archive, exported):
    before = natural_rows()
    evidence = evidence_row_count()
    result = backup.import_plugin_data(exported, replace_existing=True)
    # The registers are replaced; the evidence stays, and matched the export row by row.
    assert result.replaced == plugin_row_count() - evidence
    assert result.kept == evidence
    assert natural_rows() == before
    assert list(verify()) == []


def test_replacing_keeps_the_evidence_the_export_lacks(archive, exported):
    """Evidence written after the export is never dropped by importing it again."""
    people = archive["people"]
    access.record_access(people["head"], archive["secret"].pk, "view", "api")
    later = AccessLogEntry.objects.latest("pk")
    entries = AccessLogEntry.objects.count()

    result = backup.import_plugin_data(exported, replace_existing=True)

    assert AccessLogEntry.objects.count() == entries
    assert AccessLogEntry.objects.get(pk=later.pk).username == "head"
    assert result.counts["svc_archive_plugin.accesslogentry"] == entries


def test_replacing_refuses_an_export_that_differs_from_the_evidence_here(exported):
    """An export row with the id of an evidence row here must be that row.

    An edited row also breaks the export's own chain, which is checked first; either way
    the import is refused and the evidence here stays as it was.
    """

    def rewrite(data):
        entry = next(
            r
            for r in data["records"]
            if r["model"] == "svc_archive_plugin.accesslogentry"
        )
        entry["fields"]["title"] = "改过的题名"

    edit_export(exported, rewrite)
    refused(
        exported,
        r"(evidence chain is broken: svc_archive_plugin\.accesslogentry.*hash differs"
        r"|differs from 1 evidence rows .*access log entry #\d+ \(document title\)).*"
        "Nothing was imported",
        replace_existing=True,
    )
    assert not AccessLogEntry.objects.filter(title="改过的题名").exists()


def test_replacing_refuses_when_kept_evidence_would_lose_what_it_names(
    archive,
    exported,
):
    """A loan made after the export: its history stays, so its loan must too."""
    people = archive["people"]
    loan = loans.request_loan(
        people["clerk"],
        reason="复核",
        days=3,
        document_id=archive["filed"][0].pk,
    )

    refused(exported, "refers to rows the export lacks", replace_existing=True)
    assert LoanEvent.objects.filter(loan=loan).exists()


# Refusals: each says why, and nothing changes ---------------------------------------------------


def refused(source, match: str, **kwargs) -> None:
    rows = plugin_row_count()
    with pytest.raises(backup.BackupError, match=match):
        backup.import_plugin_data(source, **kwargs)
    assert plugin_row_count() == rows


def test_refuses_what_is_not_an_export_of_this_schema(exported, tmp_path):
    empty_plugin_tables()
    refused(tmp_path, "holds no export of the service archive")
    other = tmp_path / "other.json"
    other.write_text('{"header": {"format": "something"}, "records": []}')
    refused(other, "is not an export of the service archive")
    other.write_text("not json at all")
    refused(other, "is not an export of the service archive")
    for migration, match in (
        ("0099_from_the_future", "made by a newer version of the plugin"),
        ("0008_access_and_loans", "made by an older version of the plugin"),
    ):
        edit_export(exported, lambda d, m=migration: d["header"].update(migration=m))
        refused(exported, match)
    edit_export(exported, lambda d: d["header"].update(format_version=99))
    refused(exported, "export format 99")


def test_refuses_an_installation_that_has_rows(exported):
    refused(exported, "already has service-archive rows .*--replace-existing")


def test_refuses_an_export_cut_short(exported):
    empty_plugin_tables()
    path = exported / backup.FILE_NAME
    text = path.read_bytes()
    path.write_bytes(text[:-20])  # the last record cut in half
    refused(exported, "The export cannot be loaded")


def test_refuses_an_installation_whose_paperless_data_does_not_match(archive, exported):
    """The paperless export imported is not the one made with the plugin's export."""
    empty_plugin_tables()
    secret = Document.objects.get(pk=archive["secret"].pk)
    Document.global_objects.filter(pk=secret.pk).update(checksum="0" * 64)
    refused(
        exported,
        "1 documents it refers to are not here: “保密协议” .*document_importer",
    )
    Document.global_objects.filter(pk=secret.pk).update(checksum=secret.checksum)

    get_user_model().objects.filter(username="checker2").update(username="someone")
    refused(exported, "1 users it refers to are not here: checker2")
    get_user_model().objects.filter(username="someone").update(username="checker2")

    # A paperless export older than the destruction: the records are still there.
    stale = DocumentFactory(pk=archive["destroyed"][0], checksum="f" * 64)
    refused(exported, f"documents #{stale.pk} no longer existed")
    stale.hard_delete()

    field = CustomField.objects.get(name="客户")
    CustomField.objects.filter(pk=field.pk).update(extra_data={"select_options": []})
    refused(
        exported,
        "options of paperless's select fields .*C001 北京某科技有限公司 \\(客户\\)",
    )
    CustomField.objects.filter(pk=field.pk).update(extra_data=field.extra_data)

    backup.import_plugin_data(exported)  # put right, it loads


def test_a_failed_check_after_loading_rolls_the_load_back(archive, exported):
    empty_plugin_tables()
    permission = UserObjectPermission.objects.filter(
        user=archive["people"]["clerk"],
        object_pk=str(archive["secret"].pk),
    )
    saved = list(permission.values())
    permission.delete()
    refused(exported, "view permissions of 1 current access grants")
    UserObjectPermission.objects.create(**saved[0])

    original = (exported / backup.FILE_NAME).read_text(encoding="utf-8")

    def tamper(data):  # a tombstone changed in the file breaks the chain
        entry = next(
            r
            for r in data["records"]
            if r["model"] == "svc_archive_plugin.registerentry"
        )
        entry["fields"]["content"]["title"] = "改过的标题"

    edit_export(exported, tamper)
    refused(exported, "evidence chain is broken: svc_archive_plugin.registerentry")

    def drop_one(data):
        data["records"] = [
            r for r in data["records"] if r["model"] != "svc_archive_plugin.calendarday"
        ]

    (exported / backup.FILE_NAME).write_text(original, encoding="utf-8")
    edit_export(exported, drop_one)
    refused(exported, "calendarday holds 0 rows, the export 1")


# The commands ---------------------------------------------------------------------------------


def test_the_commands_report_counts_and_refusals(archive, tmp_path):
    out = StringIO()
    call_command("svc_archive_export", str(tmp_path), stdout=out)
    text = out.getvalue()
    assert "destruction register" in text
    assert (
        "No manifest.json" in text
    )  # paperless's export belongs in the same directory
    assert f"to {tmp_path / backup.FILE_NAME}" in text

    with pytest.raises(CommandError, match="already has service-archive rows"):
        call_command("svc_archive_import", str(tmp_path), stdout=StringIO())
    empty_plugin_tables()
    out = StringIO()
    call_command("svc_archive_import", str(tmp_path), stdout=out)
    text = out.getvalue()
    assert "The destruction register's chain verifies (2 entries)" in text
    assert "ids of destroyed or deleted records kept: 2" in text
