"""Item numbers 件号 (DA/T 22) and one retention per filed dossier."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.db import connection
from documents.models import CustomFieldInstance
from documents.models import Document

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DeclaredRecord
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.models.retention import RecordRetention
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import items
from tests.factories import add_document
from tests.factories import complete

pytestmark = pytest.mark.django_db


def file(dossier, people):
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    filing.file_dossier(dossier, people["manager"])
    dossier.refresh_from_db()


def day(iso: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{iso}T09:00:00+08:00")


def item_field(document) -> int | None:
    instance = CustomFieldInstance.objects.filter(
        document=document,
        field__name="件号",
    ).first()
    return instance.value_int if instance else None


def test_filing_numbers_the_records_in_checklist_order_then_by_date(dossier, people):
    # Added out of order: a later invoice first, then the checklist's types backwards.
    late_invoice = add_document(dossier, "FP", created=day("2026-09-20"))
    early_invoice = add_document(dossier, "FP", created=day("2026-09-01"))
    record = add_document(dossier, "SS", created=day("2026-08-01"))
    contract = add_document(dossier, "HT", created=day("2026-09-25"))
    customer = add_document(dossier, "KH", created=day("2026-09-28"))
    extra = add_document(dossier, "QT", created=day("2026-01-01"))

    file(dossier, people)

    # The checklist of a repair dossier reads KH, HT, SS, FP; other types come last.
    expected = [customer, contract, record, early_invoice, late_invoice, extra]
    assert items.numbered(dossier) == [(d.pk, n) for n, d in enumerate(expected, 1)]
    # Staff see the number in paperless's own 件号 field.
    assert [item_field(d) for d in expected] == [1, 2, 3, 4, 5, 6]


def test_numbers_stay_as_given_and_a_later_record_takes_the_next(dossier, people):
    documents = complete(dossier, owner=people["clerk"])
    file(dossier, people)
    before = items.numbered(dossier)

    assert items.number(dossier) == dict(before)  # a re-run gives out nothing new
    # A record declared into the filed dossier later (an approved correction) follows.
    late = add_document(dossier, "KH")
    DeclaredRecord.objects.create(document_id=late.pk, dossier=dossier)
    numbers = items.number(dossier)

    assert {pk: numbers[pk] for pk, _ in before} == dict(before)
    assert numbers[late.pk] == len(documents) + 1
    assert item_field(late) == len(documents) + 1


def test_the_item_number_of_a_filed_record_cannot_be_edited(
    dossier,
    people,
    admin_user,
    api_client,
):
    contract = complete(dossier, owner=people["clerk"])[1]
    file(dossier, people)
    instance = CustomFieldInstance.objects.get(document=contract, field__name="件号")
    api_client.force_authenticate(admin_user)

    response = api_client.patch(
        f"/api/documents/{contract.pk}/",
        {"custom_fields": [{"field": instance.field_id, "value": 9}]},
        format="json",
    )

    assert response.status_code == 403
    assert "件号" in response.json()["detail"] or "item number" in str(
        response.json(),
    )
    assert item_field(contract) == 2


def test_a_short_term_item_takes_its_dossiers_retention_when_filed(people):
    """A 需求调研与方案设计 (定期10年) in a 30-year dossier: code, date and tag agree."""
    customer = Customer.objects.create(code="C070", name="上海某工程有限公司")
    project = ServiceProject.objects.create(
        code="P2026-30",
        name="系统改造",
        customer=customer,
        service_type=ServiceType.objects.get(code="JS"),
        department=people["engineering"],
        end_date=datetime.date(2026, 9, 30),
    )
    dossier = project.dossier
    for code in ("KH", "HT", "SS", "FP"):
        add_document(dossier, code)
    design = add_document(dossier, "FA")
    assert RecordRetention.objects.get(document_id=design.pk).until == datetime.date(
        2036,
        12,
        31,
    )

    file(dossier, people)

    assert "-D30-" in dossier.archive_code
    row = RecordRetention.objects.get(document_id=design.pk)
    assert (row.retention, row.until) == ("important", datetime.date(2056, 12, 31))
    until = CustomFieldInstance.objects.get(document=design, field__name="保管期限至")
    assert until.value_date == datetime.date(2056, 12, 31)
    tags = set(Document.objects.get(pk=design.pk).tags.values_list("name", flat=True))
    assert "定期30年" in tags
    assert "定期10年" not in tags


def test_the_migration_numbers_records_filed_before_it(dossier, people):
    documents = complete(dossier, owner=people["clerk"])
    file(dossier, people)
    given = items.numbered(dossier)
    DeclaredRecord.objects.update(item_number=None)
    number_filed_records = __import__(
        "svc_archive_plugin.migrations.0024_item_numbers",
        fromlist=["number_filed_records"],
    ).number_filed_records

    number_filed_records(django_apps, None)

    assert items.numbered(dossier) == given
    assert DeclaredRecord.objects.count() == len(documents)


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="row locks are PostgreSQL's; SQLite serialises every write",
)
@pytest.mark.django_db(transaction=True)
def test_two_dossiers_filed_at_once_number_their_items_without_gap_or_duplicate(
    people,
):
    customer = Customer.objects.create(code="C9", name="并发客户")
    dossiers = []
    for i in range(2):
        project = ServiceProject.objects.create(
            code=f"CC{i}",
            name="并发归档",
            customer=customer,
            service_type=ServiceType.objects.get(code="WX"),
            department=people["engineering"],
            end_date=datetime.date(2026, 1, 5),
        )
        for _ in range(3):
            complete(project.dossier)
        filing.submit(project.dossier, people["clerk"])
        filing.approve(project.dossier, people["head"])
        filing.receive(project.dossier, people["manager"])
        dossiers.append(project.dossier)
    barrier = threading.Barrier(len(dossiers))
    errors = []

    def file_one(dossier):
        try:
            barrier.wait()
            filing.file_dossier(dossier, people["manager"])
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file_one, args=(d,)) for d in dossiers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    for dossier in dossiers:
        numbers = [n for _, n in items.numbered(dossier)]
        assert numbers == list(range(1, 13))
