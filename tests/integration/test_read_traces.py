"""Every read leaves a trace: full text in lists and search, and share links.

paperless's document list, its search (``?query=``) and the global search (``/api/search/``)
serve each document's full text. For a sealed or filed record the text is left out there
for anyone without a current access grant; a grant holder reads it, and that read is
logged. Opening a share link is logged with the link, its creator and the client address.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from documents.models import Document
from documents.models import ShareLink
from documents.search import get_backend
from rest_framework.test import APIClient

from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.services import access
from svc_archive_plugin.services import filing
from tests.conftest import API_ACCEPT
from tests.factories import DocumentFactory
from tests.factories import UserFactory
from tests.factories import add_document
from tests.factories import complete
from tests.factories import mark

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def index(*documents):
    backend = get_backend()
    for document in documents:
        backend.add_or_update(Document.objects.get(pk=document.pk))


def client_of(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT=API_ACCEPT)
    client.force_authenticate(user)
    return client


def listed(client, **query) -> dict[int, str]:
    response = client.get("/api/documents/", query)
    assert response.status_code == 200, response.content
    return {row["id"]: row["content"] for row in response.json()["results"]}


@pytest.fixture
def root(db):
    return UserFactory(username="root", superuser=True)


@pytest.fixture
def secret(dossier, people, paperless_dirs):
    """A contract marked 机密, and a plain archived report beside it."""
    document = add_document(
        dossier,
        "HT",
        owner=people["head"],
        title="保密合同",
        content="zebrasecret terms",
    )
    mark(document, "confidential")
    plain = add_document(
        dossier,
        "SS",
        owner=people["head"],
        title="维修记录",
        content="zebrasecret mentioned in the repair notes",
    )
    index(document, plain)
    return document, plain


@pytest.fixture
def filed(dossier, people, paperless_dirs):
    """The repair dossier, filed: its documents are records."""
    documents = complete(dossier, owner=people["clerk"])
    for document in documents:
        Document.objects.filter(pk=document.pk).update(content="okapi filed text")
    filing.submit(dossier, people["clerk"])
    filing.approve(dossier, people["head"])
    filing.receive(dossier, people["manager"])
    filing.file_dossier(dossier, people["manager"])
    index(*documents)
    return documents


def test_lists_and_search_leave_out_the_text_of_filed_records(filed, root):
    menu = DocumentFactory(title="午餐菜单", content="okapi lunch")
    index(menu)
    client = client_of(root)

    shown = listed(client)
    assert {shown[d.pk] for d in filed} == {""}
    assert shown[menu.pk] == "okapi lunch"  # not a record: as paperless shows it
    assert {listed(client, truncate_content="true")[d.pk] for d in filed} == {""}

    found = client.get("/api/documents/", {"query": "okapi"}).json()["results"]
    by_id = {row["id"]: row for row in found}
    assert set(by_id) == {*(d.pk for d in filed), menu.pk}
    for document in filed:
        assert by_id[document.pk]["content"] == ""
        assert by_id[document.pk]["__search_hit__"]["highlights"] == ""
    assert "okapi" in by_id[menu.pk]["__search_hit__"]["highlights"]

    everywhere = client.get("/api/search/", {"query": "okapi"}).json()["documents"]
    assert everywhere
    assert {row["content"] for row in everywhere if row["id"] != menu.pk} == {""}

    # The record's own page shows the text, and is logged; the lists logged nothing.
    assert not AccessLogEntry.objects.exists()
    page = client.get(f"/api/documents/{filed[0].pk}/")
    assert page.json()["content"] == "okapi filed text"
    assert list(AccessLogEntry.objects.values_list("kind", "document_id")) == [
        ("view", filed[0].pk),
    ]


def test_a_sealed_record_text_is_for_grant_holders_and_their_read_is_logged(
    secret,
    people,
    root,
):
    document, plain = secret
    clerk = people["clerk"]
    # No grant: the superuser sees the sealed record listed, but not its text.
    ungranted = client_of(root)
    assert listed(ungranted)[document.pk] == ""
    assert listed(ungranted)[plain.pk] == plain.content
    hits = ungranted.get("/api/documents/", {"query": "zebrasecret"}).json()["results"]
    [hit] = [h for h in hits if h["id"] == document.pk]
    assert (hit["content"], hit["__search_hit__"]["highlights"]) == ("", "")
    assert not AccessLogEntry.objects.exists()

    request = access.request_access(
        clerk,
        purpose="核对合同条款",
        starts=TODAY,
        ends=TODAY + datetime.timedelta(days=3),
        document_ids=[document.pk],
    )
    access.approve(request, people["head"])
    index(document)
    granted = client_of(clerk)
    assert listed(granted)[document.pk] == "zebrasecret terms"
    hits = granted.get("/api/documents/", {"query": "zebrasecret"}).json()["results"]
    [hit] = [h for h in hits if h["id"] == document.pk]
    assert hit["content"] == "zebrasecret terms"
    assert "zebrasecret" in hit["__search_hit__"]["highlights"]
    entries = AccessLogEntry.objects.filter(user=clerk)
    assert set(entries.values_list("kind", "document_id", "request_id")) == {
        ("listed", document.pk, request.pk),
    }
    assert entries.count() == 2  # the list, then the search


def test_a_share_link_download_is_logged_with_link_creator_and_address(
    dossier,
    people,
    paperless_dirs,
    client,
):
    from django.conf import settings

    head = people["head"]
    head.user_permissions.add(
        *Permission.objects.filter(codename__in=("add_sharelink", "view_sharelink")),
    )
    report = add_document(
        dossier,
        "SS",
        owner=head,
        title="实施记录",
        filename="report.pdf",
    )
    (settings.ORIGINALS_DIR / "report.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    made = client_of(head).post(
        "/api/share_links/",
        {"document": report.pk},
        format="json",
    )
    assert made.status_code == 201, made.content
    slug = made.json()["slug"]

    opened = client.get(f"/share/{slug}", REMOTE_ADDR="198.51.100.23")  # not signed in
    assert opened.status_code == 200
    [entry] = AccessLogEntry.objects.all()
    assert (entry.kind, entry.via, entry.document_id, entry.title) == (
        "shared",
        "share",
        report.pk,
        "实施记录",
    )
    assert (entry.share_link, entry.shared_by, entry.shared_by_name) == (
        slug,
        head,
        "head",
    )
    assert (entry.client_address, entry.user, entry.username) == (
        "198.51.100.23",
        None,
        "",
    )
    assert entry.project.code == "P2026-07"

    # The archive reads it in the log's API and CSV.
    manager = client_of(people["manager"])
    row = manager.get(f"/api/svc_archive/access_log/{entry.pk}/").json()
    assert (row["share_link"], row["shared_by_name"], row["client_address"]) == (
        slug,
        "head",
        "198.51.100.23",
    )

    # An expired link opens nothing, and logs nothing.
    ShareLink.objects.filter(slug=slug).update(
        expiration=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    )
    assert client.get(f"/share/{slug}").status_code == 302
    assert AccessLogEntry.objects.count() == 1


def test_a_share_link_bundle_download_logs_each_record_in_it(
    dossier,
    people,
    paperless_dirs,
    client,
):
    from django.conf import settings
    from documents.models import ShareLinkBundle

    head = people["head"]
    report, invoice = (
        add_document(dossier, code, owner=head, title=title)
        for code, title in (("SS", "实施记录"), ("FP", "发票"))
    )
    bundle_dir = settings.SHARE_LINK_BUNDLE_DIR
    bundle_dir.mkdir(parents=True, exist_ok=True)
    (bundle_dir / "bundle.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    bundle = ShareLinkBundle.objects.create(
        slug="bundleslug0123456789",
        owner=head,
        status=ShareLinkBundle.Status.READY,
        file_path="bundle.zip",
    )
    bundle.documents.set([report, invoice])

    opened = client.get(f"/share/{bundle.slug}", REMOTE_ADDR="198.51.100.24")

    assert opened.status_code == 200
    entries = AccessLogEntry.objects.order_by("document_id")
    assert [(e.kind, e.via, e.document_id) for e in entries] == [
        ("shared", "share", report.pk),
        ("shared", "share", invoice.pk),
    ]
    assert {(e.share_link, e.shared_by, e.client_address) for e in entries} == {
        (bundle.slug, head, "198.51.100.24"),
    }
