"""The printed destruction register 销毁清册 of a list, before and after it is carried out.

Printed in the reader's language; these tests read it in Simplified Chinese, and once in
English.
"""

from __future__ import annotations

import hashlib
import subprocess

import pytest
from django.utils import timezone
from django.utils import translation

from svc_archive_plugin.models import DestructionEvent
from svc_archive_plugin.models import DestructionItem
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import RegisterEntry
from svc_archive_plugin.reports.destruction_register import destruction_register_pdf
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Action = DestructionEvent.Action
SIGNERS = ("leader_wang", "checker_li", "checker_zhao", "super_sun", "super_zhou")


@pytest.fixture(autouse=True)
def _simplified_chinese():
    with translation.override("zh-hans"):
        yield


def poppler(tool: str, pdf: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "register.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True,
        text=True,
        check=True,
    )
    # pdftotext drops some of the spaces between Chinese characters and numbers.
    return done.stdout.replace(" 页", "页").replace("第 ", "第")


def record(n: int, title: str | None = None) -> dict:
    return {
        "document_id": 1000 + n,
        "title": title or f"机房维修合同第{n}号",
        "archive_code": f"SVC-SH-2016-WX-{n:04d}",
        "customer": "C001 北京某科技有限公司",
        "project": "P2016-07 机房维修",
        "document_type": "合同",
        "created": "2016-03-01",
        "pages": 3,
        "retention": "10年",
        "retention_until": "2026-12-31",
        "years_kept": 10,
    }


def carried_out_list(people, count: int, title: str | None = None) -> DestructionList:
    """A list taken through every step, with ``count`` entries in the register."""
    leader, checker1, checker2, super1, super2 = (
        UserFactory(username=name) for name in SIGNERS
    )
    clerk = people["clerk"]
    destruction_list = DestructionList.objects.create(
        number="XH-2026-001",
        title="2026年到期服务档案销毁",
        reason="保管期限已满，经鉴定无继续保存价值",
        prepared_by=clerk,
        state=DestructionList.State.EXECUTED,
        round=1,
    )
    for action, actor in (
        (Action.CREATE, clerk),
        (Action.SUBMIT, clerk),
        (Action.APPROVE, leader),
        (Action.CHECK, checker1),
        (Action.CHECK, checker2),
        (Action.SUPERVISE, super1),
        (Action.SUPERVISE, super2),
        (Action.EXECUTE, clerk),
    ):
        DestructionEvent.objects.create(
            destruction_list=destruction_list,
            round=1,
            action=action,
            actor=actor,
        )
    at = timezone.now().isoformat()
    signatories = {
        "preparer": clerk.username,
        "approved": [{"user": leader.username, "at": at}],
        "checked": [{"user": u.username, "at": at} for u in (checker1, checker2)],
        "supervised": [{"user": u.username, "at": at} for u in (super1, super2)],
        "executed": [{"user": clerk.username, "at": at}],
    }
    previous = "0" * 64
    for n in range(1, count + 1):
        content = {
            "list_number": destruction_list.number,
            "list_title": destruction_list.title,
            "reason": destruction_list.reason,
            **record(n, title if n == 1 else None),
            "destroyed_at": at,
            "files": [
                {
                    "document_id": 1000 + n,
                    "role": "original",
                    "name": f"{n:07d}.pdf",
                    "bytes": 1234,
                    "sha256": "a" * 64,
                },
            ],
            "signatories": signatories,
        }
        digest = hashlib.sha256(f"entry {n}".encode()).hexdigest()
        RegisterEntry.objects.create(
            sequence=n,
            destruction_list=destruction_list,
            document_id=1000 + n,
            destroyed_at=timezone.now(),
            content=content,
            previous_hash=previous,
            entry_hash=digest,
        )
        previous = digest
    return destruction_list


def test_register_shows_the_records_the_signatories_and_the_chain(people, tmp_path):
    destruction_list = carried_out_list(people, 3)

    pdf, filename = destruction_register_pdf(destruction_list)

    assert pdf.startswith(b"%PDF")
    assert filename == "destruction-register-XH-2026-001.pdf"
    text = poppler("pdftotext", pdf, tmp_path)
    for expected in (
        "销毁清册",
        "XH-2026-001",
        "保管期限已满",
        "机房维修合同第1号",
        "SVC-SH-2016-WX-0001",
        "北京某科技有限公司",
        "编制人",
        "批准人",
        "清点核对人",
        "监销人",
        "执行人",
        "签字",
        "clerk",
        *SIGNERS,
        timezone.localdate().isoformat(),  # the destruction and signing dates
        "9页",  # three records of three pages
        "第1页",
    ):
        assert expected in text, expected
    assert "未执行" not in text
    first, last = destruction_list.register_entries.order_by("sequence")[::2]
    assert first.entry_hash[:12] in text
    assert last.entry_hash[:12] in text


def test_the_font_is_embedded(people, tmp_path):
    pdf, _name = destruction_register_pdf(carried_out_list(people, 1))

    fonts = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    # name type encoding emb sub uni object ID: read "emb" from the end, the type has spaces.
    assert any("WenQuanYi" in f and f.split()[-5] == "yes" for f in fonts), fonts


def test_a_long_register_runs_over_pages_and_loses_no_record(people, tmp_path):
    long_title = (
        "机房精密空调、不间断电源及配电柜年度维修保养服务合同及其全部附件与验收单"
    )
    destruction_list = carried_out_list(people, 60, title=long_title)

    pdf, _name = destruction_register_pdf(destruction_list)

    info = poppler("pdfinfo", pdf, tmp_path)
    pages = int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])
    assert pages > 1
    text = poppler("pdftotext", pdf, tmp_path)
    for n in range(2, 61):
        assert f"机房维修合同第{n}号" in text, n
    # The long title wraps inside its cell rather than running into the next column.
    assert long_title not in text.replace("\n", "")
    assert long_title[:8] in text
    assert "180页" in text
    assert "第2页" in text
    # The header row is repeated on every page of the table.
    table_pages = [p for p in text.split("\f") if "SVC-SH-2016-WX-" in p]
    assert len(table_pages) > 1
    assert all("档号" in p for p in table_pages)


def test_a_list_not_yet_carried_out_shows_its_items(people, tmp_path):
    leader = UserFactory(username="leader_wang")
    destruction_list = DestructionList.objects.create(
        number="XH-2026-002",
        title="待批准的销毁清单",
        reason="保管期限已满",
        prepared_by=people["clerk"],
        state=DestructionList.State.APPROVED,
        round=2,
    )
    for round_, action, actor in (
        (1, Action.SUBMIT, people["clerk"]),
        (1, Action.APPROVE, people["head"]),
        (2, Action.SUBMIT, people["clerk"]),
        (2, Action.APPROVE, leader),
    ):
        DestructionEvent.objects.create(
            destruction_list=destruction_list,
            round=round_,
            action=action,
            actor=actor,
        )
    for n in (1, 2):
        fields = record(n)
        DestructionItem.objects.create(
            destruction_list=destruction_list,
            **{
                k: v
                for k, v in fields.items()
                if k not in ("created", "retention_until")
            },
        )

    pdf, filename = destruction_register_pdf(destruction_list)

    assert filename == "destruction-register-XH-2026-002.pdf"
    text = poppler("pdftotext", pdf, tmp_path)
    for expected in (
        "未执行",
        "机房维修合同第1号",
        "SVC-SH-2016-WX-0002",
        "leader_wang",
        "clerk",
        "监销人",
        "6页",
    ):
        assert expected in text, expected
    assert "head" not in text.split()  # approved in an earlier round
    assert "SHA-256" not in text


def test_the_register_in_english(people, tmp_path):
    with translation.override("en"):
        pdf, _name = destruction_register_pdf(carried_out_list(people, 2))

    text = poppler("pdftotext", pdf, tmp_path)
    for expected in (
        "Service archive destruction register",
        "List No.: XH-2026-001",
        "Archive code",
        "Years",  # "Years kept", wrapped in its narrow column
        "Remarks",
        "Supervised by",
        "Approved by (company leader)",
        "Total: 2 items, 6 pages",
        "page 1",
        "机房维修合同第1号",  # the records as the register holds them
    ):
        assert expected in text, expected
    assert "销毁清册" not in text
    assert "监销人" not in text
