"""The work page 待办: what waits for each person, with counts, and a menu grouped by the work.

Each kind of waiting item appears to the person whose step it is, and to nobody else; the
count is the number of items, the queue link shows the same rows, and each item links to
the page of the step that acts on it.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import access
from svc_archive_plugin.services import destruction
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import loans
from tests.factories import UserFactory
from tests.factories import add_document

pytestmark = pytest.mark.django_db
WORK = "/admin/svc_archive_plugin/"


def staff(*users):
    for user in users:
        user.is_staff = True
        user.save()


def page(client, user) -> str:
    client.force_login(user)
    response = client.get(WORK, HTTP_ACCEPT_LANGUAGE="zh-cn")
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, key: str) -> str:
    """The section of one kind of work, or "" when it is not on the page."""
    found = re.search(
        rf'<div class="module svc-work-section" id="work-{key}">(.*?)\n</div>',
        html,
        re.S,
    )
    return found.group(1) if found else ""


def count(html: str, key: str) -> int | None:
    found = re.search(r'<span class="count">(\d+)</span>', section(html, key))
    return int(found.group(1)) if found else None


def submitted(dossier, people) -> Dossier:
    filing.accept_incomplete(dossier, people["manager"], "仅有合同")
    filing.submit(dossier, people["clerk"])
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def projects(people):
    """Two more dossiers of 工程部 and one of 销售部."""
    customer = Customer.objects.create(code="C500", name="上海某物流有限公司")
    repair = ServiceType.objects.get(code="WX")

    def project(code, name, department):
        return ServiceProject.objects.create(
            code=code,
            name=name,
            customer=customer,
            service_type=repair,
            department=department,
            end_date=datetime.date(2026, 3, 31),
        ).dossier

    return {
        "first": project("P2026-51", "仓库巡检", people["engineering"]),
        "second": project("P2026-52", "空调检修", people["engineering"]),
        "sales": project(
            "P2026-53",
            "客户培训",
            Group.objects.get(name="销售部"),
        ),
    }


def test_a_department_head_sees_the_filings_to_approve_of_their_department_only(
    client,
    people,
    projects,
):
    staff(people["head"], people["sales_head"], people["manager"])
    submitted(projects["first"], people)
    submitted(projects["second"], people)
    sales_clerk = people["outsider"]
    filing.accept_incomplete(projects["sales"], people["manager"], "仅有合同")
    filing.submit(projects["sales"], sales_clerk)

    head = page(client, people["head"])
    assert count(head, "filing_approve") == 2
    assert "P2026-51 仓库巡检" in section(head, "filing_approve")
    assert "P2026-53" not in section(head, "filing_approve")
    approve = f"{WORK}dossier/{projects['first'].pk}/approve/"
    assert f'href="{approve}"' in section(head, "filing_approve")
    sales_head = page(client, people["sales_head"])
    assert count(sales_head, "filing_approve") == 1
    assert "P2026-51" not in sales_head
    # The archive department has nothing to receive yet; the clerk approves nothing.
    assert count(page(client, people["manager"]), "filing_approve") is None
    assert count(page(client, people["manager"]), "filing_receive") is None


def test_from_the_work_page_a_head_approves_in_two_clicks(client, people, projects):
    staff(people["head"])
    dossier = submitted(projects["first"], people)
    html = page(client, people["head"])
    step = re.search(
        rf'href="({WORK}dossier/{dossier.pk}/approve/)"',
        section(html, "filing_approve"),
    ).group(1)

    form = client.get(step, HTTP_ACCEPT_LANGUAGE="zh-cn")
    assert form.status_code == 200
    done = client.post(step, {}, follow=True)

    assert done.status_code == 200
    dossier.refresh_from_db()
    assert dossier.state == Dossier.State.APPROVED
    # Now the archive department receives it, and the head has nothing left.
    assert count(page(client, people["head"]), "filing_approve") is None
    staff(people["manager"])
    manager = page(client, people["manager"])
    assert count(manager, "filing_receive") == 1
    assert f"{WORK}dossier/{dossier.pk}/receive/" in section(manager, "filing_receive")


def test_nobody_approves_their_own_submission_from_the_work_page(
    client,
    people,
    projects,
):
    people["head"].is_staff = True
    people["head"].save()
    filing.accept_incomplete(projects["first"], people["manager"], "仅有合同")
    filing.submit(projects["first"], people["head"])  # the head submitted it

    assert count(page(client, people["head"]), "filing_approve") is None


def test_the_queue_link_shows_the_same_dossiers(client, people, projects):
    staff(people["head"])
    submitted(projects["first"], people)
    submitted(projects["second"], people)
    html = page(client, people["head"])
    queue = re.search(
        r'<h2><a href="([^"]+)"',
        section(html, "filing_approve"),
    ).group(1)

    listed = client.get(queue.replace("&amp;", "&")).content.decode()

    assert "P2026-51" in listed
    assert "P2026-52" in listed
    assert "P2026-53" not in listed


@pytest.fixture
def loan(people, projects):
    return loans.request_loan(
        people["clerk"],
        reason="核对原件",
        days=3,
        dossier=projects["first"],
    )


def test_each_of_the_two_loan_approvals_waits_for_its_own_person(
    client,
    people,
    loan,
):
    staff(people["head"], people["sales_head"], people["manager"], people["clerk"])
    people["clerk"].first_name, people["clerk"].last_name = "伟", "张"
    people["clerk"].save()

    head = page(client, people["head"])
    assert count(head, "loan_head") == 1
    assert "张伟" in section(head, "loan_head")  # the borrower by name
    assert f"{WORK}loan/{loan.pk}/approve/" in section(head, "loan_head")
    assert count(head, "loan_archive") is None
    manager = page(client, people["manager"])
    assert count(manager, "loan_archive") == 1
    assert count(manager, "loan_head") is None
    assert count(page(client, people["sales_head"]), "loan_head") is None
    assert count(page(client, people["clerk"]), "loan_head") is None

    loans.approve(loan, people["head"])
    assert count(page(client, people["head"]), "loan_head") is None
    assert count(page(client, people["manager"]), "loan_archive") == 1
    loans.approve(loan, people["manager"])
    desk = page(client, people["manager"])
    assert count(desk, "loan_archive") is None
    assert count(desk, "loan_issue") == 1
    assert f"{WORK}loan/{loan.pk}/issue/" in section(desk, "loan_issue")


def test_returns_to_inspect_and_overdue_loans(client, people, loan):
    staff(people["head"], people["sales_head"], people["manager"], people["clerk"])
    loans.approve(loan, people["head"])
    loans.approve(loan, people["manager"])
    loans.issue(loan, people["manager"])
    loan.refresh_from_db()
    loan.due = timezone.localdate() - datetime.timedelta(days=3)
    loan.save(update_fields=["due"])

    # Overdue: the desk, the borrower and their head see it; another head does not.
    for who in ("manager", "clerk", "head"):
        assert count(page(client, people[who]), "loan_overdue") == 1, who
    assert count(page(client, people["sales_head"]), "loan_overdue") is None
    assert count(page(client, people["manager"]), "loan_inspect") is None

    loans.receive(loan, people["manager"])
    manager = page(client, people["manager"])
    assert count(manager, "loan_inspect") == 1
    assert f"{WORK}loan/{loan.pk}/inspect/" in section(manager, "loan_inspect")
    assert count(manager, "loan_overdue") is None
    assert count(page(client, people["head"]), "loan_inspect") is None


def test_access_requests_wait_for_the_head_of_the_requesters_department(
    client,
    people,
    projects,
):
    staff(people["head"], people["sales_head"], people["manager"])
    request = access.request_access(
        people["clerk"],
        purpose="核对合同条款",
        starts=timezone.localdate(),
        ends=timezone.localdate() + datetime.timedelta(days=2),
        document_ids=[],
        dossiers=[projects["first"]],
    )

    head = page(client, people["head"])
    assert count(head, "access_decide") == 1
    assert "核对合同条款" in section(head, "access_decide")
    assert f"{WORK}accessrequest/{request.pk}/approve/" in section(
        head,
        "access_decide",
    )
    assert count(page(client, people["sales_head"]), "access_decide") is None
    assert count(page(client, people["manager"]), "access_decide") is None


@pytest.fixture
def destruction_list(people, projects):
    """A list of one expired record, prepared by the archive manager."""
    document = add_document(projects["first"], "HT")
    RecordRetention.objects.update_or_create(
        document=document,
        defaults={
            "retention": Dossier.Retention.ORDINARY,
            "until": datetime.date(2020, 1, 1),
            "state": RecordRetention.State.DUE,
            "due_since": datetime.date(2020, 1, 2),
        },
    )
    return document


def test_destruction_lists_wait_for_leaders_checkers_and_supervisors(
    client,
    people,
    destruction_list,
):
    from svc_archive_plugin.services import retention

    leader = UserFactory(username="leader", staff=True)
    leader.groups.add(Group.objects.get(name="公司分管领导"))
    checker = UserFactory(username="checker", staff=True)
    checker.groups.add(Group.objects.get(name="档案管理员"))
    manager = people["manager"]
    staff(manager, people["head"])

    assert count(page(client, manager), "appraisal") == 1
    assert count(page(client, people["head"]), "appraisal") is None
    retention.appraise(manager, [destruction_list.pk], "destroy", "到期无保存价值")
    assert count(page(client, manager), "appraisal") is None

    made = destruction.prepare(
        manager,
        title="2026年第一批",
        reason="到期",
        document_ids=[destruction_list.pk],
    )
    destruction.submit(made, manager)
    assert count(page(client, leader), "destruction_approve") == 1
    assert f"{WORK}destructionlist/{made.pk}/approve/" in page(client, leader)
    assert (
        count(page(client, manager), "destruction_approve") is None
    )  # not its preparer

    destruction.approve(made, leader)
    assert count(page(client, leader), "destruction_approve") is None
    assert count(page(client, checker), "destruction_check") == 1
    assert count(page(client, manager), "destruction_check") == 1

    destruction.check(made, checker)
    # Each checker once: the other one still has it to check.
    assert count(page(client, checker), "destruction_check") is None
    assert count(page(client, manager), "destruction_check") == 1
    destruction.check(made, manager)
    made.refresh_from_db()
    assert made.state == DestructionList.State.CHECKED
    # The preparer never supervises; a leader and a department head may.
    assert count(page(client, manager), "destruction_supervise") is None
    assert count(page(client, leader), "destruction_supervise") == 1
    assert count(page(client, people["head"]), "destruction_supervise") == 1


def test_overdue_filings_in_each_persons_scope(client, people, projects):
    staff(people["head"], people["sales_head"], people["manager"], people["clerk"])
    # The three projects ended 2026-03-31: long past their filing deadline by now.
    today = timezone.localdate()
    if today < datetime.date(2026, 6, 1):
        ServiceProject.objects.update(end_date=today - datetime.timedelta(days=120))
    Dossier.objects.exclude(pk__in=[d.pk for d in projects.values()]).update(
        state=Dossier.State.FILED,
    )

    assert count(page(client, people["manager"]), "filing_overdue") == 3
    assert count(page(client, people["head"]), "filing_overdue") == 2
    assert count(page(client, people["clerk"]), "filing_overdue") == 2
    assert count(page(client, people["sales_head"]), "filing_overdue") == 1


def test_someone_with_nothing_waiting_is_told_so(client, people):
    staff(people["outsider"])

    html = page(client, people["outsider"])

    assert 'class="module svc-work-section"' not in html
    assert "没有等待您处理的事项" in html


def test_the_admin_index_shows_the_work_at_the_top(client, people, projects):
    staff(people["head"])
    submitted(projects["first"], people)
    client.force_login(people["head"])

    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-cn").content.decode()

    box = html[html.index('id="svc-archive-work"') :]
    assert "待审批的案卷" in box[:2000]
    assert f"{WORK}#work-filing_approve" in box[:2000]


def test_the_menu_is_grouped_by_the_work_in_its_order(client, people):
    root = UserFactory(username="root", superuser=True)
    client.force_login(root)

    html = client.get(
        "/admin/svc_archive_plugin/customer/",
        HTTP_ACCEPT_LANGUAGE="zh-cn",
    ).content.decode()
    sidebar = html[html.index('id="nav-sidebar"') :]
    captions = re.findall(
        r'<caption>\s*<a href="/admin/svc_archive_plugin/#\w+"[^>]*>([^<]+)</a>',
        sidebar,
    )

    assert captions[:9] == [
        "待办",
        "登记",
        "归档",
        "保管与鉴定",
        "利用",
        "销毁",
        "检查",
        "统计",
        "设置",
    ]
    # Within a group, in the order of the work: the register after its queues.
    use = sidebar[sidebar.index(">利用<") : sidebar.index(">销毁<")]
    assert use.index("查阅申请") < use.index("借阅台：待我审批") < use.index("借阅登记")
    # paperless's own sections stay.
    assert "/admin/documents/" in html


def test_every_screen_of_the_plugin_is_in_a_group():
    from django.contrib import admin

    from svc_archive_plugin.admin.work import MENU

    named = {name for _key, _label, names in MENU for name in names}
    registered = {
        model._meta.model_name
        for model in admin.site._registry
        if model._meta.app_label == "svc_archive_plugin"
    }
    assert registered <= named


def test_the_work_page_in_traditional_chinese(client, people, projects):
    staff(people["head"])
    submitted(projects["first"], people)
    client.force_login(people["head"])

    html = client.get(WORK, HTTP_ACCEPT_LANGUAGE="zh-tw").content.decode()

    assert "我的待辦" in html
    assert "待審批的案卷" in section(html, "filing_approve")
    assert ">歸檔</a>" in html  # the menu's groups too
