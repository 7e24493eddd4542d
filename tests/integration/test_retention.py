"""Retention 保管期限: the schedule, the clock, overrides, the sweep and appraisal."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db import transaction
from documents.models import CustomField
from documents.models import CustomFieldInstance
from documents.models import Document
from documents.models import DocumentType

from svc_archive_plugin.models import AppraisalDecision
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import RetentionRule
from svc_archive_plugin.models import SweepRun
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import retention
from tests.factories import DocumentFactory
from tests.factories import add_document
from tests.factories import complete

pytestmark = pytest.mark.django_db
API = "/api/svc_archive/dossiers/"


def until_field(document) -> datetime.date | None:
    instance = CustomFieldInstance.objects.filter(
        document=document,
        field=CustomField.objects.get(name="保管期限至"),
    ).first()
    return instance.value_date if instance else None


def tag_names(document) -> set[str]:
    return set(Document.objects.get(pk=document.pk).tags.values_list("name", flat=True))


def test_class_determines_destiny_and_the_clock_starts_the_next_january(dossier):
    contract = add_document(dossier, "HT")
    log = add_document(dossier, "SS")

    # The project ended on 2026-09-30: counted from 2027-01-01.
    assert until_field(contract) == datetime.date(2056, 12, 31)
    assert "定期30年" in tag_names(contract)
    assert until_field(log) == datetime.date(2036, 12, 31)
    assert "定期10年" in tag_names(log)
    row = RecordRetention.objects.get(document=log)
    assert (row.retention, row.basis, row.starts) == (
        "ordinary",
        "schedule",
        datetime.date(2026, 9, 30),
    )


def test_a_record_restored_from_paperless_s_trash_keeps_its_retention(
    api_client,
    dossier,
):
    from tests.factories import UserFactory

    contract = add_document(dossier, "HT")
    api_client.force_authenticate(UserFactory(username="admin", superuser=True))
    assert api_client.delete(f"/api/documents/{contract.pk}/").status_code == 204
    response = api_client.post(
        "/api/trash/",
        {"documents": [contract.pk], "action": "restore"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Document.objects.filter(pk=contract.pk).exists()
    assert RecordRetention.objects.get(document=contract).until == datetime.date(
        2056,
        12,
        31,
    )
    assert until_field(contract) == datetime.date(2056, 12, 31)


def test_without_a_project_the_document_date_starts_the_clock(provisioned):
    from documents.signals import document_updated

    document = DocumentFactory(
        document_type=DocumentType.objects.get(svc_archive_code__code="TS"),
        created=datetime.date(2020, 3, 15),
    )
    document_updated.send(sender=None, document=document)

    assert until_field(document) == datetime.date(2030, 12, 31)


def test_counting_from_the_day_itself_when_configured(dossier, settings):
    settings.SVC_ARCHIVE_RETENTION_FROM_NEXT_YEAR = False
    contract = add_document(dossier, "HT")

    assert until_field(contract) == datetime.date(2056, 9, 29)


# Transactional: the recompute runs as a celery task once the change commits, and
# paperless's task_prerun closes the connection (PostgreSQL) of a test transaction.
@pytest.mark.django_db(transaction=True)
def test_a_corrected_end_date_and_a_changed_schedule_are_followed(
    dossier,
    paperless_dirs,
):
    log = add_document(dossier, "SS")
    project = dossier.project
    project.end_date = datetime.date(2027, 2, 1)
    project.save()
    assert until_field(log) == datetime.date(2037, 12, 31)

    rule = RetentionRule.objects.get(document_type__code="SS", category=None)
    rule.retention = "permanent"
    rule.save()  # recomputed by the task the change queues

    assert until_field(log) is None
    assert "永久" in tag_names(log)
    assert "定期10年" not in tag_names(log)


def test_a_changed_dossier_category_is_followed(dossier):
    from svc_archive_plugin.models import ArchiveCategory

    log = add_document(dossier, "SS")
    RetentionRule.objects.create(
        category=ArchiveCategory.objects.get(code="XM"),
        document_type=DocumentType.objects.get(
            svc_archive_code__code="SS",
        ).svc_archive_code,
        retention="permanent",
    )
    assert until_field(log) == datetime.date(2036, 12, 31)

    dossier.category = ArchiveCategory.objects.get(code="XM")
    dossier.save()

    assert until_field(log) is None
    assert "永久" in tag_names(log)


def test_the_most_specific_rule_wins(dossier):
    # Repair records (after-sales category SH) keep logs longer than other categories.
    RetentionRule.objects.create(
        document_type=DocumentType.objects.get(
            svc_archive_code__code="SS",
        ).svc_archive_code,
        category=dossier.category,
        retention="important",
    )
    log = add_document(dossier, "SS")

    assert until_field(log) == datetime.date(2056, 12, 31)


def test_a_dossier_override_needs_a_reason_and_the_archive_department(
    dossier,
    people,
    api_client,
):
    log = add_document(dossier, "SS")
    url = f"{API}{dossier.pk}/override_retention/"

    api_client.force_authenticate(people["head"])
    refused = api_client.post(url, {"retention": "permanent", "reason": "重大事故"})
    assert refused.status_code == 403
    api_client.force_authenticate(people["manager"])
    assert api_client.post(url, {"retention": "permanent"}).status_code == 400
    # Writing the class directly is not possible: it is read-only in the API.
    api_client.patch(f"{API}{dossier.pk}/", {"retention": "ordinary"})
    dossier.refresh_from_db()
    assert dossier.retention == ""

    done = api_client.post(url, {"retention": "permanent", "reason": "重大事故调查"})

    assert done.status_code == 200
    assert done.json()["retention_override_reason"] == "重大事故调查"
    assert RecordRetention.objects.get(document=log).basis == "dossier"
    assert until_field(log) is None
    assert "永久" in tag_names(log)


def test_filing_without_any_scheduled_class_is_refused(dossier, people):
    RetentionRule.objects.all().delete()
    complete(dossier, owner=people["clerk"])
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])

    with pytest.raises(filing.FilingError, match="retention schedule gives none"):
        filing.file_dossier(dossier, people["manager"])


def expired_records(dossier, count=3):
    """Records of a project that ended long ago, so their ten years have run out."""
    project = dossier.project
    project.end_date = datetime.date(2010, 6, 30)
    project.save()
    return [add_document(dossier, "SS") for _ in range(count)]


def test_the_sweep_queues_expired_records_once_and_deletes_nothing(dossier):
    expired = expired_records(dossier)
    current = add_document(dossier, "HT")  # 30 years: until 2040

    first = retention.sweep(datetime.date(2026, 11, 27))
    second = retention.sweep(datetime.date(2026, 11, 28))

    assert (first.queued, second.queued) == (3, 0)
    assert SweepRun.objects.count() == 2
    due = RecordRetention.objects.filter(state="due")
    assert sorted(due.values_list("document_id", flat=True)) == [d.pk for d in expired]
    assert set(due.values_list("due_since", flat=True)) == {datetime.date(2026, 11, 27)}
    assert RecordRetention.objects.get(document=current).state == "active"
    assert Document.objects.count() == 4


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="SQLite serialises writers; this runs in the PostgreSQL round of make test",
)
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_queue_each_record_once(dossier):
    expired = expired_records(dossier, count=40)
    barrier = threading.Barrier(2)
    runs = []

    def sweep_once():
        try:
            barrier.wait()
            runs.append(retention.sweep().queued)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(runs)[1] + sorted(runs)[0] == len(expired)
    assert RecordRetention.objects.filter(state="due").count() == len(expired)


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="SQLite serialises writers; this runs in the PostgreSQL round of make test",
)
@pytest.mark.django_db(transaction=True)
def test_two_recomputes_of_a_new_record_at_once_both_succeed(dossier):
    # A worker's task and an edit (or a sweep) may bring the same new record under
    # retention at once: the second must not fail on the first's row (seen in CI).
    document = DocumentFactory(
        document_type=DocumentType.objects.get(svc_archive_code__code="HT"),
    )
    CustomFieldInstance.objects.create(
        document=document,
        field=CustomField.objects.get(name="服务项目"),
        value_select=dossier.project.option_id,
    )
    RecordRetention.objects.filter(document=document).delete()
    inserted = threading.Event()
    errors = []

    def first():
        try:
            with transaction.atomic():
                retention.recompute([document.pk])
                inserted.set()
                # Hold the new row uncommitted while the second tries to insert it.
                time.sleep(1)
        finally:
            inserted.set()
            connection.close()

    def second():
        try:
            inserted.wait(30)
            retention.recompute([document.pk])
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    row = RecordRetention.objects.get(document=document)
    assert row.retention == "important"  # a contract: 定期30年
    assert until_field(document) == row.until


def test_appraisal_destroy_extend_and_keep_permanently(dossier, people):
    a, b, c = expired_records(dossier)
    retention.sweep()
    manager = people["manager"]

    with pytest.raises(retention.RetentionForbidden):
        retention.appraise(people["head"], [a.pk], "destroy", "无保存价值")
    with pytest.raises(retention.RetentionError, match="reason"):
        retention.appraise(manager, [a.pk], "destroy", " ")
    with pytest.raises(retention.RetentionError, match="how many years"):
        retention.appraise(manager, [b.pk], "extend", "仍有纠纷")

    retention.appraise(manager, [a.pk], "destroy", "无保存价值")
    retention.appraise(manager, [b.pk], "extend", "保修期内仍有纠纷", years=5)
    retention.appraise(manager, [c.pk], "permanent", "典型案例")

    rows = {r.document_id: r for r in RecordRetention.objects.all()}
    assert rows[a.pk].state == "destroy"
    assert "待销毁" in tag_names(a)
    assert (rows[b.pk].state, rows[b.pk].until, rows[b.pk].period_years) == (
        "active",
        datetime.date(2025, 12, 31),
        15,
    )
    assert until_field(b) == datetime.date(2025, 12, 31)
    assert "定期15年" in tag_names(b)
    assert "定期10年" not in tag_names(b)
    assert (rows[c.pk].retention, rows[c.pk].until) == ("permanent", None)
    assert "永久" in tag_names(c)
    decisions = AppraisalDecision.objects.order_by("pk")
    assert [(d.decision, d.decided_by.username) for d in decisions] == [
        ("destroy", "manager"),
        ("extend", "manager"),
        ("permanent", "manager"),
    ]
    # An extended record is no longer in the queue; it cannot be appraised again now.
    with pytest.raises(retention.RetentionError, match="appraisal queue"):
        retention.appraise(manager, [b.pk], "destroy", "再次鉴定")


def test_a_dossier_is_appraised_as_a_whole(dossier, people):
    records = expired_records(dossier)
    retention.sweep()

    decisions = retention.appraise_dossier(
        people["manager"],
        dossier,
        "permanent",
        "客户要求长期保存",
    )

    assert len(decisions) == len(records)
    assert {d.dossier_id for d in decisions} == {dossier.pk}
    assert not RecordRetention.objects.filter(state="due").exists()
