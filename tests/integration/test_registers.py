"""Customers and projects, mirrored into paperless's select fields both ways."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db.models import ProtectedError
from documents.models import CustomField
from documents.models import CustomFieldInstance

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from tests.factories import DocumentFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
API = "/api/svc_archive/"


def options(name: str) -> dict[str, str]:
    field = CustomField.objects.get(name=name)
    return {o["id"]: o["label"] for o in field.extra_data["select_options"]}


@pytest.fixture
def acme(provisioned) -> Customer:
    return Customer.objects.create(
        code="C001",
        name="北京某科技有限公司",
        nature="enterprise",
    )


@pytest.fixture
def repair_project(acme) -> ServiceProject:
    return ServiceProject.objects.create(
        code="P2026-01",
        name="设备维修",
        customer=acme,
        service_type=ServiceType.objects.get(code="WX"),
    )


@pytest.fixture
def root_client(api_client):
    api_client.force_authenticate(UserFactory(username="root", superuser=True))
    return api_client


def test_new_customer_appears_as_an_option_at_once(acme):
    assert options("客户") == {acme.option_id: "C001 北京某科技有限公司"}


def test_renamed_customer_keeps_its_option_and_documents(acme):
    doc = DocumentFactory()
    CustomFieldInstance.objects.create(
        document=doc,
        field=CustomField.objects.get(name="客户"),
        value_select=acme.option_id,
    )
    option_id = acme.option_id

    acme.name = "北京某科技股份有限公司"
    acme.save()

    assert options("客户") == {option_id: "C001 北京某科技股份有限公司"}
    assert doc.custom_fields.get().value_select == option_id


def test_project_gets_an_option_and_a_dossier_in_its_type_category(repair_project):
    assert options("服务项目") == {repair_project.option_id: "P2026-01 设备维修"}
    dossier = Dossier.objects.get(project=repair_project)
    assert dossier.category.code == "SH"
    assert dossier.state == Dossier.State.COLLECTING


def test_option_renamed_in_paperless_renames_the_customer(root_client, acme):
    field = CustomField.objects.get(name="客户")

    response = root_client.patch(
        f"/api/custom_fields/{field.pk}/",
        {
            "extra_data": {
                "select_options": [
                    {"id": acme.option_id, "label": "C001 北京新名字公司"},
                ],
            },
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    acme.refresh_from_db()
    assert acme.name == "北京新名字公司"
    assert acme.code == "C001"


def test_option_added_in_paperless_is_registered(root_client, acme):
    field = CustomField.objects.get(name="客户")
    new_options = [
        {"id": acme.option_id, "label": "C001 北京某科技有限公司"},
        {"label": "上海某贸易公司"},
    ]

    root_client.patch(
        f"/api/custom_fields/{field.pk}/",
        {"extra_data": {"select_options": new_options}},
        format="json",
    )

    added = Customer.objects.get(name="上海某贸易公司")
    assert added.code.startswith("C-")
    assert added.option_id in options("客户")


def test_option_removed_in_paperless_is_refused_or_comes_back_and_documents_keep_the_customer(
    root_client,
    acme,
):
    field = CustomField.objects.get(name="客户")
    other = Customer.objects.create(code="C002", name="广州某公司")
    doc = DocumentFactory()
    CustomFieldInstance.objects.create(
        document=doc,
        field=field,
        value_select=acme.option_id,
    )

    in_use = root_client.patch(
        f"/api/custom_fields/{field.pk}/",
        {
            "extra_data": {
                "select_options": [{"id": other.option_id, "label": "C002 广州某公司"}],
            },
        },
        format="json",
    )
    unused = root_client.patch(
        f"/api/custom_fields/{field.pk}/",
        {
            "extra_data": {
                "select_options": [
                    {"id": acme.option_id, "label": "C001 北京某科技有限公司"},
                ],
            },
        },
        format="json",
    )

    # An option documents use is refused with the reason; an unused registered one is
    # put back, since the register still has the customer.
    assert in_use.status_code == 403
    assert (
        "C001 北京某科技有限公司 of 客户 cannot be removed" in in_use.json()["detail"]
    )
    assert unused.status_code == 200
    assert {acme.option_id, other.option_id} <= set(options("客户"))
    assert (
        CustomFieldInstance.objects.get(document=doc, field=field).value_select
        == acme.option_id
    )


def test_customer_named_by_a_document_cannot_be_deleted_by_api(root_client, acme):
    doc = DocumentFactory()
    CustomFieldInstance.objects.create(
        document=doc,
        field=CustomField.objects.get(name="客户"),
        value_select=acme.option_id,
    )

    response = root_client.delete(f"{API}customers/{acme.pk}/")

    assert response.status_code == 409
    assert (
        response.json()["detail"]
        == "C001 北京某科技有限公司 cannot be deleted: 1 document(s) still refer to it."
    )
    assert Customer.objects.filter(pk=acme.pk).exists()
    assert acme.option_id in options("客户")


def test_customer_with_projects_cannot_be_deleted_anywhere(
    client,
    root_client,
    repair_project,
    acme,
):
    assert root_client.delete(f"{API}customers/{acme.pk}/").status_code == 409
    with pytest.raises(ProtectedError):
        acme.delete()
    client.force_login(UserFactory(username="admin2", superuser=True))
    page = client.post(
        f"/admin/svc_archive_plugin/customer/{acme.pk}/delete/",
        {"post": "yes"},
    )
    assert "1 service project(s) still refer to it" in page.content.decode()
    assert Customer.objects.filter(pk=acme.pk).exists()


def test_unused_customer_is_deleted_with_its_option(root_client, acme):
    option_id = acme.option_id

    assert root_client.delete(f"{API}customers/{acme.pk}/").status_code == 204

    assert option_id not in options("客户")


def test_project_in_filing_cannot_be_deleted(root_client, repair_project):
    Dossier.objects.filter(project=repair_project).update(state=Dossier.State.SUBMITTED)

    response = root_client.delete(f"{API}projects/{repair_project.pk}/")

    assert response.status_code == 409
    assert "its dossier, which is in filing" in response.json()["detail"]


def test_a_project_whose_dossier_was_lent_keeps_its_evidence(
    root_client,
    repair_project,
):
    from svc_archive_plugin.models import Loan

    Loan.objects.create(
        number="JY-2026-09999",
        borrower=UserFactory(username="borrower"),
        dossier=repair_project.dossier,
        reason="核对",
        days=2,
        state=Loan.State.CLOSED,
    )
    response = root_client.delete(f"{API}projects/{repair_project.pk}/")
    assert response.status_code == 409
    assert "loans of its dossier" in response.json()["detail"]
    assert Loan.objects.filter(dossier__project=repair_project).exists()


def test_unused_collecting_project_is_deleted_with_its_empty_dossier(
    root_client,
    repair_project,
):
    assert root_client.delete(f"{API}projects/{repair_project.pk}/").status_code == 204
    assert not Dossier.objects.exists()


def test_registers_made_before_provisioning_get_their_options(db):
    from svc_archive_plugin.services.provisioning import provision

    early = Customer.objects.create(code="C009", name="早期客户")
    assert early.option_id == ""

    provision()

    early.refresh_from_db()
    assert options("客户") == {early.option_id: "C009 早期客户"}


def test_api_create_filter_and_paginate(root_client, provisioned):
    for i in range(3):
        response = root_client.post(
            f"{API}customers/",
            {"code": f"K{i}", "name": f"客户{i}", "industry": "制造业"},
        )
        assert response.status_code == 201, response.content

    page = root_client.get(
        f"{API}customers/",
        {"page_size": 2, "name__icontains": "客户"},
    ).json()

    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"]
    assert (
        root_client.get(f"{API}customers/", {"code__iexact": "k1"}).json()["results"][
            0
        ]["name"]
        == "客户1"
    )


def test_project_end_before_start_is_refused(root_client, acme):
    response = root_client.post(
        f"{API}projects/",
        {
            "code": "P9",
            "name": "x",
            "customer": acme.pk,
            "service_type": ServiceType.objects.get(code="JS").pk,
            "start_date": "2026-05-01",
            "end_date": "2026-04-01",
        },
    )

    assert response.status_code == 400
    assert response.json() == {"end_date": ["The end date is before the start date."]}
    assert not ServiceProject.objects.exists()


def test_registers_follow_the_provisioned_groups(api_client, acme):
    staff = UserFactory(username="clerk3")
    staff.groups.add(Group.objects.get(name="员工"))
    head = UserFactory(username="head")
    head.groups.add(Group.objects.get(name="部门负责人"))
    outsider = UserFactory(username="outsider")

    api_client.force_authenticate(staff)
    assert api_client.get(f"{API}customers/").status_code == 200
    assert (
        api_client.post(f"{API}customers/", {"code": "X1", "name": "x"}).status_code
        == 403
    )
    api_client.force_authenticate(head)
    assert (
        api_client.post(f"{API}customers/", {"code": "X1", "name": "x"}).status_code
        == 201
    )
    assert api_client.delete(f"{API}customers/{acme.pk}/").status_code == 403
    api_client.force_authenticate(outsider)
    assert api_client.get(f"{API}customers/").status_code == 403
    api_client.force_authenticate(None)
    assert api_client.get(f"{API}customers/").status_code == 401


def test_list_queries_do_not_grow_with_rows(
    root_client,
    acme,
    django_assert_max_num_queries,
):
    service_type = ServiceType.objects.get(code="JS")

    def make(n):
        for i in range(n):
            ServiceProject.objects.create(
                code=f"Q{ServiceProject.objects.count()}-{i}",
                name="p",
                customer=acme,
                service_type=service_type,
            )

    make(3)
    with django_assert_max_num_queries(8) as small:
        root_client.get(f"{API}projects/")
        root_client.get(f"{API}dossiers/")
    make(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        root_client.get(f"{API}projects/")
        root_client.get(f"{API}dossiers/")


def test_cover_sheet_from_the_api_and_the_admin(root_client, client, repair_project):
    response = root_client.get(
        f"{API}projects/{repair_project.pk}/cover_sheet/",
        {"document_type": "ht"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="cover-P2026-01-HT.pdf"'
    assert response.content.startswith(b"%PDF")
    bad = root_client.get(
        f"{API}projects/{repair_project.pk}/cover_sheet/",
        {"document_type": "ZZ"},
    )
    assert bad.status_code == 400
    assert bad.json() == {"document_type": "No document type has the code 'ZZ'."}

    client.force_login(UserFactory(username="admin3", superuser=True))
    listing = client.get("/admin/svc_archive_plugin/serviceproject/").content.decode()
    assert f'href="{repair_project.pk}/cover_sheet/"' in listing
    sheet = client.get(
        f"/admin/svc_archive_plugin/serviceproject/{repair_project.pk}/cover_sheet/",
    )
    assert sheet.status_code == 200
    assert sheet.content.startswith(b"%PDF")
