"""The work page 待办 in the browser: a department head signs in to the admin, finds the
dossier waiting for their approval and approves it in at most three clicks, in zh-CN."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import USER_PASSWORD
from tests.e2e.conftest import as_user

pytestmark = pytest.mark.e2e
API = "/api/svc_archive/"
# Codes of its own: the paperless instance is shared by every end-to-end module.
CUSTOMER = ("C950", "天津某设备有限公司")
PROJECT = ("P2026-95", "设备巡检")


@pytest.fixture(scope="module")
def pending(paperless):
    """质检部's project dossier, submitted by 赵敏 and waiting for its head 孙强."""
    with paperless.client() as admin:
        department = admin.post(
            "/api/groups/",
            json={"name": "质检部", "permissions": []},
        )
        assert department.status_code == 201, department.text
        groups = {
            g["name"]: g["id"]
            for g in admin.get("/api/groups/", params={"page_size": 100}).json()[
                "results"
            ]
        }
        for username, roles, first_name, last_name in (
            ("zhao", ["员工", "质检部"], "敏", "赵"),
            ("qc-head", ["部门负责人", "质检部"], "强", "孙"),
        ):
            response = admin.post(
                "/api/users/",
                json={
                    "username": username,
                    "first_name": first_name,
                    "last_name": last_name,
                    "password": USER_PASSWORD,
                    "is_staff": True,  # the manager screens are paperless's admin
                    "groups": [groups[r] for r in roles],
                },
            )
            assert response.status_code == 201, response.text
        service_type = next(
            t
            for t in admin.get(f"{API}service_types/").json()["results"]
            if t["code"] == "SH"
        )
        customer = admin.post(
            f"{API}customers/",
            json={"code": CUSTOMER[0], "name": CUSTOMER[1]},
        )
        assert customer.status_code == 201, customer.text
        project = admin.post(
            f"{API}projects/",
            json={
                "code": PROJECT[0],
                "name": PROJECT[1],
                "customer": customer.json()["id"],
                "service_type": service_type["id"],
                "department": department.json()["id"],
                "end_date": "2026-06-30",
            },
        )
        assert project.status_code == 201, project.text
        dossier = admin.get(
            f"{API}dossiers/",
            params={"project__id": project.json()["id"]},
        ).json()["results"][0]
        url = f"{API}dossiers/{dossier['id']}/"
        accepted = admin.post(f"{url}accept_incomplete/", json={"reason": "先行归档"})
        assert accepted.status_code == 200, accepted.text
    submitted = as_user(paperless, "zhao").post(f"{url}submit/", json={})
    assert submitted.status_code == 200, submitted.text
    return dossier["id"]


def test_a_department_head_approves_a_pending_filing_from_the_work_page(
    paperless,
    pending,
    browser_pages,
):
    page = browser_pages()
    page.goto(f"{paperless.base_url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "qc-head")
    page.fill("input[name=password]", USER_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{paperless.base_url}/admin/")

    clicks = 0
    # 1: the admin index's box of work leads to the work page.
    page.locator("#svc-archive-work").get_by_role("link", name="待审批的案卷").click()
    clicks += 1
    page.wait_for_url("**/admin/svc_archive_plugin/**")
    work = page.locator("#work-filing_approve")
    assert "1" in work.locator(".count").inner_text()
    row = work.locator("tr").filter(has_text=f"{PROJECT[0]} {PROJECT[1]}")
    if shots := os.environ.get("SVC_ARCHIVE_SHOTS"):
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/work-page.png", full_page=True)
    # 2: the row's step; 3: the step page's button.
    row.get_by_role("link", name="审核（部门负责人）").click()
    clicks += 1
    page.get_by_role("button", name="审核（部门负责人）").click()
    clicks += 1
    page.wait_for_url(f"**/admin/svc_archive_plugin/dossier/{pending}/change/")

    assert clicks <= 3
    with paperless.client() as admin:
        dossier = admin.get(f"{API}dossiers/{pending}/").json()
    assert dossier["state"] == "approved"
    # Nothing waits for the head any more.
    page.goto(f"{paperless.base_url}/admin/svc_archive_plugin/")
    assert page.locator("#work-filing_approve").count() == 0
