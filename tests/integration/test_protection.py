"""Protected records survive every deletion path of paperless, and the person is told why.

A record under legal hold 冻结 or filed is refused by the document API (single, bulk,
legacy bulk_edit, merge with delete_originals, version delete), by emptying the trash, by
the Django admin (delete page and *delete selected*), by a workflow's *move to trash*,
and is left in the trash by the nightly purge while the others are purged. Superusers are
no exception, and a refused document stays in the search index.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from documents.models import Document
from documents.models import Workflow
from documents.models import WorkflowAction
from documents.models import WorkflowTrigger
from documents.search import get_backend
from documents.signals import document_updated
from documents.tasks import empty_trash

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import RefusedDeletion
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import holds
from tests.factories import DocumentFactory
from tests.factories import UserFactory
from tests.factories import add_document
from tests.factories import complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(provisioned):
    return UserFactory(username="root", superuser=True)


@pytest.fixture
def held(dossier, people, paperless_dirs):
    """A contract under the legal hold 诉讼2026-01, indexed for search."""
    document = add_document(dossier, "HT", title="机房维修合同", content="zebraquartz")
    get_backend().add_or_update(document)
    holds.place_hold(
        people["manager"],
        name="诉讼2026-01",
        reason="客户合同纠纷",
        documents=[document.pk],
    )
    return document


@pytest.fixture
def loose(provisioned, paperless_dirs):
    """A document nothing protects."""
    document = DocumentFactory(title="临时草稿", content="loosepaper")
    get_backend().add_or_update(document)
    return document


def still_there_and_searchable(client, document) -> bool:
    client.force_authenticate(UserFactory(username="root", superuser=True))
    found = client.get("/api/documents/", {"query": document.content}).json()
    return Document.objects.filter(pk=document.pk).exists() and document.pk in [
        d["id"] for d in found["results"]
    ]


def test_api_delete_names_the_hold_and_keeps_the_document(
    held,
    admin_user,
    api_client,
):
    api_client.force_authenticate(admin_user)

    response = api_client.delete(f"/api/documents/{held.pk}/")

    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "机房维修合同" in detail
    assert "诉讼2026-01" in detail
    assert "客户合同纠纷" in detail
    assert still_there_and_searchable(api_client, held)
    refusal = RefusedDeletion.objects.get()
    assert (refusal.document_id, refusal.user, refusal.path) == (
        held.pk,
        admin_user,
        "api: delete",
    )


def test_people_who_may_not_see_holds_are_told_to_ask(held, people, api_client):
    from documents.models import Document as Doc
    from guardian.shortcuts import assign_perm

    clerk = people["clerk"]
    Doc.objects.filter(pk=held.pk).update(owner=clerk)
    assign_perm("documents.delete_document", clerk)

    api_client.force_authenticate(clerk)
    response = api_client.delete(f"/api/documents/{held.pk}/")

    assert response.status_code == 403
    assert "ask the archive department" in response.json()["detail"]
    assert "客户合同纠纷" not in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "payload"),
    [
        ("/api/documents/delete/", {}),
        ("/api/documents/bulk_edit/", {"method": "delete", "parameters": {}}),
        ("/api/documents/merge/", {"delete_originals": True}),
    ],
    ids=["bulk delete", "legacy bulk_edit delete", "merge deleting originals"],
)
def test_bulk_paths_refuse_the_whole_request(
    held,
    loose,
    admin_user,
    api_client,
    url,
    payload,
):
    api_client.force_authenticate(admin_user)

    response = api_client.post(
        url,
        {"documents": [loose.pk, held.pk], **payload},
        format="json",
    )

    assert response.status_code == 403
    assert "诉讼2026-01" in response.json()["detail"]
    # Nothing half-happens: the unprotected document is not deleted either.
    assert still_there_and_searchable(api_client, held)
    assert still_there_and_searchable(api_client, loose)
    assert Document.objects.count() == 2


def test_deleting_a_version_of_a_held_document_is_refused(
    dossier,
    people,
    admin_user,
    api_client,
):
    # The version exists before the hold: a held record gets no new version.
    held = add_document(dossier, "HT", title="机房维修合同")
    version = DocumentFactory(root_document=held, title="机房维修合同 v2")
    holds.place_hold(
        people["manager"],
        name="诉讼2026-01",
        reason="客户合同纠纷",
        documents=[held.pk],
    )
    api_client.force_authenticate(admin_user)

    response = api_client.delete(f"/api/documents/{held.pk}/versions/{version.pk}/")

    assert response.status_code == 403
    assert "诉讼2026-01" in response.json()["detail"]
    assert Document.objects.filter(pk=version.pk).exists()


def test_emptying_the_trash_with_a_held_document_in_it_is_refused(
    dossier,
    people,
    loose,
    admin_user,
    api_client,
):
    # Trashed first, then covered by a hold on its customer.
    trashed = add_document(dossier, "SS", title="维修记录")
    trashed.delete()
    loose.delete()
    holds.place_hold(
        people["manager"],
        name="审计冻结",
        reason="年度审计",
        customers=[dossier.project.customer],
    )
    api_client.force_authenticate(admin_user)

    response = api_client.post("/api/trash/", {"action": "empty"}, format="json")

    assert response.status_code == 403
    assert "审计冻结" in response.json()["detail"]
    assert Document.deleted_objects.filter(pk__in=[trashed.pk, loose.pk]).count() == 2


# Transactional: the purge runs as a celery task, whose task_prerun closes connections.
@pytest.mark.django_db(transaction=True)
def test_nightly_purge_leaves_protected_documents_and_purges_the_others(
    dossier,
    people,
    paperless_dirs,
    settings,
):
    settings.EMPTY_TRASH_DELAY = 1
    held_in_trash = add_document(dossier, "SS", title="维修记录")
    others = [DocumentFactory(title=f"草稿{i}") for i in range(3)]
    for document in (held_in_trash, *others):
        document.delete()
    Document.deleted_objects.update(
        deleted_at=timezone.now() - datetime.timedelta(days=2),
    )
    holds.place_hold(
        people["manager"],
        name="审计冻结",
        reason="年度审计",
        projects=[dossier.project],
    )

    empty_trash.delay()

    assert list(Document.global_objects.values_list("pk", flat=True)) == [
        held_in_trash.pk,
    ]
    assert RefusedDeletion.objects.get().path == "nightly trash purge"


def test_admin_delete_page_and_action_list_the_reason_and_delete_nothing(
    held,
    admin_user,
    client,
    api_client,
):
    client.force_login(admin_user)
    url = f"/admin/documents/document/{held.pk}/delete/"

    page = client.get(url)
    assert page.status_code == 200
    assert "诉讼2026-01" in page.content.decode()

    client.post(url, {"post": "yes"})
    client.post(
        "/admin/documents/document/",
        {"action": "delete_selected", "_selected_action": [held.pk], "post": "yes"},
    )

    assert still_there_and_searchable(api_client, held)
    assert RefusedDeletion.objects.filter(path="admin").count() == 2


def test_a_workflow_does_not_trash_a_held_document_and_goes_on(held):
    workflow = Workflow.objects.create(name="清理草稿", order=0)
    trigger = WorkflowTrigger.objects.create(
        type=WorkflowTrigger.WorkflowTriggerType.DOCUMENT_UPDATED,
    )
    action = WorkflowAction.objects.create(
        type=WorkflowAction.WorkflowActionType.MOVE_TO_TRASH,
    )
    workflow.triggers.add(trigger)
    workflow.actions.add(action)
    unprotected = DocumentFactory(title="草稿")

    document_updated.send(sender=None, document=held)
    document_updated.send(sender=None, document=unprotected)

    assert Document.objects.filter(pk=held.pk).exists()
    assert Document.deleted_objects.filter(pk=unprotected.pk).exists()
    assert RefusedDeletion.objects.get().path == "workflow: move to trash"


def test_filed_records_are_protected_with_their_retention(
    dossier,
    people,
    admin_user,
    api_client,
    paperless_dirs,
):
    documents = complete(dossier, owner=people["clerk"])
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    filing.file_dossier(dossier, people["manager"])
    contract = documents[1]
    api_client.force_authenticate(admin_user)

    response = api_client.delete(f"/api/documents/{contract.pk}/")

    assert response.status_code == 403
    assert "filed record retained until 2056-12-31" in response.json()["detail"]
    assert Document.objects.filter(pk=contract.pk).exists()


@pytest.mark.parametrize(
    ("language", "until"),
    [("zh-cn", "保管至 2056年12月31日"), ("zh-tw", "保管至 2056年12月31日")],
)
def test_the_refusal_in_chinese_dates_the_retention_in_running_text(
    dossier,
    people,
    admin_user,
    api_client,
    paperless_dirs,
    language,
    until,
):
    documents = complete(dossier, owner=people["clerk"])
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    filing.file_dossier(dossier, people["manager"])
    contract = documents[1]
    api_client.force_authenticate(admin_user)

    response = api_client.delete(
        f"/api/documents/{contract.pk}/",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 403
    assert until in response.json()["detail"]


def test_released_holds_protect_no_more(held, people, admin_user, api_client):
    (active,) = holds.holds_on([held.pk])[held.pk]

    with pytest.raises(holds.HoldError, match="release"):
        holds.release_hold(active, people["clerk"], "结案")
    holds.release_hold(active, people["manager"], "诉讼结案")
    api_client.force_authenticate(admin_user)

    assert api_client.delete(f"/api/documents/{held.pk}/").status_code == 204
    assert Document.deleted_objects.filter(pk=held.pk).exists()
    active.refresh_from_db()
    assert (active.released_by, active.release_reason) == (
        people["manager"],
        "诉讼结案",
    )


def test_holds_cover_by_customer_and_project_and_tag_what_they_hold(dossier, people):
    other_customer = Customer.objects.create(code="C777", name="上海某公司")
    in_scope = add_document(dossier, "HT")
    out_of_scope = DocumentFactory(title="别的客户")

    hold = holds.place_hold(
        people["manager"],
        name="客户冻结",
        reason="破产清算",
        customers=[dossier.project.customer],
    )
    later = add_document(dossier, "SS")  # filed into the held project afterwards

    assert set(holds.holds_on([in_scope.pk, out_of_scope.pk, later.pk])) == {
        in_scope.pk,
        later.pk,
    }
    assert "冻结" in set(in_scope.tags.values_list("name", flat=True))
    assert "冻结" in set(later.tags.values_list("name", flat=True))
    assert "冻结" not in set(out_of_scope.tags.values_list("name", flat=True))
    assert list(holds.held_documents(hold)) != []
    with pytest.raises(holds.HoldError, match="name and a reason"):
        holds.place_hold(
            people["manager"],
            name="x",
            reason=" ",
            customers=[other_customer],
        )
    with pytest.raises(holds.HoldError, match="may not place"):
        holds.place_hold(
            people["clerk"],
            name="x",
            reason="y",
            customers=[other_customer],
        )

    holds.release_hold(hold, people["manager"], "清算结束")
    assert "冻结" not in set(in_scope.tags.values_list("name", flat=True))
    assert "冻结" not in set(later.tags.values_list("name", flat=True))


def test_a_trashed_document_cannot_be_held_before_it_is_restored(loose, people):
    loose.delete()

    with pytest.raises(holds.HoldError, match="Restore these documents"):
        holds.place_hold(people["manager"], name="x", reason="y", documents=[loose.pk])


def test_a_scope_row_names_exactly_one_thing(dossier, people):
    from django.db import IntegrityError
    from django.db import transaction

    from svc_archive_plugin.models import HoldScope
    from svc_archive_plugin.models import LegalHold

    hold = LegalHold.objects.create(name="x", reason="y", placed_by=people["manager"])
    for fields in (
        {},
        {"customer": dossier.project.customer, "project": dossier.project},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            HoldScope.objects.create(hold=hold, **fields)
    HoldScope.objects.create(hold=hold, project=dossier.project)
