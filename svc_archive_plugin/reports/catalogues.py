"""The catalogues and paperwork of filed dossiers, as PDF (CJK font) and CSV.

卷内目录 (in-dossier catalogue), 归档文件目录 (filed records of a year and category), 移交清单
(handover list) and the box/spine labels 档案盒脊背. What they say comes from
``services/catalogues.py``; printed in the language active when they are made (the reader's,
in a request), dates YYYY-MM-DD, people by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from fpdf import FPDF
from fpdf.fonts import FontFace

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.reports.cover_sheet import barcode_image
from svc_archive_plugin.reports.csv_download import csv_response
from svc_archive_plugin.reports.csv_download import text
from svc_archive_plugin.reports.destruction_register import HEADING_STYLE
from svc_archive_plugin.reports.dossier_sheets import file_code
from svc_archive_plugin.reports.labels import blank_date
from svc_archive_plugin.reports.labels import page_label
from svc_archive_plugin.reports.labels import printed_on
from svc_archive_plugin.services import catalogues

if TYPE_CHECKING:
    import datetime

    from svc_archive_plugin.models import ArchiveCategory
    from svc_archive_plugin.models import Dossier
    from svc_archive_plugin.services.catalogues import Catalogue
    from svc_archive_plugin.services.catalogues import CatalogueRow
    from svc_archive_plugin.services.catalogues import Handover

LABEL_STYLE = FontFace(
    emphasis="",
    fill_color=(238, 238, 238),
)  # no bold face in the font


class SheetPDF(FPDF):
    """An A4 sheet whose every page names it and its page number at the foot."""

    def __init__(self, footer_note: str, *, landscape: bool = False) -> None:
        super().__init__(orientation="L" if landscape else "P", format="A4")
        self.footer_note = footer_note
        self.set_title(footer_note)
        self.add_font("cjk", fname=str(archive_settings.CJK_FONT))
        self.set_margins(15, 12, 15)
        self.set_auto_page_break(auto=True, margin=18)  # leaves the footer its room
        self.set_draw_color(0)
        self.set_line_width(0.2)
        self.add_page()

    def footer(self) -> None:
        # On every page, so a loose page still names its catalogue.
        self.set_y(-13)
        self.set_font("cjk", size=8)
        self.cell(0, 6, self.footer_note, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 6, page_label(self.page_no()), align="R")


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _title(pdf: FPDF, title: str) -> None:
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT", align="C")


def _facts(pdf: FPDF, pairs: list[tuple[str, str]]) -> None:
    """The header's label: value pairs on one wrapped line."""
    pdf.set_font("cjk", size=10.5)
    pdf.multi_cell(
        0,
        6.5,
        "　　".join(
            _("%(label)s: %(value)s") % {"label": label, "value": value}
            for label, value in pairs
        ),
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)


def _printed(pdf: FPDF) -> None:
    pdf.ln(2)
    pdf.set_font("cjk", size=8)
    pdf.cell(0, 6, printed_on(), new_x="LMARGIN", new_y="NEXT", align="R")


def _row_values(row: CatalogueRow) -> list[str]:
    return [
        text(row.item_number),
        row.responsible,
        row.reference,
        row.title,
        _day(row.day),
        text(row.pages),
        row.note,
    ]


def _row_headings() -> list[str]:
    return [
        _("Item No."),
        _("Responsible"),
        _("Reference No."),
        _("Title"),
        _("Date"),
        _("Pages"),
        pgettext("catalogue column", "Note"),
    ]


ROW_ALIGNS = ("CENTER", "LEFT", "LEFT", "LEFT", "CENTER", "RIGHT", "LEFT")


def _table(pdf: FPDF, widths, aligns, headings, rows) -> None:
    pdf.set_fill_color(255)  # a table takes the fill colour last set for its cells
    pdf.set_font("cjk", size=9)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        text_align=aligns,
        headings_style=HEADING_STYLE,
        line_height=4.5,
        padding=(1, 1),
        min_row_height=7,
        v_align="MIDDLE",
        repeat_headings=1,
    ) as table:
        head = table.row()
        for heading in headings:
            head.cell(heading, align="CENTER")
        for values in rows:
            table.row(values)


# 卷内目录 ------------------------------------------------------------------------------------

# Millimetres of the 180 between the margins of A4 portrait.
CATALOGUE_WIDTHS = (12, 33, 16, 65, 20, 12, 22)


def _header_pairs(catalogue: Catalogue) -> list[tuple[str, str]]:
    return [
        (_("Archive code"), catalogue.archive_code or _("(not yet filed)")),
        (_("Dossier title"), catalogue.title),
        (_("Retention"), catalogue.retention),
        (_("Year"), text(catalogue.year)),
    ]


def catalogue_pdf(dossier: Dossier) -> tuple[bytes, str]:
    """The dossier's in-dossier catalogue 卷内目录 and its file name."""
    catalogue = catalogues.in_dossier_catalogue(dossier)
    heading = _("In-dossier catalogue")
    pdf = SheetPDF(f"{heading} {catalogue.archive_code}")
    _title(pdf, heading)
    _facts(pdf, _header_pairs(catalogue))
    _table(
        pdf,
        CATALOGUE_WIDTHS,
        ROW_ALIGNS,
        _row_headings(),
        [_row_values(row) for row in catalogue.rows],
    )
    _printed(pdf)
    return bytes(pdf.output()), f"catalogue-{file_code(dossier)}.pdf"


CATALOGUE_COLUMNS = (
    "archive_code",
    "dossier_title",
    "retention",
    "year",
    "item_number",
    "responsible",
    "reference",
    "title",
    "date",
    "pages",
    "note",
)


def _csv_rows(catalogue: Catalogue):
    for row in catalogue.rows:
        yield [
            catalogue.archive_code,
            catalogue.title,
            catalogue.retention,
            text(catalogue.year),
            *_row_values(row),
        ]


def catalogue_csv_response(dossier: Dossier):
    """The in-dossier catalogue as CSV: one row per record, the dossier's header on each."""
    return csv_response(
        CATALOGUE_COLUMNS,
        _csv_rows(catalogues.in_dossier_catalogue(dossier)),
        f"catalogue-{file_code(dossier)}.csv",
    )


# 归档文件目录 --------------------------------------------------------------------------------

# Millimetres of the 267 between the margins of A4 landscape.
FILED_WIDTHS = (50, 12, 34, 18, 93, 20, 12, 28)
FILED_ALIGNS = ("LEFT", *ROW_ALIGNS)


def filed_records_pdf(year: int, category: ArchiveCategory) -> tuple[bytes, str]:
    """The catalogue of filed records 归档文件目录 of a year and category, and its name."""
    dossiers = catalogues.filed_records(year, category)
    heading = _("Catalogue of filed records")
    pdf = SheetPDF(f"{heading} {year} {category.name}", landscape=True)
    _title(pdf, heading)
    _facts(
        pdf,
        [
            (_("Fonds No."), archive_settings.FONDS),
            (_("Year"), str(year)),
            (_("Archive category"), f"{category.code} {category.name}"),
            (_("Dossiers"), str(len(dossiers))),
            (_("Items"), str(sum(len(d.rows) for d in dossiers))),
        ],
    )
    _table(
        pdf,
        FILED_WIDTHS,
        FILED_ALIGNS,
        [_("Archive code"), *_row_headings()],
        [[d.archive_code, *_row_values(row)] for d in dossiers for row in d.rows],
    )
    _printed(pdf)
    return bytes(pdf.output()), f"filed-records-{year}-{category.code}.pdf"


def filed_records_csv_response(year: int, category: ArchiveCategory):
    """The catalogue of filed records as CSV, by 档号 then 件号."""
    return csv_response(
        CATALOGUE_COLUMNS,
        (row for d in catalogues.filed_records(year, category) for row in _csv_rows(d)),
        f"filed-records-{year}-{category.code}.csv",
    )


# 移交清单 ------------------------------------------------------------------------------------

HANDOVER_WIDTHS = (10, 48, 62, 18, 12, 14, 16)
HANDOVER_ALIGNS = ("CENTER", "LEFT", "LEFT", "CENTER", "RIGHT", "RIGHT", "RIGHT")
SIGN_WIDTHS = (44, 82, 14, 40)  # role, name (room to sign), "date", the date


def _handover_headings() -> list[str]:
    return [
        _("No."),
        _("Archive code"),
        _("Dossier title"),
        _("Retention"),
        _("Items"),
        _("Pages"),
        _("Paper pages"),
    ]


def _signatures(pdf: FPDF, rows: list[tuple[str, str, str]]) -> None:
    if pdf.get_y() + 10 + 2 * 14 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, _("Signatures (sign by hand)"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_fill_color(255)
    pdf.set_font("cjk", size=10)
    with pdf.table(
        col_widths=SIGN_WIDTHS,
        width=sum(SIGN_WIDTHS),
        align="LEFT",
        text_align="LEFT",
        v_align="MIDDLE",
        first_row_as_headings=False,
        line_height=4.5,
        padding=(1, 1.5),
        min_row_height=14,
    ) as table:
        for label, name, day in rows:
            row = table.row()
            row.cell(label, style=LABEL_STYLE)
            row.cell(name, v_align="BOTTOM")
            row.cell(_("Date"), style=LABEL_STYLE)
            row.cell(day)


def handover_pdf(dossiers) -> tuple[bytes, str]:
    """The handover list 移交清单 of ``dossiers``, with both departments' signatures."""
    listing: Handover = catalogues.handover(dossiers)
    heading = _("Handover list")
    codes = [r.archive_code or r.dossier.project.code for r in listing.rows]
    pdf = SheetPDF(f"{heading} {' '.join(codes[:3])}")
    _title(pdf, heading)
    _facts(
        pdf,
        [
            (_("Fonds No."), archive_settings.FONDS),
            (
                _("Handing-over unit"),
                _(", ").join(
                    dict.fromkeys(
                        r.dossier.project.department.name
                        for r in listing.rows
                        if r.dossier.project.department_id
                    ),
                ),
            ),
            (_("Receiving unit"), _("the archive department")),
        ],
    )
    rows = [
        [
            str(number),
            row.archive_code or _("(not yet filed)"),
            row.title,
            row.retention,
            str(row.items),
            str(row.pages),
            text(row.paper_pages),
        ]
        for number, row in enumerate(listing.rows, 1)
    ]
    rows.append(
        [
            "",
            _("Total"),
            _("%(count)s dossiers") % {"count": len(listing.rows)},
            "",
            str(listing.items),
            str(listing.pages),
            str(listing.paper_pages),
        ],
    )
    _table(pdf, HANDOVER_WIDTHS, HANDOVER_ALIGNS, _handover_headings(), rows)
    pdf.ln(6)
    _signatures(
        pdf,
        [
            (
                _("Handed over by (business department)"),
                listing.handed_over_by.person,
                _day(listing.handed_over_by.day) or blank_date(),
            ),
            (
                _("Received by (archive department)"),
                listing.received_by.person,
                _day(listing.received_by.day) or blank_date(),
            ),
        ],
    )
    _printed(pdf)
    name = file_code(listing.rows[0].dossier) if len(listing.rows) == 1 else "dossiers"
    return bytes(pdf.output()), f"handover-{name}.pdf"


HANDOVER_COLUMNS = (
    "archive_code",
    "project",
    "dossier_title",
    "retention",
    "items",
    "pages",
    "paper_pages",
    "handed_over_by",
    "handed_over_on",
    "received_by",
    "received_on",
)


def handover_csv_response(dossiers):
    """The handover list as CSV: one row per dossier; the totals in the last row."""
    listing = catalogues.handover(dossiers)
    signers = [
        listing.handed_over_by.person,
        _day(listing.handed_over_by.day),
        listing.received_by.person,
        _day(listing.received_by.day),
    ]
    rows = [
        [
            row.archive_code,
            row.dossier.project.code,
            row.title,
            row.retention,
            str(row.items),
            str(row.pages),
            text(row.paper_pages),
            *signers,
        ]
        for row in listing.rows
    ]
    rows.append(
        [
            _("Total"),
            "",
            "",
            "",
            str(listing.items),
            str(listing.pages),
            str(listing.paper_pages),
            "",
            "",
            "",
            "",
        ],
    )
    return csv_response(HANDOVER_COLUMNS, rows, "handover.csv")


# 档案盒脊背 ----------------------------------------------------------------------------------

SPINE_WIDTH = 56  # mm: three strips side by side on A4 portrait
SPINE_HEIGHT = 262
SPINE_GAP = 6


def _fitting(pdf: FPDF, value: str, width: float, size: float) -> float:
    """The largest font size, down to 7 pt, that keeps ``value`` on one line of ``width``."""
    while size > 7:
        pdf.set_font("cjk", size=size)
        # multi_cell keeps its cell margin on either side of the text.
        if pdf.get_string_width(value) + 2 * pdf.c_margin <= width - 0.5:
            break
        size -= 0.5
    return size


def _spine(pdf: FPDF, x: float, y: float, spine: catalogues.Label) -> None:
    """One spine strip: fonds and year, 档号, title, retention, the QR and the barcode."""
    inner = SPINE_WIDTH - 6
    pdf.rect(x, y, SPINE_WIDTH, SPINE_HEIGHT)

    def line(label: str, value: str, size: float, height: float) -> None:
        pdf.set_x(x + 3)
        pdf.set_font("cjk", size=8)
        pdf.cell(inner, 5, label, new_x="LEFT", new_y="NEXT", align="C")
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(
            inner,
            height,
            value or " ",
            align="C",
            new_x="LEFT",
            new_y="NEXT",
        )
        pdf.ln(1.5)

    pdf.set_xy(x + 3, y + 4)
    line(_("Fonds No."), spine.fonds, 12, 6)
    line(_("Year"), text(spine.year), 20, 9)
    code = spine.archive_code or _("(not yet filed)")
    line(_("Archive code"), code, _fitting(pdf, code, inner, 11), 5.5)
    line(_("Dossier title"), spine.title, 13, 7)
    line(_("Retention"), spine.retention, 14, 7)
    # The codes at the foot of the strip, where they show on a shelf.
    qr = 34
    top = y + SPINE_HEIGHT - qr - 30
    if spine.archive_code:
        pdf.image(
            barcode_image(spine.archive_code, "QRCode"),
            x=x + (SPINE_WIDTH - qr) / 2,
            y=top,
            w=qr,
        )
    pdf.image(
        barcode_image(spine.code, "Code128", scale=4),
        x=x + 3,
        y=top + qr + 4,
        w=inner,
        h=14,
    )
    pdf.set_xy(x + 3, top + qr + 19)
    pdf.set_font("cjk", size=9)
    pdf.cell(inner, 5, spine.code, align="C")


def labels_pdf(dossiers) -> tuple[bytes, str]:
    """Spine labels 档案盒脊背 of ``dossiers``, three to an A4 page, to cut and glue."""
    spines = sorted(
        (catalogues.label(d) for d in dossiers),
        key=lambda s: (s.archive_code or "\uffff", s.code),
    )
    heading = _("Spine labels")
    pdf = SheetPDF(f"{heading} {' '.join(s.archive_code for s in spines[:3])}")
    pdf.set_auto_page_break(auto=False)
    for n, spine in enumerate(spines):
        if n and n % 3 == 0:
            pdf.add_page()
        x = pdf.l_margin + (n % 3) * (SPINE_WIDTH + SPINE_GAP)
        _spine(pdf, x, 14, spine)
    name = spines[0].code if len(spines) == 1 else "dossiers"
    return bytes(pdf.output()), f"labels-{name}.pdf"


LABEL_COLUMNS = ("archive_code", "label_code", "dossier_title", "year", "retention")


def labels_csv_response(dossiers):
    """The labels' texts as CSV, for a label printer's own software."""
    return csv_response(
        LABEL_COLUMNS,
        (
            [s.archive_code, s.code, s.title, text(s.year), s.retention]
            for s in sorted(
                (catalogues.label(d) for d in dossiers),
                key=lambda s: (s.archive_code or "\uffff", s.code),
            )
        ),
        "labels.csv",
    )
