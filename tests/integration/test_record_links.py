"""From a document in paperless's UI to its record page in the admin, and back."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from documents.models import CustomFieldInstance
from documents.models import Document

from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.services import record_links
from svc_archive_plugin.services.protection import destroying
from svc_archive_plugin.services.provisioning import provisioned
from tests.factories import add_document

pytestmark = pytest.mark.django_db
SITE = "https://archive.example.com"


def link_of(document) -> str | None:
    instance = CustomFieldInstance.objects.filter(
        document=document,
        field=provisioned("custom_field.record_link"),
    ).first()
    return instance.value_url if instance else None


def test_a_record_carries_the_address_of_its_page(settings, dossier):
    settings.PAPERLESS_URL = SITE
    document = add_document(dossier, "HT", title="维修合同")

    record = RecordRetention.objects.get(document=document)
    assert link_of(document) == (
        f"{SITE}/admin/svc_archive_plugin/archiverecord/{record.pk}/change/"
    )


def test_without_paperless_url_no_link_is_written(settings, dossier):
    settings.PAPERLESS_URL = None
    document = add_document(dossier, "HT", title="维修合同")

    assert link_of(document) is None


def test_setup_brings_links_to_a_new_address(settings, dossier, paperless_dirs):
    settings.PAPERLESS_URL = None
    document = add_document(dossier, "HT", title="维修合同")
    settings.PAPERLESS_URL = SITE
    call_command("svc_archive_setup", verbosity=0)
    assert link_of(document).startswith(f"{SITE}/admin/")

    settings.PAPERLESS_URL = "http://10.0.0.5:8000"
    assert record_links.refresh_all() == 1
    assert link_of(document).startswith("http://10.0.0.5:8000/admin/")
    assert record_links.refresh_all() == 0  # nothing more to write


def test_the_record_page_gathers_dossier_loans_and_accesses(
    settings,
    client,
    dossier,
    people,
):
    settings.PAPERLESS_URL = SITE
    document = add_document(dossier, "HT", title="维修合同")
    AccessLogEntry.objects.create(
        user=people["clerk"],
        username="clerk",
        department_name="工程部",
        document=document,
        title=document.title,
        kind=AccessLogEntry.Kind.PREVIEW,
        via=AccessLogEntry.Via.API,
    )
    manager = people["manager"]
    manager.is_staff = True
    manager.save()
    client.force_login(manager)

    page = client.get(link_of(document).removeprefix(SITE))

    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/documents/{document.pk}/details"' in html
    assert f"/admin/svc_archive_plugin/dossier/{dossier.pk}/change/" in html
    assert "clerk" in html
    assert "工程部" in html
    assert "Loans of this record" in html


def test_the_record_page_is_for_those_who_may_see_the_document(
    settings,
    client,
    dossier,
    people,
):
    settings.PAPERLESS_URL = SITE
    document = add_document(dossier, "HT", title="维修合同", owner=people["head"])
    outsider = people["outsider"]  # staff of another department
    outsider.is_staff = True
    outsider.save()
    client.force_login(outsider)

    page = client.get(link_of(document).removeprefix(SITE))

    assert page.status_code in (302, 404)  # Django's "does not exist" redirect, or 404


def test_setup_after_a_destruction_links_the_records_still_there(
    settings,
    dossier,
    paperless_dirs,
):
    """A destroyed record keeps its retention row; the restarted instance must not fail."""
    settings.PAPERLESS_URL = None
    kept = add_document(dossier, "HT", title="维修合同")
    destroyed = add_document(dossier, "FP", title="发票")
    RecordRetention.objects.filter(document=destroyed).update(
        state=RecordRetention.State.DESTROYED,
    )
    with destroying([destroyed.pk]):
        destroyed.delete()
        Document.deleted_objects.filter(pk=destroyed.pk).delete()
    settings.PAPERLESS_URL = SITE

    call_command("svc_archive_setup", verbosity=0)

    assert link_of(kept).startswith(f"{SITE}/admin/")
    assert RecordRetention.objects.filter(document_id=destroyed.pk).exists()
    assert not CustomFieldInstance.global_objects.filter(
        document_id=destroyed.pk,
    ).exists()
