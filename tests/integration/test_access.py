"""Access requests 查阅申请: time-boxed view through paperless's own permissions; sealing.

A confidential record is invisible to a colleague until their department head approves
their request, visible (and searchable) for the period, and gone again after it.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from documents.search import get_backend
from guardian.shortcuts import assign_perm
from guardian.shortcuts import get_perms

from svc_archive_plugin.models import AccessGrant
from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import AccessRequest
from svc_archive_plugin.models import WithdrawnPermission
from svc_archive_plugin.services import access
from tests.factories import DocumentFactory
from tests.factories import UserFactory
from tests.factories import add_document
from tests.factories import mark

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def secret(dossier, people, paperless_dirs):
    """A customer contract marked 机密, shared with the department before it was marked."""
    document = add_document(
        dossier,
        "HT",
        owner=people["head"],
        title="保密合同",
        content="zebrasecret",
    )
    assign_perm("documents.view_document", people["engineering"], document)
    mark(document, "confidential")
    get_backend().add_or_update(document)
    return document


def visible(client, user, document) -> int:
    client.force_authenticate(user)
    return client.get(f"/api/documents/{document.pk}/").status_code


def found_by_search(client, user, word) -> list[int]:
    client.force_authenticate(user)
    response = client.get("/api/documents/", {"query": word})
    assert response.status_code == 200
    return [d["id"] for d in response.json()["results"]]


def ask(user, document=None, dossier=None, starts=TODAY, ends=TODAY + 3 * DAY):
    return access.request_access(
        user,
        purpose="核对合同条款",
        starts=starts,
        ends=ends,
        document_ids=[document.pk] if document else [],
        dossiers=[dossier] if dossier else [],
    )


def reindex_now(document):
    from documents.models import Document

    get_backend().add_or_update(Document.objects.get(pk=document.pk))


def test_a_confidential_record_is_sealed(secret, people):
    """Marking 机密 takes the department's grant away, and keeps a trace of it."""
    assert "view_document" not in get_perms(people["clerk"], secret)
    withdrawn = WithdrawnPermission.objects.get(document_id=secret.pk)
    assert withdrawn.group == people["engineering"]
    assert withdrawn.permission == "view_document"
    assert "confidential" in withdrawn.reason


def test_an_unowned_confidential_record_gets_an_owner(dossier, provisioned):
    document = add_document(dossier, "KH", title="客户隐私资料")
    assert document.owner is None
    mark(document, "customer_private")
    document.refresh_from_db()
    assert document.owner.username == "archive-records"


def test_request_approve_see_search_and_lose_it(secret, people, api_client):
    clerk, head = people["clerk"], people["head"]
    assert visible(api_client, clerk, secret) == 404
    assert found_by_search(api_client, clerk, "zebrasecret") == []

    request = ask(clerk, dossier=secret_dossier(secret))
    assert request.department == people["engineering"]
    assert visible(api_client, clerk, secret) == 404  # not before approval

    access.approve(request, head, "同意")
    reindex_now(secret)
    assert visible(api_client, clerk, secret) == 200
    assert found_by_search(api_client, clerk, "zebrasecret") == [secret.pk]
    # The search served the record's full text under the grant: that read is logged too.
    assert (
        AccessLogEntry.objects.get(user=clerk, kind="listed").request_id == request.pk
    )
    entry = AccessLogEntry.objects.get(user=clerk, kind="view")
    assert (entry.document_id, entry.kind, entry.request_id) == (
        secret.pk,
        "view",
        request.pk,
    )
    assert entry.department_name == "工程部"
    assert entry.project.code == "P2026-07"
    assert entry.customer.code == "C001"

    # An edit of the record re-seals it, but the current request's grant stays.
    mark(secret, "confidential")
    assert visible(api_client, clerk, secret) == 200

    result = access.apply_periods(today=request.ends + DAY)
    assert result["expired"] == 1
    reindex_now(secret)
    request.refresh_from_db()
    assert request.state == AccessRequest.State.EXPIRED
    assert visible(api_client, clerk, secret) == 404
    assert found_by_search(api_client, clerk, "zebrasecret") == []
    assert AccessGrant.objects.get(request=request).withdrawn_at is not None


def secret_dossier(document):
    from svc_archive_plugin.models import Dossier

    return Dossier.objects.get(project__code="P2026-07")


def test_a_future_period_starts_on_its_day(secret, people, api_client):
    request = ask(people["clerk"], secret, starts=TODAY + 2 * DAY, ends=TODAY + 4 * DAY)
    access.approve(request, people["head"])
    assert visible(api_client, people["clerk"], secret) == 404
    assert access.apply_periods(today=TODAY + 2 * DAY)["granted"] == 1
    assert visible(api_client, people["clerk"], secret) == 200
    assert access.apply_periods(today=TODAY + 2 * DAY)["granted"] == 0  # idempotent


def test_withdrawing_and_revoking_end_access_at_once(secret, people, api_client):
    clerk = people["clerk"]
    first = ask(clerk, secret)
    access.approve(first, people["head"])
    second = ask(clerk, secret)
    access.approve(second, people["head"])
    access.withdraw(first, clerk)
    assert visible(api_client, clerk, secret) == 200  # the second still covers it
    with pytest.raises(access.AccessError, match="reason"):
        access.revoke(second, people["manager"], "")
    access.revoke(second, people["manager"], "项目已结束")
    assert visible(api_client, clerk, secret) == 404
    second.refresh_from_db()
    assert (second.state, second.closed_by) == ("revoked", people["manager"])


def test_only_the_requester_withdraws_and_only_heads_or_the_archive_revoke(
    secret,
    people,
):
    request = ask(people["clerk"], secret)
    access.approve(request, people["head"])
    with pytest.raises(access.AccessForbidden, match="Only the requester"):
        access.withdraw(request, people["outsider"])
    with pytest.raises(access.AccessForbidden, match="revokes access"):
        access.revoke(request, people["outsider"], "越权")
    with pytest.raises(access.AccessForbidden, match="revokes access"):
        access.revoke(request, people["sales_head"], "越权")
    request.refresh_from_db()
    assert request.state == AccessRequest.State.APPROVED
    access.revoke(request, people["head"], "项目结束")  # the department's own head may


@pytest.mark.parametrize(
    ("name", "setting", "task"),
    [
        ("ACCESS", "ACCESS_PERIODS_CRON", "apply_access_periods"),
        ("LOANS", "LOAN_REMINDER_CRON", "remind_overdue_loans"),
        ("FIXITY", "FIXITY_CRON", "check_fixity"),
        ("STAMPS", "FILING_STAMP_CRON", "stamp_filed_records"),
    ],
)
def test_the_daily_tasks_are_in_the_beat_schedule_and_can_be_disabled(
    settings,
    name,
    setting,
    task,
):
    from svc_archive_plugin import beat

    entry_name = getattr(beat, name)
    beat.install_beat_schedule()
    assert settings.CELERY_BEAT_SCHEDULE[entry_name]["task"] == (
        f"svc_archive_plugin.tasks.{task}"
    )
    setattr(settings, f"SVC_ARCHIVE_{setting}", "45 23 * * *")
    beat.install_beat_schedule()
    assert settings.CELERY_BEAT_SCHEDULE[entry_name]["schedule"].hour == {23}
    setattr(settings, f"SVC_ARCHIVE_{setting}", "disable")
    beat.install_beat_schedule()
    assert entry_name not in settings.CELERY_BEAT_SCHEDULE


def test_a_permission_held_before_is_not_taken_away(people, dossier, api_client):
    document = add_document(dossier, "SS", owner=people["head"], title="实施记录")
    assign_perm("documents.view_document", people["clerk"], document)
    request = ask(people["clerk"], document)
    access.approve(request, people["head"])
    access.apply_periods(today=request.ends + DAY)
    assert visible(api_client, people["clerk"], document) == 200


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("clerk", "own"),
        ("sales_head", "head of 工程部"),
        ("outsider", "head of 工程部"),
    ],
)
def test_only_the_requesters_head_decides(secret, people, who, error):
    request = ask(people["clerk"], secret)
    with pytest.raises(access.AccessForbidden, match=error):
        access.approve(request, people[who])
    with pytest.raises(access.AccessForbidden, match=error):
        access.refuse(request, people[who], "不同意")
    request.refresh_from_db()
    assert request.state == AccessRequest.State.PENDING


def test_refusing_needs_a_reason_and_ends_the_request(secret, people, api_client):
    request = ask(people["clerk"], secret)
    with pytest.raises(access.AccessError, match="reason"):
        access.refuse(request, people["head"], " ")
    access.refuse(request, people["head"], "无业务需要")
    request.refresh_from_db()
    assert (request.state, request.decision_reason) == ("refused", "无业务需要")
    with pytest.raises(access.AccessError, match="pending"):
        access.approve(request, people["head"])
    assert visible(api_client, people["clerk"], secret) == 404


def test_a_requester_without_department_is_decided_by_the_archive(people, secret):
    loner = UserFactory(username="loner")
    loner.groups.add(Group.objects.get(name="员工"))
    request = ask(loner, secret)
    assert request.department is None
    with pytest.raises(access.AccessForbidden):
        access.approve(request, people["head"])
    access.approve(request, people["manager"])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"purpose": " "}, "purpose"),
        ({"ends": TODAY - DAY, "starts": TODAY - 2 * DAY}, "over"),
        ({"ends": TODAY, "starts": TODAY + DAY}, "ends before"),
        ({"document_ids": [], "dossiers": []}, "at least one"),
        ({"document_ids": [987654]}, "No such document: 987654"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(people, secret, kwargs, error):
    arguments = {
        "purpose": "核对",
        "starts": TODAY,
        "ends": TODAY + DAY,
        "document_ids": [secret.pk],
        "dossiers": [],
        **kwargs,
    }
    with pytest.raises(access.AccessError, match=error):
        access.request_access(people["clerk"], **arguments)
    assert not AccessRequest.objects.exists()


def test_documents_outside_the_archive_are_not_logged(people, api_client, provisioned):
    document = DocumentFactory(title="午餐菜单", owner=people["clerk"])
    assert visible(api_client, people["clerk"], document) == 200
    assert not AccessLogEntry.objects.exists()


def test_refused_views_are_not_logged(secret, people, api_client):
    assert visible(api_client, people["outsider"], secret) == 404
    assert not AccessLogEntry.objects.exists()


def test_previews_and_downloads_are_logged(dossier, people, api_client, paperless_dirs):
    from django.conf import settings

    document = add_document(
        dossier,
        "SS",
        owner=people["clerk"],
        title="维修记录",
        filename="repair.pdf",
    )
    path = settings.ORIGINALS_DIR / "repair.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    api_client.force_authenticate(people["clerk"])
    assert api_client.get(f"/api/documents/{document.pk}/download/").status_code == 200
    assert api_client.get(f"/api/documents/{document.pk}/preview/").status_code == 200
    assert sorted(AccessLogEntry.objects.values_list("kind", flat=True)) == [
        "download",
        "preview",
    ]
    assert timezone.now() - AccessLogEntry.objects.first().at < datetime.timedelta(
        minutes=1,
    )


def test_bulk_downloads_and_emails_are_logged(
    dossier,
    people,
    api_client,
    paperless_dirs,
):
    from django.conf import settings
    from django.core import mail

    archived = []
    for name in ("a", "b"):
        archived.append(
            add_document(
                dossier,
                "SS",
                owner=people["clerk"],
                title=f"维修记录{name}",
                filename=f"{name}.pdf",
            ),
        )
    menu = DocumentFactory(title="午餐菜单", owner=people["clerk"], filename="menu.pdf")
    for name in ("a.pdf", "b.pdf", "menu.pdf"):
        (settings.ORIGINALS_DIR / name).write_bytes(b"%PDF-1.4\n%%EOF\n")
    api_client.force_authenticate(people["clerk"])
    response = api_client.post(
        "/api/documents/bulk_download/",
        {"documents": [d.pk for d in (*archived, menu)], "content": "originals"},
        format="json",
    )
    assert response.status_code == 200
    assert sorted(
        AccessLogEntry.objects.filter(kind="download").values_list("title", flat=True),
    ) == ["维修记录a", "维修记录b"]  # the menu is not an archived document

    response = api_client.post(
        "/api/documents/email/",
        {
            "documents": [archived[0].pk],
            "addresses": "customer@example.com",
            "subject": "维修记录",
            "message": "请查收",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert len(mail.outbox) == 1
    [sent] = AccessLogEntry.objects.filter(kind="email")
    assert (sent.document_id, sent.username) == (archived[0].pk, "clerk")


def test_sealed_records_are_not_shared_by_link(secret, people, api_client, dossier):
    from django.contrib.auth.models import Permission
    from documents.models import ShareLink

    people["head"].user_permissions.add(
        *Permission.objects.filter(
            codename__in=("add_sharelink", "view_sharelink", "add_sharelinkbundle"),
        ),
    )
    api_client.force_authenticate(people["head"])  # the owner, allowed to share
    refused = api_client.post(
        "/api/share_links/",
        {"document": secret.pk},
        format="json",
    )
    assert refused.status_code == 403
    assert "confidential or customer-private" in refused.json()["detail"]
    refused = api_client.post(
        "/api/share_link_bundles/",
        {"document_ids": [secret.pk]},
        format="json",
    )
    assert refused.status_code == 403
    assert not ShareLink.objects.exists()

    plain = add_document(dossier, "SS", owner=people["head"], title="实施记录")
    shared = api_client.post("/api/share_links/", {"document": plain.pk}, format="json")
    assert shared.status_code == 201, shared.content

    # Marked confidential later: the link stops working, and that is on record.
    mark(plain, "customer_private")
    link = ShareLink.objects.get(document=plain)
    assert link.expiration <= timezone.now()
    assert WithdrawnPermission.objects.filter(
        document_id=plain.pk,
        permission=f"share link {link.slug}",
    ).exists()
    assert api_client.get(f"/share/{link.slug}").status_code in (302, 404)
