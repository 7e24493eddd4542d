"""Corrections 更正: a frozen fact changes only by two people, and leaves evidence."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from documents.models import CustomField
from documents.models import CustomFieldInstance
from documents.models import DocumentType

from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import Correction
from svc_archive_plugin.models import CorrectionEvent
from svc_archive_plugin.models import DeclaredRecord
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.models.evidence import AppendOnlyError
from svc_archive_plugin.services import corrections
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import holds
from svc_archive_plugin.services import items
from svc_archive_plugin.services import records
from tests.factories import UserFactory
from tests.factories import complete
from tests.factories import lend

pytestmark = pytest.mark.django_db
API = "/api/svc_archive/corrections/"


def file_it(dossier, people):
    documents = complete(dossier, owner=people["clerk"])
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    filing.file_dossier(dossier, people["manager"])
    dossier.refresh_from_db()
    return documents


def until(document) -> datetime.date | None:
    return RecordRetention.objects.get(document=document).until


def archive_code(document) -> str:
    return CustomFieldInstance.objects.get(
        document=document,
        field=CustomField.objects.get(name="档号"),
    ).value_text


@pytest.fixture
def second_manager(people):
    user = UserFactory(username="manager2")
    user.groups.add(Group.objects.get(name="档案管理员"))
    return user


@pytest.fixture
def filed(dossier, people):
    return file_it(dossier, people)


def other_project(dossier, people) -> ServiceProject:
    """Another project of the same customer and department, ended in 2025."""
    return ServiceProject.objects.create(
        code="P2026-09",
        name="空调维修",
        customer=dossier.project.customer,
        service_type=ServiceType.objects.get(code="WX"),
        department=people["engineering"],
        end_date=datetime.date(2025, 5, 31),
    )


def propose_contract_type(people, log, contract_type) -> Correction:
    """The archive manager proposes that the log is really a contract (补充协议)."""
    return corrections.propose(
        people["manager"],
        fact="document_type",
        value=str(contract_type.pk),
        reason="实为补充协议",
        document_id=log.pk,
    )


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def propose_end_date(api_client, people, dossier, value="2027-03-31"):
    return as_user(api_client, people["manager"]).post(
        API,
        {
            "fact": "end_date",
            "project": dossier.project.pk,
            "value": value,
            "reason": "验收日期录入错误，以验收单为准",
        },
        format="json",
    )


def test_a_non_manager_cannot_propose(api_client, dossier, people, filed):
    response = as_user(api_client, people["head"]).post(
        API,
        {
            "fact": "end_date",
            "project": dossier.project.pk,
            "value": "2027-03-31",
            "reason": "x",
        },
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "Only archive managers propose corrections."
    assert not Correction.objects.exists()


def test_the_proposer_cannot_approve_their_own(api_client, dossier, people, filed):
    proposed = propose_end_date(api_client, people, dossier)
    assert proposed.status_code == 201, proposed.content

    response = api_client.post(f"{API}{proposed.json()['id']}/approve/")

    assert response.status_code == 403
    assert (
        "Nobody approves or refuses their own correction" in response.json()["detail"]
    )
    dossier.project.refresh_from_db()
    assert dossier.project.end_date == datetime.date(2026, 9, 30)
    assert Correction.objects.get().state == "proposed"


def test_a_head_cannot_approve(api_client, dossier, people, filed):
    proposed = propose_end_date(api_client, people, dossier).json()

    response = as_user(api_client, people["head"]).post(
        f"{API}{proposed['id']}/approve/",
    )

    assert response.status_code == 403


def test_an_approved_end_date_changes_retention_and_the_archive_code(
    api_client,
    dossier,
    people,
    filed,
    second_manager,
):
    assert until(filed[0]) == datetime.date(2056, 12, 31)
    assert dossier.archive_code == "SVC-SH·2026-D30-工程部-0001"
    proposed = propose_end_date(api_client, people, dossier).json()
    assert (proposed["old_label"], proposed["new_label"]) == (
        "2026-09-30",
        "2027-03-31",
    )

    response = as_user(api_client, second_manager).post(
        f"{API}{proposed['id']}/approve/",
        {"reason": "核对验收单无误"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "applied"
    assert body["decided_by"] == "manager2"
    dossier.refresh_from_db()
    dossier.project.refresh_from_db()
    assert dossier.project.end_date == datetime.date(2027, 3, 31)
    # Retention counts from the corrected end; the code's year follows it (new number).
    assert until(filed[0]) == datetime.date(2057, 12, 31)
    assert dossier.archive_code == "SVC-SH·2027-D30-工程部-0001"
    assert archive_code(filed[0]) == "SVC-SH·2027-D30-工程部-0001"
    applied = CorrectionEvent.objects.get(action="apply")
    assert (applied.old_value, applied.new_value) == ("2026-09-30", "2027-03-31")
    assert applied.actor == second_manager
    assert applied.effects["archive_codes"] == {
        str(dossier.pk): ["SVC-SH·2026-D30-工程部-0001", "SVC-SH·2027-D30-工程部-0001"],
    }
    assert applied.effects["retention_until"][str(filed[0].pk)] == [
        "2056-12-31",
        "2057-12-31",
    ]
    assert sorted(applied.documents) == sorted(d.pk for d in filed)
    assert [e["action"] for e in body["events"]] == ["propose", "apply"]
    # The old number is a gap the correction explains.
    assert filing.archive_code_gaps() == {"SVC-SH·2026-D30-工程部-": [1]}


def test_the_record_is_still_filed_and_protected_after_a_correction(
    api_client,
    dossier,
    people,
    filed,
    second_manager,
):
    proposed = propose_end_date(api_client, people, dossier).json()
    as_user(api_client, second_manager).post(f"{API}{proposed['id']}/approve/")

    root = UserFactory(username="root", superuser=True)
    response = as_user(api_client, root).delete(f"/api/documents/{filed[0].pk}/")

    assert response.status_code == 403
    assert RecordRetention.objects.get(document=filed[0]).filed
    filed[0].refresh_from_db()
    assert filed[0].owner.username == "archive-records"
    # And the project is frozen again for a plain edit.
    patched = api_client.patch(
        f"/api/svc_archive/projects/{dossier.project.pk}/",
        {"end_date": "1985-06-30"},
        format="json",
    )
    assert patched.status_code == 403


def test_a_wrong_document_type_is_corrected(
    dossier,
    people,
    filed,
    second_manager,
):
    log = next(d for d in filed if d.document_type.svc_archive_code.code == "SS")
    # Filed, the 实施记录 (定期10年 by itself) keeps its dossier's 30 years (DA/T 22).
    assert until(log) == datetime.date(2056, 12, 31)
    contract_type = DocumentType.objects.get(svc_archive_code__code="HT")

    correction = propose_contract_type(people, log, contract_type)
    corrections.approve(correction, second_manager)

    log.refresh_from_db()
    assert log.document_type == contract_type
    assert until(log) == datetime.date(2056, 12, 31)  # still its dossier's class
    assert RecordRetention.objects.get(document=log).filed
    event = CorrectionEvent.objects.get(action="apply")
    assert (event.old_label, event.new_label) == ("实施记录", "合同协议")


def test_a_record_moves_only_into_a_filed_dossier(
    dossier,
    people,
    filed,
    second_manager,
):
    other = other_project(dossier, people)
    record = filed[0]

    with pytest.raises(corrections.CorrectionError, match="only into a filed dossier"):
        corrections.propose(
            people["manager"],
            fact="project",
            value=str(other.pk),
            reason="归错项目",
            document_id=record.pk,
        )
    target = other.dossier
    file_it(target, people)
    target.refresh_from_db()

    correction = corrections.propose(
        people["manager"],
        fact="project",
        value=str(other.pk),
        reason="归错项目",
        document_id=record.pk,
    )
    corrections.approve(correction, second_manager, "核实")

    assert record.pk in records.dossier_documents(target).values_list("pk", flat=True)
    assert archive_code(record) == target.archive_code
    assert until(record) == datetime.date(2055, 12, 31)
    assert RecordRetention.objects.get(document=record).filed
    event = CorrectionEvent.objects.get(action="apply")
    assert event.effects["moved"] == {
        "document": record.pk,
        "from": dossier.pk,
        "to": target.pk,
    }
    # It takes the target's next 件号; the event keeps the number it had.
    assert event.effects["item_numbers"] == {
        str(record.pk): [1, len(records.dossier_documents(target))],
    }
    assert items.numbers_of([record.pk]) == {
        record.pk: len(records.dossier_documents(target)),
    }
    assert DeclaredRecord.objects.get(document_id=record.pk).dossier == target


def test_a_filed_dossiers_category_is_corrected_with_a_new_code(
    dossier,
    people,
    filed,
    second_manager,
):
    project_category = ArchiveCategory.objects.get(code="XM")
    correction = corrections.propose(
        people["manager"],
        fact="dossier_category",
        value=str(project_category.pk),
        reason="应为项目服务档案",
        dossier=dossier,
    )
    corrections.approve(correction, second_manager)

    dossier.refresh_from_db()
    assert dossier.category == project_category
    assert dossier.archive_code == "SVC-XM·2026-D30-工程部-0001"
    assert archive_code(filed[0]) == "SVC-XM·2026-D30-工程部-0001"


def test_a_refusal_needs_a_reason_and_changes_nothing(
    api_client,
    dossier,
    people,
    filed,
    second_manager,
):
    proposed = propose_end_date(api_client, people, dossier).json()
    client = as_user(api_client, second_manager)

    assert client.post(f"{API}{proposed['id']}/refuse/").status_code == 409
    response = client.post(
        f"{API}{proposed['id']}/refuse/",
        {"reason": "验收单日期相同"},
    )

    assert response.status_code == 200
    assert response.json()["state"] == "refused"
    assert client.post(f"{API}{proposed['id']}/approve/").status_code == 409
    dossier.project.refresh_from_db()
    assert dossier.project.end_date == datetime.date(2026, 9, 30)
    assert [e.action for e in CorrectionEvent.objects.all()] == ["propose", "refuse"]


def test_an_open_fact_is_changed_directly_not_corrected(dossier, people):
    with pytest.raises(corrections.CorrectionError, match="change it directly"):
        corrections.propose(
            people["manager"],
            fact="end_date",
            value="2027-01-31",
            reason="x",
            project=dossier.project,
        )


def test_the_evidence_cannot_be_changed(dossier, people, filed):
    correction = corrections.propose(
        people["manager"],
        fact="end_date",
        value="2027-03-31",
        reason="x",
        project=dossier.project,
    )
    event = correction.events.get()
    event.new_value = "1985-06-30"

    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_propose_approve_and_refuse_in_the_admin(
    client,
    dossier,
    people,
    filed,
    second_manager,
):
    for user in (people["manager"], second_manager):
        user.is_staff = True
        user.save()
    client.force_login(people["manager"])
    page = client.post(
        "/admin/svc_archive_plugin/correction/add/",
        {
            "fact": "end_date",
            "project": dossier.project.pk,
            "value": "2027-03-31",
            "reason": "验收日期录入错误",
        },
    )
    correction = Correction.objects.get()
    assert page.status_code == 302
    own = client.get(f"/admin/svc_archive_plugin/correction/{correction.pk}/change/")
    assert "Approve and apply the correction" not in own.content.decode()
    refused = client.post(
        f"/admin/svc_archive_plugin/correction/{correction.pk}/approve/",
        {"reason": ""},
    )
    assert "Nobody approves or refuses their own correction" in refused.content.decode()

    client.force_login(second_manager)
    shown = client.get(f"/admin/svc_archive_plugin/correction/{correction.pk}/change/")
    assert "Approve and apply the correction" in shown.content.decode()
    done = client.post(
        f"/admin/svc_archive_plugin/correction/{correction.pk}/approve/",
        {"reason": "核对无误"},
    )

    assert done.status_code == 302
    dossier.project.refresh_from_db()
    assert dossier.project.end_date == datetime.date(2027, 3, 31)
    correction.refresh_from_db()
    assert correction.state == "applied"
    assert correction.decision_reason == "核对无误"


def test_a_head_finds_no_way_to_propose_in_the_admin(client, dossier, people, filed):
    people["head"].is_staff = True
    people["head"].save()
    client.force_login(people["head"])

    page = client.get("/admin/svc_archive_plugin/correction/add/")

    assert page.status_code in (403, 404)


def test_a_bad_new_value_is_refused_with_the_reason(api_client, dossier, people, filed):
    client = as_user(api_client, people["manager"])

    responses = [
        client.post(
            API,
            {"fact": fact, "document": filed[0].pk, "value": value, "reason": "x"},
            format="json",
        )
        for fact, value in (
            ("document_type", "99999999999999999999999"),
            ("document_type", "²"),
            ("confidentiality", "top-secret"),
        )
    ]

    for response in responses:
        assert response.status_code == 409
        assert "is not a valid new value" in response.json()["detail"]
    assert not Correction.objects.exists()


def test_a_held_record_is_not_corrected_until_the_hold_is_released(
    dossier,
    people,
    filed,
    second_manager,
):
    log = next(d for d in filed if d.document_type.svc_archive_code.code == "SS")
    contract_type = DocumentType.objects.get(svc_archive_code__code="HT")
    correction = propose_contract_type(people, log, contract_type)
    hold = holds.place_hold(
        people["manager"],
        name="诉讼2026-05",
        reason="合同纠纷",
        documents=[log.pk],
    )

    with pytest.raises(corrections.CorrectionError, match="诉讼2026-05"):
        corrections.approve(correction, second_manager)
    log.refresh_from_db()
    assert log.document_type.svc_archive_code.code == "SS"
    assert not CorrectionEvent.objects.filter(action="apply").exists()

    holds.release_hold(hold, people["manager"], "诉讼结案")
    corrections.approve(correction, second_manager)
    log.refresh_from_db()
    assert log.document_type == contract_type


def test_a_record_out_on_loan_is_not_moved_to_another_dossier(
    dossier,
    people,
    filed,
    second_manager,
):
    other = other_project(dossier, people)
    file_it(other.dossier, people)
    record = filed[0]
    correction = corrections.propose(
        people["manager"],
        fact="project",
        value=str(other.pk),
        reason="归错项目",
        document_id=record.pk,
    )
    desk = UserFactory(username="desk2")
    desk.groups.add(Group.objects.get(name="档案管理员"))
    loan = lend(people, desk, dossier=dossier, reason="核对原件")

    with pytest.raises(corrections.CorrectionError, match=loan.number):
        corrections.approve(correction, second_manager)

    assert record.pk in records.dossier_documents(dossier).values_list("pk", flat=True)
