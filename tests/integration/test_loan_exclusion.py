"""Loans exclude each other: a dossier and its documents are never out at once; lost stays out.

Through the plugin's API as the desk uses it: a document of a dossier out is not issued,
nor a dossier while one of its documents is out; an item inspected lost is neither
requested nor issued until the desk records it found, with a note; and two desks issuing a
dossier and one of its documents at the same moment cannot both succeed (PostgreSQL).
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.db import IntegrityError
from django.db import connection
from django.db import transaction
from rest_framework.test import APIClient

from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import LoanEvent
from svc_archive_plugin.models import LoanOccupancy
from tests.conftest import API_ACCEPT
from tests.factories import UserFactory
from tests.factories import add_document

pytestmark = pytest.mark.django_db
API = "/api/svc_archive/"
ADMIN = "/admin/svc_archive_plugin/loan/"


@pytest.fixture
def shelved(dossier):
    """The repair dossier on its shelf, with a contract and a work record."""
    dossier.location_cabinet, dossier.location_shelf, dossier.location_box = (
        "A01",
        "03",
        "12",
    )
    dossier.save()
    add_document(dossier, "HT", title="维修合同")
    add_document(dossier, "SS", title="维修记录")
    return dossier


@pytest.fixture
def contract(shelved):
    from documents.models import Document

    return Document.objects.get(title="维修合同")


@pytest.fixture
def desk(people):
    """A second archive manager at the desk (the first approves as archive head)."""
    user = UserFactory(username="desk2", staff=True)
    user.groups.add(Group.objects.get(name="档案管理员"))
    return user


class Api:
    """The plugin's loan API, as each person calls it."""

    def __init__(self, people, desk):
        self.people = people
        self.desk = desk

    def as_(self, user) -> APIClient:
        client = APIClient(HTTP_ACCEPT=API_ACCEPT)
        client.force_authenticate(user)
        return client

    def ask(self, user=None, **item):
        return self.as_(user or self.people["clerk"]).post(
            f"{API}loans/",
            {"reason": "核对原件", "days": 5, **item},
            format="json",
        )

    def step(self, user, loan_id, name, **data):
        return self.as_(user).post(f"{API}loans/{loan_id}/{name}/", data, format="json")

    def approved(self, **item) -> int:
        asked = self.ask(**item)
        assert asked.status_code == 201, asked.content
        loan_id = asked.json()["id"]
        for approver in (self.people["head"], self.people["manager"]):
            answer = self.step(approver, loan_id, "approve")
            assert answer.status_code == 200, answer.content
        return loan_id

    def issue(self, loan_id):
        return self.step(self.desk, loan_id, "issue")

    def out(self, **item) -> int:
        loan_id = self.approved(**item)
        assert self.issue(loan_id).status_code == 200
        return loan_id

    def back(self, loan_id, condition="intact", note=""):
        assert self.step(self.desk, loan_id, "receive").status_code == 200
        answer = self.step(
            self.desk,
            loan_id,
            "inspect",
            condition=condition,
            note=note,
        )
        assert answer.status_code == 200, answer.content
        return answer


@pytest.fixture
def api(people, desk):
    return Api(people, desk)


def number(loan_id: int) -> str:
    return Loan.objects.get(pk=loan_id).number


def test_a_document_of_a_dossier_out_is_not_issued(api, shelved, contract):
    waiting = api.approved(document=contract.pk)
    dossier_loan = api.out(dossier=shelved.pk)

    refused = api.issue(waiting)
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"Not lent now: dossier {shelved} is out on loan {number(dossier_loan)} "
        f"(clerk) until {Loan.objects.get(pk=dossier_loan).due.isoformat()}, and a "
        "dossier and its documents are never out at the same time."
    )
    assert Loan.objects.get(pk=waiting).state == "approved"
    # A new request says so at once, rather than waiting for the desk to find out.
    asked = api.ask(user=api.people["outsider"], document=contract.pk)
    assert asked.status_code == 409
    assert f"is out on loan {number(dossier_loan)}" in asked.json()["detail"]

    api.back(dossier_loan)
    assert api.issue(waiting).json()["state"] == "issued"


def test_a_dossier_is_not_issued_while_one_of_its_documents_is_out(
    api,
    shelved,
    contract,
):
    waiting = api.approved(dossier=shelved.pk)
    document_loan = api.out(document=contract.pk)

    refused = api.issue(waiting)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        f"Not lent now: document #{contract.pk} is out on loan {number(document_loan)}",
    )
    assert api.ask(user=api.people["outsider"], dossier=shelved.pk).status_code == 409
    # Returned to the desk is not yet shelved: the inspection puts it back.
    assert api.step(api.desk, document_loan, "receive").status_code == 200
    assert api.issue(waiting).status_code == 409
    api.step(api.desk, document_loan, "inspect", condition="intact")
    assert api.issue(waiting).json()["state"] == "issued"
    assert not LoanOccupancy.objects.filter(loan_id=document_loan).exists()


def test_a_lost_item_is_lent_again_only_once_found(api, people, shelved, contract):
    waiting = api.approved(document=contract.pk)
    lost = api.out(dossier=shelved.pk)
    api.back(lost, condition="lost", note="借阅人称遗失于出差途中")

    lost_message = (
        f"Not lent: dossier {shelved} was lost on loan {number(lost)}, and is lent "
        "again only once the archive desk records it found."
    )
    for item in ({"dossier": shelved.pk}, {"document": contract.pk}):
        asked = api.ask(user=people["outsider"], **item)
        assert asked.status_code == 409
        assert asked.json()["detail"] == lost_message
    refused = api.issue(waiting)
    assert (refused.status_code, refused.json()["detail"]) == (409, lost_message)

    # The found step: the desk's, with a note.
    assert api.step(people["clerk"], lost, "found", note="找到了").status_code == 403
    assert api.step(api.desk, lost, "found").status_code == 400
    blank = api.step(api.desk, lost, "found", note="  ")
    assert blank.status_code in (400, 409)
    assert not LoanEvent.objects.filter(action="found").exists()

    found = api.step(api.desk, lost, "found", note="在会议室档案柜中找到")
    assert found.status_code == 200, found.content
    assert found.json()["events"][-1]["action"] == "found"
    assert found.json()["events"][-1]["note"] == "在会议室档案柜中找到"
    assert found.json()["events"][-1]["actor"] == "desk2"
    assert found.json()["condition"] == "lost"  # what the inspection found stays
    assert api.step(api.desk, lost, "found", note="再次").status_code == 409
    assert api.issue(waiting).json()["state"] == "issued"


def test_a_lost_document_keeps_its_dossier_in_the_archive(
    api,
    people,
    shelved,
    contract,
    settings,
):
    lost = api.out(document=contract.pk)
    api.back(lost, condition="lost", note="遗失")
    asked = api.ask(user=people["outsider"], dossier=shelved.pk)
    assert asked.status_code == 409
    assert (
        f"document #{contract.pk} was lost on loan {number(lost)}"
        in (asked.json()["detail"])
    )
    # An electronic copy is not the original: it is still lent.
    settings.SVC_ARCHIVE_LOAN_ELECTRONIC_COPIES = True
    assert api.ask(dossier=shelved.pk, medium="electronic").status_code == 201


def test_the_found_step_in_the_admin(client, api, people, shelved, desk):
    lost = api.out(dossier=shelved.pk)
    api.back(lost, condition="lost", note="遗失")
    client.force_login(desk)
    page = client.get(f"{ADMIN}{lost}/change/")
    assert page.status_code == 200
    assert f"{ADMIN}{lost}/found/".encode() in page.content
    silent = client.post(f"{ADMIN}{lost}/found/", {"note": ""})
    assert silent.status_code == 200  # the form again, with the error
    assert not LoanEvent.objects.filter(action="found").exists()
    done = client.post(f"{ADMIN}{lost}/found/", {"note": "在库房角落找到"})
    assert done.status_code == 302
    event = LoanEvent.objects.get(action="found")
    assert (event.note, event.actor) == ("在库房角落找到", desk)
    page = client.get(f"{ADMIN}{lost}/change/")
    assert f"{ADMIN}{lost}/found/".encode() not in page.content


def test_the_database_refuses_a_second_holder_of_an_original(api, shelved, contract):
    """The keys are unique in the database: no code path can hold one twice."""
    api.out(dossier=shelved.pk)
    other = Loan.objects.create(
        number="JY-raw",
        borrower=api.people["outsider"],
        document_id=contract.pk,
        reason="绕过",
        days=1,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanOccupancy.objects.create(loan=other, key=f"document:{contract.pk}")


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="two connections racing need PostgreSQL; SQLite serialises every writer",
)
@pytest.mark.django_db(transaction=True)
def test_two_desks_issuing_a_dossier_and_one_of_its_documents_at_once(
    api,
    people,
    shelved,
    contract,
):
    dossier_loan = api.approved(dossier=shelved.pk)
    document_loan = api.approved(document=contract.pk)
    second_desk = people["manager"]
    barrier = threading.Barrier(2)
    answers = {}

    def issue(loan_id, officer):
        try:
            barrier.wait()
            answers[loan_id] = api.step(officer, loan_id, "issue")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=issue, args=(dossier_loan, api.desk)),
        threading.Thread(target=issue, args=(document_loan, second_desk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(answer.status_code for answer in answers.values())
    assert codes == [200, 409]
    [refused] = [a for a in answers.values() if a.status_code == 409]
    assert "never out at the same time" in refused.json()["detail"]
    assert Loan.objects.filter(state="issued").count() == 1
