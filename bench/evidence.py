"""Benchmark: what the evidence triggers and hash chains add per access-log row and loan step.

On a fresh PostgreSQL database, the access log is seeded to ``--rows`` rows (default SPEC's
1,000,000) with ``INSERT … SELECT … generate_series`` (numbered as a chain, so new rows go
on at its end); then, in alternating rounds so that drift hits every mode alike, it times

- one access-log row written as ``services.access`` writes it (``AccessLogEntry.objects.create``);
- one loan step's evidence row (``LoanEvent.objects.create``) together with the loan's own
  update, as ``services.loans`` does,

in three modes: **plain** (no triggers; rows numbered from a counter, no lock, no head
read, no hash: what an append-only table costs anyway), **triggers** (the database
triggers, rows numbered as plain) and **triggers + chains** (the shipped code). It prints
the median microseconds of each, and the ratios to plain. The database is dropped at the end.

    scripts/bench.sh evidence                      # PostgreSQL only: PAPERLESS_DBHOST, else 127.0.0.1
    python bench/evidence.py --rows 100000 --calls 500
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from instance import insert_select
from instance import start_paperless
from instance import throw_away_database


def seed(rows: int) -> None:
    from django.db import connection

    from svc_archive_plugin.models import AccessLogEntry
    from tests.factories import UserFactory

    user = UserFactory(username="reader")
    with connection.cursor() as cursor:
        insert_select(
            cursor,
            AccessLogEntry,
            {
                "at": "now() - (g || ' seconds')::interval",
                "user": "%(user)s",
                "username": "'reader'",
                "document": "(g %% 20000) + 1",
                "title": "'合同 ' || g",
                "kind": "'view'",
                "via": "'api'",
                "seq": "g",
                "prev_hash": "''",
                "entry_hash": "md5(g::text) || md5(g::text)",
            },
            "FROM generate_series(1, %(rows)s) AS g",
            {"user": user.pk, "rows": rows},
        )
        cursor.execute("ANALYZE")


def set_triggers(*, on: bool) -> None:
    from django.db import connection

    from svc_archive_plugin import db_triggers

    with connection.cursor() as cursor:
        for model in db_triggers.evidence_models():
            table = model._meta.db_table
            sql = (
                db_triggers.triggers_sql(connection, table)
                if on
                else db_triggers.remove_triggers_sql(connection, table)
            )
            for statement in sql:
                cursor.execute(statement)


@contextlib.contextmanager
def chains_off():
    """Number rows from a counter instead of sealing them (no lock, head read or hash)."""
    from django.db.models import Max

    from svc_archive_plugin.models import chains
    from svc_archive_plugin.models import evidence

    def number(objs, fields, using):
        model = type(objs[0])
        seq_name, prev_name, hash_name = chains.chain_fields(model)
        if model not in counters:
            top = model._base_manager.aggregate(top=Max(seq_name))["top"]
            counters[model] = top or 0
        for obj in objs:
            for f in fields:
                setattr(obj, f.attname, f.pre_save(obj, add=True))
            counters[model] += 1
            setattr(obj, seq_name, counters[model])
            setattr(obj, prev_name, "")
            setattr(obj, hash_name, "")

    counters: dict = {}
    sealing = chains.seal
    chains.seal = evidence.seal = number
    try:
        yield
    finally:
        chains.seal = evidence.seal = sealing


def timed(fn, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1e6)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=1000, help="per round and case")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with throw_away_database("evidence_triggers", required=True) as ready:
        if not ready:
            return
        _today, server, _seconds = start_paperless()
        from django.contrib.auth.models import User
        from django.db import transaction

        from svc_archive_plugin.models import AccessLogEntry
        from svc_archive_plugin.models import Loan
        from svc_archive_plugin.models import LoanEvent
        from svc_archive_plugin.models.evidence import AppendOnlyModel

        seed(args.rows)
        reader = User.objects.get(username="reader")
        loan = Loan.objects.create(
            number="JY-BENCH",
            borrower=reader,
            document_id=1,
            reason="bench",
            days=5,
        )

        def log_row():
            AccessLogEntry.objects.create(
                user=reader,
                username="reader",
                document_id=7,
                title="合同 7",
                kind="view",
                via="api",
            )

        def loan_step():
            with transaction.atomic():
                LoanEvent.objects.create(
                    loan=loan,
                    action="remind",
                    from_state=loan.state,
                    to_state=loan.state,
                    actor=reader,
                )
                Loan.objects.filter(pk=loan.pk).update(renewals=0)

        modes = ("plain", "triggers", "triggers + chains")
        results = {(case, mode): [] for case in ("log", "loan") for mode in modes}
        for _round in range(args.rounds):
            for mode in modes:
                set_triggers(on=mode != "plain")
                chaining = mode == "triggers + chains"
                with contextlib.nullcontext() if chaining else chains_off():
                    results["log", mode] += timed(log_row, args.calls)
                    results["loan", mode] += timed(loan_step, args.calls)
        set_triggers(on=True)
        print(
            f"evidence, {server}, {AccessLogEntry.objects.count():,} access-log rows, "
            f"{len(AppendOnlyModel.__subclasses__())} evidence models, "
            f"{args.rounds} rounds x {args.calls} calls per mode",
        )
        for case, what in (("log", "access-log row"), ("loan", "loan step")):
            plain = statistics.median(results[case, "plain"])
            line = f"  per {what}: plain {plain:7.1f} µs"
            for mode in modes[1:]:
                median = statistics.median(results[case, mode])
                line += f"; {mode} {median:7.1f} µs (x{median / plain:.3f})"
            print(line)


if __name__ == "__main__":
    main()
