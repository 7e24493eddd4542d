"""A filed dossier's documents are declared records: no door changes their frozen facts.

Tried as a superuser through paperless's own entry points: the REST API (PUT/PATCH), every
bulk-edit operation that changes a frozen value or the file, the version upload, the
Django admin and workflows. Each refusal is a 403 naming the rule, changes nothing and is
kept as a ``RefusedChange``; the record stays filed, hence protected. Title, notes and
other fields stay open, an unfiled document stays editable, and a held one is frozen too.
"""

from __future__ import annotations

import datetime
import importlib
import re
from unittest import mock

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from documents.models import CustomField
from documents.models import CustomFieldInstance
from documents.models import Document
from documents.models import DocumentType
from documents.models import Workflow
from documents.models import WorkflowAction
from documents.models import WorkflowTrigger

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DeclaredRecord
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import RefusedChange
from svc_archive_plugin.models import RetentionRule
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import holds
from svc_archive_plugin.services import records
from tests.factories import DocumentFactory
from tests.factories import UserFactory
from tests.factories import add_document
from tests.factories import complete

pytestmark = pytest.mark.django_db

RULE = "declared record of the filed dossier"


@pytest.fixture
def root(provisioned):
    return UserFactory(username="root", superuser=True)


@pytest.fixture
def record(dossier, people, paperless_dirs):
    """The contract of a filed dossier: a declared record."""
    documents = complete(dossier, owner=people["clerk"])
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    filing.file_dossier(dossier, people["manager"])
    return Document.objects.get(pk=documents[1].pk)


@pytest.fixture
def other_project(dossier):
    customer = Customer.objects.create(code="C900", name="上海某公司")
    return ServiceProject.objects.create(
        code="P2026-99",
        name="别的项目",
        customer=customer,
        service_type=ServiceType.objects.get(code="WX"),
    )


def field(name: str) -> CustomField:
    return CustomField.objects.get(name=name)


def values(document) -> dict[str, object]:
    return {
        i.field.name: i.value
        for i in CustomFieldInstance.objects.filter(document=document).select_related(
            "field",
        )
    }


def refused(response, *words: str) -> bool:
    detail = response.json()["detail"] if response.status_code == 403 else ""
    return response.status_code == 403 and all(w in detail for w in words)


def test_filing_declares_the_dossiers_documents(record, dossier):
    assert DeclaredRecord.objects.get(document_id=record.pk).dossier == dossier
    assert records.declared([record.pk]) == {record.pk}


def test_patching_the_project_is_refused_and_the_record_stays_filed_and_protected(
    record,
    other_project,
    root,
    api_client,
):
    api_client.force_authenticate(root)
    before = values(record)

    response = api_client.patch(
        f"/api/documents/{record.pk}/",
        {
            "custom_fields": [
                {"field": field("服务项目").pk, "value": other_project.option_id},
            ],
        },
        format="json",
    )

    assert refused(response, "服务项目", RULE, "correction")
    assert values(record) == before
    assert RecordRetention.objects.get(document_id=record.pk).filed
    assert api_client.delete(f"/api/documents/{record.pk}/").status_code == 403
    assert Document.objects.filter(pk=record.pk).exists()
    # The list replaces the document's fields: the others would go too.
    (attempt,) = RefusedChange.objects.filter(path="api: PATCH")
    assert (attempt.document_id, attempt.user) == (record.pk, root)
    assert "project" in attempt.facts.split(", ")


def test_a_patch_of_the_title_with_the_same_values_passes(record, root, api_client):
    api_client.force_authenticate(root)
    shown = api_client.get(f"/api/documents/{record.pk}/").json()
    # As paperless's UI saves: every field sent back, only the title changed.
    body = {
        key: shown[key]
        for key in ("document_type", "owner", "custom_fields", "tags", "correspondent")
    }

    response = api_client.patch(
        f"/api/documents/{record.pk}/",
        {**body, "title": "机房维修合同（终稿）"},
        format="json",
    )

    assert response.status_code == 200, response.content
    record.refresh_from_db()
    assert record.title == "机房维修合同（终稿）"
    assert not RefusedChange.objects.exists()


def test_a_put_changing_the_owner_is_refused(record, root, api_client):
    api_client.force_authenticate(root)
    owner = record.owner
    shown = api_client.get(f"/api/documents/{record.pk}/").json()
    keys = ("title", "correspondent", "document_type", "storage_path", "tags")

    response = api_client.put(
        f"/api/documents/{record.pk}/",
        {**{key: shown[key] for key in keys}, "owner": root.pk},
        format="json",
    )

    assert refused(response, "owner", RULE)
    record.refresh_from_db()
    assert record.owner == owner


def bulk_edit(api_client, record, method: str, **parameters):
    return api_client.post(
        "/api/documents/bulk_edit/",
        {"documents": [record.pk], "method": method, "parameters": parameters},
        format="json",
    )


def test_bulk_edit_removing_project_and_customer_is_refused(
    record,
    root,
    api_client,
):
    api_client.force_authenticate(root)
    before = values(record)

    response = bulk_edit(
        api_client,
        record,
        "modify_custom_fields",
        add_custom_fields={},
        remove_custom_fields=[field("服务项目").pk, field("客户").pk],
    )

    assert refused(response, "客户", "服务项目", RULE)
    assert values(record) == before
    assert RecordRetention.objects.get(document_id=record.pk).filed
    assert bulk_edit(api_client, record, "delete").status_code == 403


def test_bulk_edit_of_an_open_field_passes(record, root, api_client):
    api_client.force_authenticate(root)

    # paperless's follow-up re-index task is not what is tried here.
    with mock.patch("documents.bulk_edit.bulk_update_documents.apply_async"):
        response = bulk_edit(
            api_client,
            record,
            "modify_custom_fields",
            add_custom_fields={str(field("存放位置").pk): "A-03-2"},
            remove_custom_fields=[],
        )

    assert response.status_code == 200
    assert values(record)["存放位置"] == "A-03-2"


def test_bulk_set_document_type_is_refused(record, root, api_client):
    api_client.force_authenticate(root)
    other = DocumentType.objects.exclude(pk=record.document_type_id).first()

    response = bulk_edit(
        api_client,
        record,
        "set_document_type",
        document_type=other.pk,
    )

    assert refused(response, "document type", RULE)
    record.refresh_from_db()
    assert record.document_type != other


def test_bulk_set_permissions_changing_the_owner_is_refused(record, root, api_client):
    api_client.force_authenticate(root)
    owner = record.owner

    response = bulk_edit(
        api_client,
        record,
        "set_permissions",
        set_permissions={},
        owner=root.pk,
    )

    assert refused(response, "owner", RULE)
    record.refresh_from_db()
    assert record.owner == owner


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/documents/rotate/", {"degrees": 90}),
        ("/api/documents/reprocess/", {}),
        (
            "/api/documents/edit_pdf/",
            {"operations": [{"page": 1, "rotate": 90}], "update_document": True},
        ),
    ],
    ids=["rotate", "reprocess", "edit_pdf"],
)
def test_operations_that_change_the_file_are_refused(
    record,
    root,
    api_client,
    url,
    body,
):
    api_client.force_authenticate(root)

    with mock.patch("documents.bulk_edit.consume_file.apply_async") as queued:
        response = api_client.post(
            url,
            {"documents": [record.pk], **body},
            format="json",
        )

    assert refused(response, "versions", RULE)
    queued.assert_not_called()
    assert not Document.objects.filter(root_document=record).exists()


def test_legacy_bulk_edit_rotate_and_delete_pages_are_refused(record, root, api_client):
    api_client.force_authenticate(root)

    assert refused(bulk_edit(api_client, record, "rotate", degrees=90), RULE)
    assert refused(bulk_edit(api_client, record, "delete_pages", pages=[1]), RULE)
    assert not Document.objects.filter(root_document=record).exists()


def test_uploading_a_new_version_is_refused(record, root, api_client):
    api_client.force_authenticate(root)

    with mock.patch("documents.views.consume_file.apply_async") as queued:
        response = api_client.post(
            f"/api/documents/{record.pk}/update_version/",
            {"document": SimpleUploadedFile("v2.pdf", b"%PDF-1.4 new content")},
            format="multipart",
        )

    assert refused(response, "versions", RULE)
    queued.assert_not_called()


def test_a_version_made_by_any_other_path_is_refused(record):
    with pytest.raises(records.RecordFrozen, match=RULE):
        DocumentFactory(root_document=record, title="偷偷加的版本")

    assert not Document.objects.filter(root_document=record).exists()


def test_the_admin_change_form_leaves_the_frozen_facts_alone(record, root, client):
    client.force_login(root)
    url = f"/admin/documents/document/{record.pk}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = str(value)
    other = DocumentType.objects.exclude(pk=record.document_type_id).first()
    data.update(
        title="管理后台改的标题",
        document_type=str(other.pk),
        owner=str(root.pk),
    )

    assert RULE in page.content.decode()
    assert "document_type" not in form.fields
    data.setdefault("page_count", "1")  # the factory's documents have none
    client.post(url, data)

    record.refresh_from_db()
    assert record.title == "管理后台改的标题"
    assert record.document_type != other
    assert record.owner != root


def test_the_admin_cannot_delete_a_frozen_field_value(record, root, client, dossier):
    client.force_login(root)
    instance = CustomFieldInstance.objects.get(document=record, field=field("档号"))

    response = client.post(
        f"/admin/documents/customfieldinstance/{instance.pk}/delete/",
        {"post": "yes"},
    )

    assert response.status_code == 403
    dossier.refresh_from_db()
    assert values(record)["档号"] == dossier.archive_code


def updated_workflow(**action_fields) -> WorkflowAction:
    workflow = Workflow.objects.create(name="整理", order=0)
    trigger = WorkflowTrigger.objects.create(
        type=WorkflowTrigger.WorkflowTriggerType.DOCUMENT_UPDATED,
    )
    action = WorkflowAction.objects.create(**action_fields)
    workflow.triggers.add(trigger)
    workflow.actions.add(action)
    return action


def test_a_workflow_assignment_keeps_the_frozen_facts_and_does_the_rest(
    record,
    other_project,
    root,
    api_client,
):
    other_type = DocumentType.objects.exclude(pk=record.document_type_id).first()
    project = field("服务项目")
    action = updated_workflow(
        type=WorkflowAction.WorkflowActionType.ASSIGNMENT,
        assign_title="工作流标题",
        assign_document_type=other_type,
        assign_custom_fields_values={str(project.pk): other_project.option_id},
    )
    action.assign_custom_fields.add(project)
    before = values(record)
    api_client.force_authenticate(root)

    response = api_client.patch(
        f"/api/documents/{record.pk}/",
        {"title": "触发"},
        format="json",
    )

    assert response.status_code == 200
    record.refresh_from_db()
    assert record.title == "工作流标题"
    assert record.document_type != other_type
    assert values(record) == before
    assert RecordRetention.objects.get(document_id=record.pk).filed
    (skipped,) = RefusedChange.objects.filter(path="workflow: assignment")
    assert set(skipped.facts.split(", ")) == {"document_type", "project"}


def test_a_workflow_removal_keeps_the_plugins_fields(record, root, api_client):
    CustomFieldInstance.objects.create(
        document=record,
        field=field("存放位置"),
        value_text="A-03-2",
    )
    updated_workflow(
        type=WorkflowAction.WorkflowActionType.REMOVAL,
        remove_all_custom_fields=True,
        remove_all_document_types=True,
    )
    before = values(record)
    api_client.force_authenticate(root)

    api_client.patch(f"/api/documents/{record.pk}/", {"title": "触发"}, format="json")

    record.refresh_from_db()
    assert record.document_type_id is not None
    after = values(record)
    assert "存放位置" not in after
    assert after == {k: v for k, v in before.items() if k != "存放位置"}
    assert RefusedChange.objects.filter(path="workflow: removal").exists()


def test_an_unfiled_document_stays_editable(dossier, other_project, root, api_client):
    draft = add_document(dossier, "HT", title="草稿合同")
    other_type = DocumentType.objects.exclude(pk=draft.document_type_id).first()
    api_client.force_authenticate(root)

    response = api_client.patch(
        f"/api/documents/{draft.pk}/",
        {
            "document_type": other_type.pk,
            "custom_fields": [
                {"field": field("服务项目").pk, "value": other_project.option_id},
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.document_type == other_type
    assert values(draft)["服务项目"] == other_project.option_id


def test_a_held_document_is_frozen(dossier, people, other_project, root, api_client):
    document = add_document(dossier, "HT", title="涉诉合同")
    holds.place_hold(
        people["manager"],
        name="诉讼2026-01",
        reason="客户合同纠纷",
        documents=[document.pk],
    )
    api_client.force_authenticate(root)

    response = api_client.patch(
        f"/api/documents/{document.pk}/",
        {
            "custom_fields": [
                {"field": field("服务项目").pk, "value": other_project.option_id},
            ],
        },
        format="json",
    )

    assert refused(response, "服务项目", "legal hold “诉讼2026-01”")
    assert values(document)["服务项目"] == dossier.project.option_id


def test_a_correction_may_change_a_frozen_fact(record, other_project):
    instance = CustomFieldInstance.objects.get(document=record, field=field("服务项目"))
    instance.value_select = other_project.option_id

    with pytest.raises(records.RecordFrozen):
        instance.save()
    with records.correcting([record.pk]):
        instance.save()

    assert values(record)["服务项目"] == other_project.option_id


def test_the_migration_declares_records_filed_before_it(record, dossier):
    DeclaredRecord.objects.all().delete()
    migration = importlib.import_module(
        "svc_archive_plugin.migrations.0016_record_declaration",
    )

    migration.declare_filed(apps, None)

    assert set(DeclaredRecord.objects.values_list("document_id", flat=True)) == set(
        records.dossier_documents(dossier).values_list("pk", flat=True),
    )


def test_a_declared_record_no_retention_rule_covers_stays_protected(
    dossier,
    people,
    root,
    api_client,
):
    """A record of a type the schedule does not cover is one: it takes its dossier's class."""
    complete(dossier, owner=people["clerk"])
    untyped = DocumentFactory(owner=people["clerk"], content="现场照片说明")
    CustomFieldInstance.objects.create(
        document=untyped,
        field=field("服务项目"),
        value_select=dossier.project.option_id,
    )
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    assert not RecordRetention.objects.filter(document_id=untyped.pk).exists()
    filing.file_dossier(dossier, people["manager"])
    # Filed, it is kept as long as its dossier (the 档号's D30), like every other item.
    assert RecordRetention.objects.get(document_id=untyped.pk).until == datetime.date(
        2056,
        12,
        31,
    )
    assert records.declared([untyped.pk]) == {untyped.pk}
    api_client.force_authenticate(root)

    response = api_client.delete(f"/api/documents/{untyped.pk}/")

    assert refused(response, "filed record retained until 2056-12-31")
    assert Document.objects.filter(pk=untyped.pk).exists()
    # Its full text is left out of the list, as a filed record's is, for want of a grant.
    listed = api_client.get("/api/documents/", {"id": untyped.pk}).json()["results"]
    assert [d["content"] for d in listed] == [""]


def test_the_refused_changes_list_names_the_facts(
    record,
    other_project,
    root,
    client,
    api_client,
):
    api_client.force_authenticate(root)
    api_client.patch(
        f"/api/documents/{record.pk}/",
        {
            "custom_fields": [
                {"field": field("服务项目").pk, "value": other_project.option_id},
            ],
        },
        format="json",
    )
    client.force_login(root)

    page = client.get("/admin/svc_archive_plugin/refusedchange/").content.decode()

    # Kept as keys, shown by the names staff know from paperless.
    assert "project" in RefusedChange.objects.get().facts.split(", ")
    [cell] = re.findall(r'<td class="field-fact_names">([^<]*)</td>', page)
    assert "服务项目" in cell.split(", ")
    assert "project" not in cell


@pytest.mark.django_db(transaction=True)
def test_a_changed_schedule_leaves_filed_records_as_they_were_filed(
    record,
    other_project,
    paperless_dirs,
):
    """A revised 保管期限表 applies to what is filed from then on; records are appraised."""
    open_contract = add_document(other_project.dossier, "HT")
    before = RecordRetention.objects.get(document_id=record.pk)
    fields_before = values(record)
    tags_before = set(record.tags.values_list("name", flat=True))
    assert (before.retention, before.filed) == ("important", True)

    rule = RetentionRule.objects.get(document_type__code="HT", category=None)
    rule.retention = "ordinary"
    rule.save()  # recomputed by the task the change queues

    after = RecordRetention.objects.get(document_id=record.pk)
    assert (after.retention, after.until) == (before.retention, before.until)
    assert values(record) == fields_before  # 保管期限至 as filed
    assert set(record.tags.values_list("name", flat=True)) == tags_before
    assert RecordRetention.objects.get(document=open_contract).retention == "ordinary"
