"""Catalogues and paperwork of filed dossiers (policy §3.2.2, SPEC §4): 卷内目录, 归档文件目录,
移交清单 and the spine labels, from the dossier's admin page and the API; and the label's
codes typed or scanned at the loan desk and on the inventory round.
"""

from __future__ import annotations

import csv
import datetime
import io
import subprocess

import pytest
import zxingcpp
from documents.models import Correspondent
from PIL import Image

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import InventoryRound
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import inventory
from tests.factories import UserFactory
from tests.factories import add_document
from tests.factories import complete
from tests.factories import mark
from tests.integration.test_register_pdf import poppler

pytestmark = pytest.mark.django_db
ADMIN = "/admin/svc_archive_plugin/"
API = "/api/svc_archive/"
HANS = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
HANT = {"HTTP_ACCEPT_LANGUAGE": "zh-TW,zh;q=0.9"}


def named(user, family: str, given: str):
    user.last_name, user.first_name = family, given
    user.save()
    return user


def file(dossier, people):
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    filing.file_dossier(dossier, people["manager"])
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def filed(dossier, people):
    """The repair dossier of 工程部 (2026), four records added out of order, then filed."""
    named(people["clerk"], "李", "小红")
    named(people["manager"], "张", "建国")
    add_document(
        dossier,
        "FP",
        title="维修费发票",
        created=datetime.date(2026, 9, 20),
        page_count=1,
    )
    contract = add_document(
        dossier,
        "HT",
        title="机房维修合同",
        created=datetime.date(2026, 4, 10),
        page_count=5,
        archive_serial_number=88,
    )
    add_document(
        dossier,
        "KH",
        title="客户基本信息表",
        created=datetime.date(2026, 3, 1),
        page_count=2,
        correspondent=Correspondent.objects.create(name="北京某科技有限公司"),
    )
    add_document(
        dossier,
        "SS",
        title="维修记录单",
        created=datetime.date(2026, 8, 1),
        page_count=3,
    )
    mark(contract, "confidential")
    Dossier.objects.filter(pk=dossier.pk).update(
        paper_pages=12,
        location_cabinet="A01",
        location_shelf="02",
        location_box="03",
    )
    return file(dossier, people)


def another(people, code: str, service_type: str, end: datetime.date) -> Dossier:
    """A further dossier of 工程部, complete where its type asks for KH, HT, SS, FP."""
    customer, _ = Customer.objects.get_or_create(
        code="C002",
        defaults={"name": "上海某工程有限公司"},
    )
    project = ServiceProject.objects.create(
        code=code,
        name=f"项目{code}",
        customer=customer,
        service_type=ServiceType.objects.get(code=service_type),
        department=people["engineering"],
        end_date=end,
    )
    dossier = project.dossier
    complete(dossier)
    if filing.completeness(dossier).missing:
        filing.accept_incomplete(dossier, people["manager"], "缺件已说明")
    return file(dossier, people)


@pytest.fixture
def root(client):
    user = UserFactory(username="root", superuser=True)
    client.force_login(user)
    return user


def read_csv(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # spreadsheets read the Chinese right
    return list(csv.DictReader(io.StringIO(body[1:])))


def pdf_text(response, tmp_path) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return poppler("pdftotext", response.content, tmp_path).replace(" ", "")


def flat(text: str) -> str:
    return text.replace("\n", "").replace(" ", "")


TITLES = ["客户基本信息表", "机房维修合同", "维修记录单", "维修费发票"]


def test_the_in_dossier_catalogue_lists_the_items_by_number(client, root, filed):
    rows = read_csv(
        client.get(f"{ADMIN}dossier/{filed.pk}/catalogue.csv", **HANS),
    )

    # The checklist's order (KH, HT, SS, FP), not the order they were added.
    assert [r["item_number"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["title"] for r in rows] == TITLES
    assert [r["date"] for r in rows] == [
        "2026-03-01",
        "2026-04-10",
        "2026-08-01",
        "2026-09-20",
    ]
    # 责任者: the correspondent, else the project's department; 文号: the ASN.
    assert [r["responsible"] for r in rows] == [
        "北京某科技有限公司",
        "工程部",
        "工程部",
        "工程部",
    ]
    assert [r["reference"] for r in rows] == ["", "88", "", ""]
    assert [r["pages"] for r in rows] == ["2", "5", "3", "1"]
    assert rows[1]["note"] == "机密"
    assert {r["archive_code"] for r in rows} == {filed.archive_code}
    assert {r["retention"] for r in rows} == {"定期30年"}
    assert {r["year"] for r in rows} == {"2026"}


def test_the_in_dossier_catalogue_prints_in_chinese(client, root, filed, tmp_path):
    text = flat(
        pdf_text(
            client.get(f"{ADMIN}dossier/{filed.pk}/catalogue.pdf", **HANS),
            tmp_path,
        ),
    )
    for expected in (
        "卷内目录",
        "档号",
        filed.archive_code,
        "案卷题名",
        "机房维修",
        "保管期限",
        "定期30年",
        "件号",
        "责任者",
        "文号",
        "题名",
        "日期",
        "页数",
        "备注",
        "2026-03-01",
        "北京某科技有限公司",
        *TITLES,
    ):
        assert expected in text, expected

    traditional = flat(
        pdf_text(
            client.get(f"{ADMIN}dossier/{filed.pk}/catalogue.pdf", **HANT),
            tmp_path,
        ),
    )
    for expected in (
        "卷內目錄",
        "檔號",
        "件號",
        "責任者",
        "文號",
        "題名",
        "頁數",
        "備註",
    ):
        assert expected in traditional, expected


def test_the_filed_records_catalogue_keeps_to_its_year_and_category(
    client,
    root,
    people,
    filed,
    api_client,
    tmp_path,
):
    second = another(people, "P2026-08", "WX", datetime.date(2026, 11, 2))
    earlier = another(people, "P2025-01", "WX", datetime.date(2025, 6, 1))
    project = another(people, "P2026-09", "JS", datetime.date(2026, 5, 1))
    api_client.force_authenticate(root)

    rows = read_csv(
        api_client.get(
            f"{API}dossiers/filed_records_csv/",
            {"year": 2026, "category": "SH"},
            **HANS,
        ),
    )

    # By 档号, then 件号; the 2025 dossier and the project-service one left out.
    assert [(r["archive_code"], r["item_number"]) for r in rows] == [
        (filed.archive_code, "1"),
        (filed.archive_code, "2"),
        (filed.archive_code, "3"),
        (filed.archive_code, "4"),
        (second.archive_code, "1"),
        (second.archive_code, "2"),
        (second.archive_code, "3"),
        (second.archive_code, "4"),
    ]
    codes = {r["archive_code"] for r in rows}
    assert earlier.archive_code not in codes
    assert project.archive_code not in codes

    # The admin's small form prints it too, as PDF.
    category = filed.category
    text = flat(
        pdf_text(
            client.get(
                f"{ADMIN}dossier/filed_records/",
                {"year": "2026", "category": category.pk, "output": "pdf"},
                **HANS,
            ),
            tmp_path,
        ),
    )
    assert "归档文件目录" in text
    assert filed.archive_code in text
    assert second.archive_code in text
    assert earlier.archive_code not in text
    assert "机房维修合同" in text
    # The list of dossiers leads to that form.
    assert (
        "dossier/filed_records/"
        in client.get(f"{ADMIN}dossier/", **HANS).content.decode()
    )


def test_bad_year_or_category_is_said_in_chinese(client, root, filed, api_client):
    page = client.get(
        f"{ADMIN}dossier/filed_records/",
        {"year": "二〇二六", "category": "99999", "output": "pdf"},
        **HANS,
    )
    assert page.status_code == 400
    content = page.content.decode()
    assert "输入整数" in content  # Django's own message, translated
    assert "选择一个有效的选项" in content

    api_client.force_authenticate(root)
    answer = api_client.get(
        f"{API}dossiers/filed_records/",
        {"year": 2026, "category": "NOPE"},
        **HANS,
    )
    assert answer.status_code == 400
    assert "没有代码为“NOPE”的档案门类" in answer.json()["category"][0]
    missing = api_client.get(f"{API}dossiers/filed_records/", **HANS)
    assert missing.status_code == 400
    assert set(missing.json()) == {"year", "category"}


def test_the_handover_list_counts_and_names_both_signers(
    client,
    root,
    people,
    filed,
    api_client,
    tmp_path,
):
    second = another(people, "P2026-08", "WX", datetime.date(2026, 11, 2))
    response = client.post(
        f"{ADMIN}dossier/",
        {"action": "handover_selected", "_selected_action": [filed.pk, second.pk]},
        **HANS,
    )
    text = flat(pdf_text(response, tmp_path))
    today = datetime.date.today().isoformat()
    for expected in (
        "移交清单",
        filed.archive_code,
        second.archive_code,
        "件数",
        "纸质页数",
        "合计",
        "移交人",
        "接收人",
        "李小红",
        "张建国",
        today,
    ):
        assert expected in text, expected

    api_client.force_authenticate(root)
    rows = read_csv(
        api_client.get(f"{API}dossiers/handover_csv/", {"dossier": [filed.pk]}, **HANS),
    )
    assert rows[0]["archive_code"] == filed.archive_code
    assert (rows[0]["items"], rows[0]["pages"], rows[0]["paper_pages"]) == (
        "4",
        "11",
        "12",
    )
    assert rows[0]["handed_over_by"] == "李小红"
    assert rows[0]["received_by"] == "张建国"
    assert rows[-1]["archive_code"] == "合计"
    unknown = api_client.get(f"{API}dossiers/handover/", {"dossier": [99999]}, **HANS)
    assert unknown.status_code == 400


def decoded(pdf: bytes, tmp_path) -> dict[str, str]:
    """The barcodes on the PDF's first page, by format, as a scanner reads them."""
    path = tmp_path / "label.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "300",
            "-f",
            "1",
            "-l",
            "1",
            path,
            tmp_path / "label",
        ],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("label*.png")))
    return {str(b.format): b.text for b in zxingcpp.read_barcodes(image)}


def test_the_spine_label_carries_the_codes_a_scanner_reads(
    client,
    root,
    filed,
    tmp_path,
):
    response = client.get(f"{ADMIN}dossier/{filed.pk}/label.pdf", **HANS)
    text = flat(pdf_text(response, tmp_path))
    for expected in ("年度", "2026", "保管期限", "定期30年", "机房维修", "P2026-07"):
        assert expected in text, expected
    assert filed.archive_code in text

    codes = decoded(response.content, tmp_path)
    # The QR holds the 档号 itself; the barcode the ASCII label code (the project code).
    assert codes["QR Code"] == filed.archive_code
    assert codes["Code 128"] == "P2026-07"


def test_the_loan_request_takes_a_scanned_label(client, people, filed):
    clerk = people["clerk"]
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    form = {"medium": "paper", "reason": "审计", "days": 4}

    # A scanner types the code, then Enter: blanks and case do not matter.
    response = client.post(
        f"{ADMIN}loan/add/",
        {**form, "label_code": f" {filed.archive_code.lower()}\n"},
    )
    assert response.status_code == 302
    loan = Loan.objects.get(borrower=clerk)
    assert loan.dossier == filed

    # At the desk, the search box finds the loan by the label code scanned into it.
    client.force_login(UserFactory(username="root", superuser=True))
    found = client.get(f"{ADMIN}loan/", {"q": "P2026-07"}, **HANS).content.decode()
    assert loan.number in found
    client.force_login(clerk)

    page = client.post(
        f"{ADMIN}loan/add/",
        {**form, "label_code": "NO-SUCH-BOX"},
        **HANS,
    ).content.decode()
    assert "没有档号或标签码为“NO-SUCH-BOX”的案卷" in page
    assert Loan.objects.filter(borrower=clerk).count() == 1


def test_the_inventory_round_checks_by_scanned_label(client, people, filed, api_client):
    manager = people["manager"]
    manager.is_staff = True
    manager.save()
    inventory_round = inventory.start_round(manager, "A01 抽查")
    client.force_login(manager)
    page = client.get(f"{ADMIN}inventoryround/{inventory_round.pk}/change/").content
    assert f"{inventory_round.pk}/scan/".encode() in page

    scan = f"{ADMIN}inventoryround/{inventory_round.pk}/scan/"
    response = client.post(scan, {"code": "p2026-07\r\n"}, **HANS)

    # Back to the empty field, ready for the next box.
    assert response.status_code == 302
    assert response.url == scan
    item = inventory_round.items.get(dossier=filed)
    assert item.result == "present"
    assert item.checked_by == manager

    refused = client.post(scan, {"code": "NO-SUCH-BOX"}, **HANS).content.decode()
    assert "没有档号或标签码为“NO-SUCH-BOX”的案卷" in refused
    assert 'value="NO-SUCH-BOX"' not in refused  # the field is empty for the next scan

    # The API takes the QR code's text, the 档号, the same way.
    api_client.force_authenticate(manager)
    scanned = api_client.post(
        f"{API}inventory_rounds/{inventory_round.pk}/scan/",
        {"code": filed.archive_code},
        format="json",
    )
    assert scanned.status_code == 200
    assert scanned.json()["result"] == "present"
    unknown = api_client.post(
        f"{API}inventory_rounds/{inventory_round.pk}/scan/",
        {"code": "NO-SUCH-BOX"},
        format="json",
    )
    assert unknown.status_code == 409
    # A find not on the list is named by its label code as well.
    other = InventoryRound.objects.create(name="空清查", started_by=manager)
    found = inventory.record_unlisted(
        other,
        manager,
        archive_code="P2026-07",
        found_at="B01-01-01",
    )
    assert found.dossier == filed


def test_the_dossier_page_offers_the_paperwork(
    client,
    root,
    filed,
    api_client,
    tmp_path,
):
    page = client.get(f"{ADMIN}dossier/{filed.pk}/change/", **HANS).content.decode()
    for sheet in (
        "catalogue.pdf",
        "catalogue.csv",
        "handover.pdf",
        "handover.csv",
        "label.pdf",
    ):
        assert f"/admin/svc_archive_plugin/dossier/{filed.pk}/{sheet}" in page, sheet
    for button in ("卷内目录", "移交清单", "脊背"):
        assert button in page, button
    changelist = client.get(f"{ADMIN}dossier/", **HANS).content.decode()
    assert "handover_selected" in changelist
    assert "labels_selected" in changelist

    # The API serves the same sheets.
    api_client.force_authenticate(root)
    catalogue = api_client.get(f"{API}dossiers/{filed.pk}/catalogue/", **HANS)
    assert "卷内目录" in pdf_text(catalogue, tmp_path)
    label = api_client.get(f"{API}dossiers/{filed.pk}/label/", **HANS)
    assert filed.archive_code in flat(pdf_text(label, tmp_path))
    labels = api_client.get(f"{API}dossiers/labels/", {"dossier": [filed.pk]}, **HANS)
    assert filed.archive_code in flat(pdf_text(labels, tmp_path))
    rows = read_csv(api_client.get(f"{API}dossiers/{filed.pk}/catalogue_csv/"))
    assert [r["title"] for r in rows] == TITLES


def test_before_filing_the_catalogue_shows_the_order_without_numbers(
    client,
    root,
    dossier,
):
    add_document(dossier, "FP", title="发票", created=datetime.date(2026, 9, 1))
    add_document(dossier, "KH", title="客户信息", created=datetime.date(2026, 9, 2))

    rows = read_csv(client.get(f"{ADMIN}dossier/{dossier.pk}/catalogue.csv", **HANS))

    assert [(r["item_number"], r["title"]) for r in rows] == [
        ("", "客户信息"),
        ("", "发票"),
    ]
    assert {r["archive_code"] for r in rows} == {""}
