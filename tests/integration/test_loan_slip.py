"""The printed loan slip 借阅单 and the access log as CSV.

The slip is printed in the reader's language; these tests read it in Simplified Chinese
(test_languages.py has the others).
"""

from __future__ import annotations

import csv
import datetime
import io
import subprocess

import pytest
from django.utils import timezone
from django.utils import translation

from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import LoanEvent
from svc_archive_plugin.reports.access_log_csv import access_log_csv_response
from svc_archive_plugin.reports.loan_slip import loan_slip_pdf
from svc_archive_plugin.services import records
from tests.factories import DocumentFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _simplified_chinese():
    with translation.override("zh-hans"):
        yield


def poppler(tool: str, pdf: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "slip.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def pages(pdf: bytes, tmp_path) -> int:
    info = poppler("pdfinfo", pdf, tmp_path)
    return int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])


def requested_loan(people, dossier, **fields) -> Loan:
    return Loan.objects.create(
        number="JY-2026-00001",
        borrower=people["clerk"],
        department=people["engineering"],
        dossier=dossier,
        reason="核对合同",
        days=5,
        **fields,
    )


def test_a_requested_loan_leaves_the_desk_lines_blank(people, dossier, tmp_path):
    loan = requested_loan(people, dossier)

    pdf = loan_slip_pdf(loan)

    assert pdf.startswith(b"%PDF")
    assert pages(pdf, tmp_path) == 1
    text = poppler("pdftotext", pdf, tmp_path)
    for expected in (
        "服务档案借阅单",
        "JY-2026-00001",
        "clerk",
        "工程部",
        "核对合同",
        "P2026-07",
        "机房维修",
        "北京某科技有限公司",
        "未归档",  # the dossier has no archive code yet
        "纸质原件",
        "5 个工作日",
        "待审批",
        "部门负责人",
        "档案管理部门负责人",
        "借阅人签字",
        "经办人（借阅台）",
        "归还",
        "完好",
        "损坏",
        "缺页",
        "遗失",
        "验收人",
    ):
        assert expected in text, expected
    # Nothing issued yet: the dates are left to fill in by hand (年 月 日), eight of them:
    # issued, due, two approvals, two signatures, returned, inspected.
    assert text.count("年") == text.count("月") == 8, text


def test_an_issued_loan_shows_the_due_date_and_the_location(people, dossier, tmp_path):
    dossier.archive_code = "SVC-SH-2026-WX-0001"
    dossier.location_cabinet, dossier.location_shelf, dossier.location_box = (
        "A3",
        "2",
        "15",
    )
    dossier.save()
    desk = UserFactory(username="desk_li", first_name="明", last_name="李")
    archive_head = UserFactory(
        username="archive_zhang",
        first_name="伟",
        last_name="张",
    )
    issued_at = timezone.now()
    loan = requested_loan(
        people,
        dossier,
        state=Loan.State.ISSUED,
        head_approved_by=people["head"],
        archive_approved_by=archive_head,
        issued_by=desk,
        issued_at=issued_at,
        location_out="A3-2-15",
        due=datetime.date(2026, 10, 16),
        renewals=1,
    )
    for action, actor in (
        (LoanEvent.Action.APPROVE_HEAD, people["head"]),
        (LoanEvent.Action.APPROVE_ARCHIVE, archive_head),
        (LoanEvent.Action.ISSUE, desk),
    ):
        LoanEvent.objects.create(loan=loan, action=action, actor=actor)

    pdf = loan_slip_pdf(loan)

    assert pages(pdf, tmp_path) == 1
    text = poppler("pdftotext", pdf, tmp_path)
    for expected in (
        "2026-10-16",
        "A3-2-15",
        "SVC-SH-2026-WX-0001",
        "借出中",
        "head",  # no name recorded: the user name
        "张伟",
        "李明",
        timezone.localtime(issued_at).strftime("%Y-%m-%d %H:%M"),
        timezone.localdate().isoformat(),  # the approvals
    ):
        assert expected in text, expected
    assert "1次" in text.replace(" ", "")  # renewals (pdftotext may drop the space)
    assert "未归档" not in text
    assert "archive_zhang" not in text
    assert "desk_li" not in text  # people by name only
    assert "出借位置" in text


def test_a_returned_document_loan_ticks_its_condition(people, tmp_path):
    document = DocumentFactory(title="维修合同扫描件")
    records.write_field(
        "archive_code",
        {document.pk: "SVC-SH·2026-D30-工程部-0001"},
        column="value_text",
    )
    records.write_field("location", {document.pk: "B1-3-07"}, column="value_text")
    inspector = UserFactory(username="inspector_wu")
    loan = Loan.objects.create(
        number="JY-2026-00002",
        borrower=people["clerk"],
        department=people["engineering"],
        document_id=document.pk,
        medium=Loan.Medium.ELECTRONIC,
        reason="审计",
        days=3,
        state=Loan.State.CLOSED,
        returned_at=timezone.now(),
        received_by=inspector,
        condition=Loan.Condition.PAGES_MISSING,
        inspection_note="缺第3页",
        inspected_by=inspector,
    )
    LoanEvent.objects.create(
        loan=loan,
        action=LoanEvent.Action.INSPECT,
        actor=inspector,
    )

    pdf = loan_slip_pdf(loan)

    assert pages(pdf, tmp_path) == 1
    text = poppler("pdftotext", pdf, tmp_path)
    for expected in (
        "SVC-SH·2026-D30-工程部-0001",  # the document's 档号, not its id
        "B1-3-07",
        "维修合同扫描件",
        "电子副本",
        "缺第3页",
        "inspector_wu",
        "已归还并检查",
    ):
        assert expected in text, expected
    assert f"#{document.pk}" not in text


def test_the_font_is_embedded(people, dossier, tmp_path):
    pdf = loan_slip_pdf(requested_loan(people, dossier))

    fonts = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    # name type encoding emb sub uni object ID: read "emb" from the end, the type has spaces.
    assert any("WenQuanYi" in f and f.split()[-5] == "yes" for f in fonts), fonts


def test_the_access_log_streams_as_csv(people, dossier):
    project = dossier.project
    people["clerk"].first_name, people["clerk"].last_name = "小明", "王"
    people["clerk"].save()
    AccessLogEntry.objects.create(
        user=people["clerk"],
        username="clerk",
        department=people["engineering"],
        department_name="工程部",
        document_id=4711,
        title="机房维修合同",
        customer=project.customer,
        project=project,
        kind=AccessLogEntry.Kind.VIEW,
        via="api",
        request_id=42,
    )
    AccessLogEntry.objects.create(
        user=people["outsider"],
        username="outsider",
        document_id=4712,
        title="验收单, 第二份",
        kind=AccessLogEntry.Kind.DOWNLOAD,
        via="ui",
    )

    response = access_log_csv_response(
        AccessLogEntry.objects.order_by("pk"),
        "access-log.csv",
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="access-log.csv"'
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == [
        "time",
        "name",
        "username",
        "department",
        "document_id",
        "title",
        "customer_code",
        "project_code",
        "kind",
        "via",
        "access_request_id",
        "share_link",
        "share_link_creator",
        "client_address",
    ]
    first, second = rows[1:]
    entry = AccessLogEntry.objects.get(document_id=4711)
    assert first == [
        timezone.localtime(entry.at).isoformat(timespec="seconds"),
        "王小明",  # the person by name, then the user name as logged
        "clerk",
        "工程部",
        "4711",
        "机房维修合同",
        "C001",
        "P2026-07",
        "view",
        "api",
        "42",
        "",
        "",
        "",
    ]
    assert second[1:] == [
        "outsider",  # no name recorded: the user name
        "outsider",
        "",
        "4712",
        "验收单, 第二份",
        "",
        "",
        "download",
        "ui",
        "",
        "",
        "",
        "",
    ]
    assert datetime.datetime.fromisoformat(second[0]).tzinfo is not None


def test_the_access_log_reads_in_one_query(people, django_assert_num_queries):
    for n in range(5):
        AccessLogEntry.objects.create(
            username="clerk",
            document_id=5000 + n,
            title=f"文档{n}",
            kind=AccessLogEntry.Kind.PREVIEW,
            via="api",
        )
    response = access_log_csv_response(AccessLogEntry.objects.all(), "log.csv")

    with django_assert_num_queries(1):
        lines = list(response.streaming_content)

    assert len(lines) == 6
