"""As staff and managers would, in paperless's own web UI: the built frontend served by
paperless's production web server, driven in Debian's chromium.

A scan consumed by the real worker is filed through the plugin's API; then a member of
staff finds it by a Chinese word and reads its archive fields, a department head finds the
archive's saved views on the dashboard, a deletion in the UI is refused with the plugin's
reason, and a confidential record appears in a colleague's search only once an access
request for it is approved.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import time

import pytest

from tests.e2e.conftest import USER_PASSWORD
from tests.e2e.conftest import as_user
from tests.e2e.conftest import ask_for_access
from tests.e2e.conftest import sign_in
from tests.e2e.conftest import wait_for
from tests.pdfs import scanned_pdf

pytestmark = pytest.mark.e2e
API = "/api/svc_archive/"
CUSTOMER = "青岛某机械有限公司"
WORD = "黄岛新区"  # in the filed record
TITLE = "回访记录"  # its file name, so its title
SECRET_TITLE = "质保合同"
SECRET_WORD = "质保协议"  # in the confidential one
VIEWS = ("待归档档案", "已归档档案", "冻结中的档案", "借出中的档案", "一年内到期的档案")


def drop_scan(paperless, folder: str, name: str, *lines: str) -> None:
    target = paperless.consume_dir / folder
    target.mkdir(parents=True)
    time.sleep(2)  # the watcher sees the new folder before its file
    staging = paperless.root / "staging" / name
    scanned_pdf(staging, *lines)
    staging.replace(target / name)


def search(client, word: str):
    hits = client.get("/api/documents/", params={"query": word}).json()
    return hits["results"] if hits["count"] else None


@pytest.fixture(scope="module")
def archive(paperless):
    """售后部 with 李 (staff) and its head; a filed record and a confidential one."""
    with paperless.client() as admin:
        department = admin.post(
            "/api/groups/",
            json={"name": "售后部", "permissions": []},
        ).json()["id"]
        groups = {
            g["name"]: g["id"]
            for g in admin.get("/api/groups/", params={"page_size": 100}).json()[
                "results"
            ]
        }
        for username, roles, first_name in (
            ("li", ["员工", "售后部"], "李"),
            ("after-sales-head", ["部门负责人", "售后部"], "王"),
        ):
            response = admin.post(
                "/api/users/",
                json={
                    "username": username,
                    "first_name": first_name,
                    "password": USER_PASSWORD,
                    "groups": [groups[r] for r in roles],
                },
            )
            assert response.status_code == 201, response.text
        after_sales = next(
            t
            for t in admin.get(f"{API}service_types/").json()["results"]
            if t["code"] == "SH"
        )
        customer = admin.post(
            f"{API}customers/",
            json={"code": "C700", "name": CUSTOMER},
        ).json()
        projects = {}
        for code, name in (("P2026-70", "售后回访"), ("P2026-71", "质保服务")):
            response = admin.post(
                f"{API}projects/",
                json={
                    "code": code,
                    "name": name,
                    "customer": customer["id"],
                    "service_type": after_sales["id"],
                    "department": department,
                    "end_date": "2026-06-30",
                },
            )
            assert response.status_code == 201, response.text
            projects[code] = response.json()

    drop_scan(
        paperless,
        "C700/P2026-70/HT",
        f"{TITLE}.pdf",
        "售后回访记录",
        f"青岛市{WORD}",
    )
    drop_scan(
        paperless,
        "C700/P2026-71/HT",
        f"{SECRET_TITLE}.pdf",
        SECRET_WORD,
        "青岛市崂山区",
    )

    with paperless.client() as admin:
        [record] = wait_for(lambda: search(admin, WORD), 240, paperless, WORD)
        [secret] = wait_for(
            lambda: search(admin, SECRET_WORD),
            240,
            paperless,
            "secret",
        )
        dossiers = {
            code: admin.get(f"{API}dossiers/", params={"project__id": p["id"]}).json()[
                "results"
            ][0]
            for code, p in projects.items()
        }
        # The second one is marked 机密 in paperless's own document editor.
        fields = {
            f["name"]: f
            for f in admin.get("/api/custom_fields/", params={"page_size": 100}).json()[
                "results"
            ]
        }
        confidential = next(
            o["id"]
            for o in fields["密级"]["extra_data"]["select_options"]
            if o["label"] == "机密"
        )
        response = admin.patch(
            f"/api/documents/{secret['id']}/",
            json={
                "custom_fields": [
                    {"field": cf["field"], "value": cf["value"]}
                    for cf in secret["custom_fields"]
                ]
                + [{"field": fields["密级"]["id"], "value": confidential}],
            },
        )
        assert response.status_code == 200, response.text

        # The first dossier is filed: accepted incomplete, submitted, approved, filed.
        url = f"{API}dossiers/{dossiers['P2026-70']['id']}/"
        step = admin.post(f"{url}accept_incomplete/", json={"reason": "仅回访记录"})
        assert step.status_code == 200, step.text
    li = as_user(paperless, "li")
    head = as_user(paperless, "after-sales-head")
    assert li.post(f"{url}submit/", json={}).status_code == 200
    assert head.post(f"{url}approve/", json={}).status_code == 200
    with paperless.client() as admin:
        assert admin.post(f"{url}receive/", json={}).status_code == 200
        filed = admin.post(f"{url}file/", json={})
        assert filed.json()["state"] == "filed", filed.text
        archive_code = filed.json()["archive_code"]
        retention_until = admin.get(f"{API}retention/{record['id']}/").json()["until"]
    return {
        "record": record["id"],
        "secret": secret["id"],
        "archive_code": archive_code,
        "retention_until": retention_until,
        "secret_dossier": dossiers["P2026-71"]["id"],
    }


def field_value(page, label: str) -> str:
    """The value shown in the document editor's field of that name."""
    field = page.get_by_label(label, exact=True)
    if field.evaluate("e => e.tagName") == "INPUT":
        return field.input_value()
    return field.inner_text()


def test_staff_find_a_scan_by_a_chinese_word_and_read_its_archive_fields(
    paperless,
    archive,
    browser_pages,
):
    page = sign_in(browser_pages(), paperless, "li")
    page.get_by_placeholder("搜索").fill(WORD)
    # paperless's search finds it by the word in its OCR'd content; open it from there.
    page.locator("pngx-global-search [ngbdropdownitem]").filter(has_text=TITLE).click()
    page.get_by_label("档号", exact=True).wait_for()
    assert page.url.endswith(f"/documents/{archive['record']}/details")
    body = page.inner_text("body")
    assert CUSTOMER in body
    assert "P2026-70" in body
    assert field_value(page, "档号") == archive["archive_code"]
    until = datetime.date.fromisoformat(archive["retention_until"])
    assert str(until.year) in field_value(page, "保管期限至")


def test_a_department_head_sees_the_archive_views_on_the_dashboard(
    paperless,
    archive,
    browser_pages,
):
    page = sign_in(browser_pages(), paperless, "after-sales-head")
    for name in VIEWS:
        page.get_by_text(name, exact=True).first.wait_for()
    # The filed-records widget lists the record, with the archive's columns.
    widget = page.locator("pngx-saved-view-widget").filter(has_text="已归档档案")
    widget.get_by_text(TITLE, exact=True).wait_for()
    sidebar = page.locator("#sidebarMenu")
    assert "已归档档案" in sidebar.inner_text()


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "served.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_the_filed_records_archive_version_carries_the_filing_stamp(
    paperless,
    archive,
    browser_pages,
    tmp_path,
):
    """Filing stamps the archive version paperless serves; the original stays as scanned."""
    record = archive["record"]
    with paperless.client() as admin:

        def stamped() -> str | None:
            served = admin.get(f"/api/documents/{record}/download/")
            text = pdf_text(served.content, tmp_path)
            return text if archive["archive_code"] in text else None

        text = wait_for(stamped, 120, paperless, "the filing stamp")
        original = admin.get(f"/api/documents/{record}/download/?original=true")
    for label in ("全宗号", "年度", "件号", "保管期限", "档号"):
        assert label in text
    assert archive["archive_code"] not in pdf_text(original.content, tmp_path)

    # In paperless's own document page, the preview is the stamped archive version.
    page = sign_in(browser_pages(), paperless, "li")
    page.goto(f"{paperless.base_url}/documents/{record}/details")
    page.locator("pngx-pdf-viewer .textLayer").get_by_text(
        archive["archive_code"],
    ).first.wait_for(timeout=60_000)
    if shots := os.environ.get("SVC_ARCHIVE_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/paperless-stamped-preview.png")


def test_deleting_a_filed_record_in_the_ui_is_refused_with_the_reason(
    paperless,
    archive,
    browser_pages,
):
    from tests.e2e.conftest import ADMIN

    page = sign_in(browser_pages(), paperless, ADMIN[0], ADMIN[1])
    page.goto(f"{paperless.base_url}/documents/{archive['record']}/details")
    # Only once the document has loaded does 删除 ask about it; on a busy machine an
    # early click opened an empty dialog.
    page.get_by_label("档号", exact=True).wait_for()
    page.get_by_role("button", name="删除").first.click()
    page.get_by_role("button", name="移动到回收站").click()
    toast = (
        page.locator("pngx-toasts ngb-toast")
        .filter(has_text="删除文档时发生错误")
        .first
    )
    toast.wait_for()
    toast.locator("details").click()
    # The toast's details carry the plugin's reason, in the reader's language.
    assert f"{TITLE}”不能删除：该文档为已归档档案" in toast.inner_text()
    # Inside a sentence the date reads as Chinese running text, 2056年12月31日.
    until = datetime.date.fromisoformat(archive["retention_until"])
    assert f"{until.year}年{until.month}月{until.day}日" in toast.inner_text()

    with paperless.client() as admin:
        assert admin.get(f"/api/documents/{archive['record']}/").status_code == 200
        trash = admin.get("/api/trash/").json()
        assert archive["record"] not in [d["id"] for d in trash["results"]]


def test_bulk_deleting_a_filed_record_in_the_list_is_refused_with_the_reason(
    paperless,
    archive,
    browser_pages,
):
    from tests.e2e.conftest import ADMIN

    page = sign_in(browser_pages(), paperless, ADMIN[0], ADMIN[1])
    page.goto(f"{paperless.base_url}/documents?title_content={TITLE}")
    page.get_by_text(re.compile(r"^(\d+ |一个)文档")).first.wait_for()
    page.get_by_role(
        "button",
        name="全部",
    ).click()  # the list's 选择 … 全部 (select all)
    page.locator("pngx-bulk-editor").get_by_role("button", name="删除").click()
    page.get_by_role("button", name="移动到回收站").click()
    toast = (
        page.locator("pngx-toasts ngb-toast")
        .filter(has_text="执行批量操作时发生错误")
        .first
    )
    toast.wait_for()
    toast.locator("details").click()
    assert f"{TITLE}”不能删除：该文档为已归档档案" in toast.inner_text()

    with paperless.client() as admin:
        assert admin.get(f"/api/documents/{archive['record']}/").status_code == 200


def test_a_confidential_record_appears_in_search_only_after_approval(
    paperless,
    archive,
    browser_pages,
):
    page = sign_in(browser_pages(), paperless, "li")

    def shown() -> bool:
        page.goto(f"{paperless.base_url}/documents?query={SECRET_WORD}")
        # "0 文档", "一个文档", "2 文档": the list has loaded.
        page.get_by_text(re.compile(r"^(\d+ |一个)文档")).first.wait_for()
        return page.get_by_text(SECRET_TITLE, exact=True).count() > 0

    assert not shown()

    request = ask_for_access(
        as_user(paperless, "li"),
        archive["secret_dossier"],
        "核对质保条款",
    )
    assert not shown()  # asked, not yet approved
    head = as_user(paperless, "after-sales-head")
    approved = head.post(
        f"{API}access_requests/{request['id']}/approve/",
        json={"reason": "同意"},
    )
    assert approved.json()["state"] == "approved", approved.text
    wait_for(shown, 60, paperless, "the confidential record in li's search")


def test_from_a_document_to_its_record_page_and_back(
    paperless,
    archive,
    browser_pages,
):
    from tests.e2e.conftest import ADMIN

    page = sign_in(browser_pages(), paperless, ADMIN[0], ADMIN[1])
    page.goto(f"{paperless.base_url}/documents/{archive['record']}/details")
    link = field_value(page, "档案详情")
    assert link.startswith(
        f"{paperless.base_url}/admin/svc_archive_plugin/archiverecord/",
    )

    # The field's open-link button opens the record page in the admin, in a new tab.
    with page.context.expect_page() as opened:
        page.locator("pngx-input-url a[target=_blank]").click()
    record = opened.value
    record.wait_for_load_state()
    body = record.inner_text("body")
    assert archive["archive_code"] in body  # the dossier, by its 档号
    assert archive["retention_until"] in body
    assert "本档案的查阅登记" in body

    assert record.locator("h2").filter(has_text=TITLE).count() == 1  # named, not "#1"
    with record.context.expect_page() as back:
        record.get_by_role("link", name="在 paperless 中打开").click()
    back.value.get_by_label("档号", exact=True).wait_for()
    assert back.value.url.endswith(f"/documents/{archive['record']}/details")
