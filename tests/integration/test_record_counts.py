"""The records' counts kept ahead (``RecordCount``) always equal a recount of the rows.

The records section counts ``RecordCount`` for those who count every record; the
triggers on ``RecordFacts`` keep it. Each test changes records the way paperless and the
plugin do (consumption, edits, type changes, trash, restore, purge, bulk edits,
retention, a project moved) and compares the counts with a ``GROUP BY`` of the rows, and
the figures with those counted from the rows.
"""

from __future__ import annotations

import datetime
import threading

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db import transaction
from django.db.models import Count
from django.db.models import Sum

from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import RecordCount
from svc_archive_plugin.models import RecordFacts
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.services import record_facts
from svc_archive_plugin.services import statistics
from svc_archive_plugin.services.retention import override_dossier_retention
from svc_archive_plugin.services.statistics import Filters
from tests.factories import DocumentFactory
from tests.factories import add_document
from tests.integration.test_statistics import AS_OF
from tests.integration.test_statistics import archive  # noqa: F401 (a fixture)
from tests.integration.test_statistics import set_field

pytestmark = pytest.mark.django_db

D = datetime.date
KEYS = list(record_facts.COUNT_KEYS)
POSTGRESQL = (
    django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
)


def assert_exact() -> None:
    """The counts equal a recount, before and after folding; folded, a row per key."""
    assert record_facts.count_differences() == {}
    record_facts.fold()
    assert record_facts.count_differences() == {}
    assert not RecordCount.objects.filter(folded=False).exists()
    assert not (
        RecordCount.objects.values(*KEYS).annotate(rows=Count("pk")).filter(rows__gt=1)
    )


def figures(user, filters: Filters, *, ahead: bool) -> dict[str, list]:
    computed = statistics.record_figures(user, filters, ahead=ahead)
    return {name: figure.rows for name, figure in computed.items()}


def by_type(user) -> dict[str, int]:
    rows = statistics.figure("records_by_document_type", user, Filters()).rows
    return {row[0]: row[-1] for row in rows if row[-1]}


def test_counts_follow_consumption_edits_retention_and_projects(people, dossier):
    manager = people["manager"]
    documents = [
        add_document(dossier, code, people["clerk"], created=D(2026, month, 5))
        for code, month in (("HT", 9), ("SS", 9), ("TS", 10), ("HT", 11))
    ]
    assert RecordCount.objects.aggregate(n=Sum("n"))["n"] == 4
    assert_exact()
    # An edit: another category chosen on the record.
    set_field(
        documents[0],
        "档案门类",
        ArchiveCategory.objects.get(code="KF").option_id,
    )
    assert_exact()
    customer = Filters(customer=dossier.project.customer_id)
    assert not statistics.counted_ahead(manager, customer)  # by customer: the rows
    by_category = statistics.figure("records_by_category", manager, customer).rows
    assert {row[0]: row[-1] for row in by_category if row[-1]} == {"KF": 1, "SH": 3}
    # Retention: the dossier's overridden, one record appraised.
    override_dossier_retention(dossier, manager, "permanent", "合同约定")
    assert_exact()
    # A record taken over from the paper archive with its own class (retention rewritten).
    RecordRetention.objects.filter(document=documents[1]).update(retention="ordinary")
    record_facts.refresh([documents[1].pk])
    assert_exact()
    assert_exact()
    # The project moves to another department; its records follow.
    project = dossier.project
    project.department = people["sales_head"].groups.get(name="销售部")
    project.save()
    assert_exact()
    # The document's date changes (another month).
    from documents.signals import document_updated

    documents[2].created = D(2025, 1, 31)
    documents[2].save()
    document_updated.send(sender=None, document=documents[2])
    assert_exact()
    assert by_type(manager) == {"HT": 2, "SS": 1, "TS": 1}


# Committed: paperless's task signals close the connection (as a worker does), which a
# test's enclosing transaction would not survive on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_counts_follow_type_changes_bulk_edits_trash_restore_and_purge(
    api_client,
    people,
    dossier,
):
    from documents import bulk_edit
    from documents.models import Document
    from documents.models import DocumentType
    from documents.tasks import empty_trash

    from tests.factories import UserFactory

    manager = people["manager"]
    documents = [
        add_document(dossier, code, people["clerk"]) for code in ("HT", "HT", "SS")
    ]
    unarchived = DocumentFactory(document_type=None)
    assert_exact()
    # Bulk edit: two records to another archived type, one not yet a record becomes one.
    ts = DocumentType.objects.get(svc_archive_code__code="TS")
    bulk_edit.set_document_type(
        [documents[0].pk, documents[1].pk, unarchived.pk],
        ts.pk,
    )
    assert_exact()
    assert by_type(manager) == {"TS": 3, "SS": 1}
    # A type outside the archive: no longer records.
    other = DocumentType.objects.create(name="Not archived")
    bulk_edit.set_document_type([unarchived.pk], other.pk)
    assert_exact()
    assert by_type(manager) == {"TS": 2, "SS": 1}
    # Trash and restore.
    api_client.force_authenticate(UserFactory(username="admin", superuser=True))
    assert api_client.delete(f"/api/documents/{documents[2].pk}/").status_code == 204
    assert_exact()
    assert by_type(manager) == {"TS": 2}
    response = api_client.post(
        "/api/trash/",
        {"documents": [documents[2].pk], "action": "restore"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert_exact()
    assert by_type(manager) == {"TS": 2, "SS": 1}
    # Trash and purge; a record purged outright.
    assert api_client.delete(f"/api/documents/{documents[2].pk}/").status_code == 204
    empty_trash([documents[2].pk])
    assert not Document.global_objects.filter(pk=documents[2].pk).exists()
    assert_exact()
    Document.objects.get(pk=documents[1].pk).hard_delete()
    assert_exact()
    assert by_type(manager) == {"TS": 1}


def test_counts_follow_any_write_to_the_rows(people, dossier):
    """Whatever writes the rows: a bulk update, a cascade, a bulk delete, a rebuild."""
    documents = [
        add_document(dossier, code, people["clerk"]) for code in ("HT", "SS", "TS")
    ]
    RecordFacts.objects.filter(document=documents[0]).update(
        created=D(2020, 2, 29),
        retention="permanent",
    )
    assert_exact()
    # A category deleted: Django sets the rows' category to none.
    category = ArchiveCategory.objects.create(
        code="ZZ",
        name="临时门类",
        option_id="zz",
    )
    RecordFacts.objects.filter(document=documents[1]).update(category=category)
    assert_exact()
    category.delete()
    assert RecordFacts.objects.get(document=documents[1]).category_id is None
    assert_exact()
    RecordFacts.objects.filter(document=documents[2]).delete()
    assert_exact()
    assert record_facts.rebuild() == 3  # writes the deleted row back, and recounts
    assert_exact()


def test_dashboard_figures_are_the_same_counted_ahead_or_from_the_rows(archive):  # noqa: F811
    manager = archive["manager"]
    engineering = archive["engineering"].pk
    c2 = archive["c2"].pk
    for filters in (
        {},
        {"date_from": D(2026, 10, 1), "date_to": D(2026, 10, 31)},
        {"date_from": D(2026, 9, 1)},
        {"date_to": D(2025, 12, 31)},
        {"department": engineering},
        {"department": engineering, "date_from": D(2026, 11, 1)},
        {"department": archive["sales"].pk, "date_to": D(2026, 11, 30)},
    ):
        chosen = Filters(as_of=AS_OF, **filters)
        assert statistics.counted_ahead(manager, chosen), filters
        assert figures(manager, chosen, ahead=True) == figures(
            manager,
            chosen,
            ahead=False,
        ), filters
    # A customer, a period of days, or a viewer who counts only what they may view:
    # from the rows.
    assert not statistics.counted_ahead(manager, Filters(customer=c2))
    assert not statistics.counted_ahead(
        manager,
        Filters(date_from=D(2026, 10, 2), date_to=D(2026, 10, 31)),
    )
    assert not statistics.counted_ahead(
        manager,
        Filters(date_from=D(2026, 10, 1), date_to=D(2026, 10, 30)),
    )
    assert not statistics.counted_ahead(archive["clerk"], Filters())
    assert statistics.figure("records_by_category", archive["clerk"], Filters()).total


def test_the_command_checks_and_recounts(people, dossier, capsys):
    add_document(dossier, "HT", people["clerk"])
    call_command("svc_archive_record_facts", "--check")
    assert "equal a recount" in capsys.readouterr().out
    RecordCount.objects.update(n=5)  # counts gone wrong (a restore from elsewhere)
    with pytest.raises(CommandError, match="1 record counts differ"):
        call_command("svc_archive_record_facts", "--check")
    call_command("svc_archive_record_facts", "--recount")
    assert record_facts.count_differences() == {}
    assert RecordCount.objects.get().n == 1
    RecordCount.objects.all().delete()
    call_command("svc_archive_record_facts")  # the full rebuild recounts too
    assert record_facts.count_differences() == {}


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_records_of_an_existing_archive(people, dossier):
    for code in ("HT", "SS", "TS"):
        add_document(dossier, code, people["clerk"])
    call_command("migrate", "svc_archive_plugin", "0027", verbosity=0)
    call_command("migrate", "svc_archive_plugin", verbosity=0)
    assert RecordCount.objects.aggregate(n=Sum("n"))["n"] == 3
    assert record_facts.count_differences() == {}
    # And the triggers are back: a new record is counted.
    add_document(dossier, "FP", people["clerk"])
    assert_exact()
    assert RecordCount.objects.aggregate(n=Sum("n"))["n"] == 4


@pytest.mark.skipif(
    not POSTGRESQL,
    reason="concurrent writers are PostgreSQL's; SQLite serialises every write",
)
@pytest.mark.django_db(transaction=True)
def test_writers_of_the_same_key_at_once_lose_no_count(provisioned):
    """Two transactions add and move rows of the same keys while a third folds."""
    from documents.models import DocumentType

    type_id = DocumentType.objects.get(svc_archive_code__code="HT").pk
    per_writer = 30
    barrier = threading.Barrier(3)
    errors = []

    def write(first: int) -> None:
        try:
            with transaction.atomic():
                for i in range(per_writer):
                    RecordFacts.objects.create(
                        document_id=first + i,
                        document_type_id=type_id,
                        created=D(2026, 5, 1 + i % 28),
                        retention="ordinary",
                    )
                    if i == 0:
                        barrier.wait()  # both hold uncommitted rows of the same key
            barrier.wait()
            with transaction.atomic():  # then both move a third of theirs to June
                RecordFacts.objects.filter(
                    document_id__in=range(first, first + per_writer // 3),
                ).update(created=D(2026, 6, 15))
                barrier.wait()
        except Exception as exc:  # reported below
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    def fold() -> None:
        try:
            for _step in range(3):
                barrier.wait()
                record_facts.fold()
        except Exception as exc:  # reported below
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(1_000_000,)),
        threading.Thread(target=write, args=(2_000_000,)),
        threading.Thread(target=fold),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert record_facts.count_differences() == {}
    months = dict(
        RecordCount.objects.values_list("month").annotate(n=Sum("n")).order_by(),
    )
    assert months == {D(2026, 5, 1): 40, D(2026, 6, 1): 20}
    assert_exact()
