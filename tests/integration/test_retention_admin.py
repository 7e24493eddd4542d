"""The manager screens of retention: appraisal queue, legal holds, destruction lists, register."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from svc_archive_plugin.db_triggers import evidence_maintenance
from svc_archive_plugin.models import AppraisalDecision
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import LegalHold
from svc_archive_plugin.models import RegisterEntry
from svc_archive_plugin.services import destruction
from svc_archive_plugin.services import retention
from tests.factories import UserFactory
from tests.factories import add_document

pytestmark = pytest.mark.django_db
ADMIN = "/admin/svc_archive_plugin/"


@pytest.fixture
def expired(dossier):
    project = dossier.project
    project.end_date = datetime.date(2010, 6, 30)
    project.save()

    def make(count):
        documents = [
            add_document(dossier, "SS", title=f"维修记录{i}") for i in range(count)
        ]
        retention.sweep()
        return documents

    return make


def staff_in(group_name, username):
    user = UserFactory(username=username, staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def manager(people):
    user = people["manager"]
    user.is_staff = True
    user.save()
    return user


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_appraisal_queue_lists_due_records_in_a_flat_number_of_queries(
    client,
    manager,
    expired,
):
    client.force_login(manager)
    url = f"{ADMIN}appraisalqueueentry/"
    expired(2)
    few = queries_for(client, url)
    expired(15)
    many = queries_for(client, url)

    assert few == many
    page = client.get(url).content.decode()
    assert "维修记录0" in page


def test_a_record_in_the_manager_screens_opens_in_paperless_ui(
    client,
    manager,
    expired,
):
    [document] = expired(1)
    client.force_login(manager)

    page = client.get(f"{ADMIN}appraisalqueueentry/").content.decode()

    assert f'href="/documents/{document.pk}/details"' in page
    assert f"#{document.pk} 维修记录0" not in page  # the title, not the id


def test_appraise_and_prepare_a_list_from_the_queue(client, manager, expired):
    documents = expired(3)
    client.force_login(manager)
    url = f"{ADMIN}appraisalqueueentry/"
    ids = [
        str(pk) for pk in retention.RecordRetention.objects.values_list("pk", flat=True)
    ]

    form = client.post(url, {"action": "appraise_selected", "_selected_action": ids})
    assert "Extend: they are kept" in form.content.decode()
    done = client.post(
        url,
        {
            "action": "appraise_selected",
            "_selected_action": ids,
            "apply": "1",
            "decision": "destroy",
            "reason": "保管期满",
        },
    )
    assert done.status_code == 302
    assert AppraisalDecision.objects.filter(decision="destroy").count() == 3

    made = client.post(
        url,
        {
            "action": "prepare_destruction_list",
            "_selected_action": ids,
            "apply": "1",
            "title": "2026年第一批",
            "reason": "保管期满",
        },
    )
    destruction_list = DestructionList.objects.get()
    assert made.status_code == 302
    assert made["Location"].endswith(f"destructionlist/{destruction_list.pk}/change/")
    assert sorted(destruction_list.items.values_list("document_id", flat=True)) == [
        d.pk for d in documents
    ]


def test_a_list_moves_through_its_steps_on_its_admin_page(
    client,
    manager,
    expired,
    django_capture_on_commit_callbacks,
):
    documents = expired(2)
    retention.appraise(manager, [d.pk for d in documents], "destroy", "保管期满")
    destruction_list = destruction.prepare(
        manager,
        title="第一批",
        reason="保管期满",
        document_ids=[d.pk for d in documents],
    )
    leader = staff_in("公司分管领导", "leader")
    leader2 = staff_in("公司分管领导", "leader2")
    checker = staff_in("档案管理员", "checker")
    base = f"{ADMIN}destructionlist/{destruction_list.pk}/"

    def step(user, name, note="", **fields):
        client.force_login(user)
        return client.post(f"{base}{name}/", {"note": note, **fields})

    client.force_login(manager)
    draft_page = client.get(base + "change/").content.decode()
    # Only the steps a draft can take are offered.
    assert "Submit for approval" in draft_page
    assert "Carry out the destruction" not in draft_page
    assert step(manager, "submit").status_code == 302
    refused = step(manager, "approve")
    assert refused.status_code == 200
    assert "You may not approve destruction lists" in refused.content.decode()
    assert step(leader, "approve").status_code == 302
    assert step(manager, "check").status_code == 302
    assert step(checker, "check").status_code == 302
    assert step(leader, "supervise").status_code == 302
    assert step(leader2, "supervise").status_code == 302
    with django_capture_on_commit_callbacks() as callbacks:
        done = step(manager, "execute", method="碎纸机粉碎", place="档案库房")
        assert done.status_code == 302

    destruction_list.refresh_from_db()
    assert destruction_list.state == "executing"
    assert len(callbacks) == 1  # the execution task, queued once the step commits
    pdf = client.get(f"{base}register.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_legal_holds_are_placed_and_released_in_the_admin_and_hidden_from_others(
    client,
    manager,
    dossier,
    people,
):
    client.force_login(manager)
    placed = client.post(
        f"{ADMIN}legalhold/add/",
        {"name": "诉讼2026-02", "reason": "合同纠纷", "customers": "C001, C404"},
    )
    assert placed.status_code == 200
    assert "Not found: C404" in placed.content.decode()
    placed = client.post(
        f"{ADMIN}legalhold/add/",
        {"name": "诉讼2026-02", "reason": "合同纠纷", "customers": "C001"},
    )
    hold = LegalHold.objects.get()
    assert placed.status_code == 302
    assert hold.scope.get().customer.code == "C001"

    clerk = people["clerk"]
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    assert client.get(f"{ADMIN}legalhold/").status_code == 403
    assert client.get(f"{ADMIN}legalhold/{hold.pk}/release/").status_code == 403
    assert (
        client.post(
            f"{ADMIN}legalhold/{hold.pk}/release/",
            {"note": "结案"},
        ).status_code
        == 403
    )
    hold.refresh_from_db()
    assert hold.active

    client.force_login(manager)
    client.post(f"{ADMIN}legalhold/{hold.pk}/release/", {"note": "诉讼结案"})
    hold.refresh_from_db()
    assert not hold.active
    assert client.get(f"{ADMIN}legalhold/{hold.pk}/change/").status_code == 200


def test_the_register_exports_csv_and_verifies_its_chain(client, manager, expired):
    from svc_archive_plugin.services import register

    documents = expired(1)
    retention.appraise(manager, [documents[0].pk], "destroy", "保管期满")
    destruction_list = destruction.prepare(
        manager,
        title="第一批",
        reason="保管期满",
        document_ids=[documents[0].pk],
    )
    item = destruction_list.items.get()
    register.append(
        item,
        files=[{"role": "original", "name": "a.pdf", "sha256": "ab" * 32, "bytes": 1}],
        signatories={"preparer": "manager"},
        at=datetime.datetime(2026, 11, 27, tzinfo=datetime.UTC),
    )
    client.force_login(manager)

    csv_response = client.get(f"{ADMIN}registerentry/export.csv")
    text = b"".join(csv_response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffsequence,list_number,archive_code,title")
    assert "维修记录0" in text
    assert "sha256:" + "ab" * 32 in text

    ok = client.get(f"{ADMIN}registerentry/verify/", follow=True)
    assert "hash chain is intact" in ok.content.decode()
    # A rewrite only the database's owner can make, through the maintenance door.
    with evidence_maintenance():
        RegisterEntry._base_manager.update(content={"title": "改"})
    broken = client.get(f"{ADMIN}registerentry/verify/", follow=True)
    assert "content was changed" in broken.content.decode()


def test_the_dossier_override_needs_a_reason_in_the_admin(client, manager, dossier):
    client.force_login(manager)
    url = f"{ADMIN}dossier/{dossier.pk}/override_retention/"

    assert client.post(url, {"retention": "permanent"}).status_code == 200
    assert (
        client.post(url, {"retention": "permanent", "reason": "重大项目"}).status_code
        == 302
    )
    dossier.refresh_from_db()
    assert (dossier.retention, dossier.retention_override_reason) == (
        "permanent",
        "重大项目",
    )
