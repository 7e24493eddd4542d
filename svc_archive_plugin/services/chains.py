"""The evidence tables' hash chains: their heads, anchored outside them, and verification.

Each evidence table is one hash chain (``models/chains.py``). A chain alone shows an edited
or removed row, but not a tail cut off, nor a table whose every hash was computed again.
So the heads — each table's last sequence number and hash — are anchored outside the
chains: recorded in each fixity run's report, mailed to the archive managers, and printed
on the destruction register. ``verify`` walks every chain and compares it with the latest
anchor; ``svc_archive_verify`` and the fixity run both use it.
"""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.models.chains import GENESIS
from svc_archive_plugin.models.chains import chain_fields
from svc_archive_plugin.models.chains import row_hash
from svc_archive_plugin.models.evidence import AppendOnlyModel

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Iterator

    from django.db import models

APP_LABEL = "svc_archive_plugin"
CHUNK = 2000


def chained_models() -> list[type[models.Model]]:
    """Every evidence table (concrete ``AppendOnlyModel``), in a stable order."""
    found = [
        m
        for m in apps.get_app_config(APP_LABEL).get_models()
        if issubclass(m, AppendOnlyModel) and not m._meta.proxy
    ]
    return sorted(found, key=lambda m: m._meta.label_lower)


@dataclass(frozen=True)
class Head:
    """A chain's head: how many entries, and the last one's hash."""

    table: str  # the model's label, e.g. svc_archive_plugin.accesslogentry
    seq: int
    hash: str


def heads() -> dict[str, dict]:
    """Every chain's head now, keyed by table: ``{"seq": …, "hash": …}`` (JSON-ready)."""
    found = {}
    for model in chained_models():
        seq_name, _prev, hash_name = chain_fields(model)
        last = (
            model._base_manager.order_by(f"-{seq_name}")
            .values_list(seq_name, hash_name)
            .first()
        )
        seq, digest = last if last else (0, GENESIS)
        found[model._meta.label_lower] = {"seq": seq, "hash": digest}
    return found


def table_name(label: str) -> str:
    """The table's name as people read it (its verbose name, plural)."""
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural)
    except LookupError:
        return label


def head_lines(chain_heads: dict[str, dict]) -> list[str]:
    """One line per chain, ``name (table): seq N, hash …``, for mails and reports."""
    return [
        _("%(name)s (%(table)s): %(seq)s entries, head %(hash)s")
        % {
            "name": table_name(label),
            "table": label.rsplit(".", 1)[-1],
            "seq": head["seq"],
            "hash": head["hash"],
        }
        for label, head in sorted(chain_heads.items())
    ]


@dataclass(frozen=True)
class Finding:
    """The first bad entry of one chain: which table, which row, what is wrong."""

    table: str
    id: int | None
    seq: int | None
    problem: str

    def __str__(self) -> str:
        return _("%(table)s: entry id %(id)s, seq %(seq)s: %(problem)s") % {
            "table": self.table,
            "id": "-" if self.id is None else self.id,
            "seq": "-" if self.seq is None else self.seq,
            "problem": self.problem,
        }

    def as_dict(self) -> dict:
        return asdict(self)


def walk(rows: Iterable[models.Model], model: type[models.Model]) -> Finding | None:
    """The first row of ``rows`` (in sequence order) that does not chain, or None."""
    label = model._meta.label_lower
    seq_name, prev_name, hash_name = chain_fields(model)
    previous, expected = GENESIS, 1
    for row in rows:
        seq = getattr(row, seq_name)
        if seq != expected:
            return Finding(
                label,
                row.pk,
                seq,
                _("entries %(first)s–%(last)s before it are missing (removed)")
                % {"first": expected, "last": seq - 1}
                if seq is not None and seq > expected
                else _("its sequence number is out of order (expected %(expected)s)")
                % {"expected": expected},
            )
        if getattr(row, prev_name) != previous:
            return Finding(
                label,
                row.pk,
                seq,
                _("it does not follow the entry before it (previous hash differs)"),
            )
        if row_hash(row, previous, seq) != getattr(row, hash_name):
            return Finding(
                label,
                row.pk,
                seq,
                _("its fields were changed after it was written (hash differs)"),
            )
        previous, expected = getattr(row, hash_name), seq + 1
    return None


def _rows(model: type[models.Model], chunk: int) -> Iterator[models.Model]:
    seq_name = chain_fields(model)[0]
    last = -1
    while True:
        batch = list(
            model._base_manager.filter(**{f"{seq_name}__gt": last}).order_by(
                seq_name,
            )[:chunk],
        )
        if not batch:
            return
        yield from batch
        last = getattr(batch[-1], seq_name)


def latest_anchor() -> tuple[dict[str, dict], str] | None:
    """The heads the last finished fixity run recorded, and where they come from."""
    from svc_archive_plugin.models import FixityRun

    run = (
        FixityRun.objects.exclude(chain_heads={})
        .exclude(chain_heads__isnull=True)
        .order_by("-finished_at", "-pk")
        .only("pk", "finished_at", "started_at", "chain_heads")
        .first()
    )
    if run is None:
        return None
    when = timezone.localtime(run.finished_at or run.started_at).strftime("%Y-%m-%d")
    return run.chain_heads, _("the fixity check #%(id)s of %(day)s") % {
        "id": run.pk,
        "day": when,
    }


def against_anchor(
    model: type[models.Model],
    anchored: dict,
    source: str,
) -> Finding | None:
    """Whether the chain still holds the head that was anchored (not cut, not redone)."""
    label = model._meta.label_lower
    seq_name, _prev, hash_name = chain_fields(model)
    seq, digest = int(anchored.get("seq") or 0), anchored.get("hash")
    if seq == 0:
        return None
    row = model._base_manager.filter(**{seq_name: seq}).only("pk", hash_name).first()
    if row is None:
        last = (
            model._base_manager.order_by(f"-{seq_name}")
            .values_list("pk", seq_name)
            .first()
        )
        last_pk, last_seq = last if last else (None, 0)
        if last_seq < seq:
            return Finding(
                label,
                last_pk,
                last_seq,
                _(
                    "the chain ends at entry %(found)s, but %(source)s recorded "
                    "%(anchored)s entries: its tail was removed",
                )
                % {"found": last_seq, "source": source, "anchored": seq},
            )
        return Finding(
            label,
            None,
            seq,
            _("entry %(seq)s, the head recorded by %(source)s, is missing")
            % {"seq": seq, "source": source},
        )
    if getattr(row, hash_name) != digest:
        return Finding(
            label,
            row.pk,
            seq,
            _(
                "its hash is not the head recorded by %(source)s: the chain was "
                "computed again (re-chained)",
            )
            % {"source": source},
        )
    return None


def verify(
    anchor: tuple[dict[str, dict], str] | None = None,
    *,
    chunk: int = CHUNK,
) -> list[Finding]:
    """Check every chain, then against ``anchor`` (default: the latest); first finding each.

    A table with no finding is intact and still holds the head anchored for it.
    """
    anchor = anchor if anchor is not None else latest_anchor()
    anchored, source = anchor if anchor else ({}, "")
    findings = []
    for model in chained_models():
        finding = walk(_rows(model, chunk), model)
        if finding is None and model._meta.label_lower in anchored:
            finding = against_anchor(
                model,
                anchored[model._meta.label_lower],
                source,
            )
        if finding is not None:
            findings.append(finding)
    return findings
