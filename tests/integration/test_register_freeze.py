"""Register data that filed records depend on is frozen; heads edit their own projects."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from documents.models import CustomField
from documents.models import CustomFieldInstance

from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import registers
from tests.factories import UserFactory
from tests.factories import complete

pytestmark = pytest.mark.django_db
API = "/api/svc_archive/"
FROZEN = "Put a real mistake right with a correction"


def file_it(dossier, people):
    documents = complete(dossier, owner=people["clerk"])
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    filing.file_dossier(dossier, people["manager"])
    dossier.refresh_from_db()
    return documents


def until(document) -> datetime.date:
    return RecordRetention.objects.get(document=document).until


@pytest.fixture
def root(db):
    return UserFactory(username="root", superuser=True)


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_a_head_of_another_department_cannot_change_a_project(
    api_client,
    dossier,
    people,
):
    project = dossier.project

    response = as_user(api_client, people["sales_head"]).patch(
        f"{API}projects/{project.pk}/",
        {"end_date": "1985-06-30"},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "You may not change P2026-07 机房维修: it belongs to 工程部, and department "
        "heads edit only their own department's projects."
    )
    project.refresh_from_db()
    assert project.end_date == datetime.date(2026, 9, 30)


def test_a_head_cannot_take_another_departments_project_and_approve_it(
    api_client,
    dossier,
    people,
):
    sales = Group.objects.get(name="销售部")
    complete(dossier)
    filing.submit(dossier, people["clerk"])
    dossier.project.refresh_from_db()
    # Collecting again, so only the department rule stands in the way.
    filing.return_dossier(dossier, people["head"], "缺页")

    response = as_user(api_client, people["sales_head"]).patch(
        f"{API}projects/{dossier.project.pk}/",
        {"department": sales.pk},
        format="json",
    )

    assert response.status_code == 403
    dossier.project.refresh_from_db()
    assert dossier.project.department == people["engineering"]
    filing.submit(dossier, people["clerk"])
    with pytest.raises(filing.FilingForbidden):
        filing.approve(dossier, people["sales_head"])


def test_a_head_cannot_move_an_own_project_into_another_department(
    api_client,
    dossier,
    people,
):
    sales = Group.objects.get(name="销售部")

    response = as_user(api_client, people["head"]).patch(
        f"{API}projects/{dossier.project.pk}/",
        {"department": sales.pk},
        format="json",
    )

    assert response.status_code == 403
    assert "You may not put a project in 销售部" in response.json()["detail"]


def test_a_head_edits_their_own_departments_open_project(api_client, dossier, people):
    response = as_user(api_client, people["head"]).patch(
        f"{API}projects/{dossier.project.pk}/",
        {"end_date": "2026-10-31", "name": "机房维修二期"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["end_date"] == "2026-10-31"


def test_archive_managers_edit_any_open_project(api_client, dossier, people):
    sales = Group.objects.get(name="销售部")

    response = as_user(api_client, people["manager"]).patch(
        f"{API}projects/{dossier.project.pk}/",
        {"department": sales.pk},
        format="json",
    )

    assert response.status_code == 200, response.content


def test_a_head_creates_projects_in_their_own_department_only(
    api_client,
    dossier,
    people,
):
    sales = Group.objects.get(name="销售部")
    new = {
        "code": "P2026-08",
        "name": "巡检",
        "customer": dossier.project.customer_id,
        "service_type": dossier.project.service_type_id,
    }
    client = as_user(api_client, people["head"])

    refused = client.post(f"{API}projects/", {**new, "department": sales.pk})
    made = client.post(
        f"{API}projects/",
        {**new, "department": people["engineering"].pk},
    )

    assert refused.status_code == 403
    assert made.status_code == 201, made.content


@pytest.mark.parametrize(
    ("field", "value"),
    [("end_date", "1985-06-30"), ("customer", None), ("department", None)],
)
def test_a_filed_projects_facts_are_frozen_even_for_a_superuser(
    api_client,
    dossier,
    people,
    root,
    field,
    value,
):
    documents = file_it(dossier, people)
    other = Customer.objects.create(code="C002", name="上海某公司")
    values = {
        "end_date": value,
        "customer": other.pk,
        "department": Group.objects.get(name="销售部").pk,
    }
    project = dossier.project
    before = until(documents[0])

    patched = as_user(api_client, root).patch(
        f"{API}projects/{project.pk}/",
        {field: values[field]},
        format="json",
    )
    put = api_client.put(
        f"{API}projects/{project.pk}/",
        {
            "code": project.code,
            "name": project.name,
            "customer": project.customer_id,
            "service_type": project.service_type_id,
            "department": project.department_id,
            "end_date": "2026-09-30",
            field: values[field],
        },
        format="json",
    )

    for response in (patched, put):
        assert response.status_code == 403
        assert FROZEN in response.json()["detail"]
        assert "its dossier is under review or filed" in response.json()["detail"]
    project.refresh_from_db()
    assert project.end_date == datetime.date(2026, 9, 30)
    assert project.customer.code == "C001"
    assert project.department == people["engineering"]
    assert until(documents[0]) == before == datetime.date(2056, 12, 31)


def test_a_filed_project_keeps_other_particulars_editable(
    api_client,
    dossier,
    people,
):
    file_it(dossier, people)

    response = as_user(api_client, people["head"]).patch(
        f"{API}projects/{dossier.project.pk}/",
        {"name": "机房维修（一期）", "end_date": "2026-09-30"},
        format="json",
    )

    assert response.status_code == 200, response.content


def test_a_project_under_review_is_frozen(api_client, dossier, people):
    complete(dossier)
    filing.submit(dossier, people["clerk"])

    response = as_user(api_client, people["head"]).patch(
        f"{API}projects/{dossier.project.pk}/",
        {"end_date": "2026-12-31"},
        format="json",
    )

    assert response.status_code == 403
    assert FROZEN in response.json()["detail"]


def test_a_filed_dossiers_category_is_frozen(api_client, dossier, people, root):
    file_it(dossier, people)
    code = dossier.archive_code

    response = as_user(api_client, root).patch(
        f"{API}dossiers/{dossier.pk}/",
        {"category": ArchiveCategory.objects.get(code="XM").pk},
        format="json",
    )
    located = api_client.patch(
        f"{API}dossiers/{dossier.pk}/",
        {"location_cabinet": "A"},
        format="json",
    )

    assert response.status_code == 403
    assert "the dossier is filed" in response.json()["detail"]
    assert located.status_code == 200
    dossier.refresh_from_db()
    assert dossier.category.code == "SH"
    assert dossier.archive_code == code


def test_a_head_cannot_edit_another_departments_dossier(api_client, dossier, people):
    response = as_user(api_client, people["sales_head"]).patch(
        f"{API}dossiers/{dossier.pk}/",
        {"category": ArchiveCategory.objects.get(code="XM").pk},
        format="json",
    )

    assert response.status_code == 403
    dossier.refresh_from_db()
    assert dossier.category.code == "SH"


def test_the_admin_change_forms_refuse_with_the_reason(client, dossier, people, root):
    file_it(dossier, people)
    project = dossier.project
    client.force_login(root)

    page = client.post(
        f"/admin/svc_archive_plugin/serviceproject/{project.pk}/change/",
        {
            "code": project.code,
            "name": project.name,
            "customer": project.customer_id,
            "service_type": project.service_type_id,
            "department": project.department_id,
            "end_date": "1985-06-30",
        },
    )
    dossier_page = client.post(
        f"/admin/svc_archive_plugin/dossier/{dossier.pk}/change/",
        {
            "category": ArchiveCategory.objects.get(code="XM").pk,
            "filing_events-TOTAL_FORMS": "0",
            "filing_events-INITIAL_FORMS": "0",
        },
    )

    assert page.status_code == 200
    assert FROZEN in page.content.decode()
    assert FROZEN in dossier_page.content.decode()
    project.refresh_from_db()
    dossier.refresh_from_db()
    assert project.end_date == datetime.date(2026, 9, 30)
    assert dossier.category.code == "SH"


def test_the_admin_refuses_another_departments_head(client, dossier, people):
    project = dossier.project
    client.force_login(people["sales_head"])
    people["sales_head"].is_staff = True
    people["sales_head"].save()

    page = client.post(
        f"/admin/svc_archive_plugin/serviceproject/{project.pk}/change/",
        {
            "code": project.code,
            "name": project.name,
            "customer": project.customer_id,
            "service_type": project.service_type_id,
            "department": Group.objects.get(name="销售部").pk,
            "end_date": "2026-09-30",
        },
    )

    assert "department heads edit only their own" in page.content.decode()
    project.refresh_from_db()
    assert project.department == people["engineering"]


def test_the_service_layer_refuses_a_save_from_anywhere(dossier, people):
    file_it(dossier, people)
    project = dossier.project
    project.end_date = datetime.date(1985, 6, 30)

    with pytest.raises(registers.RegisterFrozen, match="cannot be changed"):
        project.save()
    dossier.category = ArchiveCategory.objects.get(code="XM")
    with pytest.raises(registers.RegisterFrozen):
        dossier.save()
    project.refresh_from_db()
    assert project.end_date == datetime.date(2026, 9, 30)
    assert Dossier.objects.get(pk=dossier.pk).category.code == "SH"
