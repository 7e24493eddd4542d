"""Missing mandatory metadata (SPEC §3): a document that arrives without the customer,
project or 密级 its type requires gets a capture report naming what is missing; filling
them in resolves it."""

from __future__ import annotations

import pytest
from documents.data_models import DocumentMetadataOverrides
from documents.models import CustomField

from svc_archive_plugin.models import CaptureReport
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import vocabulary
from tests.factories import UserFactory
from tests.integration.test_capture import consume
from tests.pdfs import text_pdf

pytestmark = pytest.mark.django_db(transaction=True)
MISSING = CaptureReport.Reason.MISSING_METADATA


@pytest.fixture
def project(provisioned):
    customer = Customer.objects.create(code="C001", name="北京某科技有限公司")
    return ServiceProject.objects.create(
        code="P2026-07",
        name="机房维修",
        customer=customer,
        service_type=ServiceType.objects.get(code="WX"),
    )


def level(name: str = "internal") -> tuple[int, str]:
    """The 密级 field and the option id of a level."""
    field = CustomField.objects.get(name="密级")
    label = dict(vocabulary.CONFIDENTIALITY)[name].zh_hans
    option = next(
        o["id"] for o in field.extra_data["select_options"] if o["label"] == label
    )
    return field.pk, option


def test_a_contract_without_customer_project_or_confidentiality_is_reported_by_name(
    paperless_dirs,
    provisioned,
    settings,
):
    settings.LANGUAGE_CODE = "zh-hans"

    document = consume(
        text_pdf(settings.CONSUMPTION_DIR / "HT" / "contract.pdf", "Contract 2026-1"),
    )

    [report] = CaptureReport.objects.all()
    assert report.reason == MISSING
    assert report.get_reason_display() == "缺少必填元数据"
    assert report.document_id == document.pk
    assert report.path == "HT/contract.pdf"
    assert report.detail == (
        "缺少客户、服务项目、密级，合同协议类文档必须填写。"
        "在文档页面补填后，本报告自动解决。"
    )
    assert report.resolved is None


def test_a_document_with_all_its_type_requires_is_not_reported(
    paperless_dirs,
    project,
    settings,
):
    field, internal = level()
    scan = text_pdf(
        settings.CONSUMPTION_DIR / "C001" / "P2026-07" / "HT" / "contract.pdf",
        "Contract 2026-2",
    )

    # As an uploader, or a workflow of paperless, sets the 密级 on arrival.
    consume(scan, overrides=DocumentMetadataOverrides(custom_fields={field: internal}))

    assert not CaptureReport.objects.exists()


def test_only_what_the_type_requires_is_asked_for(
    paperless_dirs,
    provisioned,
    settings,
):
    # 其他: no customer or project, but a 密级 like every record.
    consume(text_pdf(settings.CONSUMPTION_DIR / "QT" / "note.pdf", "Loose note"))

    [report] = CaptureReport.objects.all()
    assert report.detail.startswith("Missing 密级, which documents of type 其他")


def test_a_type_that_requires_nothing_is_not_reported(
    paperless_dirs,
    provisioned,
    settings,
):
    DocumentTypeCode.objects.filter(code="QT").update(requires_confidentiality=False)

    consume(text_pdf(settings.CONSUMPTION_DIR / "QT" / "note.pdf", "Loose note"))

    assert not CaptureReport.objects.exists()


def test_the_report_resolves_itself_once_the_metadata_is_filled_in(
    paperless_dirs,
    project,
    settings,
    api_client,
):
    document = consume(
        text_pdf(settings.CONSUMPTION_DIR / "HT" / "contract.pdf", "Contract 2026-3"),
    )
    project_field = CustomField.objects.get(name="服务项目")
    confidentiality, internal = level()
    api_client.force_authenticate(UserFactory(username="root", superuser=True))

    def edit(*values):
        response = api_client.patch(
            f"/api/documents/{document.pk}/",
            {"custom_fields": [{"field": f, "value": v} for f, v in values]},
            format="json",
        )
        assert response.status_code == 200, response.content

    # The project (the customer follows from it): the 密级 is still missing.
    edit((project_field.pk, project.option_id))
    report = CaptureReport.objects.get(reason=MISSING)
    assert report.resolved is None

    edit((project_field.pk, project.option_id), (confidentiality, internal))
    report.refresh_from_db()
    assert report.resolved is not None
    assert report.resolved_by is None  # the edit resolved it, not a person's action
    # The open reports the archive manager sees no longer include it.
    assert not CaptureReport.objects.filter(resolved__isnull=True).exists()
