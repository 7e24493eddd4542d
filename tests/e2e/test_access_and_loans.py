"""As a new user would: a confidential dossier seen only through an access request, and a
paper loan from request to a return with pages missing, with the overdue reminder mailed.

Real consumption with OCR, the real worker (re-indexing, the daily tasks queued as beat
would queue them), paperless's own search and permissions, and paperless's mail settings
pointing at a local SMTP server.
"""

from __future__ import annotations

import datetime
import time
from email.header import decode_header
from email.header import make_header
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import USER_PASSWORD
from tests.e2e.conftest import as_user
from tests.e2e.conftest import ask_for_access
from tests.e2e.conftest import wait_for
from tests.pdfs import scanned_pdf

if TYPE_CHECKING:
    import httpx

pytestmark = pytest.mark.e2e
API = "/api/svc_archive/"
WORD = "保密协议"


def setup_people(admin: httpx.Client) -> int:
    """工程部 with a staff member and its head; two archive managers at the desk."""
    department = admin.post("/api/groups/", json={"name": "工程部", "permissions": []})
    assert department.status_code == 201, department.text
    department_id = department.json()["id"]
    groups = {
        g["name"]: g["id"]
        for g in admin.get("/api/groups/", params={"page_size": 100}).json()["results"]
    }
    for username, roles, email in (
        ("zhang", ["员工", "工程部"], "zhang@example.com"),
        ("engineering-head", ["部门负责人", "工程部"], "head@example.com"),
        ("archive-head", ["档案管理员"], "archive@example.com"),
        ("desk", ["档案管理员"], "desk@example.com"),
    ):
        response = admin.post(
            "/api/users/",
            json={
                "username": username,
                "password": USER_PASSWORD,
                "email": email,
                "groups": [groups[r] for r in roles],
            },
        )
        assert response.status_code == 201, response.text
    return department_id


def test_a_confidential_dossier_through_an_access_request_and_a_paper_loan(
    paperless,
    mailbox,
):
    today = datetime.date.today()
    with paperless.client() as admin:
        department = setup_people(admin)
        repair = next(
            t
            for t in admin.get(f"{API}service_types/").json()["results"]
            if t["code"] == "WX"
        )
        customer = admin.post(
            f"{API}customers/",
            json={"code": "C500", "name": "上海某医疗器械有限公司"},
        ).json()
        project = admin.post(
            f"{API}projects/",
            json={
                "code": "P2026-50",
                "name": "设备保养",
                "customer": customer["id"],
                "service_type": repair["id"],
                "department": department,
                "end_date": "2026-06-30",
            },
        ).json()

    folder = paperless.consume_dir / "C500" / "P2026-50" / "HT"
    folder.mkdir(parents=True)
    time.sleep(2)
    staging = paperless.root / "staging" / "nda.pdf"
    scanned_pdf(staging, WORD, "设备保养服务合同")
    staging.replace(folder / "nda.pdf")

    with paperless.client() as admin:

        def found():
            hits = admin.get("/api/documents/", params={"query": WORD}).json()
            return hits["results"] if hits["count"] else None

        [document] = wait_for(found, 180, paperless, "the scan in search")
        doc_id = document["id"]
        fields = {
            f["name"]: f
            for f in admin.get(
                "/api/custom_fields/",
                params={"page_size": 100},
            ).json()["results"]
        }
        secret = next(
            o["id"]
            for o in fields["密级"]["extra_data"]["select_options"]
            if o["label"] == "机密"
        )
        # The archive marks it confidential in paperless's own document editor.
        custom = [
            {"field": cf["field"], "value": cf["value"]}
            for cf in document["custom_fields"]
        ] + [{"field": fields["密级"]["id"], "value": secret}]
        response = admin.patch(
            f"/api/documents/{doc_id}/",
            json={"custom_fields": custom},
        )
        assert response.status_code == 200, response.text
        dossier = admin.get(
            f"{API}dossiers/",
            params={"project__id": project["id"]},
        ).json()["results"][0]

    zhang = as_user(paperless, "zhang")
    head = as_user(paperless, "engineering-head")
    archive_head = as_user(paperless, "archive-head")
    desk = as_user(paperless, "desk")

    def zhang_finds() -> int:
        return zhang.get("/api/documents/", params={"query": WORD}).json()["count"]

    # A colleague cannot see it, nor find it.
    assert zhang.get(f"/api/documents/{doc_id}/").status_code == 404
    assert zhang_finds() == 0

    request = ask_for_access(zhang, dossier["id"], "客户投诉处理，核对合同条款")
    assert zhang.get(f"/api/documents/{doc_id}/").status_code == 404  # not yet
    refused = archive_head.post(
        f"{API}access_requests/{request['id']}/approve/",
        json={},
    )
    assert refused.status_code == 403
    approved = head.post(
        f"{API}access_requests/{request['id']}/approve/",
        json={"reason": "同意查阅"},
    )
    assert approved.json()["state"] == "approved", approved.text

    # paperless's UI and search now show it to her (the worker re-indexed it).
    wait_for(lambda: zhang_finds() == 1, 60, paperless, "search showing the record")
    assert zhang.get(f"/api/documents/{doc_id}/").status_code == 200
    assert zhang.get(f"/api/documents/{doc_id}/preview/").status_code == 200
    log = archive_head.get(f"{API}access_log/", params={"document": doc_id}).json()
    kinds = sorted(e["kind"] for e in log["results"])
    # Her search read its text too, under the grant: logged as listed.
    assert "listed" in kinds
    assert [k for k in kinds if k != "listed"] == ["preview", "view"]
    assert {e["username"] for e in log["results"]} == {"zhang"}
    assert {e["request"] for e in log["results"]} == {request["id"]}
    assert {e["department_name"] for e in log["results"]} == {"工程部"}
    assert zhang.get(f"{API}access_log/").status_code == 403

    # The period ends: the daily task (run by the worker) takes the access away.
    paperless.run_task(
        "svc_archive_plugin.tasks.apply_access_periods",
        as_of=(today + datetime.timedelta(days=3)).isoformat(),
    )
    wait_for(lambda: zhang_finds() == 0, 60, paperless, "search hiding the record")
    assert zhang.get(f"/api/documents/{doc_id}/").status_code == 404
    assert (
        zhang.get(f"{API}access_requests/{request['id']}/").json()["state"] == "expired"
    )

    # A paper loan of the dossier: two approvals, the desk, a renewal, a return.
    loan = zhang.post(
        f"{API}loans/",
        json={"dossier": dossier["id"], "reason": "现场核对原件", "days": 3},
    )
    assert loan.status_code == 201, loan.text
    url = f"{API}loans/{loan.json()['id']}/"

    def step(client, name, expected=200, **data):
        response = client.post(f"{url}{name}/", json=data)
        assert response.status_code == expected, response.text
        return response.json()

    step(zhang, "approve", 403)  # never one's own
    step(head, "approve")
    assert step(archive_head, "approve")["state"] == "approved"
    issued = step(desk, "issue")
    assert issued["state"] == "issued"
    due = datetime.date.fromisoformat(issued["due"])
    assert "only an approved loan is issued" in step(desk, "issue", 409)["detail"]
    refused = paperless.client().delete(f"/api/documents/{doc_id}/")
    assert refused.status_code == 403
    assert "on loan" in refused.json()["detail"]

    renewal = step(zhang, "renew", days=2, reason="尚未核对完毕")
    assert renewal["renewal_days"] == 2
    step(archive_head, "approve")
    renewed = step(head, "approve")
    assert renewed["renewals"] == 1
    new_due = datetime.date.fromisoformat(renewed["due"])
    assert new_due > due

    # Overdue: the daily reminder goes through paperless's mail settings.
    paperless.run_task(
        "svc_archive_plugin.tasks.remind_overdue_loans",
        as_of=(new_due + datetime.timedelta(days=1)).isoformat(),
    )
    [(recipients, message)] = wait_for(
        lambda: mailbox.received,
        60,
        paperless,
        "the overdue reminder",
    )
    assert "zhang@example.com" in recipients
    subject = str(make_header(decode_header(message["Subject"])))
    assert "Loan overdue" in subject  # zhang chose no language: paperless's en-us
    assert renewed["number"] in subject

    step(desk, "receive")
    closed = step(desk, "inspect", condition="pages_missing", note="缺少第2页")
    assert closed["state"] == "closed"
    assert closed["liability"]["condition"] == "pages_missing"
    assert [e["action"] for e in closed["events"]] == [
        "request",
        "approve_head",
        "approve_archive",
        "issue",
        "request_renewal",
        "approve_renewal_archive",
        "approve_renewal_head",
        "renew",
        "remind",
        "return",
        "inspect",
    ]
    slip = desk.get(f"{url}slip/")
    assert slip.headers["content-type"] == "application/pdf"
