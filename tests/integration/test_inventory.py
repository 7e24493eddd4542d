"""Inventory 清查盘点 of paper originals: a round lists the shelves, checkers tick it off,
and the discrepancy report compares what they found with the register and the loans.

The shelves: cabinet A01 and B02 with six dossiers held by the archive, two of them out
on a paper loan; a dossier still with its department and a filed one without a place
are not on the list.
"""

from __future__ import annotations

import csv
import datetime
import io
import subprocess

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import InventoryRound
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.reports.inventory_csv import discrepancy_rows
from svc_archive_plugin.reports.inventory_csv import list_rows
from svc_archive_plugin.reports.inventory_discrepancies import discrepancy_report_pdf
from svc_archive_plugin.reports.inventory_list import inventory_list_pdf
from svc_archive_plugin.services import inventory
from svc_archive_plugin.services import loans
from svc_archive_plugin.services.inventory import Kind
from tests.factories import UserFactory
from tests.factories import add_document
from tests.factories import lend

pytestmark = pytest.mark.django_db
ADMIN = "/admin/svc_archive_plugin/"
API = "/api/svc_archive/"

# code, name, state, (cabinet, shelf, box), pages
SHELVES = (
    ("P01", "机房维修", "filed", ("A01", "01", "01"), 120),
    ("P02", "网络改造", "filed", ("A01", "01", "02"), 80),
    ("P03", "售后回访", "filed", ("A01", "02", "01"), 45),
    ("P04", "系统集成咨询", "received", ("B02", "01", "01"), 200),
    ("P05", "设备巡检", "filed", ("B02", "01", "02"), 33),
    ("P06", "客户投诉处理", "filed", ("B02", "02", "01"), 12),
    ("P07", "尚在收集", "collecting", ("A01", "01", "01"), 5),
    ("P08", "无位置案卷", "filed", ("", "", ""), 7),
)


@pytest.fixture
def desk(people):
    """A second archive manager at the loan desk and on the shelves."""
    user = UserFactory(username="desk2", staff=True)
    user.groups.add(Group.objects.get(name="档案管理员"))
    return user


@pytest.fixture
def manager(people):
    user = people["manager"]
    user.is_staff = True
    user.save()
    return user


def make_dossier(people, code, name, state, where, pages, number):
    customer, _ = Customer.objects.get_or_create(
        code="C100",
        defaults={"name": "上海某制造有限公司"},
    )
    project = ServiceProject.objects.create(
        code=code,
        name=name,
        customer=customer,
        service_type=ServiceType.objects.get(code="WX"),
        department=people["engineering"],
        end_date=datetime.date(2026, 3, 31),
    )
    cabinet, shelf, box = where
    Dossier.objects.filter(project=project).update(
        state=state,
        archive_code=f"SVC-XM·2026-D10-工程部-{number:04}"
        if state == "filed"
        else None,
        location_cabinet=cabinet,
        location_shelf=shelf,
        location_box=box,
        paper_pages=pages,
    )
    return Dossier.objects.get(project=project)


@pytest.fixture
def shelves(people, desk):
    dossiers = {
        code: make_dossier(people, code, name, state, where, pages, n)
        for n, (code, name, state, where, pages) in enumerate(SHELVES, 1)
    }
    lent = {code: lend(people, desk, dossier=dossiers[code]) for code in ("P03", "P04")}
    return dossiers, lent


def item_of(inventory_round, dossier):
    return inventory_round.items.get(dossier=dossier)


def poppler(tool: str, pdf: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "inventory.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def checked_round(shelves, manager, desk):
    """A round over every location, ticked off as the checkers found the shelves."""
    dossiers, _lent = shelves
    inventory_round = inventory.start_round(manager, "2026年度清查")
    check = inventory.record_check
    check(item_of(inventory_round, dossiers["P01"]), manager, "present")
    check(item_of(inventory_round, dossiers["P02"]), manager, "missing", note="架上无")
    check(item_of(inventory_round, dossiers["P03"]), manager, "missing")
    check(item_of(inventory_round, dossiers["P04"]), desk, "present")
    check(
        item_of(inventory_round, dossiers["P05"]),
        desk,
        "misplaced",
        found_at="A01-02-01",
        note="放错柜",
    )
    inventory.record_unlisted(
        inventory_round,
        desk,
        dossier=dossiers["P08"],
        found_at="A01-01-01",
    )
    inventory.record_unlisted(
        inventory_round,
        desk,
        archive_code="旧档-1998-003",
        found_at="B02-02-01",
        note="无登记的旧档案盒",
    )
    return inventory_round


# The round and its list ------------------------------------------------------------------


def test_a_round_lists_the_held_dossiers_with_their_place_and_loans(
    shelves,
    manager,
):
    dossiers, lent = shelves

    inventory_round = inventory.start_round(manager, "2026年度清查")

    items = {i.dossier.project.code: i for i in inventory_round.items.all()}
    # Still collecting or without a place: not on the archive's shelves.
    assert sorted(items) == ["P01", "P02", "P03", "P04", "P05", "P06"]
    p03 = items["P03"]
    assert (p03.cabinet, p03.shelf, p03.box, p03.pages) == ("A01", "02", "01", 45)
    assert p03.archive_code == "SVC-XM·2026-D10-工程部-0003"
    assert p03.title == "P03 售后回访"
    assert p03.loan == lent["P03"]
    assert items["P01"].loan is None
    assert all(i.result == "unchecked" for i in items.values())

    # The list is a copy: moving a dossier later leaves the round's list as it was.
    Dossier.objects.filter(pk=dossiers["P01"].pk).update(location_cabinet="Z99")
    assert item_of(inventory_round, dossiers["P01"]).cabinet == "A01"


def test_a_document_out_on_loan_is_noted_on_its_dossier(people, shelves, manager, desk):
    dossiers, _lent = shelves
    contract = add_document(dossiers["P01"], "HT", title="维修合同")
    loan = loans.request_loan(
        people["clerk"],
        reason="核对合同",
        days=3,
        document_id=contract.pk,
    )
    loans.approve(loan, people["head"])
    loans.approve(loan, people["manager"])
    loans.issue(loan, desk)

    item = item_of(inventory.start_round(manager, "R"), dossiers["P01"])

    assert item.loan is None  # the dossier itself is on its shelf
    assert loan.number in item.document_loans
    assert "维修合同" in item.document_loans


def test_a_cabinet_round_lists_that_cabinet_only(shelves, manager):
    inventory_round = inventory.start_round(manager, "B02 抽查", cabinet="B02")

    assert sorted(inventory_round.items.values_list("title", flat=True)) == [
        "P04 系统集成咨询",
        "P05 设备巡检",
        "P06 客户投诉处理",
    ]
    with pytest.raises(inventory.InventoryError, match="nothing to check"):
        inventory.start_round(manager, "空柜", cabinet="C09")
    assert InventoryRound.objects.count() == 1


def test_only_the_archive_department_runs_rounds(people, shelves, manager):
    with pytest.raises(inventory.InventoryForbidden):
        inventory.start_round(people["head"], "R")
    inventory_round = inventory.start_round(manager, "R")
    item = inventory_round.items.first()
    with pytest.raises(inventory.InventoryForbidden):
        inventory.record_check(item, people["clerk"], "present")
    with pytest.raises(inventory.InventoryForbidden):
        inventory.close_round(inventory_round, people["head"])


# Checks and the discrepancy report -------------------------------------------------------


def test_the_discrepancy_report_of_a_checked_round(shelves, manager, desk):
    _dossiers, lent = shelves
    inventory_round = checked_round(shelves, manager, desk)
    inventory.close_round(inventory_round, manager)

    rows = inventory.discrepancies(inventory_round)
    found = [(row.kind, row.item.title) for row in rows]

    assert found == [
        (Kind.MISSING, "P02 网络改造"),
        (Kind.PRESENT_ON_LOAN, "P04 系统集成咨询"),
        (Kind.MISPLACED, "P05 设备巡检"),
        (Kind.UNLISTED, "P08 无位置案卷"),
        (Kind.UNLISTED, ""),
        (Kind.UNCHECKED, "P06 客户投诉处理"),
        (Kind.ON_LOAN, "P03 售后回访"),  # explained, listed apart
    ]
    by_title = {row.item.title: row for row in rows}
    assert by_title["P03 售后回访"].explained
    assert by_title["P03 售后回访"].loan == lent["P03"]
    assert by_title["P04 系统集成咨询"].loan == lent["P04"]
    misplaced = by_title["P05 设备巡检"]
    assert (misplaced.listed_at, misplaced.item.found_at) == ("B02-01-02", "A01-02-01")
    assert by_title[""].item.archive_code == "旧档-1998-003"
    assert inventory.progress(inventory_round) == {
        "listed": 6,
        "unchecked": 1,
        "present": 2,
        "missing": 2,
        "misplaced": 1,
        "unlisted": 2,
    }


def test_a_loan_returned_and_shelved_before_the_check_explains_nothing(
    people,
    shelves,
    manager,
    desk,
):
    dossiers, lent = shelves
    inventory_round = inventory.start_round(manager, "R")
    item = item_of(inventory_round, dossiers["P03"])
    assert item.loan == lent["P03"]  # out when the round started
    loans.receive(lent["P03"], desk)
    loans.inspect(lent["P03"], desk, "intact")

    inventory.record_check(item, manager, "missing")

    [row] = [
        r for r in inventory.discrepancies(inventory_round) if r.item.pk == item.pk
    ]
    assert row.kind == Kind.MISSING


def test_a_dossier_the_list_has_elsewhere_is_that_item_misplaced(shelves, manager):
    dossiers, _lent = shelves
    inventory_round = inventory.start_round(manager, "R")

    item = inventory.record_unlisted(
        inventory_round,
        manager,
        archive_code="P06",  # a project code finds its dossier too
        found_at="a01 - 01 - 02",
    )

    assert item == item_of(inventory_round, dossiers["P06"])
    assert (item.unlisted, item.result, item.found_at) == (
        False,
        "misplaced",
        "a01 - 01 - 02",
    )
    # Found where the list has it after all: present.
    item = inventory.record_unlisted(
        inventory_round,
        manager,
        dossier=dossiers["P05"],
        found_at="b02-01-02",
    )
    assert item.result == "present"
    with pytest.raises(inventory.InventoryError, match="checked present there"):
        inventory.record_unlisted(
            inventory_round,
            manager,
            dossier=dossiers["P05"],
            found_at="A01-01-01",
        )


def test_a_corrected_result_keeps_the_earlier_one(shelves, manager, desk):
    dossiers, _lent = shelves
    inventory_round = inventory.start_round(manager, "R")
    item = item_of(inventory_round, dossiers["P02"])
    inventory.record_check(item, manager, "missing", note="架上无")

    item = inventory.record_check(item, desk, "present", note="在下层找到")

    assert (item.result, item.checked_by) == ("present", desk)
    assert item.note.startswith("在下层找到\n[earlier: Missing · manager · ")
    assert "架上无" in item.note
    # The same again changes nothing.
    assert inventory.record_checks([item], desk, "present", note="在下层找到") == 0


def test_misplaced_needs_the_place_and_a_closed_round_refuses_changes(
    shelves,
    manager,
):
    inventory_round = inventory.start_round(manager, "R")
    item = inventory_round.items.first()
    with pytest.raises(inventory.InventoryError, match="where the misplaced item"):
        inventory.record_check(item, manager, "misplaced")

    inventory.close_round(inventory_round, manager)

    with pytest.raises(inventory.InventoryError, match=r"was closed on .* by manager"):
        inventory.record_check(item, manager, "present")
    with pytest.raises(inventory.InventoryError, match="was closed"):
        inventory.record_unlisted(
            inventory_round,
            manager,
            archive_code="X",
            found_at="A01",
        )
    with pytest.raises(inventory.InventoryError, match="was closed"):
        inventory.close_round(inventory_round, manager)
    item.refresh_from_db()
    assert item.result == "unchecked"


# Printed and exported --------------------------------------------------------------------


def test_the_list_pdf_groups_the_shelves_with_loans_and_tick_boxes(
    shelves,
    manager,
    tmp_path,
):
    _dossiers, lent = shelves
    inventory_round = inventory.start_round(manager, "2026年度清查")

    pdf, filename = inventory_list_pdf(inventory_round)

    assert filename == f"inventory-list-{inventory_round.pk}.pdf"
    text = poppler("pdftotext", pdf, tmp_path)
    for expected in (
        "Inventory list of paper originals",
        "2026年度清查",
        "Cabinet A01",
        "Cabinet B02",
        "Shelf",
        "Box",
        "SVC-XM·2026-D10-工程部-0001",
        "P01 机房维修",
        "P04 系统集成咨询",
        "(not yet filed)",  # P04 is received, not filed yet
        f"On loan: {lent['P03'].number}",
        "Present",
        "Missing",
        "Misplaced",
        "Found at",
        "Found, not on the list",
        "Checked by",
        "Reviewed by",
        "Total: 6 dossiers, 490 pages; out on loan at the start: 2",
    ):
        assert expected in text, expected
    assert "尚在收集" not in text
    assert "无位置案卷" not in text
    assert text.index("Cabinet A01") < text.index("Cabinet B02")
    assert text.index("P03 售后回访") < text.index("P04 系统集成咨询")


def test_the_list_csv_is_in_location_order(shelves, manager, desk):
    inventory_round = checked_round(shelves, manager, desk)

    rows = list(list_rows(inventory_round))

    assert [(r[1], r[2], r[3], r[5]) for r in rows] == [
        ("A01", "01", "01", "P01 机房维修"),
        ("A01", "01", "02", "P02 网络改造"),
        ("A01", "02", "01", "P03 售后回访"),
        ("B02", "01", "01", "P04 系统集成咨询"),
        ("B02", "01", "02", "P05 设备巡检"),
        ("B02", "02", "01", "P06 客户投诉处理"),
        # Then what was found off the list.
        ("", "", "", "P08 无位置案卷"),
        ("", "", "", ""),
    ]
    assert [r[11] for r in rows[:6]] == [
        "present",
        "missing",
        "missing",
        "present",
        "misplaced",
        "unchecked",
    ]


def test_the_discrepancy_report_prints_and_exports(shelves, manager, desk, tmp_path):
    _dossiers, lent = shelves
    inventory_round = checked_round(shelves, manager, desk)
    inventory.close_round(inventory_round, manager)

    pdf, _name = discrepancy_report_pdf(inventory_round)
    text = poppler("pdftotext", pdf, tmp_path)
    for expected in (
        "Inventory discrepancy report",
        "Missing, not on loan (1)",
        "P02 网络改造",
        "架上无",
        "Present, although the register has it on loan (1)",
        lent["P04"].number,
        "Misplaced (1)",
        "B02-01-02",
        "A01-02-01",
        "Found, not on the list (2)",
        "旧档-1998-003",
        "Not checked (1)",
        "P06 客户投诉处理",
        "Missing, out on loan (explained) (1)",
        lent["P03"].number,
    ):
        assert expected in text, expected
    assert "still open" not in text

    rows = list(discrepancy_rows(inventory_round))
    assert [(r[0], r[2]) for r in rows] == [
        ("missing", "no"),
        ("present_on_loan", "no"),
        ("misplaced", "no"),
        ("unlisted", "no"),
        ("unlisted", "no"),
        ("unchecked", "no"),
        ("missing_on_loan", "yes"),
    ]
    misplaced = rows[2]
    assert (misplaced[6], misplaced[7]) == ("B02-01-02", "A01-02-01")


# The admin ----------------------------------------------------------------------------------


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, url
    return len(ctx.captured_queries)


def more_dossiers(people, count, start):
    for n in range(start, start + count):
        make_dossier(
            people,
            f"M{n:03}",
            f"盘点项目{n}",
            "filed",
            ("C03", f"{n % 3:02}", f"{n:02}"),
            10,
            100 + n,
        )


def test_the_round_and_item_screens_stay_flat_in_queries(client, people, manager):
    client.force_login(manager)
    more_dossiers(people, 2, 0)
    small = inventory.start_round(manager, "小")
    inventory.record_checks(small.items.all()[:1], manager, "present")
    few_items = queries_for(
        client,
        f"{ADMIN}inventoryitem/?round__id__exact={small.pk}",
    )
    few_rounds = queries_for(client, f"{ADMIN}inventoryround/")
    client.get(f"{ADMIN}inventoryround/{small.pk}/change/")  # content types cached
    few_page = queries_for(client, f"{ADMIN}inventoryround/{small.pk}/change/")

    more_dossiers(people, 18, 2)
    big = inventory.start_round(manager, "大")
    inventory.record_checks(big.items.all()[:10], manager, "missing", note="无")
    inventory.start_round(manager, "又一轮")
    assert big.items.count() == 20

    assert queries_for(client, f"{ADMIN}inventoryitem/?round__id__exact={big.pk}") == (
        few_items
    )
    assert queries_for(client, f"{ADMIN}inventoryround/") == few_rounds
    assert queries_for(client, f"{ADMIN}inventoryround/{big.pk}/change/") == few_page


def test_a_round_through_the_admin(client, shelves, manager, desk):
    dossiers, _lent = shelves
    client.force_login(manager)
    page = client.get(f"{ADMIN}inventoryround/add/").content.decode()
    assert "B02" in page  # the cabinets to choose from

    response = client.post(
        f"{ADMIN}inventoryround/add/",
        {"name": "B02 抽查", "cabinet": "B02", "note": ""},
    )
    inventory_round = InventoryRound.objects.get()
    assert response.url == f"{ADMIN}inventoryround/{inventory_round.pk}/change/"
    assert inventory_round.items.count() == 3

    page = client.get(response.url).content.decode()
    for link in ("list.pdf", "list.csv", "discrepancies.pdf", "discrepancies.csv"):
        assert f"{inventory_round.pk}/{link}" in page
    assert f"?round__id__exact={inventory_round.pk}" in page
    assert "/close/" in page and "/unlisted/" in page

    changelist = f"{ADMIN}inventoryitem/?round__id__exact={inventory_round.pk}"
    p04, p05, p06 = (
        item_of(inventory_round, dossiers[c]).pk for c in ("P04", "P05", "P06")
    )
    client.post(
        changelist,
        {"action": "mark_present", "_selected_action": [p04]},
    )
    # Misplaced asks where it was found, and refuses without it.
    form = client.post(
        changelist,
        {"action": "mark_misplaced", "_selected_action": [p05]},
    ).content.decode()
    assert 'name="found_at"' in form
    client.post(
        changelist,
        {
            "action": "mark_misplaced",
            "_selected_action": [p05],
            "apply": "1",
            "found_at": "A01-02-01",
            "note": "放错柜",
        },
    )
    client.post(
        changelist,
        {
            "action": "mark_missing",
            "_selected_action": [p06],
            "apply": "1",
            "note": "",
        },
    )
    client.post(
        f"{ADMIN}inventoryround/{inventory_round.pk}/unlisted/",
        {"archive_code": "旧档-1998-003", "found_at": "B02-02-01", "note": ""},
    )
    assert dict(inventory_round.items.values_list("dossier_id", "result")) == {
        dossiers["P04"].pk: "present",
        dossiers["P05"].pk: "misplaced",
        dossiers["P06"].pk: "missing",
        None: "present",
    }
    assert item_of(inventory_round, dossiers["P05"]).found_at == "A01-02-01"

    csv_text = b"".join(
        client.get(
            f"{ADMIN}inventoryround/{inventory_round.pk}/discrepancies.csv",
        ).streaming_content,
    ).decode("utf-8")
    assert csv_text.startswith("\ufeffkind,")
    kinds = [row["kind"] for row in csv.DictReader(io.StringIO(csv_text[1:]))]
    assert kinds == ["missing", "present_on_loan", "misplaced", "unlisted"]
    pdf = client.get(f"{ADMIN}inventoryround/{inventory_round.pk}/list.pdf")
    assert pdf["Content-Type"] == "application/pdf"

    client.post(f"{ADMIN}inventoryround/{inventory_round.pk}/close/", {"note": "完毕"})
    inventory_round.refresh_from_db()
    assert inventory_round.closed_by == manager
    # Closed: the actions are refused with the reason, nothing changes.
    page = client.post(
        changelist,
        {"action": "mark_present", "_selected_action": [p06]},
        follow=True,
    ).content.decode()
    assert "was closed on" in page
    assert item_of(inventory_round, dossiers["P06"]).result == "missing"


def test_staff_without_the_rights_get_403_in_the_admin(client, shelves, manager):
    inventory_round = inventory.start_round(manager, "R")
    clerk = UserFactory(username="clerk2", staff=True)
    clerk.groups.add(Group.objects.get(name="员工"))
    client.force_login(clerk)
    for url in (
        f"{ADMIN}inventoryround/",
        f"{ADMIN}inventoryround/add/",
        f"{ADMIN}inventoryitem/",
        f"{ADMIN}inventoryround/{inventory_round.pk}/list.pdf",
        f"{ADMIN}inventoryround/{inventory_round.pk}/discrepancies.csv",
        f"{ADMIN}inventoryround/{inventory_round.pk}/close/",
    ):
        assert client.get(url).status_code == 403, url


# The API ------------------------------------------------------------------------------------


def test_a_round_through_the_api(api_client, shelves, manager, desk):
    dossiers, lent = shelves
    api_client.force_authenticate(manager)

    response = api_client.post(
        f"{API}inventory_rounds/",
        {"name": "A01 抽查", "cabinet": "A01"},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["progress"]["listed"] == 3
    assert created["started_by"] == "manager"
    url = f"{API}inventory_rounds/{created['id']}/"

    items = api_client.get(
        f"{API}inventory_items/",
        {"round__id": created["id"], "result": "unchecked"},
    ).json()
    assert items["count"] == 3
    by_title = {i["title"]: i for i in items["results"]}
    assert by_title["P03 售后回访"]["loan_number"] == lent["P03"].number

    record = f"{API}inventory_items/{{}}/record/"
    p01, p02, p03 = (
        by_title[t]["id"] for t in ("P01 机房维修", "P02 网络改造", "P03 售后回访")
    )
    assert (
        api_client.post(record.format(p01), {"result": "present"}, format="json")
    ).status_code == 200
    refused = api_client.post(
        record.format(p02),
        {"result": "misplaced"},
        format="json",
    )
    assert refused.status_code == 409
    assert "where the misplaced item" in refused.json()["detail"]
    api_client.post(record.format(p02), {"result": "missing"}, format="json")
    api_client.post(record.format(p03), {"result": "missing"}, format="json")
    found = api_client.post(
        f"{url}unlisted/",
        {"dossier": dossiers["P05"].pk, "found_at": "A01-01-02"},
        format="json",
    )
    assert found.status_code == 201
    assert found.json()["unlisted"] is True  # a B02 dossier, not on an A01 round
    # A place longer than the register's column is refused, not a server error.
    too_long = api_client.post(
        record.format(p01),
        {"result": "misplaced", "found_at": "A" * 129},
        format="json",
    )
    assert too_long.status_code == 400
    assert "found_at" in too_long.json()

    report = api_client.get(f"{url}discrepancies/").json()
    assert report["discrepancies"] == 2
    assert [(r["kind"], r["item"]["title"]) for r in report["results"]] == [
        ("missing", "P02 网络改造"),
        ("unlisted", "P05 设备巡检"),
        ("missing_on_loan", "P03 售后回访"),
    ]
    assert report["results"][2]["explained"] is True
    assert report["results"][2]["loan_number"] == lent["P03"].number

    listing = api_client.get(f"{url}list_csv/")
    rows = list(
        csv.reader(io.StringIO(b"".join(listing.streaming_content).decode()[1:])),
    )
    assert rows[0][:4] == ["item_id", "cabinet", "shelf", "box"]
    assert [r[5] for r in rows[1:]] == [
        "P01 机房维修",
        "P02 网络改造",
        "P03 售后回访",
        "P05 设备巡检",
    ]
    assert api_client.get(f"{url}list_pdf/")["Content-Type"] == "application/pdf"
    assert (
        api_client.get(f"{url}discrepancies_pdf/")["Content-Type"] == "application/pdf"
    )
    assert api_client.get(f"{url}discrepancies_csv/").status_code == 200

    closed = api_client.post(f"{url}close/", {}, format="json")
    assert closed.status_code == 200
    assert closed.json()["closed_by"] == "manager"
    again = api_client.post(record.format(p01), {"result": "missing"}, format="json")
    assert again.status_code == 409
    assert "was closed on" in again.json()["detail"]


def test_staff_without_the_rights_get_403_in_the_api(
    api_client,
    people,
    shelves,
    manager,
):
    inventory_round = inventory.start_round(manager, "R")
    item = inventory_round.items.first()
    api_client.force_authenticate(people["clerk"])

    assert api_client.get(f"{API}inventory_rounds/").status_code == 403
    assert api_client.get(f"{API}inventory_items/").status_code == 403
    assert (
        api_client.post(f"{API}inventory_rounds/", {"name": "R2"}, format="json")
    ).status_code == 403
    assert (
        api_client.post(
            f"{API}inventory_items/{item.pk}/record/",
            {"result": "present"},
            format="json",
        )
    ).status_code == 403
    assert (
        api_client.post(f"{API}inventory_rounds/{inventory_round.pk}/close/")
    ).status_code == 403
    item.refresh_from_db()
    assert item.result == "unchecked"
    assert InventoryRound.objects.get().closed_at is None
