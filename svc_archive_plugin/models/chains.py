"""Hash chains of the evidence tables: how a row is sealed when it is inserted.

Every evidence table (a concrete ``AppendOnlyModel``) is one chain. Its rows are numbered
``1, 2, 3 …`` in the order they were written (``seq``), and each row carries the hash of
the row before it (``prev_hash``; 64 zeros for the first) and its own hash
(``entry_hash``)::

    entry_hash = sha256(prev_hash | seq | canonical JSON of the row's own fields)

The row's own fields are every concrete column except the primary key and the three chain
columns, as the database will store them (``canonical_row``). Changing, removing or
reordering any row breaks the chain from that row on; ``services.chains.verify`` finds it.

Rows are sealed in the single insert path every write takes (``save()`` and the
manager's ``bulk_create`` both end in ``QuerySet._insert``): the table's chain is locked
for the rest of the transaction (PostgreSQL: a transaction-scoped advisory lock per table;
SQLite serialises writers anyway), its head is read once per insert batch, and the batch
is numbered and hashed in memory. A unique ``seq`` lets the database refuse a fork should
anything get past the lock.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import uuid
import zlib
from typing import TYPE_CHECKING
from typing import Any

from django.db import connections
from django.db import models
from django.db import transaction

if TYPE_CHECKING:
    from collections.abc import Iterable

GENESIS = "0" * 64
# pg_advisory_xact_lock(int, int): the first key says "an evidence chain", the second
# which table.
LOCK_NAMESPACE = 0x5A4C  # "SL"


def canonical(data: Any) -> str:
    """The one JSON spelling of ``data`` that every hash covers."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(prev_hash: str, seq: int, content: Any) -> str:
    """sha256(prev_hash | seq | canonical(content)), hex."""
    payload = f"{prev_hash}|{seq}|{canonical(content)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """A column value in JSON, spelled the same whether just written or read back."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def chain_fields(model: type[models.Model]) -> tuple[str, str, str]:
    """The names of the model's (seq, previous hash, own hash) columns."""
    return getattr(model, "chain_columns", ("seq", "prev_hash", "entry_hash"))


def sealed_fields(model: type[models.Model]) -> list[models.Field]:
    """The columns a row's hash covers: all but the primary key and the chain's own."""
    skip = set(chain_fields(model))
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in skip and not f.generated
    ]


def canonical_row(obj: models.Model, fields: Iterable[models.Field]) -> dict:
    """The row's own values, as the database stores them (``attname`` → plain value).

    Empty values (None, "") are left out, so a nullable or blank column added to an
    evidence table later does not change the hash of the rows written before it; setting
    or clearing a value still does.
    """
    row = {}
    for f in fields:
        value = _plain(f.get_prep_value(getattr(obj, f.attname)))
        if value is not None and value != "":
            row[f.attname] = value
    return row


def row_hash(obj: models.Model, prev_hash: str, seq: int) -> str:
    """The hash ``obj`` must carry at ``seq`` after ``prev_hash``."""
    model = type(obj)
    custom = getattr(model, "chain_digest", None)
    if custom is not None:
        return custom(obj, prev_hash, seq)
    return digest(prev_hash, seq, canonical_row(obj, sealed_fields(model)))


def lock_chain(model: type[models.Model], using: str) -> None:
    """Hold the table's chain until the transaction ends (PostgreSQL; a no-op elsewhere)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    key = zlib.crc32(model._meta.db_table.encode()) - (1 << 31)  # a signed int4
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, key])


def head(model: type[models.Model], using: str) -> tuple[int, str]:
    """The last (seq, entry_hash) of the chain; (0, GENESIS) for an empty table."""
    seq_name, _prev, hash_name = chain_fields(model)
    last = (
        model._base_manager.using(using)
        .order_by(f"-{seq_name}")
        .values_list(seq_name, hash_name)
        .first()
    )
    return last if last else (0, GENESIS)


def seal(objs: list[models.Model], fields: Iterable[models.Field], using: str) -> None:
    """Number and hash ``objs`` at the end of their table's chain (inside a transaction).

    Runs each field's ``pre_save`` first (``auto_now_add`` times, defaults), so the values
    hashed are the values inserted; the caller then inserts them as they are (``raw``).
    """
    if not objs:
        return
    model = type(objs[0])
    for obj in objs:
        for f in fields:
            setattr(obj, f.attname, f.pre_save(obj, add=True))
    lock_chain(model, using)
    seq, previous = head(model, using)
    seq_name, prev_name, hash_name = chain_fields(model)
    for obj in objs:
        seq += 1
        setattr(obj, seq_name, seq)
        setattr(obj, prev_name, previous)
        previous = row_hash(obj, previous, seq)
        setattr(obj, hash_name, previous)


class ChainedQuerySet(models.QuerySet):
    """Every insert of an evidence table seals its rows first (``save`` and ``bulk_create``).

    ``raw`` inserts (a restored backup, ``loaddata``) keep the chain values they carry.
    """

    def _insert(self, objs, fields, *args, **kwargs):
        if kwargs.get("raw"):
            return super()._insert(objs, fields, *args, **kwargs)
        using = kwargs.get("using") or self.db
        with transaction.atomic(using=using, savepoint=False):
            seal(list(objs), fields, using)
            return super()._insert(objs, fields, *args, **{**kwargs, "raw": True})


ChainedManager = models.Manager.from_queryset(ChainedQuerySet)
