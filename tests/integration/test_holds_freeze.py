"""Holds that freeze: a hold keeps the documents it covers, whatever happens to their fields.

A hold records its documents when it is placed and when they join later by its scope;
changing a held document's *服务项目* or *客户* behind the API (in the database, or by a
service that bypasses it) does not take it out. Releasing needs a reason, at every door.
Records in the appraisal queue, or appraised *destroy*, leave only by a destruction list.
The protection tags 冻结, 借出 and 待销毁 follow the state: taken off or put on by hand,
they are put right.
"""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.utils import timezone
from documents.models import CustomField
from documents.models import CustomFieldInstance
from documents.models import Document
from documents.models import Tag
from documents.signals import document_updated
from documents.tasks import empty_trash
from rest_framework.test import APIClient

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import HoldEvent
from svc_archive_plugin.models import HoldMember
from svc_archive_plugin.models import HoldScope
from svc_archive_plugin.models import LegalHold
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import destruction
from svc_archive_plugin.services import holds
from svc_archive_plugin.services import retention
from svc_archive_plugin.services.protection import RecordProtected
from svc_archive_plugin.services.protection import check
from svc_archive_plugin.services.records import RecordFrozen
from tests.conftest import API_ACCEPT
from tests.factories import DocumentFactory
from tests.factories import UserFactory
from tests.factories import add_document
from tests.factories import lend

pytestmark = pytest.mark.django_db

HOLD_TAG, LOAN_TAG, LIST_TAG = "冻结", "借出", "待销毁"


@pytest.fixture
def root(provisioned):
    return UserFactory(username="root", superuser=True)


@pytest.fixture
def api(root) -> APIClient:
    client = APIClient(HTTP_ACCEPT=API_ACCEPT)
    client.force_authenticate(root)
    return client


@pytest.fixture
def other_project(dossier, people):
    customer = Customer.objects.create(code="C002", name="上海某贸易有限公司")
    return ServiceProject.objects.create(
        code="P2026-08",
        name="网络改造",
        customer=customer,
        service_type=ServiceType.objects.get(code="WX"),
        department=people["engineering"],
        end_date=datetime.date(2026, 10, 31),
    )


def tags_of(document) -> set[str]:
    return set(
        Document.global_objects.get(pk=document.pk).tags.values_list("name", flat=True),
    )


def hold_names(document) -> list[str]:
    return [h.name for h in holds.holds_on([document.pk]).get(document.pk, [])]


def field_value(document, name):
    return CustomFieldInstance.objects.get(
        document=document,
        field__name=name,
    ).value_select


def set_field_behind_the_api(document, name, value) -> None:
    """Change a select custom field in the database, as no guarded door would allow."""
    CustomFieldInstance.objects.filter(document=document, field__name=name).update(
        value_select=value,
    )


# Holds record their documents -------------------------------------------------------------


def test_editing_the_project_behind_the_api_leaves_the_document_in_its_hold(
    dossier,
    people,
    other_project,
    api,
):
    contract = add_document(dossier, "HT", title="机房维修合同")
    hold = holds.place_hold(
        people["manager"],
        name="诉讼2026-03",
        reason="合同纠纷",
        projects=[dossier.project],
    )
    assert field_value(contract, "客户") == dossier.project.customer.option_id

    set_field_behind_the_api(contract, "服务项目", other_project.option_id)
    set_field_behind_the_api(contract, "客户", None)
    # The plugin follows the edit, as after any change paperless reports.
    document_updated.send(sender=None, document=contract)

    assert hold_names(contract) == ["诉讼2026-03"]
    assert HOLD_TAG in tags_of(contract)
    with pytest.raises(RecordProtected, match="诉讼2026-03"):
        check([contract.pk], path="test")
    response = api.delete(f"/api/documents/{contract.pk}/")
    assert response.status_code == 403
    assert "诉讼2026-03" in response.json()["detail"]
    assert Document.objects.filter(pk=contract.pk).exists()
    member = HoldMember.objects.get(hold=hold, document=contract)
    assert member.how == HoldMember.How.PLACED


# Transactional: paperless queues bulk_update_documents, an (eager) celery task whose
# task_prerun closes the connection, which PostgreSQL's test transaction does not survive.
@pytest.mark.django_db(transaction=True)
def test_a_service_that_bypasses_the_api_cannot_strip_a_customer_hold(
    dossier,
    people,
    other_project,
):
    from documents import bulk_edit

    record = add_document(dossier, "SS", title="维修记录")
    holds.place_hold(
        people["manager"],
        name="客户冻结",
        reason="破产清算",
        customers=[dossier.project.customer],
    )
    project_field = CustomField.objects.get(name="服务项目")
    customer_field = CustomField.objects.get(name="客户")

    # paperless's own bulk edit, called as a function: no view, no guard in front of it;
    # the backstop on the field values refuses (a held record is frozen).
    with pytest.raises(RecordFrozen, match="客户冻结"):
        bulk_edit.modify_custom_fields(
            [record.pk],
            add_custom_fields={project_field.pk: other_project.option_id},
            remove_custom_fields=[customer_field.pk],
        )

    assert hold_names(record) == ["客户冻结"]
    with pytest.raises(RecordProtected, match="客户冻结"):
        Document.objects.get(pk=record.pk).delete()
    assert Document.objects.filter(pk=record.pk).exists()


def test_a_document_that_comes_into_the_scope_later_joins_and_stays(
    dossier,
    people,
    other_project,
):
    hold = holds.place_hold(
        people["manager"],
        name="审计冻结",
        reason="年度审计",
        dossiers=[dossier],
    )
    assert not hold.members.exists()
    (placed,) = hold.events.all()
    assert (placed.action, placed.actor, placed.reason) == (
        HoldEvent.Action.PLACED,
        people["manager"],
        "年度审计",
    )

    later = add_document(
        dossier,
        "SS",
        title="后补维修记录",
    )  # a new record of the dossier
    moved_in = add_document(other_project.dossier, "FP", title="发票")
    set_field_behind_the_api(moved_in, "服务项目", dossier.project.option_id)
    document_updated.send(sender=None, document=moved_in)

    members = {m.document_id: m.how for m in hold.members.all()}
    assert members == {
        later.pk: HoldMember.How.JOINED,
        moved_in.pk: HoldMember.How.JOINED,
    }
    joined = hold.events.filter(action=HoldEvent.Action.JOINED)
    assert set(joined.values_list("document_id", flat=True)) == {later.pk, moved_in.pk}
    assert HOLD_TAG in tags_of(later)

    # Out of the scope again: still held.
    set_field_behind_the_api(later, "服务项目", other_project.option_id)
    document_updated.send(sender=None, document=later)
    assert hold_names(later) == ["审计冻结"]
    assert HOLD_TAG in tags_of(later)


def test_a_document_matching_the_scope_is_held_and_joins_at_its_next_change(
    dossier,
    people,
):
    record = add_document(dossier, "SS", title="维修记录")
    hold = holds.place_hold(
        people["manager"],
        name="诉讼2026-04",
        reason="投诉升级",
        projects=[dossier.project],
    )
    newcomer = add_document(dossier, "HT", title="补充协议")

    # Nobody reported this one's field value: the deletion check still finds it ...
    stray = DocumentFactory(title="直接写入")
    CustomFieldInstance.objects.create(
        document=stray,
        field=CustomField.objects.get(name="服务项目"),
        value_select=dossier.project.option_id,
    )
    with pytest.raises(RecordProtected, match="诉讼2026-04"):
        check([stray.pk], path="test")
    # ... without writing anything: asking is a read.
    members = set(hold.members.values_list("document_id", flat=True))
    assert members == {record.pk, newcomer.pk}

    # Its next change (as paperless reports an edit) records it as a member.
    document_updated.send(sender=None, document=stray)

    assert set(hold.members.values_list("document_id", flat=True)) == {
        record.pk,
        newcomer.pk,
        stray.pk,
    }
    assert hold.events.filter(action="joined", document_id=stray.pk).exists()


def test_releasing_needs_a_reason_at_every_door(dossier, people, client, api_client):
    record = add_document(dossier, "SS", title="维修记录")
    hold = holds.place_hold(
        people["manager"],
        name="诉讼2026-05",
        reason="合同纠纷",
        documents=[record.pk],
    )
    manager = people["manager"]
    manager.is_staff = True
    manager.save()

    with pytest.raises(holds.HoldError, match="Say why"):
        holds.release_hold(hold, manager, "  ")
    api_client.force_authenticate(manager)
    response = api_client.post(
        f"/api/svc_archive/holds/{hold.pk}/release/",
        {"reason": ""},
        format="json",
    )
    assert response.status_code == 409
    assert "Say why the hold is released" in response.json()["detail"]
    client.force_login(manager)
    page = client.post(
        f"/admin/svc_archive_plugin/legalhold/{hold.pk}/release/",
        {"note": ""},
    )
    assert page.status_code == 200
    assert "This field is required" in page.content.decode()
    hold.refresh_from_db()
    assert hold.active
    assert hold_names(record) == ["诉讼2026-05"]

    response = api_client.post(
        f"/api/svc_archive/holds/{hold.pk}/release/",
        {"reason": "和解结案"},
        format="json",
    )

    assert response.status_code == 200
    events = response.json()["events"]
    assert [(e["action"], e["actor"], e["reason"]) for e in events] == [
        ("placed", "manager", "合同纠纷"),
        ("released", "manager", "和解结案"),
    ]
    assert response.json()["members"][0]["document"] == record.pk
    assert hold_names(record) == []
    assert HOLD_TAG not in tags_of(record)
    check([record.pk], path="test")


def test_the_migration_records_the_members_of_active_holds(
    dossier,
    people,
    other_project,
):
    """Holds placed before membership was kept get their documents from the scope."""
    migration = importlib.import_module(
        "svc_archive_plugin.migrations.0017_hold_members",
    )
    record = add_document(dossier, "SS", title="维修记录")
    elsewhere = add_document(other_project.dossier, "SS", title="别的项目")
    manager = people["manager"]
    active = LegalHold.objects.create(name="旧冻结", reason="诉讼", placed_by=manager)
    HoldScope.objects.create(hold=active, customer=dossier.project.customer)
    released = LegalHold.objects.create(
        name="已解除",
        reason="审计",
        placed_by=manager,
        released_by=manager,
        release_reason="审计结束",
    )
    released.released_at = released.placed_at + datetime.timedelta(days=30)
    released.save()
    HoldScope.objects.create(hold=released, project=other_project)

    migration.backfill(apps, None)

    assert list(active.members.values_list("document_id", "how")) == [
        (record.pk, HoldMember.How.RECORDED),
    ]
    assert not released.members.exists()
    assert list(released.events.values_list("action", "reason")) == [
        ("placed", "审计"),
        ("released", "审计结束"),
    ]
    set_field_behind_the_api(record, "服务项目", other_project.option_id)
    set_field_behind_the_api(record, "客户", None)
    assert hold_names(record) == ["旧冻结"]
    assert hold_names(elsewhere) == []


# Appraisal protects -------------------------------------------------------------------------


@pytest.fixture
def expired(dossier):
    """Make the repair project end in 2010: its records' retention ran out in 2020."""
    project = dossier.project
    project.end_date = datetime.date(2010, 6, 30)
    project.save()
    return dossier


@pytest.fixture
def in_appraisal(expired, people, paperless_dirs):
    """Two unfiled records: one waiting in the appraisal queue, one appraised *destroy*."""
    queued = add_document(expired, "SS", title="到期维修记录")
    doomed = add_document(expired, "SS", title="应销毁维修记录")
    retention.sweep()
    retention.appraise(people["manager"], [doomed.pk], "destroy", "保管期满")
    return {"queued": queued, "doomed": doomed}


REASONS = {
    "queued": "in the appraisal queue (its retention ended on 2020-12-31)",
    "doomed": "appraised for destruction",
}


def state_of(document) -> str:
    return RecordRetention.objects.get(document_id=document.pk).state


@pytest.mark.parametrize("which", ["queued", "doomed"])
def test_records_in_appraisal_cannot_be_trashed_by_the_api(in_appraisal, api, which):
    record = in_appraisal[which]
    assert not RecordRetention.objects.get(document_id=record.pk).filed

    single = api.delete(f"/api/documents/{record.pk}/")
    bulk = api.post(
        "/api/documents/bulk_edit/",
        {"documents": [record.pk], "method": "delete", "parameters": {}},
        format="json",
    )

    for response in (single, bulk):
        assert response.status_code == 403
        assert REASONS[which] in response.json()["detail"]
        assert (
            "only an approved destruction list can remove it"
            in (response.json()["detail"])
        )
    assert Document.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("which", ["queued", "doomed"])
def test_records_in_appraisal_cannot_be_trashed_in_the_admin(
    in_appraisal,
    root,
    client,
    which,
):
    record = in_appraisal[which]
    client.force_login(root)
    url = f"/admin/documents/document/{record.pk}/delete/"

    assert REASONS[which] in client.get(url).content.decode()
    client.post(url, {"post": "yes"})
    client.post(
        "/admin/documents/document/",
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )

    assert Document.objects.filter(pk=record.pk).exists()


@pytest.fixture
def appraised_in_trash(expired, people, paperless_dirs):
    """Two records trashed while nothing protected them, then queued by the sweep."""
    queued = add_document(expired, "SS", title="到期维修记录")
    doomed = add_document(expired, "SS", title="应销毁维修记录")
    queued.delete()
    doomed.delete()
    retention.sweep()
    retention.appraise(people["manager"], [doomed.pk], "destroy", "保管期满")
    assert (state_of(queued), state_of(doomed)) == ("due", "destroy")
    return {"queued": queued, "doomed": doomed}


def test_a_record_in_the_trash_can_be_appraised(expired, people, paperless_dirs):
    """The sweep queues a trashed record too; appraising it writes its fields, in the trash."""
    record = add_document(expired, "SS", title="到期维修记录")
    record.delete()
    retention.sweep()

    retention.appraise(people["manager"], [record.pk], "extend", "仍有纠纷", years=5)

    assert state_of(record) == "active"
    until = RecordRetention.objects.get(document_id=record.pk).until
    assert (
        CustomFieldInstance.global_objects.get(
            document_id=record.pk,
            field__name="保管期限至",
        ).value_date
        == until
    )
    assert Document.deleted_objects.filter(pk=record.pk).exists()


def test_emptying_the_trash_leaves_records_in_appraisal(appraised_in_trash, api):
    response = api.post("/api/trash/", {"action": "empty"}, format="json")

    assert response.status_code == 403
    assert REASONS["queued"] in response.json()["detail"]
    assert REASONS["doomed"] in response.json()["detail"]
    assert Document.deleted_objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_nightly_purge_leaves_records_in_appraisal(
    appraised_in_trash,
    settings,
):
    settings.EMPTY_TRASH_DELAY = 1
    Document.deleted_objects.update(
        deleted_at=timezone.now() - datetime.timedelta(days=2),
    )

    empty_trash.delay()

    assert Document.deleted_objects.count() == 2


@pytest.fixture
def staff(people):
    def person(name, group):
        user = UserFactory(username=name)
        user.groups.add(Group.objects.get(name=group))
        return user

    return {
        **people,
        "checker1": person("checker1", "档案管理员"),
        "checker2": person("checker2", "档案管理员"),
        "leader": person("leader", "公司分管领导"),
        "leader2": person("leader2", "公司分管领导"),
        "head2": person("head2", "部门负责人"),
    }


def test_a_destruction_list_still_destroys_an_unfiled_appraised_record(
    in_appraisal,
    staff,
):
    doomed = in_appraisal["doomed"]
    destruction_list = destruction.prepare(
        staff["manager"],
        title="到期维修记录",
        reason="保管期满",
        document_ids=[doomed.pk],
    )
    destruction.submit(destruction_list, staff["manager"])
    destruction.approve(destruction_list, staff["leader"])
    destruction.check(destruction_list, staff["checker1"])
    destruction.check(destruction_list, staff["checker2"])
    destruction.supervise(destruction_list, staff["leader2"])
    destruction.supervise(destruction_list, staff["head2"])
    destruction.start_execution(destruction_list, staff["manager"])

    assert destruction.execute(destruction_list.pk) == 1

    assert not Document.global_objects.filter(pk=doomed.pk).exists()
    assert state_of(doomed) == "destroyed"


# Protection tags follow the state -----------------------------------------------------------


@pytest.fixture
def protected(expired, people, paperless_dirs):
    """A held record, a record out on loan, a record appraised *destroy*, a loose one."""
    held = add_document(expired, "HT", title="机房维修合同")
    lent = add_document(expired, "FP", title="发票")
    doomed = add_document(expired, "SS", title="应销毁维修记录")
    loose = DocumentFactory(title="临时草稿")  # not a record: nothing protects it
    holds.place_hold(
        people["manager"],
        name="诉讼2026-06",
        reason="合同纠纷",
        documents=[held.pk],
    )
    desk = UserFactory(username="desk2")
    desk.groups.add(Group.objects.get(name="档案管理员"))
    lend(people, desk, document_id=lent.pk, reason="报销", days=1)
    retention.sweep()
    retention.appraise(people["manager"], [doomed.pk], "destroy", "保管期满")
    documents = {"held": held, "lent": lent, "doomed": doomed, "loose": loose}
    assert HOLD_TAG in tags_of(held)
    assert LOAN_TAG in tags_of(lent)
    assert LIST_TAG in tags_of(doomed)
    return documents


TAG_OF = {"held": HOLD_TAG, "lent": LOAN_TAG, "doomed": LIST_TAG}


def tag_id(name: str) -> int:
    return Tag.objects.get(name=name).pk


def patch_tags(api, document, tag_ids) -> None:
    response = api.patch(
        f"/api/documents/{document.pk}/",
        {"tags": sorted(tag_ids)},
        format="json",
    )
    # Put right during the request: paperless answers with the tags as they now are.
    # (A door that refuses the edit of a protected record altogether is as good.)
    assert response.status_code in (200, 403), response.content
    if response.status_code == 200:
        assert {Tag.objects.get(pk=t).name for t in response.json()["tags"]} == (
            tags_of(document)
        )


@pytest.mark.parametrize("which", ["held", "lent", "doomed"])
def test_a_protection_tag_taken_off_by_patch_is_put_back(protected, api, which):
    document = protected[which]
    tag = TAG_OF[which]

    patch_tags(
        api,
        document,
        set(document.tags.values_list("pk", flat=True)) - {tag_id(tag)},
    )

    assert tag in tags_of(document)


# Transactional: paperless queues bulk_update_documents, an (eager) celery task whose
# task_prerun closes the connection, which PostgreSQL's test transaction does not survive.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("which", ["held", "lent", "doomed"])
@pytest.mark.parametrize("method", ["remove_tag", "modify_tags", "remove_parent"])
def test_a_protection_tag_taken_off_by_bulk_edit_is_put_back(
    protected,
    api,
    which,
    method,
):
    document, tag = protected[which], TAG_OF[which]
    parameters = {
        "remove_tag": {"tag": tag_id(tag)},
        "modify_tags": {"add_tags": [], "remove_tags": [tag_id(tag)]},
        # Removing the parent 保管期限 removes every tag below it.
        "remove_parent": {"tag": tag_id("保管期限")},
    }[method]

    response = api.post(
        "/api/documents/bulk_edit/",
        {
            "documents": [document.pk],
            "method": "remove_tag" if method == "remove_parent" else method,
            "parameters": parameters,
        },
        format="json",
    )

    assert response.status_code in (200, 403), response.content
    assert tag in tags_of(document)


# Transactional: paperless queues bulk_update_documents, an (eager) celery task whose
# task_prerun closes the connection, which PostgreSQL's test transaction does not survive.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tag", [HOLD_TAG, LOAN_TAG, LIST_TAG])
def test_a_protection_tag_put_on_by_hand_is_taken_off_again(protected, api, tag):
    loose = protected["loose"]

    patch_tags(api, loose, {*loose.tags.values_list("pk", flat=True), tag_id(tag)})
    assert tag not in tags_of(loose)

    response = api.post(
        "/api/documents/bulk_edit/",
        {
            "documents": [loose.pk],
            "method": "add_tag",
            "parameters": {"tag": tag_id(tag)},
        },
        format="json",
    )
    assert response.status_code == 200
    assert tag not in tags_of(loose)
    # Nothing became protected by the tag either.
    check([loose.pk], path="test")


def admin_change_data(client, document) -> dict:
    """The Django admin's change form of the document, as it would be posted unchanged."""
    page = client.get(f"/admin/documents/document/{document.pk}/change/")
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, (list, tuple)) or hasattr(value, "all"):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    return data


def test_a_protection_tag_taken_off_in_the_admin_is_put_back(protected, root, client):
    held = protected["held"]
    client.force_login(root)
    data = admin_change_data(client, held)
    data["tags"] = [t for t in data["tags"] if t != tag_id(HOLD_TAG)]

    client.post(f"/admin/documents/document/{held.pk}/change/", data)

    assert HOLD_TAG in tags_of(held)
