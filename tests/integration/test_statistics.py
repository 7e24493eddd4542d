"""Statistics 统计分析: every figure against a small archive counted by hand.

The archive, as of 2026-12-01 (a Tuesday):

customers C1, C2; projects
  P1 技术服务 (XM) of C1, 工程部, 2026-01-10 .. 2026-06-30, collecting (filing overdue)
  P2 技术服务 (XM) of C2, 销售部, 2026-02-01 .. 2026-05-31, filed, overridden: permanent
  P3 售后服务 (SH) of C2, 工程部, from 2026-08-01, submitted

records (type, date, project or fields, owner):
  d1 HT 2026-09-10 P1 clerk          d6 TS 2026-11-20 P3 clerk
  d2 SS 2026-09-20 P1 clerk          d7 SS 2026-11-25 category KF, customer C2, outsider
  d3 TS 2026-10-05 P1 clerk          d8 HT 2025-12-15 no project, clerk
  d4 HT 2026-10-15 P2 outsider       d9 TS 2026-10-20 customer C1 only, outsider
  d5 TS 2026-11-03 P3 outsider, 工程部 may view it
and, not counted: a document in the trash, a version of d1, a document of no archive type.

Categories: XM d1 d2 d3 d4 d8 (projects' dossiers, HT's default), SH d5 d6 d9, KF d7.
Retention: permanent d4, important d1 d8, ordinary the other six; ending within 90 days
(set by hand): d2 on 2027-03-01 (day 90) and d9 on 2026-12-01; not d6 (2027-03-02, day
91), not d8 (2026-11-30, already run out).
"""

from __future__ import annotations

import csv
import datetime
import io
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.reports.charts import chart
from svc_archive_plugin.reports.statistics_csv import figure_csv
from svc_archive_plugin.services import statistics
from svc_archive_plugin.services.retention import override_dossier_retention
from svc_archive_plugin.services.statistics import Filters
from tests.factories import DocumentFactory
from tests.factories import UserFactory
from tests.factories import add_document

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 12, 1)
D = datetime.date


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def set_field(document, name: str, option: str) -> None:
    from documents.models import CustomField
    from documents.models import CustomFieldInstance
    from documents.signals import document_updated

    CustomFieldInstance.objects.update_or_create(
        document=document,
        field=CustomField.objects.get(name=name),
        defaults={"value_select": option},
    )
    document_updated.send(sender=None, document=document)


def loose(type_code: str, owner, created: datetime.date):
    """An archived document in no project."""
    from documents.models import DocumentType
    from documents.signals import document_updated

    document = DocumentFactory(
        owner=owner,
        created=created,
        document_type=DocumentType.objects.get(svc_archive_code__code=type_code),
    )
    document_updated.send(sender=None, document=document)
    return document


@pytest.fixture
def archive(people):
    from guardian.shortcuts import assign_perm

    engineering = people["engineering"]
    sales = Group.objects.get(name="销售部")
    clerk, outsider = people["clerk"], people["outsider"]
    c1 = Customer.objects.create(code="C1", name="北京甲公司")
    c2 = Customer.objects.create(code="C2", name="上海乙公司")
    technical = ServiceType.objects.get(code="JS")
    after_sales = ServiceType.objects.get(code="SH")
    p1 = ServiceProject.objects.create(
        code="P1",
        name="系统集成",
        customer=c1,
        service_type=technical,
        department=engineering,
        start_date=D(2026, 1, 10),
        end_date=D(2026, 6, 30),
    )
    p2 = ServiceProject.objects.create(
        code="P2",
        name="咨询实施",
        customer=c2,
        service_type=technical,
        department=sales,
        start_date=D(2026, 2, 1),
        end_date=D(2026, 5, 31),
    )
    p3 = ServiceProject.objects.create(
        code="P3",
        name="售后维护",
        customer=c2,
        service_type=after_sales,
        department=engineering,
        start_date=D(2026, 8, 1),
    )
    docs = {
        "d1": add_document(p1.dossier, "HT", clerk, created=D(2026, 9, 10)),
        "d2": add_document(p1.dossier, "SS", clerk, created=D(2026, 9, 20)),
        "d3": add_document(p1.dossier, "TS", clerk, created=D(2026, 10, 5)),
        "d4": add_document(p2.dossier, "HT", outsider, created=D(2026, 10, 15)),
        "d5": add_document(p3.dossier, "TS", outsider, created=D(2026, 11, 3)),
        "d6": add_document(p3.dossier, "TS", clerk, created=D(2026, 11, 20)),
        "d7": loose("SS", outsider, D(2026, 11, 25)),
        "d8": loose("HT", clerk, D(2025, 12, 15)),
        "d9": loose("TS", outsider, D(2026, 10, 20)),
    }
    set_field(docs["d7"], "档案门类", ArchiveCategory.objects.get(code="KF").option_id)
    set_field(docs["d7"], "客户", c2.option_id)
    set_field(docs["d9"], "客户", c1.option_id)
    assign_perm("view_document", engineering, docs["d5"])
    override_dossier_retention(p2.dossier, people["manager"], "permanent", "合同约定")
    Dossier.objects.filter(pk=p2.dossier.pk).update(state=Dossier.State.FILED)
    Dossier.objects.filter(pk=p3.dossier.pk).update(state=Dossier.State.SUBMITTED)
    # Not counted: in the trash, a version, not an archived type.
    loose("HT", clerk, D(2026, 9, 1)).delete()
    DocumentFactory(
        root_document=docs["d1"],
        version_index=1,
        created=D(2026, 9, 11),
        document_type=docs["d1"].document_type,
    )
    DocumentFactory(created=D(2026, 9, 12))
    for name, until in (
        ("d2", D(2027, 3, 1)),
        ("d9", D(2026, 12, 1)),
        ("d6", D(2027, 3, 2)),
        ("d8", D(2026, 11, 30)),
    ):
        RecordRetention.objects.filter(document=docs[name]).update(until=until)

    def log(user, department, customer, day):
        # Logged on that day (evidence is never back-dated afterwards).
        with time_machine.travel(at(day), tick=False):
            AccessLogEntry.objects.create(
                user=user,
                username=user.username,
                department=department,
                department_name=department.name,
                document_id=docs["d1"].pk,
                title="d1",
                customer=customer,
                kind=AccessLogEntry.Kind.VIEW,
                via=AccessLogEntry.Via.API,
            )

    log(clerk, engineering, c1, D(2026, 10, 2))
    log(clerk, engineering, c1, D(2026, 10, 3))
    log(clerk, engineering, c2, D(2026, 11, 5))
    log(people["head"], engineering, c2, D(2026, 11, 6))
    log(outsider, sales, c2, D(2026, 9, 15))
    log(people["sales_head"], sales, c1, D(2026, 11, 10))

    def lend(number, borrower, department, state, issued=None, due=None, **item):
        Loan.objects.create(
            number=number,
            borrower=borrower,
            department=department,
            reason="核对",
            days=5,
            state=state,
            issued_at=at(issued) if issued else None,
            due=due,
            **item,
        )

    State = Loan.State
    lend(
        "L1",
        clerk,
        engineering,
        State.CLOSED,
        D(2026, 10, 10),
        D(2026, 10, 24),
        dossier=p1.dossier,
    )
    lend(
        "L2",
        clerk,
        engineering,
        State.ISSUED,
        D(2026, 11, 20),
        D(2026, 11, 28),
        dossier=p3.dossier,
    )
    lend(
        "L3",
        outsider,
        sales,
        State.ISSUED,
        D(2026, 11, 25),
        D(2026, 12, 10),
        dossier=p2.dossier,
    )
    lend("L4", people["head"], engineering, State.REQUESTED, document=docs["d1"])
    lend(
        "L5",
        people["sales_head"],
        sales,
        State.CLOSED,
        D(2026, 9, 5),
        D(2026, 9, 12),
        document=docs["d9"],
    )
    return {
        **people,
        "sales": sales,
        "c1": c1,
        "c2": c2,
        "docs": docs,
    }


def rows(name, user, **filters):
    return statistics.figure(name, user, Filters(as_of=AS_OF, **filters)).rows


def counts(name, user, **filters) -> dict:
    """A ranking as {label: count} (label: the figure's label column)."""
    figure = statistics.figure(name, user, Filters(as_of=AS_OF, **filters))
    label = figure.keys.index(figure.label)
    count = figure.keys.index(figure.series[0].key)
    return {row[label]: row[count] for row in figure.rows}


# Records -----------------------------------------------------------------------------------


def test_records_by_category_type_retention_and_year(archive):
    manager = archive["manager"]
    assert rows("records_by_category", manager) == [
        ("XM", "项目服务档案", 5),
        ("SH", "售后服务档案", 3),
        ("KF", "客户服务档案", 1),
    ]
    assert rows("records_by_document_type", manager) == [
        ("TS", "客户反馈与投诉处理", 4),
        ("HT", "合同协议", 3),
        ("SS", "实施记录", 2),
        ("FA", "需求调研与方案设计", 0),
        ("FP", "费用结算与发票", 0),
        ("KH", "客户基本信息", 0),
        ("QT", "其他", 0),
    ]
    assert [(key, n) for key, _label, n in rows("records_by_retention", manager)] == [
        ("permanent", 1),
        ("important", 2),
        ("ordinary", 6),
    ]
    figure = statistics.figure("records_by_year", manager, Filters(as_of=AS_OF))
    assert figure.keys == ["year", "KF", "SH", "XM", "total"]
    assert figure.rows == [(2025, 0, 0, 1, 1), (2026, 1, 3, 4, 8)]


def test_records_by_month_are_the_last_twelve_months_stacked_by_category(archive):
    figure = statistics.figure(
        "records_by_month",
        archive["manager"],
        Filters(as_of=AS_OF),
    )
    assert figure.keys == ["month", "KF", "SH", "XM", "total"]
    by_month = {row[0]: row[1:] for row in figure.rows}
    assert list(by_month) == [f"2026-{m:02}" for m in range(1, 13)]
    assert by_month["2026-09"] == (0, 0, 2, 2)
    assert by_month["2026-10"] == (0, 1, 2, 3)
    assert by_month["2026-11"] == (1, 2, 0, 3)
    assert sum(row[-1] for row in figure.rows) == 8  # d8 is of December 2025


def test_record_filters_period_department_customer(archive):
    manager = archive["manager"]
    october = {"date_from": D(2026, 10, 1), "date_to": D(2026, 10, 31)}
    assert counts("records_by_category", manager, **october) == {
        "项目服务档案": 2,
        "售后服务档案": 1,
        "客户服务档案": 0,
    }
    assert [r[0] for r in rows("records_by_month", manager, **october)] == ["2026-10"]
    engineering = archive["engineering"].pk
    assert counts("records_by_category", manager, department=engineering) == {
        "项目服务档案": 3,  # d1 d2 d3
        "售后服务档案": 2,  # d5 d6
        "客户服务档案": 0,
    }
    assert (
        counts("records_by_document_type", manager, department=archive["sales"].pk)[
            "合同协议"
        ]
        == 1
    )  # d4
    # A customer's records: by their customer field or by their project's customer.
    assert counts("records_by_category", manager, customer=archive["c1"].pk) == {
        "项目服务档案": 3,  # d1 d2 d3
        "售后服务档案": 1,  # d9
        "客户服务档案": 0,
    }
    assert counts("records_by_category", manager, customer=archive["c2"].pk) == {
        "项目服务档案": 1,  # d4
        "售后服务档案": 2,  # d5 d6
        "客户服务档案": 1,  # d7
    }


def test_each_counts_only_the_records_they_may_view(archive):
    # The clerk owns d1 d2 d3 d6 d8 and sees d5 through 工程部; the head only d5.
    assert counts("records_by_category", archive["clerk"]) == {
        "项目服务档案": 4,
        "售后服务档案": 2,
        "客户服务档案": 0,
    }
    assert counts("records_by_category", archive["head"]) == {
        "售后服务档案": 1,
        "项目服务档案": 0,
        "客户服务档案": 0,
    }
    assert counts("complaints_by_customer", archive["clerk"]) == {
        "上海乙公司": 2,  # d5 d6
        "北京甲公司": 1,  # d3
    }
    assert counts("retention_ending", archive["clerk"]) == {"项目服务档案": 1}  # d2
    # Superusers and holders of paperless's global statistics count everything.
    boss = UserFactory(username="boss", superuser=True)
    assert statistics.figure("records_by_category", boss).total == 9


# Accesses and loans ------------------------------------------------------------------------


def test_accesses_and_loans_by_person_and_department(archive):
    manager = archive["manager"]
    assert counts("accesses_by_person", manager) == {
        "clerk": 3,
        "head": 1,
        "outsider": 1,
        "sales_head": 1,
    }
    assert counts("accesses_by_department", manager) == {"工程部": 4, "销售部": 2}
    # Loans issued (L4 was only asked for).
    assert counts("loans_by_person", manager) == {
        "clerk": 2,
        "outsider": 1,
        "sales_head": 1,
    }
    assert counts("loans_by_department", manager) == {"工程部": 2, "销售部": 2}


def test_access_and_loan_filters(archive):
    manager = archive["manager"]
    november = {"date_from": D(2026, 11, 1), "date_to": D(2026, 11, 30)}
    assert counts("accesses_by_person", manager, **november) == {
        "clerk": 1,
        "head": 1,
        "sales_head": 1,
    }
    assert counts("accesses_by_department", manager, **november) == {
        "工程部": 2,
        "销售部": 1,
    }
    assert counts("loans_by_person", manager, **november) == {"clerk": 1, "outsider": 1}
    assert counts("accesses_by_person", manager, department=archive["sales"].pk) == {
        "outsider": 1,
        "sales_head": 1,
    }
    c1 = archive["c1"].pk
    assert counts("accesses_by_person", manager, customer=c1) == {
        "clerk": 2,
        "sales_head": 1,
    }
    # L1 lent P1 of C1; L5 lent d9, whose customer is C1.
    assert counts("loans_by_person", manager, customer=c1) == {
        "clerk": 1,
        "sales_head": 1,
    }


def test_accesses_and_loans_are_one_own_or_the_department_s(archive):
    clerk, head, sales_head = archive["clerk"], archive["head"], archive["sales_head"]
    assert counts("accesses_by_person", clerk) == {"clerk": 3}
    assert counts("accesses_by_person", head) == {"clerk": 3, "head": 1}
    assert counts("accesses_by_person", sales_head) == {"outsider": 1, "sales_head": 1}
    assert counts("loans_by_person", clerk) == {"clerk": 2}
    assert counts("loans_by_department", head) == {"工程部": 2}
    assert counts("loans_by_person", archive["outsider"]) == {"outsider": 1}


# Projects ----------------------------------------------------------------------------------


def test_projects_by_service_type_customer_and_state(archive):
    manager = archive["manager"]
    figure = statistics.figure("projects_by_service_type", manager)
    assert figure.keys == [
        "code",
        "name",
        "collecting",
        "submitted",
        "approved",
        "received",
        "filed",
        "returned",
        "total",
    ]
    assert figure.rows[:2] == [
        ("JS", "技术服务", 1, 0, 0, 0, 1, 0, 2),
        ("SH", "售后服务", 0, 1, 0, 0, 0, 0, 1),
    ]
    assert {row[-1] for row in figure.rows[2:]} == {0}
    assert rows("projects_by_customer", manager) == [
        ("C2", "上海乙公司", 2),
        ("C1", "北京甲公司", 1),
    ]
    assert [(k, n) for k, _label, n in rows("projects_by_state", manager)] == [
        ("collecting", 1),
        ("submitted", 1),
        ("approved", 0),
        ("received", 0),
        ("filed", 1),
        ("returned", 0),
    ]


def test_project_filters(archive):
    manager = archive["manager"]
    # Running in the period: begun by its end, not ended before its start.
    assert counts("projects_by_customer", manager, date_from=D(2026, 7, 1)) == {
        "上海乙公司": 1,  # P3
    }
    june = {"date_from": D(2026, 6, 1), "date_to": D(2026, 6, 30)}
    assert counts("projects_by_customer", manager, **june) == {"北京甲公司": 1}  # P1
    assert counts(
        "projects_by_customer",
        manager,
        department=archive["engineering"].pk,
    ) == {"北京甲公司": 1, "上海乙公司": 1}
    assert counts("projects_by_state", manager, customer=archive["c2"].pk)["Filed"] == 1


def test_projects_need_the_register(archive):
    stranger = UserFactory(username="stranger")
    assert statistics.figure("projects_by_customer", stranger).rows == []
    assert statistics.figure("overdue_filings", stranger).rows == []


# Complaints --------------------------------------------------------------------------------


def test_complaints_by_customer_project_and_month(archive):
    manager = archive["manager"]
    assert rows("complaints_by_customer", manager) == [
        ("C1", "北京甲公司", 2),  # d3 (through P1), d9
        ("C2", "上海乙公司", 2),  # d5 d6
    ]
    by_project = rows("complaints_by_project", manager)
    assert by_project[0] == ("P3", "售后维护", "C2", 2)
    assert set(by_project[1:]) == {
        ("P1", "系统集成", "C1", 1),
        ("", "no project", "", 1),  # d9
    }
    by_month = {row[0]: row[1] for row in rows("complaints_by_month", manager)}
    assert by_month["2026-10"] == 2
    assert by_month["2026-11"] == 2
    assert sum(by_month.values()) == 4


def test_complaint_filters(archive):
    manager = archive["manager"]
    october = {"date_from": D(2026, 10, 1), "date_to": D(2026, 10, 31)}
    assert counts("complaints_by_customer", manager, **october) == {"北京甲公司": 2}
    assert counts("complaints_by_customer", manager, customer=archive["c2"].pk) == {
        "上海乙公司": 2,
    }
    assert counts(
        "complaints_by_project",
        manager,
        department=archive["engineering"].pk,
    ) == {"售后维护": 2, "系统集成": 1}
    assert rows("complaints_by_customer", manager, department=archive["sales"].pk) == []


# Needs attention ---------------------------------------------------------------------------


def test_overdue_filings_loans_and_retention_ending(archive):
    manager = archive["manager"]
    assert counts("overdue_filings", manager) == {"工程部": 1}  # P1
    assert counts("overdue_loans", manager) == {"工程部": 1}  # L2
    assert rows("retention_ending", manager) == [
        ("SH", "售后服务档案", 1),  # d9, today
        ("XM", "项目服务档案", 1),  # d2, day 90
    ]
    # The period does not narrow them: they are as of today.
    assert counts(
        "overdue_loans",
        manager,
        date_from=D(2020, 1, 1),
        date_to=D(2020, 1, 2),
    ) == {
        "工程部": 1,
    }
    assert counts("overdue_filings", manager, department=archive["sales"].pk) == {}
    assert counts("overdue_loans", manager, customer=archive["c2"].pk) == {"工程部": 1}
    assert counts("overdue_loans", manager, customer=archive["c1"].pk) == {}
    assert counts(
        "retention_ending",
        manager,
        department=archive["engineering"].pk,
    ) == {"项目服务档案": 1}
    # A day later d9's retention has run out and d6's is within the 90 days.
    later = Filters(as_of=D(2026, 12, 2))
    assert statistics.figure("retention_ending", manager, later).rows == [
        ("SH", "售后服务档案", 1),  # d6
        ("XM", "项目服务档案", 1),  # d2
    ]
    assert counts("overdue_loans", archive["outsider"]) == {}


# The API, CSV, charts and the admin ---------------------------------------------------------


API = "/api/svc_archive/statistics/"


def staff(user):
    user.is_staff = True
    user.save()
    return user


def test_api_lists_the_figures(api_client, archive):
    api_client.force_authenticate(archive["manager"])
    response = api_client.get(API)
    assert response.status_code == 200
    names = [entry["name"] for entry in response.json()]
    assert names == [n for s in statistics.SECTIONS for n in s.figures]
    assert response.json()[0]["url"].endswith(f"{API}records_by_month/")


@pytest.mark.parametrize(
    "name",
    ["records_by_category", "accesses_by_person", "complaints_by_project"],
)
def test_api_json_and_csv_equal_the_service(api_client, archive, name):
    manager = archive["manager"]
    params = {
        "from": "2026-10-01",
        "to": "2026-11-30",
        "customer": str(archive["c1"].pk),
    }
    expected = statistics.figure(
        name,
        manager,
        Filters(
            date_from=D(2026, 10, 1),
            date_to=D(2026, 11, 30),
            customer=archive["c1"].pk,
        ),
    )
    api_client.force_authenticate(manager)

    body = api_client.get(f"{API}{name}/", params).json()

    assert body["name"] == name
    assert body["filters"] == params
    assert [c["key"] for c in body["columns"]] == expected.keys
    assert body["rows"] == [
        dict(zip(expected.keys, r, strict=True)) for r in expected.rows
    ]
    assert body["total"] == expected.total

    response = api_client.get(f"{API}{name}/csv/", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert lines[0] == [str(c.label) for c in expected.columns]
    assert lines[1:] == [[str(v) for v in row] for row in expected.rows]
    assert text == figure_csv(expected)


def test_api_counts_what_the_reader_may_see(api_client, archive):
    head = archive["head"]
    api_client.force_authenticate(head)
    body = api_client.get(f"{API}accesses_by_person/").json()
    assert {r["person"]: r["count"] for r in body["rows"]} == {"clerk": 3, "head": 1}


def test_api_refuses_without_the_permission_and_checks_its_parameters(
    api_client,
    archive,
):
    assert api_client.get(API).status_code == 401
    api_client.force_authenticate(archive["clerk"])  # staff: no view_statistics
    assert api_client.get(API).status_code == 403
    assert api_client.get(f"{API}records_by_category/").status_code == 403
    assert api_client.get(f"{API}records_by_category/csv/").status_code == 403
    api_client.force_authenticate(archive["manager"])
    assert api_client.get(f"{API}no_such_figure/").status_code == 404
    response = api_client.get(
        f"{API}records_by_category/",
        {"from": "2026-12-01", "to": "2026-11-01"},
    )
    assert response.status_code == 400
    assert (
        api_client.get(f"{API}records_by_category/", {"from": "x"}).status_code == 400
    )


def test_the_endpoints_are_in_the_schema(api_client, archive):
    api_client.force_authenticate(archive["manager"])
    paths = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "get" in paths[API]
    assert "get" in paths[f"{API}{{figure}}/"]
    assert "get" in paths[f"{API}{{figure}}/csv/"]


def test_charts_are_valid_svg_with_escaped_labels(archive):
    for _section, figures in statistics.dashboard(
        archive["manager"],
        Filters(as_of=AS_OF),
    ):
        for figure in figures:
            ET.fromstring(str(chart(figure)))  # raises on invalid XML
    figure = statistics.figure("records_by_category", archive["manager"])
    figure.rows = [("X", '<script>alert("x")</script> & co', 3), *figure.rows]
    svg = str(chart(figure))
    ET.fromstring(svg)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_stacked_chart_has_a_legend_and_a_bar_per_series(archive):
    figure = statistics.figure(
        "records_by_month",
        archive["manager"],
        Filters(as_of=AS_OF),
    )
    root = ET.fromstring(str(chart(figure)))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for name in ("客户服务档案", "售后服务档案", "项目服务档案", "2026-10"):
        assert name in texts
    # 2026-10 is stacked of two series (SH 1, XM 2).
    bars = [
        r
        for r in root.iter("{http://www.w3.org/2000/svg}rect")
        if (title := r.find("{http://www.w3.org/2000/svg}title")) is not None
        and title.text.startswith("2026-10")
    ]
    assert len(bars) == 2


ADMIN = "/admin/svc_archive_plugin/statistics/"


def test_dashboard_shows_every_figure_with_charts_and_csv_links(client, archive):
    client.force_login(staff(archive["manager"]))

    response = client.get(ADMIN, {"from": "2026-09-01", "to": "2026-11-30"})

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="svc-chart"') == len(statistics.FIGURES)
    for name in statistics.FIGURES:
        assert f'id="{name}"' in page
        assert f'href="{name}/csv/?from=2026-09-01&amp;to=2026-11-30"' in page
    for label in ("项目服务档案", "北京甲公司", "工程部", "售后维护", "clerk"):
        assert label in page
    csv_response = client.get(
        f"{ADMIN}records_by_category/csv/",
        {"from": "2026-09-01", "to": "2026-11-30"},
    )
    assert csv_response.status_code == 200
    text = csv_response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert "项目服务档案" in text
    index = client.get("/admin/").content.decode()
    assert ADMIN in index


def test_dashboard_is_for_holders_of_the_permission(client, archive):
    clerk = staff(archive["clerk"])
    client.force_login(clerk)
    assert client.get(ADMIN).status_code == 403
    assert client.get(f"{ADMIN}records_by_category/csv/").status_code == 403
    assert ADMIN not in client.get("/admin/").content.decode()
    clerk.user_permissions.add(
        Permission.objects.get(codename="view_statistics"),
    )
    clerk = type(clerk).objects.get(pk=clerk.pk)  # forget the cached permissions
    client.force_login(clerk)
    response = client.get(ADMIN)
    assert response.status_code == 200
    assert "Records count the documents you may view." in response.content.decode()


def test_dashboard_queries_do_not_grow_with_the_archive(client, archive):
    client.force_login(staff(archive["manager"]))
    client.get(ADMIN)  # warm caches (content types, permissions)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(ADMIN).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    dossier = ServiceProject.objects.get(code="P3").dossier
    for n in range(20):
        add_document(dossier, "TS", archive["clerk"], created=D(2026, 11, 1 + n))
    assert queries() == few


def test_people_are_counted_by_their_names(archive):
    clerk = archive["clerk"]
    clerk.first_name, clerk.last_name = "小明", "王"
    clerk.save()

    # The access log and the loans name the same person alike: by full name.
    assert counts("accesses_by_person", archive["manager"])["王小明"] == 3
    assert counts("loans_by_person", archive["manager"])["王小明"] == 2
    assert "clerk" not in counts("accesses_by_person", archive["manager"])
