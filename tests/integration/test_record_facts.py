"""The statistics' index of records follows every change a manager can make in paperless.

The dashboard counts ``RecordFacts`` rows; each test changes a record the way paperless
does (bulk edit, trash, restore, a register edit, appraisal) and checks the figures.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import RecordFacts
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.services import statistics
from svc_archive_plugin.services.record_facts import rebuild
from svc_archive_plugin.services.retention import appraise
from svc_archive_plugin.services.retention import sweep
from svc_archive_plugin.services.statistics import Filters
from tests.factories import DocumentFactory
from tests.factories import add_document

pytestmark = pytest.mark.django_db

D = datetime.date


def counted(name: str, user, **filters) -> dict[str, int]:
    """A figure's rows as {code: count}, zero rows left out."""
    figure = statistics.figure(name, user, Filters(**filters))
    return {row[0]: row[-1] for row in figure.rows if row[-1]}


def facts(document) -> dict:
    return RecordFacts.objects.filter(document=document).values(
        "document_type__name",
        "category__code",
        "created",
        "retention",
        "project__code",
        "customer__code",
        "department__name",
    )[0]


def test_a_record_s_facts_are_those_of_its_project(people, dossier):
    document = add_document(dossier, "HT", people["clerk"], created=D(2026, 9, 1))
    DocumentFactory(document_type=None)  # not an archived type: no row
    assert RecordFacts.objects.count() == 1
    assert facts(document) == {
        "document_type__name": "合同协议",
        "category__code": "SH",  # the repair project's dossier
        "created": D(2026, 9, 1),
        "retention": "important",
        "project__code": "P2026-07",
        "customer__code": "C001",
        "department__name": "工程部",
    }


# Committed: paperless's task signals close the connection (as a worker does), which a
# test's enclosing transaction would not survive on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_bulk_edit_of_the_type_moves_or_removes_the_record(people, dossier):
    from documents import bulk_edit
    from documents.models import DocumentType

    manager = people["manager"]
    document = add_document(dossier, "HT", people["clerk"])
    assert counted("records_by_document_type", manager) == {"HT": 1}
    bulk_edit.set_document_type(
        [document.pk],
        DocumentType.objects.get(svc_archive_code__code="SS").pk,
    )
    assert counted("records_by_document_type", manager) == {"SS": 1}
    bulk_edit.set_document_type(
        [document.pk],
        DocumentType.objects.create(name="Not archived").pk,
    )
    assert counted("records_by_document_type", manager) == {}
    assert not RecordFacts.objects.exists()


def test_a_record_in_the_trash_is_not_counted_until_restored(
    api_client,
    people,
    dossier,
):
    from tests.factories import UserFactory

    manager = people["manager"]
    document = add_document(dossier, "HT", people["clerk"])
    api_client.force_authenticate(UserFactory(username="admin", superuser=True))
    assert api_client.delete(f"/api/documents/{document.pk}/").status_code == 204
    assert counted("records_by_category", manager) == {}
    # paperless's trash walks the document's relations; the plugin's must not break it.
    response = api_client.post(
        "/api/trash/",
        {"documents": [document.pk], "action": "restore"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert counted("records_by_category", manager) == {"SH": 1}
    assert RecordRetention.objects.get(document=document).retention == "important"


def test_a_project_moved_to_another_department_moves_its_records(people, dossier):
    manager = people["manager"]
    engineering = people["engineering"]
    sales = Group.objects.get(name="销售部")
    add_document(dossier, "HT", people["clerk"])
    assert counted("records_by_category", manager, department=engineering.pk) == {
        "SH": 1,
    }
    project = dossier.project
    project.department = sales
    project.save()
    assert counted("records_by_category", manager, department=engineering.pk) == {}
    assert counted("records_by_category", manager, department=sales.pk) == {"SH": 1}


def test_a_customer_and_category_chosen_on_the_record_count(people):
    from documents.models import CustomField
    from documents.models import CustomFieldInstance
    from documents.models import DocumentType
    from documents.signals import document_updated

    manager = people["manager"]
    other = Customer.objects.create(code="C002", name="上海某公司")
    document = DocumentFactory(  # a complaint in no project
        document_type=DocumentType.objects.get(svc_archive_code__code="TS"),
    )
    for name, option in (
        ("客户", other.option_id),
        ("档案门类", ArchiveCategory.objects.get(code="KF").option_id),
    ):
        CustomFieldInstance.objects.update_or_create(
            document=document,
            field=CustomField.objects.get(name=name),
            defaults={"value_select": option},
        )
    document_updated.send(sender=None, document=document)
    assert counted("records_by_category", manager, customer=other.pk) == {"KF": 1}
    assert counted("complaints_by_customer", manager) == {"C002": 1}


def test_an_appraisal_to_keep_permanently_counts_the_record_as_permanent(
    people,
    dossier,
):
    manager = people["manager"]
    document = add_document(dossier, "SS", people["clerk"], created=D(2000, 1, 1))
    RecordRetention.objects.filter(document=document).update(until=D(2001, 1, 1))
    sweep()
    assert counted("records_by_retention", manager) == {"ordinary": 1}
    appraise(manager, [document.pk], "permanent", "客户要求长期保存")
    assert counted("records_by_retention", manager) == {"permanent": 1}


def test_rebuild_writes_what_the_edits_wrote(people, dossier):
    documents = [
        add_document(dossier, code, people["clerk"]) for code in ("HT", "SS", "TS")
    ]
    documents[0].delete()
    before = sorted(RecordFacts.objects.values_list(*_columns()))
    RecordFacts.objects.all().delete()
    RecordFacts.objects.create(  # a stale row of a document in the trash
        document_id=documents[0].pk,
        document_type_id=documents[0].document_type_id,
        created=D(2026, 1, 1),
    )
    assert rebuild() == 2
    assert sorted(RecordFacts.objects.values_list(*_columns())) == before


def test_the_rebuild_command_reports_the_records(people, dossier, capsys):
    add_document(dossier, "HT", people["clerk"])
    RecordFacts.objects.all().delete()
    call_command("svc_archive_record_facts")
    assert RecordFacts.objects.count() == 1
    assert "1 archived record" in capsys.readouterr().out


def _columns() -> list[str]:
    return [f.attname for f in RecordFacts._meta.concrete_fields if f.name != "id"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_index_of_an_existing_archive(people, dossier):
    """Upgrading an archive gives its records their rows and loses none of its retention."""
    documents = [
        add_document(dossier, code, people["clerk"]) for code in ("HT", "SS", "TS")
    ]
    retention = sorted(RecordRetention.objects.values_list("document_id", "retention"))
    call_command("migrate", "svc_archive_plugin", "0009", verbosity=0)
    call_command("migrate", "svc_archive_plugin", verbosity=0)
    assert sorted(RecordFacts.objects.values_list("document_id", flat=True)) == sorted(
        d.pk for d in documents
    )
    assert (
        sorted(RecordRetention.objects.values_list("document_id", "retention"))
        == retention
    )
    assert counted("records_by_category", people["manager"]) == {"SH": 3}
