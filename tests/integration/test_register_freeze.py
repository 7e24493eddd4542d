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
from svc_archive_plugin.services import holds
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


# The plugin's custom fields, options and tags in paperless ---------------------------------

IN_USE = "the archive's fields and tags stay while records use them"


def test_a_used_plugin_field_cannot_be_deleted_or_renamed(
    api_client,
    dossier,
    people,
    root,
):
    documents = file_it(dossier, people)
    field = CustomField.objects.get(name="服务项目")
    client = as_user(api_client, root)

    deleted = client.delete(f"/api/custom_fields/{field.pk}/")
    renamed = client.patch(
        f"/api/custom_fields/{field.pk}/",
        {"name": "项目（旧）"},
        format="json",
    )

    for response in (deleted, renamed):
        assert response.status_code == 403
        assert IN_USE in response.json()["detail"]
    assert "cannot be deleted: 4 document(s)" in deleted.json()["detail"]
    field.refresh_from_db()
    assert field.name == "服务项目"
    assert CustomFieldInstance.objects.filter(
        field=field,
        document=documents[0],
    ).exists()


def test_an_option_in_use_cannot_be_removed(api_client, dossier, people, root):
    from tests.factories import mark

    documents = complete(dossier, owner=people["clerk"])  # in use, not yet a record
    mark(documents[0], "confidential")
    field = CustomField.objects.get(name="密级")
    kept = [o for o in field.extra_data["select_options"] if o["label"] != "机密"]

    response = as_user(api_client, root).patch(
        f"/api/custom_fields/{field.pk}/",
        {"extra_data": {"select_options": kept}},
        format="json",
    )

    assert response.status_code == 403
    assert "The option(s) 机密 of 密级 cannot be removed" in response.json()["detail"]
    field.refresh_from_db()
    assert "机密" in [o["label"] for o in field.extra_data["select_options"]]
    assert CustomFieldInstance.objects.get(document=documents[0], field=field).value


def test_an_unused_plugin_field_may_be_renamed(api_client, provisioned, root):
    field = CustomField.objects.get(name="存放位置")

    response = as_user(api_client, root).patch(
        f"/api/custom_fields/{field.pk}/",
        {"name": "纸质位置"},
        format="json",
    )

    assert response.status_code == 200


def test_used_plugin_tags_cannot_be_deleted_or_renamed(
    api_client,
    dossier,
    people,
    root,
):
    from documents.models import Tag

    documents = file_it(dossier, people)
    # 冻结 follows the state: a real hold puts it on the record (a hand-added one goes).
    holds.place_hold(
        people["manager"],
        name="合同纠纷",
        reason="诉讼中",
        documents=[documents[0].pk],
    )
    hold = Tag.objects.get(name="冻结")
    assert documents[0].tags.filter(pk=hold.pk).exists()
    root_tag = Tag.objects.get(name="保管期限")
    client = as_user(api_client, root)

    responses = [
        client.delete(f"/api/tags/{hold.pk}/"),
        client.patch(f"/api/tags/{hold.pk}/", {"name": "hold"}, format="json"),
        # The retention tags under it are on every record.
        client.delete(f"/api/tags/{root_tag.pk}/"),
        client.post(
            "/api/bulk_edit_objects/",
            {"objects": [hold.pk], "object_type": "tags", "operation": "delete"},
            format="json",
        ),
        client.post(
            "/api/bulk_edit_objects/",
            {
                "all": True,
                "filters": {"name__icontains": "保管"},
                "object_type": "tags",
                "operation": "delete",
            },
            format="json",
        ),
    ]

    for response in responses:
        assert response.status_code == 403, response.content
        assert IN_USE in response.json()["detail"]
    assert Tag.objects.filter(name="冻结").exists()
    assert Tag.objects.filter(name="保管期限").exists()
    assert Tag.objects.filter(name="定期30年").exists()


def test_the_admin_refuses_to_delete_or_rename_a_used_plugin_field(
    client,
    dossier,
    people,
    root,
):
    file_it(dossier, people)
    field = CustomField.objects.get(name="服务项目")
    client.force_login(root)

    page = client.get(f"/admin/documents/customfield/{field.pk}/delete/")
    client.post(f"/admin/documents/customfield/{field.pk}/delete/", {"post": "yes"})
    renamed = client.post(
        f"/admin/documents/customfield/{field.pk}/change/",
        {"name": "项目（旧）"},
    )

    assert "cannot be deleted: 4 document(s)" in page.content.decode()
    assert "cannot be renamed: 4 document(s)" in renamed.content.decode()
    assert CustomField.objects.filter(pk=field.pk, name="服务项目").exists()
    assert CustomFieldInstance.objects.filter(field=field).count() == 4
