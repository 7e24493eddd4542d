"""Capture into customers, projects and dossiers: full folder convention and cover sheets."""

from __future__ import annotations

import pikepdf
import pytest
from documents.models import CustomField
from documents.models import CustomFieldInstance
from documents.models import Document

from svc_archive_plugin.models import CaptureReport
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.reports.cover_sheet import render_cover_sheet
from svc_archive_plugin.services.cover_sheets import parse_payload
from svc_archive_plugin.services.cover_sheets import read_cover_sheet
from tests.integration.test_capture import consume
from tests.pdfs import text_pdf

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def project(provisioned):
    customer = Customer.objects.create(code="C001", name="北京某科技有限公司")
    return ServiceProject.objects.create(
        code="P2026-07",
        name="机房维修",
        customer=customer,
        service_type=ServiceType.objects.get(code="WX"),
    )


def values(document: Document) -> dict[str, str]:
    """The document's select fields as their labels, as paperless's UI shows them."""
    result = {}
    for instance in CustomFieldInstance.objects.filter(
        document=document,
    ).select_related("field"):
        labels = {
            o["id"]: o["label"]
            for o in instance.field.extra_data.get("select_options", [])
        }
        result[instance.field.name] = labels.get(instance.value_select, instance.value)
    return result


def test_full_folder_convention(paperless_dirs, project, settings):
    scan = text_pdf(
        settings.CONSUMPTION_DIR / "C001" / "P2026-07" / "HT" / "contract.pdf",
        "Contract",
    )

    document = consume(scan)

    assert document.document_type.name == "合同协议"
    assert (
        values(document)
        == {
            "客户": "C001 北京某科技有限公司",
            "服务项目": "P2026-07 机房维修",
            "档案门类": "售后服务档案",  # the dossier's category wins over the type's default
        }
    )
    # The folders gave all they can; only the 密级 is left to fill in.
    [report] = CaptureReport.objects.all()
    assert report.reason == "missing_metadata"
    assert report.detail.startswith("Missing 密级, which documents of type 合同协议")


def test_customer_and_project_without_type(paperless_dirs, project, settings):
    document = consume(
        text_pdf(settings.CONSUMPTION_DIR / "C001" / "P2026-07" / "x.pdf", "Loose"),
    )

    assert document.document_type is None
    assert values(document)["服务项目"] == "P2026-07 机房维修"


def test_customer_folder_alone(paperless_dirs, project, settings):
    document = consume(
        text_pdf(settings.CONSUMPTION_DIR / "C001" / "x.pdf", "Customer letter"),
    )

    assert values(document) == {"客户": "C001 北京某科技有限公司"}


def test_project_of_another_customer_is_reported(paperless_dirs, project, settings):
    Customer.objects.create(code="C002", name="上海某公司")

    document = consume(
        text_pdf(
            settings.CONSUMPTION_DIR / "C002" / "P2026-07" / "HT" / "x.pdf",
            "Contract",
        ),
    )

    assert values(document)["客户"] == "C002 上海某公司"
    assert "服务项目" not in values(document)
    report = CaptureReport.objects.get(reason="mismatch")
    assert report.detail.startswith(
        "Project P2026-07 belongs to customer C001, not C002",
    )


def test_code_that_is_both_type_and_customer_is_ambiguous(
    paperless_dirs,
    project,
    settings,
):
    Customer.objects.create(code="HT", name="恒通公司")

    document = consume(text_pdf(settings.CONSUMPTION_DIR / "HT" / "x.pdf", "Which one"))

    assert document.document_type is None
    assert CaptureReport.objects.get().reason == "ambiguous_code"


def test_cover_sheet_is_one_page_with_its_cjk_font_and_a_readable_code(
    project,
    tmp_path,
):
    sheet = tmp_path / "sheet.pdf"
    sheet.write_bytes(
        render_cover_sheet(project, DocumentTypeCode.objects.get(code="SS")),
    )

    with pikepdf.open(sheet) as pdf:
        assert len(pdf.pages) == 1
        fonts = pdf.pages[0].Resources.Font
        base_fonts = [str(fonts[key].get("/BaseFont")) for key in fonts.keys()]  # noqa: SIM118
    assert any("MicroHei" in name for name in base_fonts)
    assert read_cover_sheet(sheet).payload() == "SVCARCHIVE:P2026-07:SS"


def test_scanned_bundle_with_cover_sheet_is_filed_into_the_project(
    paperless_dirs,
    project,
    settings,
    tmp_path,
):
    sheet = tmp_path / "sheet.pdf"
    sheet.write_bytes(
        render_cover_sheet(project, DocumentTypeCode.objects.get(code="SS")),
    )
    body = text_pdf(tmp_path / "body.pdf", "Work report page one")
    bundle = settings.CONSUMPTION_DIR / "bundle.pdf"
    with pikepdf.open(sheet) as first, pikepdf.open(body) as rest:
        first.pages.extend(rest.pages)
        first.save(bundle)

    document = consume(bundle)

    assert document.document_type.name == "实施记录"
    assert values(document)["服务项目"] == "P2026-07 机房维修"
    assert values(document)["客户"] == "C001 北京某科技有限公司"
    assert document.page_count == 1  # the sheet is gone
    assert "SVCARCHIVE" not in document.content
    assert list(CaptureReport.objects.values_list("reason", flat=True)) == [
        "missing_metadata",  # the 密级, which no sheet gives
    ]


def test_cover_sheet_alone_is_kept_and_reported(paperless_dirs, project, settings):
    sheet = settings.CONSUMPTION_DIR / "sheet-only.pdf"
    sheet.write_bytes(render_cover_sheet(project))

    document = consume(sheet)

    assert document.page_count == 1
    assert CaptureReport.objects.get().reason == "cover_sheet"


def test_cover_sheet_of_an_unknown_project_is_reported(
    paperless_dirs,
    project,
    settings,
    tmp_path,
):
    sheet = tmp_path / "sheet.pdf"
    sheet.write_bytes(render_cover_sheet(project))
    ServiceProject.objects.filter(pk=project.pk).update(code="RENAMED")
    bundle = settings.CONSUMPTION_DIR / "bundle.pdf"
    with (
        pikepdf.open(sheet) as first,
        pikepdf.open(text_pdf(tmp_path / "b.pdf", "Body")) as rest,
    ):
        first.pages.extend(rest.pages)
        first.save(bundle)

    document = consume(bundle)

    assert "服务项目" not in values(document)
    assert (
        CaptureReport.objects.get().detail
        == "No service project has the code 'P2026-07'."
    )


def test_other_barcodes_are_not_cover_sheets():
    assert parse_payload("ASN00042") is None
    assert parse_payload("SVCARCHIVE:") is None
    assert parse_payload("SVCARCHIVE:P1:HT:extra") is None
    assert parse_payload("SVCARCHIVE:P1").type_code is None


def test_duplicate_file_is_reported(paperless_dirs, provisioned, settings, tmp_path):
    first = consume(text_pdf(settings.CONSUMPTION_DIR / "HT" / "a.pdf", "Same content"))
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(first.source_path.read_bytes())
    (settings.CONSUMPTION_DIR / "HT" / "b.pdf").write_bytes(copy.read_bytes())

    second = consume(settings.CONSUMPTION_DIR / "HT" / "b.pdf")

    report = CaptureReport.objects.get(document_id=second.pk, reason="duplicate")
    assert report.detail == f"Same file as document #{first.pk} {first.title!r}."


def test_editing_the_project_in_paperless_follows_with_the_customer(
    paperless_dirs,
    project,
    api_client,
):
    from tests.factories import DocumentFactory
    from tests.factories import UserFactory

    other = Customer.objects.create(code="C003", name="深圳某公司")
    document = DocumentFactory()
    customer_field = CustomField.objects.get(name="客户")
    project_field = CustomField.objects.get(name="服务项目")
    CustomFieldInstance.objects.create(
        document=document,
        field=customer_field,
        value_select=other.option_id,
    )
    api_client.force_authenticate(UserFactory(username="root", superuser=True))

    response = api_client.patch(
        f"/api/documents/{document.pk}/",
        {
            "custom_fields": [
                {"field": project_field.pk, "value": project.option_id},
                {"field": customer_field.pk, "value": other.option_id},
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert values(document)["客户"] == "C001 北京某科技有限公司"
