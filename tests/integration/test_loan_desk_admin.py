"""The desk screens 借阅台 and the access screens in the admin, as the archive manager uses them.

Each desk screen is a changelist with the actions of its moment, and none grows in
queries with its rows; people without the rights see neither loans nor the access log.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import AccessRequest
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import LoanLiability
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import access
from svc_archive_plugin.services import loans
from tests.factories import UserFactory
from tests.factories import add_document

pytestmark = pytest.mark.django_db
ADMIN = "/admin/svc_archive_plugin/"


def staff(user):
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def desk(people):
    user = UserFactory(username="desk2", staff=True)
    user.groups.add(Group.objects.get(name="档案管理员"))
    return user


@pytest.fixture
def make_loans(people, provisioned):
    """``count`` dossiers of 工程部, each with a loan advanced to ``stage``."""
    customer = Customer.objects.create(code="C300", name="借阅客户")
    service_type = ServiceType.objects.get(code="WX")
    made = []

    def make(count, stage="requested", desk=None):
        result = []
        for _ in range(count):
            n = len(made)
            project = ServiceProject.objects.create(
                code=f"L{n:03}",
                name=f"借阅项目{n}",
                customer=customer,
                service_type=service_type,
                department=people["engineering"],
                end_date=datetime.date(2026, 1, 5),
            )
            loan = loans.request_loan(
                people["clerk"],
                reason="核对",
                days=3,
                dossier=project.dossier,
            )
            if stage != "requested":
                loans.approve(loan, people["head"])
                loans.approve(loan, people["manager"])
            if stage in ("issued", "returned"):
                loans.issue(loan, desk)
            if stage == "returned":
                loans.receive(loan, desk)
            made.append(loan)
            result.append(loan)
        return result

    return make


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("screen", "stage", "who"),
    [
        ("loanapprovalqueue", "requested", "head"),
        ("loantoissue", "approved", "desk"),
        ("loanout", "issued", "desk"),
        ("overdueloan", "issued", "desk"),
        ("loantoinspect", "returned", "desk"),
        ("loan", "issued", "desk"),
    ],
)
def test_desk_screens_stay_flat_in_queries(
    client,
    people,
    desk,
    make_loans,
    screen,
    stage,
    who,
):
    user = desk if who == "desk" else staff(people[who])
    client.force_login(user)
    url = f"{ADMIN}{screen}/"
    made = make_loans(2, stage, desk)
    if screen == "overdueloan":
        Loan.objects.update(due=timezone.localdate() - datetime.timedelta(days=2))
    few = queries_for(client, url)
    make_loans(12, stage, desk)
    if screen == "overdueloan":
        Loan.objects.update(due=timezone.localdate() - datetime.timedelta(days=2))
    assert queries_for(client, url) == few
    assert made[0].number in client.get(url).content.decode()


def test_the_approval_queue_is_mine_only(client, people, desk, make_loans):
    """The sales head sees nothing of 工程部's loans; the engineering head sees them."""
    [loan] = make_loans(1)
    client.force_login(staff(people["sales_head"]))
    assert loan.number not in client.get(f"{ADMIN}loanapprovalqueue/").content.decode()
    client.force_login(staff(people["head"]))
    page = client.get(f"{ADMIN}loanapprovalqueue/").content.decode()
    assert loan.number in page


def test_approve_issue_receive_inspect_through_the_desk_actions(
    client,
    people,
    desk,
    make_loans,
):
    [loan] = make_loans(1)
    client.force_login(staff(people["head"]))
    response = client.post(
        f"{ADMIN}loanapprovalqueue/",
        {"action": "approve_selected", "_selected_action": [loan.pk], "apply": "1"},
    )
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.head_approved_by == people["head"]

    client.force_login(staff(people["manager"]))
    client.post(
        f"{ADMIN}loanapprovalqueue/",
        {"action": "approve_selected", "_selected_action": [loan.pk], "apply": "1"},
    )
    client.force_login(desk)
    client.post(
        f"{ADMIN}loantoissue/",
        {"action": "issue_selected", "_selected_action": [loan.pk], "apply": "1"},
    )
    client.post(
        f"{ADMIN}loanout/",
        {"action": "receive_selected", "_selected_action": [loan.pk], "apply": "1"},
    )
    # Without a note a damaged return is not accepted; the form says why.
    page = client.post(
        f"{ADMIN}loantoinspect/",
        {
            "action": "inspect_selected",
            "_selected_action": [loan.pk],
            "apply": "1",
            "condition": "damaged",
            "note": "",
        },
        follow=True,
    ).content.decode()
    assert "Say what was found" in page
    loan.refresh_from_db()
    assert loan.state == "returned"
    client.post(
        f"{ADMIN}loantoinspect/",
        {
            "action": "inspect_selected",
            "_selected_action": [loan.pk],
            "apply": "1",
            "condition": "damaged",
            "note": "封面撕裂",
        },
    )
    loan.refresh_from_db()
    assert (loan.state, loan.condition) == ("closed", "damaged")
    assert LoanLiability.objects.get(loan=loan).note == "封面撕裂"


def test_a_step_page_refuses_with_the_reason(client, people, desk, make_loans):
    [loan] = make_loans(1, "approved")
    client.force_login(staff(people["head"]))  # not the desk
    response = client.post(f"{ADMIN}loan/{loan.pk}/issue/", {"note": ""})
    assert "Only the archive desk issues loans" in response.content.decode()
    loan.refresh_from_db()
    assert loan.state == "approved"


def test_the_loan_page_offers_the_next_steps_and_the_slip(
    client,
    people,
    desk,
    make_loans,
):
    [loan] = make_loans(1, "approved")
    client.force_login(desk)
    page = client.get(f"{ADMIN}loan/{loan.pk}/change/").content.decode()
    assert f"{ADMIN}loan/{loan.pk}/issue/" in page
    assert f"{ADMIN}loan/{loan.pk}/receive/" not in page
    slip = client.get(f"{ADMIN}loan/{loan.pk}/slip.pdf")
    assert slip["Content-Type"] == "application/pdf"
    assert slip.content.startswith(b"%PDF")


def test_a_borrower_requests_a_loan_in_the_admin(client, people, dossier):
    clerk = staff(people["clerk"])
    client.force_login(clerk)
    response = client.post(
        f"{ADMIN}loan/add/",
        {"dossier": dossier.pk, "medium": "paper", "reason": "审计", "days": 4},
    )
    loan = Loan.objects.get(borrower=clerk)
    assert response.status_code == 302
    assert response.url.endswith(f"/loan/{loan.pk}/change/")
    # Their own loan's page opens for them; another's does not.
    assert client.get(f"{ADMIN}loan/{loan.pk}/change/").status_code == 200
    other = loans.request_loan(people["outsider"], reason="x", days=1, dossier=dossier)
    assert client.get(f"{ADMIN}loan/{other.pk}/slip.pdf").status_code == 404
    # Too long a loan is refused on the form, nothing saved.
    page = client.post(
        f"{ADMIN}loan/add/",
        {"dossier": dossier.pk, "medium": "paper", "reason": "审计", "days": 40},
    ).content.decode()
    assert "1 to 10 working days, not 40" in page
    assert Loan.objects.filter(borrower=clerk).count() == 1


@pytest.mark.parametrize(
    "screen",
    [
        "loan",
        "loantoissue",
        "loanout",
        "overdueloan",
        "loantoinspect",
        "loanliability",
        "accesslogentry",
        "accesslogentry/export.csv",
        "withdrawnpermission",
    ],
)
def test_staff_without_rights_see_no_loan_or_access_records(client, people, screen):
    client.force_login(staff(people["clerk"]))
    assert client.get(f"{ADMIN}{screen}/".replace(".csv/", ".csv")).status_code in (
        403,
        404,
    )


def test_the_access_log_filters_and_exports(client, people, dossier):
    first = add_document(dossier, "HT", title="合同甲")
    second = add_document(dossier, "SS", title="记录乙")
    for user, document in (
        (people["clerk"], first),
        (people["outsider"], second),
        (people["clerk"], second),
    ):
        access.record_access(user, document.pk, "view", "api")
    client.force_login(staff(people["manager"]))
    url = f"{ADMIN}accesslogentry/"
    page = client.get(url, {"person": "clerk"}).content.decode()
    assert page.count("合同甲") == 1
    assert page.count("记录乙") == 1  # the outsider's view of it is filtered out
    csv = b"".join(
        client.get(
            f"{url}export.csv",
            {"person": "clerk"},
        ).streaming_content,
    ).decode("utf-8-sig")
    lines = csv.strip().splitlines()
    assert len(lines) == 3  # header and the clerk's two
    assert all("outsider" not in line for line in lines)
    by_project = client.get(url, {"project_code": "P2026-07", "kind": "view"})
    assert by_project.content.decode().count("记录乙") == 2
    assert "合同甲" in by_project.content.decode()
    nothing = client.get(url, {"project_code": "P1999-01"}).content.decode()
    assert "记录乙" not in nothing
    by_customer = client.get(url, {"customer_code": "C001"}).content.decode()
    assert by_customer.count("记录乙") == 2
    assert AccessLogEntry.objects.count() == 3


def test_the_access_log_admin_is_a_flat_number_of_queries(client, people, dossier):
    document = add_document(dossier, "HT", title="合同")
    client.force_login(staff(people["manager"]))
    access.record_access(people["clerk"], document.pk, "view", "api")
    few = queries_for(client, f"{ADMIN}accesslogentry/")
    for _ in range(20):
        access.record_access(people["outsider"], document.pk, "download", "api")
    assert queries_for(client, f"{ADMIN}accesslogentry/") == few


def test_a_head_decides_access_requests_in_the_admin(client, people, dossier):
    document = add_document(dossier, "HT", title="合同", owner=people["head"])
    request = access.request_access(
        people["clerk"],
        purpose="核对",
        starts=timezone.localdate(),
        ends=timezone.localdate(),
        document_ids=[document.pk],
    )
    client.force_login(staff(people["sales_head"]))
    assert client.get(f"{ADMIN}accessrequest/{request.pk}/change/").status_code in (
        302,
        404,
    )
    client.force_login(staff(people["head"]))
    page = client.get(f"{ADMIN}accessrequest/{request.pk}/change/").content.decode()
    assert f"accessrequest/{request.pk}/approve/" in page
    client.post(f"{ADMIN}accessrequest/{request.pk}/approve/", {"reason": "同意"})
    request.refresh_from_db()
    assert request.state == AccessRequest.State.APPROVED
    page = client.post(
        f"{ADMIN}accessrequest/{request.pk}/revoke/",
        {"reason": ""},
    ).content.decode()
    assert "This field is required" in page


def test_access_requests_awaiting_my_decision(client, people, dossier):
    document = add_document(dossier, "HT", title="合同")
    mine = access.request_access(
        people["clerk"],
        purpose="核对",
        starts=timezone.localdate(),
        ends=timezone.localdate(),
        document_ids=[document.pk],
    )
    other = access.request_access(
        people["outsider"],
        purpose="销售部的申请",
        starts=timezone.localdate(),
        ends=timezone.localdate(),
        document_ids=[document.pk],
    )
    client.force_login(staff(people["head"]))
    page = client.get(f"{ADMIN}accessrequest/", {"awaiting": "me"}).content.decode()
    assert f"accessrequest/{mine.pk}/change/" in page
    assert f"accessrequest/{other.pk}/change/" not in page
    access.approve(mine, people["head"])
    page = client.get(f"{ADMIN}accessrequest/", {"awaiting": "me"}).content.decode()
    assert f"accessrequest/{mine.pk}/change/" not in page


@pytest.mark.parametrize("screen", ["loan", "accessrequest", "destructionlist"])
def test_a_page_of_a_bad_id_says_it_does_not_exist(client, people, screen):
    client.force_login(staff(people["manager"]))
    response = client.get(f"{ADMIN}{screen}/not-a-number/change/")
    # The admin's own "not found" page, not a 500 (nor Django's redirect to the index).
    assert response.status_code == 404
    assert "not-a-number" in response.content.decode()
