"""Evidence refuses UPDATE, DELETE and TRUNCATE in the database itself, on both databases.

Every concrete ``AppendOnlyModel`` is covered (the parametrisation reads the app registry,
so an evidence table added later is tested with no more work): raw SQL is refused by the
triggers, the ORM's queryset refuses early, and the legitimate paths that used to touch
evidence rows (a document purged, a person deleted, test teardown) still work.
"""

from __future__ import annotations

import datetime
import itertools
import uuid

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError
from django.db import connection
from django.db import models
from django.db import transaction
from django.utils import timezone
from documents.models import Document

from svc_archive_plugin import db_triggers
from svc_archive_plugin.db_triggers import evidence_maintenance
from svc_archive_plugin.db_triggers import evidence_models
from svc_archive_plugin.management.commands import flush as flush_command
from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import FixityFinding
from svc_archive_plugin.models import FixityRun
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import RefusedDeletion
from svc_archive_plugin.models.evidence import AppendOnlyError
from tests.factories import DocumentFactory
from tests.factories import UserFactory

REFUSED = "evidence rows are never changed or deleted"
EVIDENCE = sorted(evidence_models(), key=lambda m: m._meta.label)
_serial = itertools.count(1)


# A row of any evidence model ------------------------------------------------------------


def _value(field: models.Field, parents: dict):
    """A value the database accepts for a required column."""
    if field.is_relation:
        if not field.db_constraint:
            return None  # set as a plain id below
        target = field.related_model
        if target not in parents:
            parents[target] = _minimal(target, parents)
        return parents[target]
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return datetime.date(2026, 1, 5)
    if isinstance(field, models.JSONField):
        return {"title": "证据"}
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.IntegerField | models.DecimalField | models.FloatField):
        return next(_serial)
    text = uuid.uuid4().hex
    return text[: field.max_length] if field.max_length else text


def _minimal(model: type[models.Model], parents: dict) -> models.Model:
    """Create a row of ``model`` with every column it needs and nothing else."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.has_default():
            continue
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            continue
        value = _value(field, parents)
        if field.is_relation and value is None:
            values[field.attname] = 1  # a document id (no foreign key): any will do
        else:
            values[field.name] = value
    return model.objects.create(**values)


@pytest.fixture
def parents(people, dossier):
    """The rows evidence points at, made the way the plugin makes them."""
    clerk = people["clerk"]
    return {
        User: clerk,
        Group: people["engineering"],
        Dossier: dossier,
        Loan: Loan.objects.create(
            number="JY-2026-0001",
            borrower=clerk,
            dossier=dossier,
            reason="核对合同",
            days=5,
        ),
        DestructionList: DestructionList.objects.create(
            number="XH-2026-01",
            title="2026 年到期",
            reason="保管期满",
            prepared_by=people["manager"],
        ),
        FixityRun: FixityRun.objects.create(),
    }


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _pk(model) -> str:
    return connection.ops.quote_name(model._meta.pk.column)


def _refused(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as raised, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    return str(raised.value)


# Refused below the ORM ------------------------------------------------------------------


def test_every_evidence_table_is_covered():
    names = {m._meta.model_name for m in EVIDENCE}
    assert {
        "accesslogentry",
        "withdrawnpermission",
        "loanevent",
        "loanliability",
        "filingevent",
        "appraisaldecision",
        "destructionevent",
        "registerentry",
        "refuseddeletion",
        "fixityfinding",
    } <= names


@pytest.mark.parametrize("model", EVIDENCE, ids=lambda m: m._meta.model_name)
def test_raw_sql_cannot_change_or_delete_evidence(model, parents):
    row = _minimal(model, parents)
    table, pk = _table(model), _pk(model)

    assert REFUSED in _refused(
        f"UPDATE {table} SET {pk} = {pk} + 1000 WHERE {pk} = %s",
        [row.pk],
    )
    assert REFUSED in _refused(f"DELETE FROM {table} WHERE {pk} = %s", [row.pk])
    assert REFUSED in _refused(f"DELETE FROM {table}")

    assert list(model._base_manager.values_list("pk", flat=True)) == [row.pk]


@pytest.mark.parametrize("model", EVIDENCE, ids=lambda m: m._meta.model_name)
def test_the_orm_refuses_bulk_changes_with_a_readable_message(model, parents):
    row = _minimal(model, parents)
    rows = model.objects.filter(pk=row.pk)

    with pytest.raises(AppendOnlyError, match="never changed"):
        rows.update(pk=row.pk)
    with pytest.raises(AppendOnlyError, match="never deleted"):
        rows.delete()
    with pytest.raises(AppendOnlyError, match="never changed"):
        model.objects.bulk_update([row], [model._meta.pk.name])
    # Going round the default manager still meets the database.
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        model._base_manager.filter(pk=row.pk).delete()
    assert model._base_manager.filter(pk=row.pk).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="TRUNCATE is PostgreSQL's",
)
@pytest.mark.parametrize("model", EVIDENCE, ids=lambda m: m._meta.model_name)
def test_truncate_is_refused(model, parents):
    _minimal(model, parents)
    # The test's transaction holds the new rows' deferred key checks, which PostgreSQL
    # will not TRUNCATE past; a committed table has none.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    assert REFUSED in _refused(f"TRUNCATE {_table(model)}")
    assert model._base_manager.count() == 1


def test_the_maintenance_door_opens_for_its_block_only(parents):
    entry = _minimal(AccessLogEntry, parents)
    table, pk = _table(AccessLogEntry), _pk(AccessLogEntry)

    with evidence_maintenance(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET title = %s WHERE {pk} = %s",
            ["改", entry.pk],
        )
    entry.refresh_from_db()
    assert entry.title == "改"

    # Closed again, also after a block that failed.
    assert REFUSED in _refused(f"UPDATE {table} SET title = 'x'")
    with pytest.raises(ZeroDivisionError), evidence_maintenance():
        _ = 1 / 0
    assert REFUSED in _refused(f"DELETE FROM {table}")


# Kept when tables are rebuilt, and put back ---------------------------------------------


def _rebuild(model, name: str) -> None:
    """Alter a column and back, as a later migration would (SQLite rebuilds the table)."""
    old = model._meta.get_field(name)
    wider = models.CharField(max_length=old.max_length + 1)
    wider.set_attributes_from_name(name)
    wider.model = model
    with connection.schema_editor() as editor:
        editor.alter_field(model, old, wider)
        editor.alter_field(model, wider, old)


@pytest.mark.django_db(transaction=True)
def test_triggers_come_back_after_a_table_is_rebuilt(parents):
    table = AccessLogEntry._meta.db_table
    _rebuild(AccessLogEntry, "title")
    if connection.vendor == "sqlite":
        # The rebuilt table lost them, as after any such migration ...
        assert db_triggers.installed_triggers(connection, table) == 0

    # ... and the end of every migrate puts them back.
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)

    assert db_triggers.installed_triggers(connection, table) == 2
    entry = _minimal(AccessLogEntry, parents)
    assert REFUSED in _refused(
        f"DELETE FROM {_table(AccessLogEntry)} WHERE {_pk(AccessLogEntry)} = %s",
        [entry.pk],
    )


def test_installing_twice_changes_nothing(db):
    assert db_triggers.install_all() == []
    for model in EVIDENCE:
        assert db_triggers.installed_triggers(connection, model._meta.db_table) == 2


# What must still work -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_flush_empties_a_test_database_and_refuses_anywhere_else(parents, monkeypatch):
    for model in EVIDENCE:
        _minimal(model, parents)

    monkeypatch.setattr(flush_command, "in_test_environment", lambda: False)
    with pytest.raises(CommandError):
        call_command("flush", interactive=False, verbosity=0)
    assert all(model._base_manager.exists() for model in EVIDENCE)

    monkeypatch.undo()
    call_command("flush", interactive=False, verbosity=0)
    assert not any(model._base_manager.exists() for model in EVIDENCE)
    # The door closed behind it.
    entry = _minimal(AccessLogEntry, {User: UserFactory(username="again")})
    assert REFUSED in _refused(f"DELETE FROM {_table(AccessLogEntry)}")
    assert AccessLogEntry._base_manager.filter(pk=entry.pk).exists()


def test_purging_a_document_keeps_the_evidence_that_names_it(admin_client, people):
    document = DocumentFactory(title="便签")
    viewed = AccessLogEntry.objects.create(
        user=people["clerk"],
        username="clerk",
        document_id=document.pk,
        title=document.title,
        kind=AccessLogEntry.Kind.VIEW,
        via=AccessLogEntry.Via.API,
    )
    run = FixityRun.objects.create()
    finding = FixityFinding.objects.create(
        run=run,
        document_id=document.pk,
        title=document.title,
        file=FixityFinding.File.ORIGINAL,
        path="originals/x.pdf",
        problem=FixityFinding.Problem.MISSING,
    )
    refusal = RefusedDeletion.objects.create(
        document_id=document.pk,
        user=people["clerk"],
        path="api",
        reason="test",
    )

    assert admin_client.delete(f"/api/documents/{document.pk}/").status_code == 204
    response = admin_client.post(
        "/api/trash/",
        {"documents": [document.pk], "action": "empty"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert not Document.global_objects.filter(pk=document.pk).exists()
    for row in (viewed, finding, refusal):
        assert type(row)._base_manager.filter(pk=row.pk).exists()


def test_deleting_a_person_the_access_log_names_is_refused_not_an_error(
    admin_client,
    people,
):
    reader = people["outsider"]
    AccessLogEntry.objects.create(
        user=reader,
        username=reader.username,
        department=Group.objects.get(name="销售部"),
        department_name="销售部",
        document_id=1,
        title="合同",
        kind=AccessLogEntry.Kind.DOWNLOAD,
        via=AccessLogEntry.Via.API,
    )

    person = admin_client.delete(f"/api/users/{reader.pk}/")
    department = admin_client.delete(
        f"/api/groups/{Group.objects.get(name='销售部').pk}/",
    )

    assert person.status_code == 409
    assert "Deactivate" in person.json()["detail"]
    assert department.status_code == 409
    assert AccessLogEntry.objects.get().user == reader


def test_deleting_a_person_no_evidence_names_still_works(admin_client):
    nobody = UserFactory(username="temp")

    assert admin_client.delete(f"/api/users/{nobody.pk}/").status_code == 204
