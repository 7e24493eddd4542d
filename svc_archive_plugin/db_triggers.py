"""Database triggers that refuse UPDATE, DELETE and TRUNCATE on every evidence table.

``AppendOnlyModel`` refuses in the ORM; these refuse below it, so raw SQL, a database
shell or a bulk statement cannot rewrite evidence either. Every table of a concrete
``AppendOnlyModel`` subclass gets them: migration 0021 installs them, and a
``post_migrate`` receiver puts back any that are missing after every ``migrate``, because
SQLite rebuilds a table for most schema changes and drops its triggers with the old table,
and because evidence tables added later must be covered without more work.

PostgreSQL: one plpgsql function, a ``BEFORE UPDATE OR DELETE … FOR EACH ROW`` trigger and a
``BEFORE TRUNCATE`` statement trigger on each table. SQLite: ``BEFORE UPDATE`` and
``BEFORE DELETE`` triggers that ``RAISE(ABORT)``. Other databases get none (paperless's
MariaDB support is outside what the plugin is tested on).

The one door is ``evidence_maintenance()``: inside it, in that transaction only, the
triggers let changes through (PostgreSQL: the transaction-local setting
``svc_archive.evidence_maintenance = 'on'``; SQLite: a row in the one-row table
``svc_archive_evidence_door``). Only code takes it, never a request; the plugin's own paths
never do. The ``flush`` command takes it on test databases, so test teardown can empty them.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS
from django.db import connections
from django.db import transaction
from django.db.migrations.operations.base import Operation

from svc_archive_plugin.models.evidence import AppendOnlyModel

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.db.backends.base.base import BaseDatabaseWrapper

FUNCTION = "svc_archive_refuse_evidence_change"
DOOR_SETTING = "svc_archive.evidence_maintenance"
DOOR_TABLE = "svc_archive_evidence_door"
PG_ROW_TRIGGER = "svc_archive_evidence_refuse"
PG_TRUNCATE_TRIGGER = "svc_archive_evidence_refuse_truncate"
VENDORS = ("postgresql", "sqlite")

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF current_setting('{DOOR_SETTING}', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'svc_archive: % on %: evidence rows are never changed or deleted',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'Evidence is append-only; see the README, section Evidence.';
END
$body$
"""


def _sqlite_trigger_name(table: str, operation: str) -> str:
    return f"svc_archive_evidence_{table}_no_{operation.lower()}"


def _sqlite_trigger(quote, table: str, operation: str) -> str:
    return (
        f"CREATE TRIGGER {quote(_sqlite_trigger_name(table, operation))} "
        f"BEFORE {operation} ON {quote(table)} "
        f"WHEN NOT EXISTS (SELECT 1 FROM {DOOR_TABLE}) "
        f"BEGIN SELECT RAISE(ABORT, 'svc_archive: {operation} on {table}: evidence rows "
        f"are never changed or deleted'); END"
    )


# What is installed ----------------------------------------------------------------------


def evidence_models() -> list[type[AppendOnlyModel]]:
    """Every model with an evidence table: concrete subclasses of ``AppendOnlyModel``."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, AppendOnlyModel)
        and not model._meta.proxy
        and model._meta.managed
    ]


def door_sql(vendor: str) -> list[str]:
    """What the triggers need before any is created: the function, or the door table."""
    if vendor == "postgresql":
        return [PG_FUNCTION]
    if vendor == "sqlite":
        return [
            f"CREATE TABLE IF NOT EXISTS {DOOR_TABLE} "
            "(open INTEGER PRIMARY KEY CHECK (open = 1))",
        ]
    return []


def remove_door_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP FUNCTION IF EXISTS {FUNCTION}()"]
    if vendor == "sqlite":
        return [f"DROP TABLE IF EXISTS {DOOR_TABLE}"]
    return []


def remove_triggers_sql(connection: BaseDatabaseWrapper, table: str) -> list[str]:
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {name} ON {quote(table)}"
            for name in (PG_ROW_TRIGGER, PG_TRUNCATE_TRIGGER)
        ]
    if connection.vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {quote(_sqlite_trigger_name(table, op))}"
            for op in ("UPDATE", "DELETE")
        ]
    return []


def triggers_sql(connection: BaseDatabaseWrapper, table: str) -> list[str]:
    """Drop and create the table's triggers: running it twice leaves the same triggers."""
    quote = connection.ops.quote_name
    create = []
    if connection.vendor == "postgresql":
        create = [
            f"CREATE TRIGGER {PG_ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {quote(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
            f"CREATE TRIGGER {PG_TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {quote(table)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
        ]
    elif connection.vendor == "sqlite":
        create = [_sqlite_trigger(quote, table, op) for op in ("UPDATE", "DELETE")]
    return remove_triggers_sql(connection, table) + create


def installed_triggers(connection: BaseDatabaseWrapper, table: str) -> int:
    """How many of the table's evidence triggers are in place (PostgreSQL 2, SQLite 2)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(%s) "
                "AND tgname IN (%s, %s)",
                [connection.ops.quote_name(table), PG_ROW_TRIGGER, PG_TRUNCATE_TRIGGER],
            )
            return cursor.fetchone()[0]
        if connection.vendor == "sqlite":
            wanted = {
                _sqlite_trigger_name(table, op): _sqlite_trigger(
                    connection.ops.quote_name,
                    table,
                    op,
                )
                for op in ("UPDATE", "DELETE")
            }
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = %s",
                [table],
            )
            # A trigger of the same name but another text is an old one: not counted.
            return sum(1 for name, sql in cursor.fetchall() if wanted.get(name) == sql)
    return 0


def _door_exists(connection: BaseDatabaseWrapper) -> bool:
    """Whether migration 0021 set up the triggers here (and was not migrated back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT to_regprocedure(%s)", [f"{FUNCTION}()"])
            return cursor.fetchone()[0] is not None
        if connection.vendor == "sqlite":
            return DOOR_TABLE in connection.introspection.table_names(cursor)
    return False


def install_all(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Put in place every evidence table's triggers that are missing; the tables fixed.

    Does nothing before migration 0021 is applied (or after it is migrated back).
    """
    connection = connections[using]
    if connection.vendor not in VENDORS or not _door_exists(connection):
        return []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    fixed = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for sql in door_sql(connection.vendor):
            cursor.execute(sql)  # the function's body may have changed
        for model in evidence_models():
            table = model._meta.db_table
            if table not in tables or installed_triggers(connection, table) == 2:
                continue
            for sql in triggers_sql(connection, table):
                cursor.execute(sql)
            fixed.append(table)
    return fixed


def reinstall_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """``post_migrate``: put back triggers a table rebuild dropped; cover new tables."""
    install_all(using)


# The one door ---------------------------------------------------------------------------


@contextmanager
def evidence_maintenance(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let the evidence triggers pass changes, inside this block's transaction only.

    A database-owner operation for maintenance (emptying a test database); nothing the
    application does on anyone's behalf takes it. ``AppendOnlyModel``'s own refusals
    still hold: inside, change rows with SQL or ``Model._base_manager``.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        _set_door(connection, opened=True)
        try:
            # A failure inside rolls back to here, so the door can still be closed.
            with transaction.atomic(using=using):
                yield
        finally:
            _set_door(connection, opened=False)


def _set_door(connection: BaseDatabaseWrapper, *, opened: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT set_config(%s, %s, true)",
                [DOOR_SETTING, "on" if opened else "off"],
            )
        elif connection.vendor == "sqlite" and _door_exists(connection):
            if opened:
                cursor.execute(f"INSERT OR IGNORE INTO {DOOR_TABLE} (open) VALUES (1)")
            else:
                cursor.execute(f"DELETE FROM {DOOR_TABLE}")


# The migration operations ---------------------------------------------------------------


class _NoState(Operation):
    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label, state) -> None:
        pass  # triggers are not part of Django's model state


class EvidenceDoor(_NoState):
    """What every evidence trigger calls or reads: the function, or the door table."""

    def deconstruct(self):
        return self.__class__.__qualname__, [], {}

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        for sql in door_sql(schema_editor.connection.vendor):
            schema_editor.execute(sql, None)  # None: no parameters, ``%`` as written

    def database_backwards(
        self,
        app_label,
        schema_editor,
        from_state,
        to_state,
    ) -> None:
        for sql in remove_door_sql(schema_editor.connection.vendor):
            schema_editor.execute(sql, None)

    def describe(self) -> str:
        return "Create what the evidence triggers call"


class EvidenceTriggers(_NoState):
    """Refuse UPDATE and DELETE (and TRUNCATE) on one model's table: ``EvidenceTriggers("x")``.

    Needs ``EvidenceDoor`` applied first (migration 0021).
    """

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name], {}

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        for sql in triggers_sql(schema_editor.connection, model._meta.db_table):
            schema_editor.execute(sql, None)

    def database_backwards(
        self,
        app_label,
        schema_editor,
        from_state,
        to_state,
    ) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        for sql in remove_triggers_sql(schema_editor.connection, model._meta.db_table):
            schema_editor.execute(sql, None)

    def describe(self) -> str:
        return f"Refuse UPDATE and DELETE on {self.model_name} (evidence triggers)"

    @property
    def migration_name_fragment(self) -> str:
        return f"evidence_triggers_{self.model_name}"
