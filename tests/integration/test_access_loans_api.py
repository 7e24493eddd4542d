"""The REST API of access requests 查阅申请, the access log 查阅登记 and loans 借阅, by role.

Requests and loans are read by whom they concern (one's own; a head's department's;
everything for the archive department); each step is refused to the wrong person with
403 and a message, and out of turn with 409. The access log is the archive's to read.
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import AccessRequest
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import access
from svc_archive_plugin.services import loans
from svc_archive_plugin.services.calendar import working_day_deadline
from tests.factories import UserFactory
from tests.factories import add_document

pytestmark = pytest.mark.django_db
API = "/api/svc_archive/"
DAY = datetime.timedelta(days=1)


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


@pytest.fixture
def shelved(dossier):
    """The repair dossier, on its shelf, with a contract in it."""
    dossier.location_cabinet, dossier.location_shelf, dossier.location_box = (
        "A01",
        "03",
        "12",
    )
    dossier.save()
    add_document(dossier, "HT", title="维修合同")
    return dossier


@pytest.fixture
def desk(people):
    """A second archive manager at the desk (the first approves as archive head)."""
    user = UserFactory(username="desk2")
    user.groups.add(Group.objects.get(name="档案管理员"))
    return user


def ask(user, dossier):
    today = timezone.localdate()
    return access.request_access(
        user,
        purpose="核对合同条款",
        starts=today,
        ends=today + 3 * DAY,
        dossiers=[dossier],
    )


def borrow(user, dossier, days=5):
    return loans.request_loan(
        user,
        reason="客户回访核对原件",
        days=days,
        dossier=dossier,
    )


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# Access requests --------------------------------------------------------------------------


def test_an_access_request_asked_and_decided_through_the_api(
    api_client,
    people,
    dossier,
):
    today = timezone.localdate()
    client = as_user(api_client, people["clerk"])
    asked = client.post(
        f"{API}access_requests/",
        {
            "purpose": "核对合同条款",
            "starts": today.isoformat(),
            "ends": (today + 3 * DAY).isoformat(),
            "dossiers": [dossier.pk],
        },
        format="json",
    )
    assert asked.status_code == 201, asked.content
    body = asked.json()
    assert (body["requester"], body["department"], body["state"]) == (
        "clerk",
        "工程部",
        "pending",
    )
    assert body["items"] == [{"document": None, "dossier": dossier.pk}]
    url = f"{API}access_requests/{body['id']}/"

    # The head finds it among their department's pending requests.
    as_user(api_client, people["head"])
    pending = client.get(
        f"{API}access_requests/",
        {"state": "pending", "department": people["engineering"].pk},
    )
    assert ids(pending) == {body["id"]}

    # Nobody decides their own request; the archive manager is not the head of 工程部.
    as_user(api_client, people["clerk"])
    own = client.post(f"{url}approve/", {}, format="json")
    assert own.status_code == 403
    assert own.json()["detail"] == "Nobody decides their own access request."
    as_user(api_client, people["manager"])
    other = client.post(f"{url}approve/", {}, format="json")
    assert other.status_code == 403
    assert other.json()["detail"] == "Only the head of 工程部 decides this request."
    # The head of another department does not even see it.
    as_user(api_client, people["sales_head"])
    assert client.post(f"{url}approve/", {}, format="json").status_code == 404
    assert AccessRequest.objects.get().state == "pending"

    as_user(api_client, people["head"])
    approved = client.post(f"{url}approve/", {"reason": "同意"}, format="json")
    assert approved.status_code == 200
    assert (
        approved.json()["state"],
        approved.json()["decided_by"],
        approved.json()["decision_reason"],
    ) == ("approved", "head", "同意")
    again = client.post(f"{url}approve/", {}, format="json")
    assert again.status_code == 409
    assert "only a pending request can be decided" in again.json()["detail"]
    assert client.get(url).json()["state"] == "approved"


def test_a_bad_access_request_is_refused_with_the_reason(api_client, people, dossier):
    today = timezone.localdate()
    client = as_user(api_client, people["clerk"])
    backwards = client.post(
        f"{API}access_requests/",
        {
            "purpose": "核对",
            "starts": (today + 2 * DAY).isoformat(),
            "ends": today.isoformat(),
            "dossiers": [dossier.pk],
        },
        format="json",
    )
    assert backwards.status_code == 409
    assert backwards.json()["detail"] == "The period ends before it starts."
    nothing = client.post(
        f"{API}access_requests/",
        {"purpose": "核对", "starts": today.isoformat(), "ends": today.isoformat()},
        format="json",
    )
    assert nothing.status_code == 409
    assert "at least one" in nothing.json()["detail"]
    as_user(api_client, UserFactory(username="guest"))  # in no role group
    guest = client.post(
        f"{API}access_requests/",
        {"purpose": "核对", "starts": today.isoformat(), "ends": today.isoformat()},
        format="json",
    )
    assert guest.status_code == 403
    assert guest.json()["detail"] == "You may not request access to archived records."
    assert not AccessRequest.objects.exists()


def test_refusing_withdrawing_and_revoking_through_the_api(
    api_client,
    people,
    dossier,
):
    client = as_user(api_client, people["head"])
    first, second = ask(people["clerk"], dossier), ask(people["clerk"], dossier)

    assert (
        client.post(f"{API}access_requests/{first.pk}/refuse/", {}).status_code == 409
    )
    refused = client.post(
        f"{API}access_requests/{first.pk}/refuse/",
        {"reason": "无业务需要"},
    )
    assert (refused.json()["state"], refused.json()["decision_reason"]) == (
        "refused",
        "无业务需要",
    )

    client.post(f"{API}access_requests/{second.pk}/approve/")
    as_user(api_client, people["outsider"])
    assert client.post(f"{API}access_requests/{second.pk}/withdraw/").status_code == 404
    as_user(api_client, people["manager"])
    revoked = client.post(
        f"{API}access_requests/{second.pk}/revoke/",
        {"reason": "项目已结束"},
    )
    assert revoked.status_code == 200
    assert (revoked.json()["state"], revoked.json()["closed_by"]) == (
        "revoked",
        "manager",
    )
    as_user(api_client, people["clerk"])
    late = client.post(f"{API}access_requests/{second.pk}/withdraw/")
    assert late.status_code == 409
    assert "already" in late.json()["detail"]


# Who reads what ---------------------------------------------------------------------------


def test_requests_and_loans_are_read_by_whom_they_concern(api_client, people, dossier):
    clerks_request = ask(people["clerk"], dossier)
    outsiders_request = ask(people["outsider"], dossier)
    clerks_loan = borrow(people["clerk"], dossier)
    outsiders_loan = borrow(people["outsider"], dossier)
    client = api_client

    def readable(user, kind, mine, theirs):
        as_user(api_client, user)
        listed = ids(client.get(f"{API}{kind}/"))
        detail = client.get(f"{API}{kind}/{theirs.pk}/").status_code
        return listed, detail, client.get(f"{API}{kind}/{mine.pk}/").status_code

    # Staff: their own only; another's is not found.
    for kind, mine, theirs in (
        ("access_requests", clerks_request, outsiders_request),
        ("loans", clerks_loan, outsiders_loan),
    ):
        assert readable(people["clerk"], kind, mine, theirs) == ({mine.pk}, 404, 200)
        assert readable(people["head"], kind, mine, theirs) == ({mine.pk}, 404, 200)
        assert readable(people["sales_head"], kind, theirs, mine) == (
            {theirs.pk},
            404,
            200,
        )
        as_user(api_client, people["manager"])
        assert ids(client.get(f"{API}{kind}/")) == {mine.pk, theirs.pk}

    # Steps are actions; nobody edits a request or a loan directly.
    as_user(api_client, people["clerk"])
    for url in (
        f"{API}loans/{clerks_loan.pk}/",
        f"{API}access_requests/{clerks_request.pk}/",
    ):
        assert (
            client.patch(url, {"state": "approved"}, format="json").status_code == 405
        )
        assert client.delete(url).status_code == 405
    assert Loan.objects.get(pk=clerks_loan.pk).state == "requested"


def test_the_access_log_is_the_archives_to_read(api_client, people):
    client = api_client
    for who in ("clerk", "head"):
        as_user(api_client, people[who])
        assert client.get(f"{API}access_log/").status_code == 403
        assert client.get(f"{API}access_log/csv/").status_code == 403
    as_user(api_client, people["manager"])
    assert client.get(f"{API}access_log/").json()["count"] == 0
    empty = client.get(f"{API}access_log/csv/")
    assert empty.status_code == 200
    assert empty["Content-Type"].startswith("text/csv")

    as_user(api_client, None)
    for path in ("access_log/", "access_log/csv/", "access_requests/", "loans/"):
        assert client.get(f"{API}{path}").status_code in (401, 403)
    assert client.post(f"{API}loans/", {}).status_code in (401, 403)


# The access log ---------------------------------------------------------------------------


@pytest.fixture
def log(people, dossier):
    """Three entries: two of clerk's (one a month ago), one of outsider's in 销售部."""
    other_customer = Customer.objects.create(code="C002", name="上海某贸易有限公司")
    other_project = ServiceProject.objects.create(
        code="P2026-08",
        name="系统咨询",
        customer=other_customer,
        service_type=ServiceType.objects.get(code="WX"),
        department=people["engineering"],
    )
    sales = Group.objects.get(name="销售部")
    project = dossier.project

    def entry(user, department, document_id, title, customer, project):
        return AccessLogEntry.objects.create(
            user=user,
            username=user.username,
            document_id=document_id,
            title=title,
            kind="view",
            via="api",
            customer=customer,
            project=project,
            department=department,
            department_name=department.name,
        )

    # Logged a month ago (evidence is never back-dated afterwards).
    with time_machine.travel(timezone.now() - datetime.timedelta(days=30), tick=False):
        old = entry(
            people["clerk"],
            people["engineering"],
            101,
            "维修合同",
            project.customer,
            project,
        )
    recent = entry(
        people["clerk"],
        people["engineering"],
        102,
        "咨询报告",
        other_customer,
        other_project,
    )
    sales_view = entry(
        people["outsider"],
        sales,
        103,
        "维修记录",
        project.customer,
        project,
    )
    return {
        "old": old,
        "recent": recent,
        "sales": sales_view,
        "customer": project.customer,
        "project": project,
        "other_project": other_project,
        "sales_department": sales,
    }


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_access_log_filters_and_its_csv(api_client, people, log):
    client = as_user(api_client, people["manager"])
    week_ago = (timezone.now() - 7 * DAY).isoformat()
    every = {e.pk for e in (log["old"], log["recent"], log["sales"])}
    assert ids(client.get(f"{API}access_log/")) == every

    for query, expected in (
        ({"user": people["clerk"].pk}, ("old", "recent")),
        ({"user__in": f"{people['outsider'].pk}"}, ("sales",)),
        ({"department": log["sales_department"].pk}, ("sales",)),
        ({"customer": log["customer"].pk}, ("old", "sales")),
        ({"project": log["other_project"].pk}, ("recent",)),
        ({"at__gt": week_ago}, ("recent", "sales")),
        ({"user": people["clerk"].pk, "at__gt": week_ago}, ("recent",)),
    ):
        wanted = {log[name].pk for name in expected}
        assert ids(client.get(f"{API}access_log/", query)) == wanted, query
        rows = csv_rows(client.get(f"{API}access_log/csv/", query))
        assert {row["title"] for row in rows} == {log[n].title for n in expected}
        assert len(rows) == len(expected)

    [row] = csv_rows(
        client.get(
            f"{API}access_log/csv/",
            {"project": log["project"].pk, "user": people["outsider"].pk},
        ),
    )
    assert (row["username"], row["department"], row["customer_code"]) == (
        "outsider",
        "销售部",
        "C001",
    )
    listed = client.get(f"{API}access_log/{log['sales'].pk}/").json()
    assert (listed["username"], listed["customer"], listed["project"]) == (
        "outsider",
        "C001",
        "P2026-07",
    )


# Loans ------------------------------------------------------------------------------------


def test_a_loan_from_request_to_inspection(api_client, people, shelved, desk):
    client = api_client

    def step(user, name, **data):
        as_user(api_client, user)
        return client.post(f"{url}{name}/", data, format="json")

    as_user(api_client, people["clerk"])
    asked = client.post(
        f"{API}loans/",
        {"dossier": shelved.pk, "reason": "客户回访核对原件", "days": 5},
        format="json",
    )
    assert asked.status_code == 201, asked.content
    loan = asked.json()
    assert loan["number"].startswith(f"JY-{timezone.localdate():%Y}-")
    assert (loan["state"], loan["borrower"], loan["department"]) == (
        "requested",
        "clerk",
        "工程部",
    )
    url = f"{API}loans/{loan['id']}/"

    own = step(people["clerk"], "approve")
    assert own.status_code == 403
    assert own.json()["detail"] == "Nobody approves their own loan."
    assert step(people["sales_head"], "approve").status_code == 404  # not theirs to see
    early = step(desk, "issue")
    assert early.status_code == 409
    assert "only an approved loan is issued" in early.json()["detail"]

    head = step(people["head"], "approve", reason="同意")
    assert (head.json()["state"], head.json()["head_approved_by"]) == (
        "requested",
        "head",
    )
    twice = step(people["head"], "approve")
    assert twice.status_code == 403
    assert "approved this already" in twice.json()["detail"]
    archive = step(people["manager"], "approve")
    assert (archive.json()["state"], archive.json()["archive_approved_by"]) == (
        "approved",
        "manager",
    )

    not_desk = step(people["clerk"], "issue")
    assert not_desk.status_code == 403
    assert not_desk.json()["detail"] == "Only the archive desk issues loans."
    issued = step(desk, "issue").json()
    today = timezone.localdate()
    first_due = working_day_deadline(today, 5)
    assert (issued["state"], issued["issued_by"], issued["location_out"]) == (
        "issued",
        "desk2",
        "A01-03-12",
    )
    assert issued["due"] == first_due.isoformat()
    assert step(desk, "issue").status_code == 409

    by_head = step(people["head"], "renew", days=3, reason="再借")
    assert by_head.status_code == 403
    assert by_head.json()["detail"] == "Only the borrower asks for a renewal."
    too_long = step(people["clerk"], "renew", days=11, reason="再借")
    assert too_long.status_code == 409
    assert too_long.json()["detail"] == "A loan is for 1 to 10 working days, not 11."
    asked = step(people["clerk"], "renew", days=3, reason="尚未核对完")
    assert (asked.json()["renewal_days"], asked.json()["renewal_reason"]) == (
        3,
        "尚未核对完",
    )
    assert step(people["manager"], "approve").json()["renewals"] == 0
    renewed = step(people["head"], "approve").json()
    assert (renewed["renewals"], renewed["renewal_days"]) == (1, None)
    assert renewed["due"] == working_day_deadline(first_due, 3).isoformat()

    taken = step(people["clerk"], "receive")
    assert taken.status_code == 403
    assert "desk" in taken.json()["detail"]
    received = step(desk, "receive").json()
    assert (received["state"], received["received_by"]) == ("returned", "desk2")

    assert step(desk, "inspect", condition="torn").status_code == 400
    silent = step(desk, "inspect", condition="pages_missing")
    assert silent.status_code == 409
    assert "note" in silent.json()["detail"]
    closed = step(desk, "inspect", condition="pages_missing", note="缺第3页").json()
    assert (closed["state"], closed["condition"], closed["inspection_note"]) == (
        "closed",
        "pages_missing",
        "缺第3页",
    )
    assert [(e["action"], e["actor"]) for e in closed["events"]] == [
        ("request", "clerk"),
        ("approve_head", "head"),
        ("approve_archive", "manager"),
        ("issue", "desk2"),
        ("request_renewal", "clerk"),
        ("approve_renewal_archive", "manager"),
        ("approve_renewal_head", "head"),
        ("renew", "head"),
        ("return", "desk2"),
        ("inspect", "desk2"),
    ]
    late = step(people["clerk"], "cancel")
    assert late.status_code == 409
    assert "only a loan not yet issued is cancelled" in late.json()["detail"]
    as_user(api_client, people["clerk"])
    assert client.get(url).json()["events"] == closed["events"]


def test_the_loan_period_is_bounded(api_client, people, shelved, settings):
    client = as_user(api_client, people["clerk"])

    def ask_for(days):
        return client.post(
            f"{API}loans/",
            {"dossier": shelved.pk, "reason": "核对", "days": days},
            format="json",
        )

    too_long = ask_for(11)
    assert too_long.status_code == 409
    assert too_long.json()["detail"] == "A loan is for 1 to 10 working days, not 11."
    assert ask_for(0).status_code == 400
    settings.SVC_ARCHIVE_LOAN_MAX_DAYS = 3
    assert ask_for(4).json()["detail"] == "A loan is for 1 to 3 working days, not 4."
    assert not Loan.objects.exists()
    assert ask_for(3).status_code == 201


def test_refusing_and_cancelling_a_loan(api_client, people, shelved):
    client = api_client
    refused, cancelled = (
        borrow(people["clerk"], shelved),
        borrow(people["clerk"], shelved),
    )

    as_user(api_client, people["manager"])
    assert client.post(f"{API}loans/{refused.pk}/refuse/").status_code == 409
    answer = client.post(f"{API}loans/{refused.pk}/refuse/", {"reason": "暂不外借"})
    assert answer.json()["state"] == "refused"
    assert answer.json()["events"][-1]["note"] == "暂不外借"

    as_user(api_client, people["outsider"])
    assert client.post(f"{API}loans/{cancelled.pk}/cancel/").status_code == 404
    as_user(api_client, people["clerk"])
    answer = client.post(f"{API}loans/{cancelled.pk}/cancel/", {"reason": "不需要了"})
    assert answer.json()["state"] == "cancelled"
    assert client.post(f"{API}loans/{cancelled.pk}/cancel/").status_code == 409


def test_a_loan_of_someone_without_a_department_can_be_approved(
    api_client,
    people,
    shelved,
    desk,
):
    loner = UserFactory(username="loner")
    loner.groups.add(Group.objects.get(name="员工"))
    loan = borrow(loner, shelved)
    assert loan.department is None
    client = api_client
    for officer in (people["manager"], desk):
        as_user(api_client, officer)
        response = client.post(f"{API}loans/{loan.pk}/approve/", {}, format="json")
        assert response.status_code == 200, response.content
    loan.refresh_from_db()
    assert loan.state == "approved"
    # Two different people of the archive: one alone does not approve both ways.
    assert loan.head_approved_by != loan.archive_approved_by


def test_the_loan_slip(api_client, people, shelved):
    loan = borrow(people["clerk"], shelved)
    client = as_user(api_client, people["clerk"])
    slip = client.get(f"{API}loans/{loan.pk}/slip/")
    assert slip.status_code == 200
    assert slip["Content-Type"] == "application/pdf"
    assert slip.content.startswith(b"%PDF")
    assert loan.number in slip["Content-Disposition"]
    as_user(api_client, people["outsider"])
    assert client.get(f"{API}loans/{loan.pk}/slip/").status_code == 404


def test_the_endpoints_are_in_the_schema(api_client):
    api_client.force_authenticate(UserFactory(username="root", superuser=True))
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = set(response.json()["paths"])
    for path in (
        "/api/svc_archive/access_requests/",
        "/api/svc_archive/access_requests/{id}/approve/",
        "/api/svc_archive/access_log/",
        "/api/svc_archive/access_log/csv/",
        "/api/svc_archive/loans/",
        "/api/svc_archive/loans/{id}/renew/",
        "/api/svc_archive/loans/{id}/slip/",
    ):
        assert path in paths
