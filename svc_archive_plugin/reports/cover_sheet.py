"""The printable scan separator sheet 扫描分隔页 of a project (optionally one document type).

Not the dossier's cover 案卷封面 (``dossier_sheets.py``): it goes on top of a paper bundle
for scanning and is removed again.

Printed in the language active when it is made (the reader's, in a request); the QR code
is the same in every language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from fpdf import FPDF

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.reports.labels import printed_on
from svc_archive_plugin.reports.pdf_download import pdf_response
from svc_archive_plugin.services.cover_sheets import CoverSheetCode

if TYPE_CHECKING:
    from django.http import HttpResponse

    from svc_archive_plugin.models import DocumentTypeCode
    from svc_archive_plugin.models import ServiceProject


def barcode_image(payload: str, kind: str = "QRCode", scale: int = 12):
    """The barcode of ``payload`` (a zxing-cpp format name: QRCode, Code128) as an image."""
    import numpy as np
    import zxingcpp
    from PIL import Image

    barcode = zxingcpp.create_barcode(payload, getattr(zxingcpp.BarcodeFormat, kind))
    return Image.fromarray(
        np.array(barcode.to_image(scale=scale, add_quiet_zones=True)),
    )


def render_cover_sheet(
    project: ServiceProject,
    type_code: DocumentTypeCode | None = None,
) -> bytes:
    """Return an A4 PDF: the project's particulars and the QR code that classifies the bundle."""
    code = CoverSheetCode(project.code, type_code.code if type_code else None)
    pdf = FPDF(format="A4")
    pdf.set_title(_("Scan separator sheet %(code)s") % {"code": code.payload()})
    pdf.add_font("cjk", fname=str(archive_settings.CJK_FONT))
    pdf.add_page()
    pdf.set_font("cjk", size=24)
    pdf.cell(
        0,
        16,
        _("Scan separator sheet"),
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.ln(6)
    pdf.set_font("cjk", size=14)
    dossier = getattr(project, "dossier", None)
    rows = [
        (_("Customer"), f"{project.customer.code}  {project.customer.name}"),
        (_("Project"), f"{project.code}  {project.name}"),
        (_("Service type"), project.service_type.name),
        (_("Archive category"), dossier.category.name if dossier else ""),
        (
            _("Document type"),
            type_code.document_type.name
            if type_code
            else _("(classified by folder or by hand)"),
        ),
    ]
    for label, value in rows:
        pdf.cell(70, 11, label, border=1)
        pdf.cell(0, 11, value, border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.image(barcode_image(code.payload()), x=(pdf.w - 60) / 2, w=60)
    pdf.ln(4)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, code.payload(), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(4)
    pdf.multi_cell(
        0,
        8,
        _(
            "Put this sheet on top of the paper bundle and scan them together: the "
            "bundle is filed into the project above and this sheet is removed.",
        ),
        align="L",  # justified English spreads its words apart
    )
    pdf.set_auto_page_break(auto=False)  # the footer sits in the bottom margin
    pdf.set_y(-20)
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 6, printed_on(), align="R")
    return bytes(pdf.output())


def cover_sheet_pdf(
    project: ServiceProject,
    type_code: str | None,
) -> tuple[bytes, str]:
    """Return the sheet and its file name; ``LookupError`` names an unknown type code."""
    from svc_archive_plugin.models import DocumentTypeCode
    from svc_archive_plugin.models import ServiceProject

    document_type = None
    if type_code:
        document_type = (
            DocumentTypeCode.objects.select_related("document_type")
            .filter(code__iexact=type_code)
            .first()
        )
        if document_type is None:
            raise LookupError(
                _("No document type has the code '%(code)s'.") % {"code": type_code},
            )
    project = ServiceProject.objects.select_related(
        "customer",
        "service_type",
        "dossier__category",
    ).get(pk=project.pk)
    suffix = f"-{document_type.code}" if document_type else ""
    return render_cover_sheet(
        project,
        document_type,
    ), f"cover-{project.code}{suffix}.pdf"


def cover_sheet_response(
    project: ServiceProject,
    type_code: str | None,
) -> HttpResponse:
    """The scan separator sheet as an inline PDF (for the API and the admin)."""
    return pdf_response(*cover_sheet_pdf(project, type_code))
