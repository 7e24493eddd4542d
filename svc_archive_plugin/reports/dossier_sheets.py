"""A dossier's cover 案卷封面 and note sheet 备考表, to print and put with the paper original.

Printed in the language active when it is made (the reader's, in a request). Unlike the
scan separator sheet (``cover_sheet.py``) they carry no barcode: they are part of the
dossier as it is kept on the shelf.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from fpdf import FPDF
from fpdf.fonts import FontFace

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.reports.labels import blank_date
from svc_archive_plugin.reports.labels import printed_on
from svc_archive_plugin.services.dossier_sheets import dossier_sheet

if TYPE_CHECKING:
    import datetime

    from svc_archive_plugin.models import Dossier
    from svc_archive_plugin.services.dossier_sheets import DossierSheet

LABEL_STYLE = FontFace(
    emphasis="",
    fill_color=(238, 238, 238),
)  # no bold face in the font
WIDTHS = (45, 135)  # millimetres of the 180 between the 15 mm margins of A4 portrait


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else blank_date()


def _pdf(title: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.add_font("cjk", fname=str(archive_settings.CJK_FONT))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=False)  # one page each, the footer in the margin
    pdf.set_draw_color(0)
    pdf.set_line_width(0.3)
    pdf.add_page()
    return pdf


def _code_box(pdf: FPDF, sheet: DossierSheet) -> None:
    """The fonds and archive codes, boxed at the top right as on every archive form."""
    pdf.set_font("cjk", size=10)
    with pdf.table(
        col_widths=(20, 18, 16, 56),
        width=110,
        align="RIGHT",
        text_align=("CENTER", "CENTER", "CENTER", "CENTER"),
        first_row_as_headings=False,
        line_height=5,
        padding=1.5,
    ) as table:
        row = table.row()
        row.cell(_("Fonds No."), style=LABEL_STYLE)
        row.cell(sheet.fonds)
        row.cell(_("Archive code"), style=LABEL_STYLE)
        row.cell(sheet.archive_code or _("(not yet filed)"))


def _footer(pdf: FPDF) -> None:
    pdf.set_y(-18)
    pdf.set_font("cjk", size=8)
    pdf.cell(0, 6, printed_on(), align="R")


def _dates(sheet: DossierSheet) -> str:
    return _("%(first)s to %(last)s") % {
        "first": _day(sheet.first_day),
        "last": _day(sheet.last_day),
    }


def _counts(sheet: DossierSheet) -> str:
    return _("%(documents)s items, %(pages)s pages") % {
        "documents": sheet.documents,
        "pages": sheet.pages,
    }


def render_cover(sheet: DossierSheet) -> bytes:
    """The A4 cover 案卷封面: codes, unit, title, dates, retention, counts."""
    pdf = _pdf(_("Dossier cover %(code)s") % {"code": sheet.archive_code})
    _code_box(pdf, sheet)
    pdf.ln(28)
    pdf.set_font("cjk", size=30)
    pdf.cell(0, 20, _("Dossier cover"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(22)
    rows = (
        (_("Filing unit"), sheet.unit, 14),
        (_("Dossier title"), sheet.title, 34),
        (_("Dates"), _dates(sheet), 14),
        (_("Retention"), sheet.retention, 14),
        (_("Classification"), sheet.classification, 14),
        (_("Contents"), _counts(sheet), 14),
        (_("Kept at"), sheet.location, 14),
    )
    pdf.set_font("cjk", size=14)
    for label, value, height in rows:
        pdf.set_fill_color(*LABEL_STYLE.fill_color.colors255)
        pdf.cell(WIDTHS[0], height, label, border=1, align="C", fill=True)
        x, y = pdf.get_x(), pdf.get_y()
        pdf.rect(x, y, WIDTHS[1], height)
        # A long title wraps inside its box, vertically centred.
        lines = pdf.multi_cell(
            WIDTHS[1] - 4,
            8,
            value,
            dry_run=True,
            output="LINES",
        )
        pdf.set_xy(x + 2, y + (height - 8 * len(lines)) / 2)
        pdf.multi_cell(WIDTHS[1] - 4, 8, value, align="L")
        pdf.set_xy(pdf.l_margin, y + height)
    _footer(pdf)
    return bytes(pdf.output())


def _explanation(sheet: DossierSheet) -> str:
    """本卷情况说明: what the dossier holds and what is missing or was accepted missing."""
    lines = [_counts(sheet), _("Dates: %(dates)s") % {"dates": _dates(sheet)}]
    if sheet.missing_types:
        lines.append(
            _("Missing document types: %(types)s")
            % {"types": _(", ").join(sheet.missing_types)},
        )
    if sheet.incomplete_reason:
        lines.append(
            _("Filed although incomplete, accepted by %(person)s: %(reason)s")
            % {
                "person": sheet.incomplete_accepted_by,
                "reason": sheet.incomplete_reason,
            },
        )
    if sheet.filed.day is None:
        lines.append(_("Not yet filed (%(state)s).") % {"state": sheet.state})
    return "\n".join(lines)


def render_note(sheet: DossierSheet) -> bytes:
    """The A4 note sheet 备考表: the state of the dossier and who compiled and checked it."""
    pdf = _pdf(_("Dossier note sheet %(code)s") % {"code": sheet.archive_code})
    _code_box(pdf, sheet)
    pdf.ln(10)
    pdf.set_font("cjk", size=22)
    pdf.cell(0, 14, _("Dossier note sheet"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    top = pdf.get_y()
    height = 150
    pdf.rect(pdf.l_margin, top, sum(WIDTHS), height)
    pdf.set_xy(pdf.l_margin + 3, top + 3)
    pdf.set_font("cjk", size=13)
    pdf.cell(
        0,
        8,
        pgettext("dossier note sheet", "About this dossier"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("cjk", size=11.5)
    pdf.set_x(pdf.l_margin + 8)
    pdf.multi_cell(sum(WIDTHS) - 16, 7, _explanation(sheet), align="L")
    pdf.set_y(top + height + 8)
    pdf.set_font("cjk", size=12)
    signers = (
        (pgettext("dossier note sheet", "Compiled by"), sheet.compiled),
        (pgettext("dossier note sheet", "Checked by"), sheet.checked),
    )
    for label, step in signers:
        pdf.set_x(pdf.l_margin + 90)
        pdf.cell(28, 12, _("%(label)s:") % {"label": label})
        pdf.cell(0, 12, step.person, border="B", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.set_x(pdf.l_margin + 90)
    pdf.cell(
        28,
        12,
        _("%(label)s:") % {"label": pgettext("dossier note sheet", "Compiled on")},
    )
    pdf.cell(0, 12, _day(sheet.compiled.day), border="B", new_x="LMARGIN", new_y="NEXT")
    _footer(pdf)
    return bytes(pdf.output())


def dossier_cover_pdf(dossier: Dossier) -> tuple[bytes, str]:
    """The dossier's cover and its file name."""
    sheet = dossier_sheet(dossier)
    return render_cover(sheet), f"dossier-cover-{file_code(dossier)}.pdf"


def dossier_note_pdf(dossier: Dossier) -> tuple[bytes, str]:
    """The dossier's note sheet and its file name."""
    sheet = dossier_sheet(dossier)
    return render_note(sheet), f"dossier-note-{file_code(dossier)}.pdf"


def file_code(dossier: Dossier) -> str:
    # Archive codes hold "·", which a download's file name should not.
    code = dossier.archive_code or dossier.project.code
    return "".join(
        c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in code
    )
