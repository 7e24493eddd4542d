"""Names, not ids: people by full name, documents by 档号 and title, picked by search.

The loan and access screens, their CSV downloads and the request forms, as a manager and
an employee in zh-CN use them.
"""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from svc_archive_plugin.models import AccessRequest
from svc_archive_plugin.models import Loan
from svc_archive_plugin.services import access
from svc_archive_plugin.services import loans
from svc_archive_plugin.services import records
from tests.factories import DocumentFactory
from tests.factories import add_document
from tests.factories import mark

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_reset():
    # A request in Chinese leaves Chinese active in this thread; later tests expect none.
    yield
    translation.deactivate()


ADMIN = "/admin/svc_archive_plugin/"
HANS = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
PICK = "/admin/documents/document/svc_archive_pick/"
PICK_DOSSIER = "/admin/documents/document/svc_archive_pick_dossier/"


@pytest.fixture
def named(people):
    """The clerk is 张三, the department head 李四, the archive manager 王五."""
    for key, (last, first) in {
        "clerk": ("张", "三"),
        "head": ("李", "四"),
        "manager": ("王", "五"),
    }.items():
        user = people[key]
        user.last_name, user.first_name, user.is_staff = last, first, True
        user.save()
    return people


@pytest.fixture
def contract(dossier):
    document = add_document(dossier, "HT", title="维修合同")
    records.write_field(
        "archive_code",
        {document.pk: "SVC-BJ-2026-WX-0007-003"},
        column="value_text",
    )
    return document


def test_a_document_is_named_by_archive_code_and_title(contract):
    assert records.document_labels([contract.pk]) == {
        contract.pk: "SVC-BJ-2026-WX-0007-003 维修合同",
    }
    bare = DocumentFactory(title="")
    assert records.document_labels([bare.pk])[bare.pk] != f"#{bare.pk}"


def test_loan_lists_show_names_and_documents(client, named, contract):
    loan = loans.request_loan(
        named["clerk"],
        reason="核对",
        days=3,
        document_id=contract.pk,
    )
    loans.approve(loan, named["head"])
    client.force_login(named["manager"])
    page = client.get(f"{ADMIN}loan/", **HANS).content.decode()
    assert "张三" in page
    assert ">clerk<" not in page
    assert "SVC-BJ-2026-WX-0007-003 维修合同" in page
    assert f"#{contract.pk}<" not in page
    change = client.get(f"{ADMIN}loan/{loan.pk}/change/", **HANS).content.decode()
    assert "张三" in change
    assert "李四" in change  # the department head who approved, in the history too
    assert "SVC-BJ-2026-WX-0007-003 维修合同" in change
    assert ">head<" not in change


def test_loan_lists_stay_a_fixed_number_of_queries(client, named, contract, dossier):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(named["manager"])
    loans.request_loan(named["clerk"], reason="核对", days=3, document_id=contract.pk)
    with CaptureQueriesContext(connection) as one:
        client.get(f"{ADMIN}loan/")
    for n in range(3):
        other = add_document(dossier, "FP", title=f"发票{n}")
        loans.request_loan(named["head"], reason="核对", days=3, document_id=other.pk)
    with CaptureQueriesContext(connection) as four:
        client.get(f"{ADMIN}loan/")
    assert len(four) == len(one)


def test_access_log_screen_and_csv_name_people(client, named, contract):
    access.record_access(named["clerk"], contract.pk, "view", "api")
    client.force_login(named["manager"])
    page = client.get(f"{ADMIN}accesslogentry/", **HANS).content.decode()
    assert "张三" in page
    csv = b"".join(
        client.get(f"{ADMIN}accesslogentry/export.csv").streaming_content,
    ).decode("utf-8-sig")
    header, row = csv.strip().splitlines()
    assert header.split(",")[:3] == ["time", "name", "username"]
    assert row.split(",")[1:3] == ["张三", "clerk"]  # the logged user name stays


def test_the_document_picker_finds_by_title_and_code_what_one_may_see(
    client,
    named,
    contract,
    dossier,
):
    secret = mark(add_document(dossier, "FP", title="机密发票"), "confidential")
    records.write_field("archive_code", {secret.pk: "SVC-X-9"}, column="value_text")
    client.force_login(named["clerk"])
    by_title = json.loads(client.get(PICK, {"term": "维修"}).content)
    assert by_title["results"] == [
        {"id": str(contract.pk), "text": "SVC-BJ-2026-WX-0007-003 维修合同"},
    ]
    by_code = json.loads(client.get(PICK, {"term": "0007-003"}).content)
    assert [r["id"] for r in by_code["results"]] == [str(contract.pk)]
    # A record one may not see: not by a word of its title, and by its exact 档号 only,
    # named by the 档号 alone (to ask for access to it).
    assert "机密" not in client.get(PICK, {"term": "机密"}).content.decode()
    exact = json.loads(client.get(PICK, {"term": "SVC-X-9"}).content)
    assert exact["results"] == [{"id": str(secret.pk), "text": "SVC-X-9"}]
    dossiers = json.loads(client.get(PICK_DOSSIER, {"term": "机房"}).content)
    assert [r["id"] for r in dossiers["results"]] == [str(dossier.pk)]


def test_the_loan_request_form_takes_a_picked_document(client, named, contract):
    client.force_login(named["clerk"])
    form = client.get(f"{ADMIN}loan/add/", **HANS).content.decode()
    assert "admin-autocomplete" in form
    assert "svc_archive_pick" in form
    assert "(its id)" not in form
    response = client.post(
        f"{ADMIN}loan/add/",
        {"document": contract.pk, "medium": "paper", "reason": "核对", "days": 3},
        **HANS,
    )
    assert response.status_code == 302
    assert Loan.objects.get().document_id == contract.pk


def test_a_bad_pick_keeps_what_was_typed(client, named, contract):
    client.force_login(named["clerk"])
    response = client.post(
        f"{ADMIN}loan/add/",
        {"document": "999999", "medium": "paper", "reason": "核对原件", "days": 3},
        **HANS,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "errorlist" in page
    assert "核对原件" in page  # nothing typed is lost
    assert not Loan.objects.exists()


def test_the_access_request_form_takes_picked_documents_and_dates(
    client,
    named,
    contract,
):
    client.force_login(named["clerk"])
    form = client.get(f"{ADMIN}accessrequest/add/", **HANS).content.decode()
    assert "vDateField" in form  # the admin's date picker
    assert "admin-autocomplete" in form
    response = client.post(
        f"{ADMIN}accessrequest/add/",
        {
            "purpose": "审计",
            "starts": "2099-01-02",
            "ends": "2099-01-09",
            "documents": [contract.pk],
        },
        **HANS,
    )
    assert response.status_code == 302
    assert access.requested_documents(AccessRequest.objects.get()) == [contract.pk]
    page = client.get(response["Location"], **HANS).content.decode()
    assert "SVC-BJ-2026-WX-0007-003 维修合同" in page
    assert "张三" in page
