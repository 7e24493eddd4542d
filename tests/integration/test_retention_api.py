"""The REST API of retention, holds, appraisal and destruction, by role."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group

from svc_archive_plugin.services import retention
from tests.factories import UserFactory
from tests.factories import add_document

pytestmark = pytest.mark.django_db
API = "/api/svc_archive/"


@pytest.fixture
def due(dossier):
    project = dossier.project
    project.end_date = datetime.date(2010, 6, 30)
    project.save()
    documents = [add_document(dossier, "SS", title=f"维修记录{i}") for i in range(2)]
    retention.sweep()
    return documents


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def member(group_name, username):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def test_a_record_is_found_by_its_document_and_an_id_past_64_bits_is_none(
    api_client,
    people,
    due,
):
    client = as_user(api_client, people["manager"])

    record = client.get(f"{API}retention/{due[0].pk}/")
    assert record.status_code == 200
    assert record.json()["title"] == "维修记录0"
    # SQLite cannot compare a foreign key with it; the answer is "no such record".
    assert client.get(f"{API}retention/{2**63}/").status_code == 404
    assert client.get(f"{API}retention/{2**63 - 1}/").status_code == 404


def test_the_appraisal_queue_and_decisions(api_client, people, due):
    client = as_user(api_client, people["manager"])

    queue = client.get(f"{API}retention/", {"state": "due"}).json()
    assert queue["count"] == 2
    assert {r["title"] for r in queue["results"]} == {"维修记录0", "维修记录1"}

    as_user(api_client, people["clerk"])
    assert client.get(f"{API}retention/").status_code == 403
    refused = client.post(
        f"{API}retention/appraise/",
        {"documents": [due[0].pk], "decision": "destroy", "reason": "x"},
        format="json",
    )
    assert refused.status_code == 403

    as_user(api_client, people["manager"])
    decided = client.post(
        f"{API}retention/appraise/",
        {
            "documents": [due[0].pk],
            "decision": "extend",
            "years": 5,
            "reason": "仍在保修",
        },
        format="json",
    )
    assert decided.status_code == 200
    assert decided.json()[0]["until_after"] == "2025-12-31"
    assert client.get(f"{API}appraisals/").json()["count"] == 1


def test_holds_through_the_api(api_client, people, dossier, due):
    client = as_user(api_client, people["manager"])
    placed = client.post(
        f"{API}holds/",
        {
            "name": "诉讼2026-03",
            "reason": "合同纠纷",
            "customers": [dossier.project.customer_id],
        },
        format="json",
    )
    assert placed.status_code == 201
    hold_id = placed.json()["id"]

    as_user(api_client, people["clerk"])
    assert client.get(f"{API}holds/").status_code == 403
    assert (
        client.post(f"{API}holds/{hold_id}/release/", {"reason": "x"}).status_code
        == 404
    )
    nothing = client.post(
        f"{API}holds/",
        {"name": "x", "reason": "y", "documents": [due[0].pk]},
    )
    assert nothing.status_code == 403

    as_user(api_client, people["manager"])
    assert (
        client.post(f"{API}holds/{hold_id}/release/", {"reason": ""}).status_code == 409
    )
    released = client.post(f"{API}holds/{hold_id}/release/", {"reason": "结案"})
    assert released.json()["released_by"] == "manager"


def test_a_destruction_list_through_the_api(
    api_client,
    people,
    due,
    django_capture_on_commit_callbacks,
):
    manager = people["manager"]
    leader = member("公司分管领导", "leader")
    leader2 = member("公司分管领导", "leader2")
    checker = member("档案管理员", "checker")
    client = as_user(api_client, manager)
    retention.appraise(manager, [d.pk for d in due], "destroy", "保管期满")

    made = client.post(
        f"{API}destruction_lists/",
        {"title": "第一批", "reason": "保管期满", "documents": [d.pk for d in due]},
        format="json",
    )
    assert made.status_code == 201
    url = f"{API}destruction_lists/{made.json()['id']}/"

    def step(user, name, **data):
        as_user(api_client, user)
        return client.post(f"{url}{name}/", data, format="json")

    assert step(manager, "submit").json()["state"] == "submitted"
    assert step(manager, "approve").status_code == 403
    assert step(people["clerk"], "approve").status_code == 404  # cannot see lists
    assert step(leader, "reject").status_code == 409  # a rejection needs a reason
    assert step(leader, "approve").json()["state"] == "approved"
    assert step(manager, "check").status_code == 200
    assert step(manager, "check").status_code == 403  # the same checker twice
    assert step(checker, "check").json()["state"] == "checked"
    assert step(manager, "supervise").status_code == 403  # the preparer
    assert step(leader, "supervise").status_code == 200
    assert step(leader2, "supervise").json()["state"] == "supervised"
    with django_capture_on_commit_callbacks() as callbacks:
        started = step(manager, "execute", method="碎纸机粉碎", place="档案室")
    assert started.json()["state"] == "executing"
    assert (started.json()["method"], started.json()["place"]) == (
        "碎纸机粉碎",
        "档案室",
    )
    assert len(callbacks) == 1

    as_user(api_client, manager)
    pdf = client.get(f"{url}register_pdf/")
    assert pdf.content.startswith(b"%PDF")
    events = client.get(url).json()["events"]
    assert [e["action"] for e in events] == [
        "create",
        "submit",
        "approve",
        "check",
        "check",
        "supervise",
        "supervise",
        "execute",
    ]


def test_the_register_is_readable_only_by_those_allowed(api_client, people):
    client = as_user(api_client, people["manager"])
    assert client.get(f"{API}destruction_register/").json()["count"] == 0
    assert client.get(f"{API}destruction_register/verify/").json() == {
        "intact": True,
        "entries": 0,
        "problems": [],
    }
    as_user(api_client, people["clerk"])
    assert client.get(f"{API}destruction_register/").status_code == 403


def test_the_endpoints_are_in_the_schema(api_client, people):
    api_client.force_authenticate(UserFactory(username="root", superuser=True))
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    paths = set(schema["paths"])
    for path in (
        "/api/svc_archive/retention/",
        "/api/svc_archive/retention/appraise/",
        "/api/svc_archive/holds/{id}/release/",
        "/api/svc_archive/destruction_lists/{id}/supervise/",
        "/api/svc_archive/destruction_register/verify/",
    ):
        assert path in paths
