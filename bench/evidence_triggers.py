"""Benchmark: what the evidence triggers add per access-log row and per loan step.

On a fresh PostgreSQL database, the access log is seeded to ``--rows`` rows (default SPEC's
1,000,000) with ``INSERT … SELECT … generate_series``; then, with the triggers in place and
with them dropped (in alternating rounds, so drift hits both alike), it times:

- one access-log row written as ``services.access`` writes it (``AccessLogEntry.objects.create``);
- one loan step's evidence row (``LoanEvent.objects.create``) together with the loan's own
  update, as ``services.loans`` does.

It prints the median microseconds of each and the ratio with/without triggers. Hash chains
(if the models have them: a chain column on ``AppendOnlyModel``) are reported as present or
absent; ``--chains off`` is accepted for when the chain code offers a switch, and says so
when it has none. The database is dropped at the end.

    scripts/bench.sh evidence_triggers            # PostgreSQL only: PAPERLESS_DBHOST, else 127.0.0.1
    python bench/evidence_triggers.py --rows 100000 --calls 500
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--chains", choices=("on", "off"), default="on")
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

        chained = any("hash" in f.name for f in AccessLogEntry._meta.concrete_fields)
        if args.chains == "off" and chained:
            print("chains: no switch in this code to turn them off; measured with them")
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

        results = {(case, on): [] for case in ("log", "loan") for on in (True, False)}
        for _round in range(args.rounds):
            for on in (True, False):
                set_triggers(on=on)
                results["log", on] += timed(log_row, args.calls)
                results["loan", on] += timed(loan_step, args.calls)
        set_triggers(on=True)
        print(
            f"evidence triggers, {server}, {AccessLogEntry.objects.count():,} access-log "
            f"rows, {len(AppendOnlyModel.__subclasses__())} evidence models, chains "
            f"{'present' if chained else 'absent'}",
        )
        for case, what in (("log", "access-log row"), ("loan", "loan step")):
            on = statistics.median(results[case, True])
            off = statistics.median(results[case, False])
            print(
                f"  per {what}: {on:8.1f} µs with triggers, {off:8.1f} µs without, "
                f"ratio {on / off:.3f}",
            )


if __name__ == "__main__":
    main()
