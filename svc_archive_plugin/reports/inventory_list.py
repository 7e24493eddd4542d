"""The printable inventory list 清查盘点清单 of one round: by cabinet, shelf and box, to tick off.

Printed in the language active when it is made (the reader's, in a request); the
dossiers' particulars are printed as the round copied them from the register.
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf.fonts import FontFace

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.reports.destruction_register import HEADING_STYLE
from svc_archive_plugin.reports.destruction_register import FooterPDF
from svc_archive_plugin.reports.labels import blank_date
from svc_archive_plugin.reports.labels import person
from svc_archive_plugin.reports.labels import printed_on
from svc_archive_plugin.reports.loan_slip import signatures

if TYPE_CHECKING:
    import datetime

    from fpdf import FPDF

    from svc_archive_plugin.models import InventoryItem
    from svc_archive_plugin.models import InventoryRound


def _headings() -> tuple[str, ...]:
    return (
        _("No."),
        _("Shelf"),
        _("Box"),
        _("Archive code"),
        _("Title (project)"),
        _("Pages"),
        _("On loan"),
        _("Present"),
        _("Missing"),
        _("Misplaced"),
        _("Found at"),
    )


# Millimetres of the 277 between the margins of A4 landscape; room to write "found at".
WIDTHS = (10, 13, 13, 47, 64, 12, 42, 16, 16, 18, 26)
ALIGNS = (
    "CENTER",
    "CENTER",
    "CENTER",
    "LEFT",
    "LEFT",
    "RIGHT",
    "LEFT",
    "CENTER",
    "CENTER",
    "CENTER",
    "LEFT",
)
ROW = 8  # mm: every row leaves room to tick and write by hand
TICKS = ("present", "missing", "misplaced")
BOX, TICKED = "□", "✓"


def _unlisted_headings() -> tuple[str, ...]:
    return (
        _("No."),
        _("Code or label"),
        _("Title (project)"),
        _("Register location"),
        _("Found at"),
        _("Note"),
    )


UNLISTED_WIDTHS = (10, 47, 76, 33, 40, 71)
BLANK_UNLISTED_ROWS = 4  # to write by hand what the list did not expect

# Boxes alternate white and grey, so the rows of one box read as a group on any page.
BOX_FILLS = ((255, 255, 255), (238, 238, 238))
SECTION_STYLE = FontFace(emphasis="", fill_color=(215, 215, 215))


def _day(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""


def loan_text(item: InventoryItem, started_at: datetime.datetime) -> str:
    """What the list says of loans at the start: the dossier's own, then its documents'."""
    lines = []
    if item.loan_id:
        loan = item.loan
        if loan.returned_at is not None and loan.returned_at <= started_at:
            lines.append(
                _("Back at the desk, to be inspected: %(number)s")
                % {"number": loan.number},
            )
        else:
            lines.append(
                _("On loan: %(number)s %(borrower)s")
                % {"number": loan.number, "borrower": loan.borrower.get_username()},
            )
    lines += [
        _("Document out: %(loan)s") % {"loan": line}
        for line in item.document_loans.splitlines()
    ]
    return "\n".join(lines)


def heading(pdf: FPDF, title: str, inventory_round: InventoryRound) -> None:
    """The title and the round's particulars, at the top of the first page."""
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("cjk", size=10.5)
    scope = (
        _("cabinet %(cabinet)s") % {"cabinet": inventory_round.cabinet}
        if inventory_round.cabinet
        else _("all locations")
    )
    state = (
        _("closed %(date)s by %(person)s")
        % {
            "date": _day(inventory_round.closed_at),
            "person": person(inventory_round.closed_by),
        }
        if inventory_round.closed_at
        else _("open")
    )
    gap = "　　"
    pdf.multi_cell(
        0,
        6.5,
        gap.join(
            (
                _("Round: %(name)s") % {"name": inventory_round.name},
                _("Scope: %(scope)s") % {"scope": scope},
                _("Started %(date)s by %(person)s")
                % {
                    "date": _day(inventory_round.started_at),
                    "person": person(inventory_round.started_by),
                },
                _("State: %(state)s") % {"state": state},
            ),
        ),
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if inventory_round.note:
        pdf.multi_cell(
            0,
            6,
            _("Note: %(note)s") % {"note": inventory_round.note},
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )


def section(pdf: FPDF, title: str, width: float) -> None:
    """A heading bar over a table; on the next page if its first rows would not fit."""
    if pdf.get_y() + 7 + 3 * ROW > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font("cjk", size=11)
    pdf.set_fill_color(*SECTION_STYLE.fill_color.colors255)
    pdf.cell(width, 7, title, border=1, fill=True, new_x="LMARGIN", new_y="NEXT")


def _cabinet_table(
    pdf: FPDF,
    items: list[InventoryItem],
    start: int,
    started_at: datetime.datetime,
) -> int:
    """One cabinet's items, box by box (shaded in turn); returns the next number."""
    number = start
    pdf.set_fill_color(255)  # a table takes the fill colour last set for its cells
    pdf.set_font("cjk", size=9)
    with pdf.table(
        col_widths=WIDTHS,
        width=sum(WIDTHS),
        text_align=ALIGNS,
        headings_style=HEADING_STYLE,
        line_height=4.3,
        padding=(1, 1),
        min_row_height=ROW,
        v_align="MIDDLE",
        repeat_headings=1,
    ) as table:
        head = table.row()
        for text in _headings():
            head.cell(text, align="CENTER")
        boxes = groupby(items, key=lambda i: (i.shelf, i.box))
        for shade, ((shelf, box), group) in enumerate(boxes):
            fill = BOX_FILLS[shade % 2]
            style = FontFace(emphasis="", fill_color=fill)
            tick = FontFace(emphasis="", size_pt=13, fill_color=fill)
            for item in group:
                row = table.row(style=style)
                row.cell(str(number))
                row.cell(shelf)
                row.cell(box)
                row.cell(item.archive_code or _("(not yet filed)"))
                row.cell(item.title)
                row.cell("" if item.pages is None else str(item.pages))
                row.cell(loan_text(item, started_at))
                for result in TICKS:
                    row.cell(TICKED if item.result == result else BOX, style=tick)
                row.cell(item.found_at)
                number += 1
    return number


def _unlisted_table(pdf: FPDF, items: list[InventoryItem]) -> None:
    from svc_archive_plugin.services.inventory import place

    pdf.set_fill_color(255)
    pdf.set_font("cjk", size=9)
    with pdf.table(
        col_widths=UNLISTED_WIDTHS,
        width=sum(UNLISTED_WIDTHS),
        text_align="LEFT",
        headings_style=HEADING_STYLE,
        line_height=4.3,
        padding=(1, 1),
        min_row_height=ROW,
        v_align="MIDDLE",
        repeat_headings=1,
    ) as table:
        head = table.row()
        for text in _unlisted_headings():
            head.cell(text, align="CENTER")
        for number, item in enumerate(items, 1):
            table.row(
                (
                    str(number),
                    item.archive_code,
                    item.title,
                    place(item.cabinet, item.shelf, item.box),
                    item.found_at,
                    item.note,
                ),
            )
        for number in range(len(items) + 1, len(items) + BLANK_UNLISTED_ROWS + 1):
            table.row((str(number), "", "", "", "", ""))


def checkers_block(pdf: FPDF) -> None:
    """Signature lines for the two checkers and the reviewer, kept on one page."""
    if pdf.get_y() + 10 + 3 * 13 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, _("Signatures (sign by hand)"), new_x="LMARGIN", new_y="NEXT")
    signatures(
        pdf,
        [
            (_("Checked by"), "", blank_date()),
            (_("Checked by"), "", blank_date()),
            (_("Reviewed by (archive department)"), "", blank_date()),
        ],
    )


def new_pdf(footer: str, title: str) -> FPDF:
    """An A4 landscape sheet with the CJK font; the footer names it on every page."""
    pdf = FooterPDF(footer)
    pdf.set_title(title)
    pdf.add_font("cjk", fname=str(archive_settings.CJK_FONT))
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(auto=True, margin=18)  # leaves the footer its room
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    pdf.add_page()
    return pdf


def printed_line(pdf: FPDF) -> None:
    pdf.set_font("cjk", size=8)
    pdf.cell(0, 6, printed_on(), new_x="LMARGIN", new_y="NEXT", align="R")


def inventory_list_pdf(inventory_round: InventoryRound) -> tuple[bytes, str]:
    """A4 landscape PDF of the round's list by cabinet → shelf → box; (bytes, filename)."""
    from svc_archive_plugin.services.inventory import report_items

    items = list(report_items(inventory_round))
    listed = [i for i in items if not i.unlisted]
    unlisted = [i for i in items if i.unlisted]
    title = _("Inventory list of paper originals")
    pdf = new_pdf(
        f"{inventory_round.name} · {title} · {_day(inventory_round.started_at)}",
        f"{title} {inventory_round.name}",
    )
    heading(pdf, title, inventory_round)
    pdf.set_font("cjk", size=9)
    pdf.multi_cell(
        0,
        5,
        _(
            "Check each dossier: tick Present, Missing or Misplaced, and write where a "
            "misplaced one was found. Write anything the list does not name in the last "
            "table.",
        ),
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    number = 1
    for cabinet, group in groupby(listed, key=lambda i: i.cabinet):
        pdf.ln(3)
        section(
            pdf,
            _("Cabinet %(cabinet)s") % {"cabinet": cabinet or "—"},
            sum(WIDTHS),
        )
        number = _cabinet_table(pdf, list(group), number, inventory_round.started_at)
    pdf.ln(3)
    pdf.set_font("cjk", size=10)
    pdf.cell(
        0,
        7,
        _(
            "Total: %(dossiers)s dossiers, %(pages)s pages; out on loan at the start: "
            "%(out)s",
        )
        % {
            "dossiers": len(listed),
            "pages": sum(i.pages or 0 for i in listed),
            "out": sum(1 for i in listed if i.loan_id),
        },
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    section(pdf, _("Found, not on the list"), sum(UNLISTED_WIDTHS))
    _unlisted_table(pdf, unlisted)
    pdf.ln(4)
    checkers_block(pdf)
    printed_line(pdf)
    return bytes(pdf.output()), f"inventory-list-{inventory_round.pk}.pdf"
