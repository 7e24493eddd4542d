"""As a new user would: a scanned record past its retention goes through appraisal and a
supervised destruction, and only then are its files gone from disk and search.

Real consumption with OCR, the real celery worker carrying out the destruction, and the
protection of a held record through the running server's API.
"""

from __future__ import annotations

import subprocess
import time
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import USER_PASSWORD
from tests.e2e.conftest import as_user
from tests.e2e.conftest import wait_for
from tests.pdfs import scanned_pdf

if TYPE_CHECKING:
    import httpx

pytestmark = pytest.mark.e2e
API = "/api/svc_archive/"


def make_users(client: httpx.Client) -> None:
    groups = {
        g["name"]: g["id"]
        for g in client.get("/api/groups/", params={"page_size": 100}).json()["results"]
    }
    for username, group in (
        ("archivist", "档案管理员"),
        ("checker", "档案管理员"),
        ("leader", "公司分管领导"),
        ("leader2", "公司分管领导"),
    ):
        response = client.post(
            "/api/users/",
            json={
                "username": username,
                "password": USER_PASSWORD,
                "groups": [groups[group]],
            },
        )
        assert response.status_code == 201, response.text


def test_a_record_past_retention_is_appraised_and_destroyed_under_supervision(
    paperless,
):
    with paperless.client() as admin:
        make_users(admin)
        repair = next(
            t
            for t in admin.get(f"{API}service_types/").json()["results"]
            if t["code"] == "WX"
        )
        customer = admin.post(
            f"{API}customers/",
            json={"code": "C200", "name": "天津某制造有限公司"},
        ).json()
        admin.post(
            f"{API}projects/",
            json={
                "code": "P2010-01",
                "name": "设备维修",
                "customer": customer["id"],
                "service_type": repair["id"],
                "end_date": "2010-06-30",
            },
        ).raise_for_status()

    # A scan of 2010's repair log, dropped into consume/<customer>/<project>/<type>/.
    folder = paperless.consume_dir / "C200" / "P2010-01" / "SS"
    folder.mkdir(parents=True)
    time.sleep(2)
    staging = paperless.root / "staging" / "repair-log.pdf"
    scanned_pdf(staging, "设备维修记录", "天津市滨海新区")
    staging.replace(folder / "repair-log.pdf")

    with paperless.client() as admin:

        def found():
            hits = admin.get("/api/documents/", params={"query": "滨海新区"}).json()
            return hits["results"] if hits["count"] else None

        [document] = wait_for(found, 180, paperless, "the scan in search")
        doc_id = document["id"]
        record = admin.get(f"{API}retention/{doc_id}/").json()
        # Ten years for repair logs, counted from 1 January after the project's end.
        assert (record["retention"], record["until"], record["state"]) == (
            "ordinary",
            "2020-12-31",
            "active",
        )

    archivist = as_user(paperless, "archivist")
    # A legal hold: every deletion through the running server is refused, with the reason.
    hold = archivist.post(
        f"{API}holds/",
        json={"name": "诉讼2026-07", "reason": "客户索赔", "documents": [doc_id]},
    ).json()
    with paperless.client() as admin:
        refused = admin.delete(f"/api/documents/{doc_id}/")
        assert refused.status_code == 403
        assert "诉讼2026-07" in refused.json()["detail"]
        refused = admin.post("/api/documents/delete/", json={"documents": [doc_id]})
        assert refused.status_code == 403
        assert (
            admin.get("/api/documents/", params={"query": "滨海新区"}).json()["count"]
            == 1
        )
    archivist.post(f"{API}holds/{hold['id']}/release/", json={"reason": "和解结案"})

    # The daily sweep puts it in the appraisal queue; nothing is deleted by it.
    assert "1 records queued" in paperless.manage("svc_archive_sweep")
    queue = archivist.get(f"{API}retention/", params={"state": "due"}).json()
    assert [r["document"] for r in queue["results"]] == [doc_id]
    archivist.post(
        f"{API}retention/appraise/",
        json={
            "documents": [doc_id],
            "decision": "destroy",
            "reason": "保管期满，无保存价值",
        },
    ).raise_for_status()

    made = archivist.post(
        f"{API}destruction_lists/",
        json={
            "title": "2026年第一批到期维修记录",
            "reason": "保管期满",
            "documents": [doc_id],
        },
    ).json()
    url = f"{API}destruction_lists/{made['id']}/"

    def step(username, name):
        response = as_user(paperless, username).post(f"{url}{name}/", json={})
        assert response.status_code == 200, response.text
        return response.json()["state"]

    media = paperless.root / "media" / "documents"
    with paperless.client() as admin:
        metadata = admin.get(f"/api/documents/{doc_id}/metadata/").json()
    files = [
        media / "originals" / metadata["media_filename"],
        media / "archive" / metadata["archive_media_filename"],
        media / "thumbnails" / f"{doc_id:07}.webp",
    ]
    assert all(f.is_file() for f in files)
    assert step("archivist", "submit") == "submitted"
    assert step("leader", "approve") == "approved"
    assert step("archivist", "check") == "approved"
    assert step("checker", "check") == "checked"
    assert step("leader", "supervise") == "checked"
    assert step("leader2", "supervise") == "supervised"
    assert all(f.is_file() for f in files)  # nothing gone before execution
    assert step("archivist", "execute") == "executing"

    # The worker carries it out.
    wait_for(
        lambda: archivist.get(url).json()["state"] == "executed",
        120,
        paperless,
        "the destruction",
    )
    assert not any(f.exists() for f in files)
    with paperless.client() as admin:
        assert (
            admin.get("/api/documents/", params={"query": "滨海新区"}).json()["count"]
            == 0
        )
        assert admin.get(f"/api/documents/{doc_id}/").status_code == 404
    register = archivist.get(f"{API}destruction_register/").json()
    [entry] = register["results"]
    assert entry["content"]["project"] == "P2010-01 设备维修"
    assert {f["role"] for f in entry["content"]["files"]} >= {"original", "thumbnail"}
    assert archivist.get(f"{API}destruction_register/verify/").json()["intact"]

    pdf = archivist.get(f"{url}register_pdf/")
    path = paperless.root / "register.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for expected in (  # printed in the request's language: no Accept-Language, English
        "Service archive destruction register",
        "P2010-01",
        "Supervised by",
        "leader2",
        "checker",
        "archivist",
    ):
        assert expected in text
