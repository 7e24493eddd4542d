"""Evidence that shows it if it is rewritten: hash chains, their anchors, svc_archive_verify.

Every evidence table is a hash chain sealed on insert. The heads are anchored outside the
chains (each fixity run's report and mail, the register PDF), so ``svc_archive_verify``
finds an edited entry, a removed middle entry, a cut-off tail and a re-chained table, and a
backup whose chain is broken is refused before anything is committed.
"""

from __future__ import annotations

import json
import subprocess
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError
from django.core.management import call_command
from django.db import connection
from django.utils import translation
from documents.models import Document

from svc_archive_plugin.db_triggers import evidence_maintenance
from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import FixityRun
from svc_archive_plugin.models import HoldMember
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models.chains import chain_fields
from svc_archive_plugin.models.chains import row_hash
from svc_archive_plugin.reports.destruction_register import destruction_register_pdf
from svc_archive_plugin.services import backup
from svc_archive_plugin.services import chains
from svc_archive_plugin.services import fixity
from svc_archive_plugin.services.access import record_accesses
from tests.backup_fixture import build_archive
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

LOG = AccessLogEntry._meta.label_lower


def tamper(sql: str, params: list | tuple = ()) -> None:
    """The one place these tests rewrite evidence, as an intruder who owns the database
    would: raw SQL past the application, through the triggers' maintenance door."""
    with evidence_maintenance(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@pytest.fixture
def archive(paperless_dirs):
    return build_archive()


@pytest.fixture
def accesses(archive) -> list[AccessLogEntry]:
    """Five more access-log entries (written in bulk, as paperless's views log them)."""
    clerk = archive["people"]["manager"]
    ids = list(Document.objects.order_by("pk").values_list("pk", flat=True))
    for _round in range(5):
        record_accesses(clerk, ids[:1], "view", "api")
    return list(AccessLogEntry.objects.order_by("seq"))


def anchored() -> FixityRun:
    """A fixity check run to the end: the chains' heads are anchored in its report."""
    run = fixity.check(fixity.start(), notify=False)
    assert run.state == FixityRun.State.FINISHED
    return run


def verify_command() -> tuple[str, bool]:
    out = StringIO()
    try:
        call_command("svc_archive_verify", stdout=out)
    except CommandError as exc:
        return out.getvalue() + str(exc), False
    return out.getvalue(), True


# The chains are formed by every insert ----------------------------------------------------


def _clone(row):
    """A new, unsaved row like ``row`` (one-to-one targets cloned too, so it can exist)."""
    model = type(row)
    clone = model._base_manager.get(pk=row.pk)
    clone.pk = None
    clone._state.adding = True
    for f in model._meta.concrete_fields:
        if f.one_to_one and f.related_model is Loan:
            loan = Loan.objects.get(pk=getattr(clone, f.attname))
            loan.pk = None
            loan._state.adding = True
            loan.number = f"{loan.number}-{Loan.objects.count()}"
            Loan.objects.bulk_create([loan])
            setattr(clone, f.attname, loan.pk)
    if model is HoldMember:  # one row per hold and document: another document joins
        clone.document = DocumentFactory()
    return clone


@pytest.mark.parametrize(
    "model",
    chains.chained_models(),
    ids=lambda m: m._meta.model_name,
)
def test_save_and_bulk_create_chain_every_evidence_table(archive, model):
    seq_name, prev_name, hash_name = chain_fields(model)
    rows = list(model._base_manager.order_by(seq_name))
    assert rows, f"the archive fixture writes no {model._meta.label_lower} row"
    assert [getattr(r, seq_name) for r in rows] == list(range(1, len(rows) + 1))
    assert chains.walk(rows, model) is None

    saved = _clone(rows[-1])
    saved.save()
    bulk = [_clone(rows[-1]), _clone(rows[0])]
    model.objects.bulk_create(bulk)

    after = list(model._base_manager.order_by(seq_name))
    n = len(rows)
    assert [getattr(r, seq_name) for r in after[n:]] == [n + 1, n + 2, n + 3]
    assert getattr(after[n], prev_name) == getattr(rows[-1], hash_name)
    assert getattr(after[n + 1], prev_name) == getattr(after[n], hash_name)
    assert chains.walk(after, model) is None
    # What was hashed is what was stored (times included, to the microsecond).
    for row in after[n:]:
        assert row_hash(row, getattr(row, prev_name), getattr(row, seq_name)) == (
            getattr(row, hash_name)
        )


def test_an_intact_archive_verifies(archive, accesses):
    anchored()
    out, ok = verify_command()
    assert ok, out
    assert "verify" in out


# svc_archive_verify finds each tampering ------------------------------------------------------


def test_an_edited_entry_is_named(archive, accesses):
    anchored()
    victim = accesses[2]
    tamper(
        f"UPDATE {table(AccessLogEntry)} SET username = %s WHERE id = %s",
        ["someone_else", victim.pk],
    )
    [finding] = [f for f in chains.verify() if f.table == LOG]
    assert (finding.id, finding.seq) == (victim.pk, victim.seq)
    assert "changed" in finding.problem
    out, ok = verify_command()
    assert not ok
    assert f"entry id {victim.pk}, seq {victim.seq}" in out


def test_a_removed_middle_entry_is_named(archive, accesses):
    victim, after = accesses[2], accesses[3]
    tamper(f"DELETE FROM {table(AccessLogEntry)} WHERE id = %s", [victim.pk])
    [finding] = [f for f in chains.verify() if f.table == LOG]
    assert (finding.id, finding.seq) == (after.pk, after.seq)
    assert f"{victim.seq}–{victim.seq}" in finding.problem
    assert not verify_command()[1]


def test_a_truncated_tail_is_found_against_the_anchor(archive, accesses):
    run = anchored()
    assert run.chain_heads[LOG]["seq"] == len(accesses)
    last = accesses[-1]
    tamper(f"DELETE FROM {table(AccessLogEntry)} WHERE seq >= %s", [last.seq - 1])
    # What is left still chains: only the anchor shows the tail is gone.
    rows = list(AccessLogEntry.objects.order_by("seq"))
    assert chains.walk(rows, AccessLogEntry) is None
    [finding] = [f for f in chains.verify() if f.table == LOG]
    assert finding.seq == last.seq - 2
    assert "tail was removed" in finding.problem
    assert f"#{run.pk}" in finding.problem
    out, ok = verify_command()
    assert not ok
    assert "tail was removed" in out


def test_a_re_chained_table_is_found_against_the_anchor(archive, accesses):
    anchored()
    # The intruder edits an entry and computes every hash from it onwards again.
    rows = list(AccessLogEntry.objects.order_by("seq"))
    rows[1].username = "someone_else"
    previous = rows[1].prev_hash
    for row in rows[1:]:
        row.prev_hash = previous
        row.entry_hash = row_hash(row, previous, row.seq)
        previous = row.entry_hash
        tamper(
            f"UPDATE {table(AccessLogEntry)} SET username = %s, prev_hash = %s, "
            "entry_hash = %s WHERE id = %s",
            [row.username, row.prev_hash, row.entry_hash, row.pk],
        )
    assert chains.walk(AccessLogEntry.objects.order_by("seq"), AccessLogEntry) is None
    [finding] = [f for f in chains.verify() if f.table == LOG]
    assert finding.seq == rows[-1].seq
    assert "re-chained" in finding.problem
    assert not verify_command()[1]


def test_verify_compares_with_heads_kept_outside(archive, accesses, tmp_path):
    """The heads from a mail or a printed register, given to the command."""
    heads = chains.heads()
    path = tmp_path / "heads.json"
    path.write_text(json.dumps(heads))
    call_command("svc_archive_verify", heads=path, stdout=StringIO())
    tamper(f"DELETE FROM {table(AccessLogEntry)} WHERE seq = %s", [accesses[-1].seq])
    with pytest.raises(CommandError):
        call_command("svc_archive_verify", heads=path, stdout=StringIO())


# The anchors -----------------------------------------------------------------------------------


def test_each_fixity_run_records_and_mails_the_heads(archive, accesses, settings):
    settings.EMAIL_ENABLED = True
    run = fixity.check(fixity.start())

    heads = chains.heads()
    assert run.chain_heads == heads
    assert heads[LOG] == {"seq": len(accesses), "hash": accesses[-1].entry_hash}
    assert run.chain_problems == []
    assert mail.outbox
    body = mail.outbox[0].body
    assert accesses[-1].entry_hash in body
    assert f"{len(accesses)} entries" in body


def test_a_clean_fixity_run_still_mails_the_heads(paperless_dirs, people, settings):
    settings.EMAIL_ENABLED = True
    run = fixity.check(fixity.start())
    assert run.problems == 0
    [message] = mail.outbox
    assert message.to == ["archive@example.com"]
    assert "heads of the evidence chains" in message.subject
    assert chains.GENESIS in message.body  # the empty chains too


def test_the_next_fixity_run_reports_a_broken_chain(archive, accesses, settings):
    settings.EMAIL_ENABLED = True
    anchored()
    tamper(f"DELETE FROM {table(AccessLogEntry)} WHERE seq = %s", [accesses[-1].seq])
    run = fixity.check(fixity.start())
    [problem] = [p for p in run.chain_problems if p["table"] == LOG]
    assert "tail was removed" in problem["problem"]
    assert "do not verify" in mail.outbox[-1].body


def test_the_heads_show_in_the_fixity_admin_and_api(
    archive,
    accesses,
    client,
    api_client,
):
    run = anchored()
    manager = archive["people"]["manager"]
    manager.is_staff = True  # the archive managers reach the admin
    manager.save(update_fields=["is_staff"])
    client.force_login(manager)
    page = client.get(f"/admin/svc_archive_plugin/fixityrun/{run.pk}/change/")
    assert page.status_code == 200
    assert accesses[-1].entry_hash in page.content.decode()
    api_client.force_authenticate(manager)
    answer = api_client.get(f"/api/svc_archive/fixity_runs/{run.pk}/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["chain_heads"][LOG]["hash"] == accesses[-1].entry_hash


def test_the_register_pdf_prints_the_heads(archive, accesses, tmp_path):
    with translation.override("zh-hans"):
        pdf, _name = destruction_register_pdf(archive["destruction_list"])
    path = tmp_path / "register.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert accesses[-1].entry_hash in text
    register = chains.heads()["svc_archive_plugin.registerentry"]
    assert register["hash"] in text


# Backups carry the chains ---------------------------------------------------------------------


def _edit_export(target, change) -> None:
    path = target / backup.FILE_NAME
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _empty_plugin_tables() -> None:
    for model in reversed(backup.plugin_models()):
        tamper(f"DELETE FROM {table(model)}")


def _log_records(data: dict) -> list[dict]:
    return [r for r in data["records"] if r["model"] == LOG]


@pytest.fixture
def exported(archive, accesses, tmp_path):
    target = tmp_path / "export"
    target.mkdir()
    backup.export_plugin_data(target)
    return target


def test_the_export_carries_the_chains(exported, accesses):
    data = json.loads((exported / backup.FILE_NAME).read_text(encoding="utf-8"))
    records = _log_records(data)
    assert [r["fields"]["seq"] for r in records] == list(range(1, len(accesses) + 1))
    assert records[-1]["fields"]["entry_hash"] == accesses[-1].entry_hash
    assert data["header"]["chains"][LOG]["hash"] == accesses[-1].entry_hash


def test_an_import_verifies_and_keeps_the_chains(exported):
    _empty_plugin_tables()
    backup.import_plugin_data(exported)
    assert chains.verify() == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda d: _log_records(d)[2]["fields"].update(username="someone_else"),
            "changed",
        ),
        (lambda d: d["records"].remove(_log_records(d)[2]), "missing"),
        (lambda d: d["records"].remove(_log_records(d)[-1]), "tail was removed"),
    ],
    ids=["edited", "removed", "truncated"],
)
def test_an_import_with_a_broken_chain_is_refused(exported, change, problem):
    _edit_export(exported, change)
    _empty_plugin_tables()
    with pytest.raises(backup.BackupError, match=problem) as refused:
        backup.import_plugin_data(exported)
    assert "accesslogentry" in str(refused.value)
    assert "Nothing was imported" in str(refused.value)
    assert sum(m._base_manager.count() for m in backup.plugin_models()) == 0


# The migration chains the rows that were already there ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_existing_rows_in_id_order():
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    app = "svc_archive_plugin"
    executor = MigrationExecutor(connection)
    executor.migrate([(app, "0015_capture_failures")])
    old = executor.loader.project_state([(app, "0015_capture_failures")]).apps
    Entry = old.get_model(app, "AccessLogEntry")
    for n in range(3):
        Entry.objects.create(
            username=f"reader{n}",
            document_id=100 + n,
            title=f"合同{n}",
            kind="view",
            via="api",
            at=timezone.now(),
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes(app))

    rows = list(AccessLogEntry.objects.order_by("pk"))
    assert [(r.seq, r.username) for r in rows] == [
        (1, "reader0"),
        (2, "reader1"),
        (3, "reader2"),
    ]
    assert chains.walk(rows, AccessLogEntry) is None
    # New rows go on from the migrated chain.
    record = AccessLogEntry.objects.create(
        username="reader3",
        document_id=103,
        title="合同3",
        kind="view",
        via="api",
    )
    assert (record.seq, record.prev_hash) == (4, rows[-1].entry_hash)
