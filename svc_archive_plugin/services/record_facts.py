"""Each archived record's facts for the statistics, kept in ``RecordFacts``.

The statistics count records by category, type, retention class, month, project, customer
and department. Those facts live in paperless's documents, their custom-field values, the
project register and the retention table; joining them for a million documents takes
seconds, so every change that ``retention.recompute`` follows (an edit in paperless, bulk
edit, consumption, a project or dossier saved, a restore) also rewrites the records' rows
here, from the facts it has just read. A row is derived data: a document that is no longer
an archived record (another type, in the trash, purged) simply loses it.

Counting even these rows takes a second at a million, so ``RecordCount`` holds the counts
by the keys the records section groups and filters by (``COUNT_KEYS``), written by
database triggers on ``RecordFacts``: whatever changes a row (this service, a cascade
from a deleted category, raw SQL) changes the counts in the same statement, so they
are exact whenever the rows are. On PostgreSQL a statement's trigger inserts one change
row per key it moved, with the difference (its transition tables hold exactly the rows
it changed); inserting only, it never waits for another writer, can neither deadlock
nor lose a concurrent change, and ``fold`` later sums a key's rows into one. SQLite
(one writer at a time) adds a row per change the same way. ``recount`` refills the
table from the rows in one statement; ``count_differences`` compares the two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import DEFAULT_DB_ALIAS
from django.db import connections
from django.db import transaction

from svc_archive_plugin.models import RecordCount
from svc_archive_plugin.models import RecordFacts
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.services import records

if TYPE_CHECKING:
    from collections.abc import Iterable

FIELDS = [
    "document_type",
    "category",
    "created",
    "retention",
    "project",
    "customer",
    "department",
]


def store(document_ids: Iterable[int], facts: dict[int, dict]) -> None:
    """Write the rows of ``document_ids`` from ``retention.document_facts``.

    Call after their retention is written: the row carries its class.
    """
    ids = set(document_ids)
    archived = {
        doc_id: fact
        for doc_id, fact in facts.items()
        if fact["code_id"] is not None and fact["root_id"] is None
    }
    retention = dict(
        RecordRetention.objects.filter(document_id__in=archived).values_list(
            "document_id",
            "retention",
        ),
    )
    rows = [
        RecordFacts(
            document_id=doc_id,
            document_type_id=fact["type_id"],
            category_id=fact["category_id"],
            created=fact["created"],
            retention=retention.get(doc_id, ""),
            project_id=fact["project"]["pk"] if fact["project"] else None,
            customer_id=fact["customer_id"],
            department_id=(
                fact["project"]["department_id"] if fact["project"] else None
            ),
        )
        for doc_id, fact in archived.items()
    ]
    with transaction.atomic():
        RecordFacts.objects.filter(document_id__in=ids - set(archived)).delete()
        # One upsert: two edits of the same record at once cannot both insert it.
        RecordFacts.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["document"],
            update_fields=FIELDS,
        )


def refresh(document_ids: Iterable[int]) -> None:
    """Rewrite the rows of these documents from what they are now."""
    ids = sorted(set(document_ids))
    if ids:
        store(ids, records.document_facts(ids))


def rebuild(chunk: int = 2000) -> int:
    """Rewrite every row, in chunks of documents; returns the number of records."""
    from documents.models import Document

    for ids in records.document_chunks(chunk):
        refresh(ids)
    # Rows of documents gone meanwhile, or in the trash.
    RecordFacts.objects.exclude(
        document_id__in=Document.objects.values("pk"),
    ).delete()
    if _has_counts():  # (not before migration 0029, whose backfill this is too)
        recount()  # the chunks' change rows, in one row per key
    return RecordFacts.objects.count()


# The counts ------------------------------------------------------------------------------

# RecordCount's keys, each as SQL over a RecordFacts row (``{row}``: NEW, OLD or a
# table's alias): "none" is 0, so that a key is a plain equality everywhere.
COUNT_KEYS = {
    "document_type_id": "{row}document_type_id",
    "category_id": "COALESCE({row}category_id, 0)",
    "retention": "{row}retention",
    "month": {
        "postgresql": "CAST(date_trunc('month', {row}created) AS date)",
        "sqlite": "date({row}created, 'start of month')",
    },
    "department_id": "COALESCE({row}department_id, 0)",
}
COUNT_FUNCTION = "svc_archive_count_records"
COUNT_TRIGGERS = {  # name: (event, transition tables)
    "svc_archive_count_insert": ("INSERT", "NEW TABLE AS new_rows"),
    "svc_archive_count_update": (
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    ),
    "svc_archive_count_delete": ("DELETE", "OLD TABLE AS old_rows"),
}
TRUNCATE_TRIGGER = "svc_archive_count_truncate"
FOLD_LOCK = 0x5C_C0_17  # pg_try_advisory_xact_lock: one fold at a time


def _keys(vendor: str, row: str = "") -> list[str]:
    """The keys' SQL over a RecordFacts row (``row``: ``"NEW."``, ``"f."`` or none)."""
    return [
        (sql[vendor] if isinstance(sql, dict) else sql).format(row=row)
        for sql in COUNT_KEYS.values()
    ]


def _tables(connection) -> tuple[str, str]:
    quote = connection.ops.quote_name
    return quote(RecordFacts._meta.db_table), quote(RecordCount._meta.db_table)


def _count_columns() -> str:
    return ", ".join([*COUNT_KEYS, "n", "folded"])


def count_triggers_sql(connection) -> list[str]:
    """The statements that (re)create the counting triggers on ``RecordFacts``."""
    facts, counts = _tables(connection)
    columns = _count_columns()
    vendor = connection.vendor
    if vendor == "postgresql":
        keys = ", ".join(_keys(vendor))
        aliased = ", ".join(
            f"{sql} AS {name}"
            for sql, name in zip(_keys(vendor), COUNT_KEYS, strict=True)
        )
        group = ", ".join(str(i) for i in range(1, len(COUNT_KEYS) + 1))
        insert = f"INSERT INTO {counts} ({columns})"
        body = f"""
CREATE OR REPLACE FUNCTION {COUNT_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM {counts};
    ELSIF TG_OP = 'INSERT' THEN
        {insert} SELECT {keys}, count(*), false FROM new_rows GROUP BY {group};
    ELSIF TG_OP = 'DELETE' THEN
        {insert} SELECT {keys}, -count(*), false FROM old_rows GROUP BY {group};
    ELSE
        {insert} SELECT {", ".join(COUNT_KEYS)}, sum(d), false FROM (
            SELECT {aliased}, 1 AS d FROM new_rows
            UNION ALL SELECT {keys}, -1 FROM old_rows
        ) AS moved GROUP BY {group} HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END
$body$"""
        sql = [body]
        for name, (event, tables) in COUNT_TRIGGERS.items():
            sql += [
                f"DROP TRIGGER IF EXISTS {name} ON {facts}",
                f"CREATE TRIGGER {name} AFTER {event} ON {facts} REFERENCING {tables}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {COUNT_FUNCTION}()",
            ]
        return [
            *sql,
            f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {facts}",
            f"CREATE TRIGGER {TRUNCATE_TRIGGER} AFTER TRUNCATE ON {facts}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {COUNT_FUNCTION}()",
        ]
    if vendor == "sqlite":

        def change(row: str, n: int) -> str:
            values = ", ".join([*_keys(vendor, f"{row}."), str(n), "0"])
            return f"INSERT INTO {counts} ({columns}) VALUES ({values});"

        moved = " OR ".join(
            f"{new} IS NOT {old}"
            for new, old in zip(
                _keys(vendor, "NEW."),
                _keys(vendor, "OLD."),
                strict=True,
            )
        )
        return [
            "DROP TRIGGER IF EXISTS svc_archive_count_insert",
            f"CREATE TRIGGER svc_archive_count_insert AFTER INSERT ON {facts}"
            f" BEGIN {change('NEW', 1)} END",
            "DROP TRIGGER IF EXISTS svc_archive_count_update",
            f"CREATE TRIGGER svc_archive_count_update AFTER UPDATE ON {facts}"
            f" WHEN {moved} BEGIN {change('OLD', -1)} {change('NEW', 1)} END",
            "DROP TRIGGER IF EXISTS svc_archive_count_delete",
            f"CREATE TRIGGER svc_archive_count_delete AFTER DELETE ON {facts}"
            f" BEGIN {change('OLD', -1)} END",
        ]
    return []  # other databases: the statistics count RecordFacts (``counts_kept``)


def remove_count_triggers_sql(connection) -> list[str]:
    facts, _counts = _tables(connection)
    if connection.vendor == "postgresql":
        names = [*COUNT_TRIGGERS, TRUNCATE_TRIGGER]
        return [f"DROP TRIGGER IF EXISTS {name} ON {facts}" for name in names] + [
            f"DROP FUNCTION IF EXISTS {COUNT_FUNCTION}()",
        ]
    if connection.vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in COUNT_TRIGGERS]
    return []


def counts_kept(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this database keeps ``RecordCount`` (PostgreSQL and SQLite)."""
    return connections[using].vendor in ("postgresql", "sqlite")


def _has_counts(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the database has both tables (migrated to 0029 or later) and keeps them."""
    connection = connections[using]
    if not counts_kept(using):
        return False
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    return {RecordFacts._meta.db_table, RecordCount._meta.db_table} <= tables


def install_count_triggers(using: str = DEFAULT_DB_ALIAS) -> None:
    """(Re)create the counting triggers, if the tables are there.

    After every ``migrate`` too: SQLite drops a table's triggers when a migration
    rebuilds it (the copy fires none, so the counts still match the rows).
    """
    connection = connections[using]
    if not _has_counts(using):
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for sql in count_triggers_sql(connection):
            cursor.execute(sql)


def install_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """``post_migrate``: put back triggers a table rebuild dropped."""
    install_count_triggers(using)


def recount(using: str = DEFAULT_DB_ALIAS) -> int:
    """Refill ``RecordCount`` from the rows, one folded row per key; the keys' number.

    PostgreSQL: one statement, so it removes exactly the change rows whose changes its
    count sees; a change committed meanwhile keeps its row and adds to the new count.
    """
    connection = connections[using]
    facts, counts = _tables(connection)
    keys = ", ".join(_keys(connection.vendor))
    group = ", ".join(str(i) for i in range(1, len(COUNT_KEYS) + 1))
    fill = (
        f"INSERT INTO {counts} ({_count_columns()}) SELECT {keys}, count(*), %s"
        f" FROM {facts} GROUP BY {group}"
    )
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH gone AS (DELETE FROM {counts}) {fill}", [True])
        else:
            cursor.execute(f"DELETE FROM {counts}")
            cursor.execute(fill, [True])
        return cursor.rowcount


def fold(using: str = DEFAULT_DB_ALIAS) -> None:
    """Sum the rows of each key that has change rows into one row.

    Exact while others write: PostgreSQL deletes and sums, in one statement, the rows
    that statement sees; rows committed after it stay as they are. One fold at a time
    (another running: this one leaves it the work).
    """
    connection = connections[using]
    _facts, counts = _tables(connection)
    names = list(COUNT_KEYS)
    keys = ", ".join(names)
    columns = _count_columns()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FOLD_LOCK])
            if not cursor.fetchone()[0]:
                return
            same = " AND ".join(f"c.{k} = k.{k}" for k in names)
            cursor.execute(
                f"WITH k AS (SELECT DISTINCT {keys} FROM {counts} WHERE NOT folded),"
                f" gone AS (DELETE FROM {counts} c USING k WHERE {same}"
                f" RETURNING {', '.join(f'c.{k}' for k in names)}, c.n)"
                f" INSERT INTO {counts} ({columns}) SELECT {keys}, sum(n), true"
                f" FROM gone GROUP BY {keys} HAVING sum(n) <> 0",
            )
        else:
            cursor.execute(f"SELECT max(id) FROM {counts}")
            last = cursor.fetchone()[0]
            if last is None:
                return
            moved = f"({keys}) IN (SELECT {keys} FROM {counts} WHERE NOT folded)"
            cursor.execute(
                f"INSERT INTO {counts} ({columns}) SELECT {keys}, sum(n), 1"
                f" FROM {counts} WHERE {moved} GROUP BY {keys} HAVING sum(n) <> 0",
            )
            cursor.execute(f"DELETE FROM {counts} WHERE id <= %s AND {moved}", [last])


def count_differences(using: str = DEFAULT_DB_ALIAS) -> dict[tuple, tuple[int, int]]:
    """Keys whose ``RecordCount`` sum is not the rows' count: {key: (rows, counted)}.

    One statement, so both sides are read as of the same moment.
    """
    connection = connections[using]
    facts, counts = _tables(connection)
    names = list(COUNT_KEYS)
    rows = ", ".join(
        f"{sql} AS {name}"
        for sql, name in zip(_keys(connection.vendor), names, strict=True)
    )
    keys = ", ".join(names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {keys}, sum(r), sum(c) FROM ("
            f"SELECT {rows}, 1 AS r, 0 AS c FROM {facts}"
            f" UNION ALL SELECT {keys}, 0, n FROM {counts}"
            f") AS both_sides GROUP BY {keys} HAVING sum(r) <> sum(c)",
        )
        return {_key(row[:-2]): (row[-2], row[-1]) for row in cursor.fetchall()}


def _key(values) -> tuple:
    """A key as the same tuple from either vendor (SQLite's months are text)."""
    return tuple(str(v) for v in values)
