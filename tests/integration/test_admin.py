"""The plugin's section in paperless's Django admin at /admin/."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from svc_archive_plugin.models import CaptureReport
from tests.factories import DocumentFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_superuser_sees_the_section(client, provisioned):
    client.force_login(UserFactory(username="root", superuser=True))

    page = client.get("/admin/").content.decode()

    # Grouped by the work (see test_work_page): settings, registration, …
    assert ">Settings</a>" in page
    assert ">Registration</a>" in page
    assert "/admin/svc_archive_plugin/documenttypecode/" in page
    assert "/admin/svc_archive_plugin/capturereport/" in page


def test_codes_screen_lists_the_document_types(client, provisioned):
    client.force_login(UserFactory(username="root", superuser=True))

    page = client.get("/admin/svc_archive_plugin/documenttypecode/").content.decode()

    assert "合同协议" in page
    assert "HT" in page


def test_archive_manager_sees_the_section_and_a_plain_staff_member_does_not(
    client,
    provisioned,
):
    manager = UserFactory(username="manager", staff=True)
    manager.groups.add(Group.objects.get(name="档案管理员"))
    clerk = UserFactory(username="clerk2", staff=True)

    client.force_login(manager)
    queue = client.get("/admin/svc_archive_plugin/capturereport/")
    assert queue.status_code == 200
    assert "could not be classified by their" in queue.content.decode()
    assert "<h1>Capture reports</h1>" in queue.content.decode()
    client.force_login(clerk)
    assert client.get("/admin/svc_archive_plugin/capturereport/").status_code == 403
    assert "Service archive" not in client.get("/admin/").content.decode()


def test_resolving_reports_records_who_and_keeps_the_row(client, provisioned):
    root = UserFactory(username="root", superuser=True)
    doc = DocumentFactory()
    report = CaptureReport.objects.create(
        document=doc,
        document_title=doc.title,
        path="XX/a.pdf",
        reason="unknown_code",
        detail="No document type has the code 'XX'",
    )
    client.force_login(root)

    response = client.post(
        "/admin/svc_archive_plugin/capturereport/",
        {"action": "mark_resolved", "_selected_action": [report.pk]},
        follow=True,
    )

    assert "1 report marked as resolved." in response.content.decode()
    report.refresh_from_db()
    assert report.resolved is not None
    assert report.resolved_by == root


def test_capture_reports_cannot_be_deleted_or_edited_in_the_admin(client, provisioned):
    doc = DocumentFactory()
    report = CaptureReport.objects.create(
        document=doc,
        path="XX/a.pdf",
        reason="unknown_code",
        detail="d",
    )
    client.force_login(UserFactory(username="root", superuser=True))

    assert (
        client.post(
            f"/admin/svc_archive_plugin/capturereport/{report.pk}/delete/",
            {"post": "yes"},
        ).status_code
        == 403
    )
    client.post(
        f"/admin/svc_archive_plugin/capturereport/{report.pk}/change/",
        {"path": "changed", "reason": "unknown_code", "detail": "x"},
    )
    report.refresh_from_db()
    assert report.path == "XX/a.pdf"
    assert CaptureReport.objects.count() == 1


def test_a_code_differing_only_in_case_is_refused_not_a_server_error(
    client,
    provisioned,
):
    from documents.models import DocumentType

    from svc_archive_plugin.models import DocumentTypeCode

    client.force_login(UserFactory(username="root", superuser=True))
    spare = DocumentType.objects.create(name="备用")

    response = client.post(
        "/admin/svc_archive_plugin/documenttypecode/add/",
        {"code": "ht", "document_type": spare.pk},
    )

    assert response.status_code == 200
    assert (
        "Document type code with this Code already exists." in response.content.decode()
    )
    assert not DocumentTypeCode.objects.filter(document_type=spare).exists()


def test_configuration_changes_are_audit_logged(provisioned):
    from auditlog.registry import auditlog

    from svc_archive_plugin.models import ArchiveCategory
    from svc_archive_plugin.models import CalendarDay
    from svc_archive_plugin.models import DocumentTypeCode

    assert auditlog.contains(ArchiveCategory)
    assert auditlog.contains(DocumentTypeCode)
    assert auditlog.contains(CalendarDay)
