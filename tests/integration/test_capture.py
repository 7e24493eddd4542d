"""The folder convention, through paperless's real consume_file task and consumer."""

from __future__ import annotations

import pytest
from django.utils import translation
from documents.data_models import ConsumableDocument
from documents.data_models import DocumentMetadataOverrides
from documents.data_models import DocumentSource
from documents.models import CustomField
from documents.models import Document
from documents.models import DocumentType
from documents.tasks import consume_file

from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import CaptureReport
from tests.pdfs import text_pdf

# Transactional: paperless's task_prerun handler calls close_old_connections(), which
# closes a PostgreSQL connection held inside a test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def consume(path, source=DocumentSource.ConsumeFolder, overrides=None) -> Document:
    """Run paperless's consume_file task in this process, as the worker would."""
    result = consume_file.apply(
        kwargs={
            "input_doc": ConsumableDocument(source=source, original_file=path),
            "overrides": overrides or DocumentMetadataOverrides(),
        },
    )
    outcome = result.get()
    return Document.objects.get(pk=outcome["document_id"])


def category_of(document: Document) -> str | None:
    field = CustomField.objects.get(name="档案门类")
    instance = document.custom_fields.filter(field=field).first()
    if instance is None:
        return None
    return ArchiveCategory.objects.get(option_id=instance.value_select).code


def test_type_folder_sets_type_and_category(paperless_dirs, provisioned, settings):
    scan = text_pdf(
        settings.CONSUMPTION_DIR / "HT" / "contract.pdf",
        "Service contract 2026-001",
    )

    document = consume(scan)

    assert document.document_type.name == "合同协议"
    assert category_of(document) == "XM"
    # Nothing the folder said was wrong; what a contract lacks is reported on its own.
    assert list(CaptureReport.objects.values_list("reason", flat=True)) == [
        CaptureReport.Reason.MISSING_METADATA,
    ]


def test_codes_are_matched_whatever_the_case(paperless_dirs, provisioned, settings):
    scan = text_pdf(
        settings.CONSUMPTION_DIR / "ts" / "complaint.pdf",
        "Complaint about repair",
    )

    document = consume(scan)

    assert document.document_type.name == "客户反馈与投诉处理"
    assert category_of(document) == "SH"


def test_unknown_code_is_reported_and_no_type_is_invented(
    paperless_dirs,
    provisioned,
    settings,
):
    types_before = DocumentType.objects.count()
    scan = text_pdf(settings.CONSUMPTION_DIR / "XX" / "mystery.pdf", "Unsorted paper")

    document = consume(scan)

    assert document.document_type is None
    assert category_of(document) is None
    assert DocumentType.objects.count() == types_before
    [report] = CaptureReport.objects.all()
    assert report.document_id == document.pk
    assert report.reason == CaptureReport.Reason.UNKNOWN_CODE
    assert report.path == "XX/mystery.pdf"
    assert "No document type has the code 'XX'" in report.detail


def test_a_report_is_in_the_sites_language_whatever_a_request_left_active(
    paperless_dirs,
    provisioned,
    settings,
):
    # A worker thread keeps the language its last request activated.
    settings.LANGUAGE_CODE = "zh-hant"
    translation.activate("en-us")
    try:
        consume(text_pdf(settings.CONSUMPTION_DIR / "XX" / "odd.pdf", "Unsorted paper"))
    finally:
        translation.deactivate()

    [report] = CaptureReport.objects.all()
    assert "沒有代碼為" in report.detail


def test_unknown_customer_and_project_folders_are_reported_not_guessed(
    paperless_dirs,
    provisioned,
    settings,
):
    scan = text_pdf(
        settings.CONSUMPTION_DIR / "C001" / "P01" / "SS" / "report.pdf",
        "Progress report",
    )

    document = consume(scan)

    assert document.document_type.name == "实施记录"
    details = sorted(
        CaptureReport.objects.filter(reason="unknown_code").values_list(
            "reason",
            "detail",
        ),
    )
    assert details == [
        ("unknown_code", "No customer has the code 'C001'."),
        ("unknown_code", "No service project has the code 'P01'."),
    ]


def test_file_at_the_top_of_the_consumption_folder_is_left_alone(
    paperless_dirs,
    provisioned,
    settings,
):
    scan = text_pdf(settings.CONSUMPTION_DIR / "loose.pdf", "Loose paper")

    document = consume(scan)

    assert document.document_type is None
    assert not CaptureReport.objects.exists()


def test_an_explicit_type_wins_over_the_folder(paperless_dirs, provisioned, settings):
    invoice = DocumentType.objects.get(name="费用结算与发票")
    scan = text_pdf(settings.CONSUMPTION_DIR / "HT" / "invoice.pdf", "Invoice 42")

    document = consume(
        scan,
        overrides=DocumentMetadataOverrides(document_type_id=invoice.pk),
    )

    assert document.document_type == invoice


def test_uploads_are_not_classified_by_folder(paperless_dirs, provisioned, settings):
    scan = text_pdf(
        settings.CONSUMPTION_DIR / "HT" / "upload.pdf",
        "Uploaded through the API",
    )

    document = consume(scan, source=DocumentSource.ApiUpload)

    assert document.document_type is None


def test_before_provisioning_codes_are_unknown(paperless_dirs, settings):
    scan = text_pdf(settings.CONSUMPTION_DIR / "HT" / "early.pdf", "Before setup")

    document = consume(scan)

    assert document.document_type is None
    assert CaptureReport.objects.get().reason == CaptureReport.Reason.UNKNOWN_CODE
