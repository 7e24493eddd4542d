"""Next steps on the page: each role, in each state of each machine, is offered exactly the
steps it may take — on the object's page and as row buttons in its list — and a step not
offered is refused when taken (and one offered is accepted)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils import translation

from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services import access
from svc_archive_plugin.services import destruction
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import inventory
from svc_archive_plugin.services import loans
from svc_archive_plugin.services import work
from svc_archive_plugin.services.refusals import Refused
from svc_archive_plugin.steps import ACCESS_REQUEST
from svc_archive_plugin.steps import DESTRUCTION_LIST
from svc_archive_plugin.steps import FILING
from svc_archive_plugin.steps import LOAN
from svc_archive_plugin.steps import take
from tests.factories import UserFactory
from tests.factories import complete
from tests.integration.test_destruction import prepared
from tests.integration.test_destruction import staff  # noqa: F401  (fixture)
from tests.integration.test_destruction import to_destroy  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
ADMIN = "/admin/svc_archive_plugin/"
# What a person types into a step's form, named as the steps' inputs.
VALUES = {"reason": "核对原件", "note": "已核对", "days": 1, "condition": "intact"}
BUTTON = re.compile(
    r'<a [^>]*class="[^"]*svc-step-button[^"]*" data-step="([a-z_]+)" href="([^"]+)"'
    r'|<a href="([^"]+)" class="svc-step-button" data-step="([a-z_]+)"',
)


class _RolledBack(Exception):
    pass


def accepted(run) -> bool:
    """Whether ``run()`` is accepted; whatever it did is rolled back."""
    try:
        with transaction.atomic():
            try:
                run()
            except Refused:
                return False
            raise _RolledBack
    except _RolledBack:
        return True


def buttons(html: str, model: str, pk: int) -> list[str]:
    """The steps the buttons of object ``pk`` on a page offer, in order."""
    found = []
    for match in BUTTON.finditer(html):
        step = match.group(1) or match.group(4)
        href = match.group(2) or match.group(3)
        if f"/{model}/{pk}/{step}/" in href:
            found.append(step)
    return found


@pytest.fixture
def roles(people):
    """A person of each role, all allowed into the admin: 工程部 is the own department."""
    leader = UserFactory(username="leader")
    leader.groups.add(Group.objects.get(name="公司分管领导"))
    found = {
        "staff": people["clerk"],
        "head": people["head"],
        "other_head": people["sales_head"],
        "manager": people["manager"],
        "leader": leader,
        "superuser": UserFactory(username="root", superuser=True),
    }
    for user in found.values():
        user.is_staff = True
        user.save()
    return found


def fresh(obj):
    """The object as the database has it now; a new person object drops their caches."""
    return type(obj).objects.get(pk=obj.pk)


def work_page_disagreements(
    obj,
    name,
    user,
    role: str,
    allowed: list[str],
) -> list[str]:
    """The work page 待办 lists the object under a step exactly when the step is offered."""
    found = []
    kinds = [k for k in work.KINDS if k.model is type(obj) and k.steps]
    for step in {kind.steps[0] for kind in kinds}:
        listed = any(
            kind.query(user, None).filter(pk=obj.pk).exists()
            for kind in kinds
            if kind.steps[0] == step
        )
        if listed != (step in allowed):
            found.append(
                f"{type(obj).__name__} {name}: {role} {step}: offered "
                f"{step in allowed}, on the work page {listed}",
            )
    return found


def check(client, roles, obj, model, allowed_steps, run, lists=("",)):
    """Per role: allowed_steps agrees with what the steps accept and with the work page,
    and the page and the lists show exactly its buttons. Returns {role: allowed} and the
    disagreements."""
    offered, problems = {}, []
    for role, user in roles.items():
        user = type(user).objects.get(pk=user.pk)
        allowed = allowed_steps(fresh(obj), user)
        offered[role] = allowed
        problems += work_page_disagreements(
            fresh(obj),
            obj.state_name,
            user,
            role,
            allowed,
        )
        for step in run:
            ok = accepted(lambda step=step, user=user: run[step](fresh(obj), user))
            if ok != (step in allowed):
                problems.append(
                    f"{model} {obj.state_name}: {role} {step}: offered "
                    f"{step in allowed}, accepted {ok}",
                )
        client.force_login(user)
        page = client.get(f"{ADMIN}{model}/{obj.pk}/change/")
        if page.status_code == 200:
            shown = buttons(page.content.decode(), model, obj.pk)
            if shown != allowed:
                problems.append(
                    f"{model} {obj.state_name}: {role} page {shown} != {allowed}",
                )
        for listed in lists:
            page = client.get(f"{ADMIN}{listed or model}/")
            if page.status_code != 200:
                continue
            html = page.content.decode()
            shown = buttons(html, model, obj.pk)
            in_list = f"/{model}/{obj.pk}/change/" in html
            if in_list and shown != allowed:
                problems.append(
                    f"{model} {obj.state_name}: {role} {listed or model} row "
                    f"{shown} != {allowed}",
                )
    return offered, problems


def steps_of(table):
    return {
        name: (lambda obj, user, step=step: take(step, obj, user, VALUES))
        for name, step in table.items()
    }


def named(obj, state_name: str):
    obj.state_name = state_name
    return obj


def test_dossier_steps_for_each_role_in_each_state(
    client,
    roles,
    dossier,
    paperless_dirs,
):
    complete(dossier)
    s = roles
    seen, problems = {}, []

    def look(name):
        d = named(Dossier.objects.get(pk=dossier.pk), name)
        seen[name], found = check(
            client,
            roles,
            d,
            "dossier",
            filing.allowed_steps,
            steps_of(FILING),
        )
        problems.extend(found)

    look("collecting")
    filing.submit(dossier, s["staff"])
    look("submitted")
    filing.return_dossier(dossier, s["head"], "缺少验收单")
    look("returned")
    filing.submit(dossier, s["staff"])
    filing.approve(dossier, s["head"])
    look("approved")
    filing.receive(dossier, s["manager"])
    look("received")
    filing.file_dossier(dossier, s["manager"])
    look("filed")

    assert problems == []
    # The issue's cases: no 退回 on a filed dossier; 接收 and 归档 where they are due.
    assert all("return" not in steps for steps in seen["filed"].values())
    assert "receive" in seen["approved"]["manager"]
    assert "file" in seen["received"]["manager"]
    assert seen["submitted"]["head"] == ["approve", "return"]
    assert seen["submitted"]["other_head"] == []
    assert seen["collecting"]["staff"] == ["submit"]


def test_loan_steps_for_each_role_in_each_state(client, roles, dossier):
    s = roles
    problems = []
    seen = {}
    queues = ("", "loanapprovalqueue", "loantoissue", "loanout", "loantoinspect")

    def look(loan, name):
        seen[name], found = check(
            client,
            roles,
            named(fresh(loan), name),
            "loan",
            loans.allowed_steps,
            steps_of(LOAN),
            queues,
        )
        problems.extend(found)

    def ask():
        return loans.request_loan(
            s["staff"],
            reason="核对原件",
            days=5,
            dossier=dossier,
        )

    loan = ask()
    look(loan, "requested")
    loans.approve(loan, s["head"])
    look(loan, "head approved")
    loans.approve(loan, s["manager"])
    look(loan, "approved")
    loans.issue(loan, s["manager"])
    look(loan, "issued")
    loans.request_renewal(fresh(loan), s["staff"], 2, "还要核对")
    look(loan, "renewal asked")
    loans.receive(loan, s["manager"])
    look(loan, "returned")
    loans.inspect(loan, s["manager"], "lost", "遗失")
    look(loan, "lost")
    loans.found(loan, s["manager"], "在库房找到")
    look(loan, "closed")

    archive_first = ask()
    loans.approve(archive_first, s["manager"])
    look(archive_first, "archive approved")
    refused = ask()
    loans.refuse(refused, s["head"], "不需要")
    look(refused, "refused")
    cancelled = ask()
    loans.cancel(cancelled, s["staff"])
    look(cancelled, "cancelled")

    assert problems == []
    assert seen["requested"]["head"] == ["approve", "refuse"]
    assert seen["requested"]["other_head"] == []
    assert "issue" in seen["approved"]["manager"]
    assert seen["issued"]["staff"] == ["renew"]
    assert seen["lost"]["manager"] == ["found"]
    assert all(steps == [] for steps in seen["cancelled"].values())


def test_access_request_steps_for_each_role_in_each_state(client, roles, dossier):
    s = roles
    problems, seen = [], {}
    today = timezone.localdate()

    def look(request, name):
        seen[name], found = check(
            client,
            roles,
            named(fresh(request), name),
            "accessrequest",
            access.allowed_steps,
            steps_of(ACCESS_REQUEST),
        )
        problems.extend(found)

    def ask():
        return access.request_access(
            s["staff"],
            purpose="客户投诉核查",
            starts=today,
            ends=today + datetime.timedelta(days=5),
            dossiers=[dossier],
        )

    request = ask()
    look(request, "pending")
    access.approve(request, s["head"])
    look(request, "approved")
    access.revoke(request, s["manager"], "核查结束")
    look(request, "revoked")
    refused = ask()
    access.refuse(refused, s["head"], "不需要")
    look(refused, "refused")
    withdrawn = ask()
    access.withdraw(withdrawn, s["staff"])
    look(withdrawn, "withdrawn")

    assert problems == []
    assert seen["pending"]["head"] == ["approve", "refuse"]
    assert seen["pending"]["other_head"] == []
    assert seen["pending"]["staff"] == ["withdraw"]
    assert "revoke" in seen["approved"]["manager"]


def test_destruction_list_steps_for_each_role_in_each_state(
    client,
    roles,
    staff,  # noqa: F811  (the fixture imported above)
    to_destroy,  # noqa: F811
):
    people = {
        **roles,
        "second_manager": staff["checker1"],
        "second_leader": staff["leader2"],
    }
    for user in people.values():
        user.is_staff = True
        user.save()
    problems, seen = [], {}

    def look(destruction_list, name):
        seen[name], found = check(
            client,
            people,
            named(fresh(destruction_list), name),
            "destructionlist",
            destruction.allowed_steps,
            steps_of(DESTRUCTION_LIST),
        )
        problems.extend(found)

    listed = prepared(staff, to_destroy)
    look(listed, "draft")
    destruction.submit(listed, staff["manager"])
    look(listed, "submitted")
    destruction.approve(listed, roles["leader"])
    look(listed, "approved")
    destruction.check(listed, staff["checker1"])
    destruction.check(listed, staff["checker2"])
    look(listed, "checked")
    destruction.supervise(listed, staff["leader2"])
    destruction.supervise(listed, staff["head2"])
    look(listed, "supervised")
    destruction.start_execution(fresh(listed), staff["manager"])
    look(listed, "executing")

    assert problems == []
    assert seen["draft"]["manager"] == ["submit", "cancel"]
    assert seen["submitted"]["leader"] == ["approve", "reject"]
    assert seen["submitted"]["manager"] == ["cancel"]  # never their own list
    assert seen["approved"]["second_manager"] == ["check", "discrepancy", "cancel"]
    assert "supervise" in seen["checked"]["second_leader"]
    assert seen["supervised"]["manager"] == ["execute", "cancel"]


def test_inventory_round_steps_for_each_role_in_each_state(client, roles, dossier):
    # A dossier the archive department holds on a shelf: the round lists it.
    Dossier.objects.filter(pk=dossier.pk).update(
        state=Dossier.State.RECEIVED,
        location_cabinet="A",
        location_shelf="1",
        location_box="1",
    )
    problems, seen = [], {}
    run = {
        "unlisted": lambda r, user: inventory.record_unlisted(
            r,
            user,
            found_at="A-1-1",
            archive_code="SVC-X-0001",
        ),
        "close": lambda r, user: inventory.close_round(r, user),
    }

    def look(inventory_round, name):
        seen[name], found = check(
            client,
            roles,
            named(fresh(inventory_round), name),
            "inventoryround",
            inventory.allowed_steps,
            run,
        )
        problems.extend(found)

    inventory_round = inventory.start_round(roles["manager"], "2026年第四季度清查")
    look(inventory_round, "open")
    inventory.close_round(inventory_round, roles["manager"])
    look(inventory_round, "closed")

    assert problems == []
    assert seen["open"]["manager"] == ["scan", "unlisted", "close"]
    assert seen["closed"]["manager"] == []


def test_a_queue_row_says_which_approval_is_missing(client, roles, dossier):
    loan = loans.request_loan(
        roles["staff"],
        reason="核对原件",
        days=5,
        dossier=dossier,
    )
    loans.approve(loan, roles["head"])
    with translation.override("zh-hans"):
        assert loans.waiting_for(fresh(loan)) == "待档案部门审批（部门负责人已批准）"
    client.force_login(roles["manager"])
    page = client.get(
        f"{ADMIN}loanapprovalqueue/",
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    ).content.decode()
    assert "待档案部门审批（部门负责人已批准）" in page
    page = client.get(
        f"{ADMIN}loan/{loan.pk}/change/",
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    ).content.decode()
    assert "待档案部门审批（部门负责人已批准）" in page


def test_the_dossier_list_with_its_buttons_stays_flat_in_queries(
    client,
    roles,
    dossier,
):
    """Working out each row's buttons reads nothing more per row."""

    def add(count):
        for _ in range(count):
            n = ServiceProject.objects.count()
            project = ServiceProject.objects.create(
                code=f"Q{n}",
                name=f"项目{n}",
                customer=dossier.project.customer,
                service_type=dossier.project.service_type,
                department=dossier.project.department,
                end_date=dossier.project.end_date,
            )
            complete(project.dossier)
            filing.submit(project.dossier, roles["staff"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{ADMIN}dossier/").status_code == 200
        return len(ctx.captured_queries)

    client.force_login(roles["head"])
    add(2)
    few = queries()
    add(6)
    assert queries() == few
