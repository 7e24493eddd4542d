"""The printable discrepancy report 清查盘点差异报告 of one inventory round, to sign and file.

Printed in the language active when it is made (the reader's, in a request).
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from svc_archive_plugin.reports.destruction_register import HEADING_STYLE
from svc_archive_plugin.reports.inventory_list import checkers_block
from svc_archive_plugin.reports.inventory_list import heading
from svc_archive_plugin.reports.inventory_list import new_pdf
from svc_archive_plugin.reports.inventory_list import printed_line
from svc_archive_plugin.reports.inventory_list import section

if TYPE_CHECKING:
    from fpdf import FPDF

    from svc_archive_plugin.models import InventoryRound
    from svc_archive_plugin.services.inventory import Discrepancy


def _headings() -> tuple[str, ...]:
    return (
        _("No."),
        _("Archive code"),
        _("Title (project)"),
        _("Register location"),
        _("Found at"),
        _("Loan"),
        _("Checked by, at"),
        _("Note"),
    )


WIDTHS = (10, 48, 54, 26, 26, 40, 28, 45)


def _summary_labels() -> tuple[tuple[str, str], ...]:
    return (
        ("listed", _("Listed")),
        ("present", _("Present")),
        ("missing", _("Missing")),
        ("misplaced", _("Misplaced")),
        ("unchecked", _("Not checked")),
        ("unlisted", _("Not on the list")),
    )


def _loan(row: Discrepancy) -> str:
    loan = row.loan
    if loan is None:
        return ""
    if row.at_desk:
        return _("%(number)s: back at the desk, to be inspected") % {
            "number": loan.number,
        }
    return f"{loan.number} {loan.borrower.get_username()}"


def _checked(row: Discrepancy) -> str:
    item = row.item
    if item.checked_at is None:
        return ""
    from svc_archive_plugin.services.inventory import moment

    at = moment(item.checked_at)
    who = item.checked_by.get_username() if item.checked_by_id else ""
    return f"{who}\n{at}"


def _table(pdf: FPDF, rows: list[Discrepancy]) -> None:
    pdf.set_fill_color(255)  # a table takes the fill colour last set for its cells
    pdf.set_font("cjk", size=8.5)
    with pdf.table(
        col_widths=WIDTHS,
        width=sum(WIDTHS),
        text_align="LEFT",
        headings_style=HEADING_STYLE,
        line_height=4.2,
        padding=(1, 1),
        min_row_height=7,
        v_align="MIDDLE",
        repeat_headings=1,
    ) as table:
        head = table.row()
        for text in _headings():
            head.cell(text, align="CENTER")
        for number, row in enumerate(rows, 1):
            item = row.item
            table.row(
                (
                    str(number),
                    item.archive_code
                    or (_("(not yet filed)") if item.dossier_id else ""),
                    item.title,
                    row.listed_at,
                    item.found_at,
                    _loan(row),
                    _checked(row),
                    item.note,
                ),
            )


def _summary(pdf: FPDF, counts: dict[str, int], discrepancies: int) -> None:
    labels = _summary_labels()
    widths = (34,) * (len(labels) + 1)
    pdf.set_fill_color(255)
    pdf.set_font("cjk", size=9.5)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align="LEFT",
        text_align="CENTER",
        headings_style=HEADING_STYLE,
        line_height=5,
        padding=1,
    ) as table:
        head = table.row()
        for _key, label in labels:
            head.cell(label)
        head.cell(_("Discrepancies"))
        row = table.row()
        for key, _label in labels:
            row.cell(str(counts[key]))
        row.cell(str(discrepancies))


def discrepancy_report_pdf(inventory_round: InventoryRound) -> tuple[bytes, str]:
    """A4 landscape PDF: the round's counts, its discrepancies by kind, signatures."""
    from svc_archive_plugin.services.inventory import discrepancies
    from svc_archive_plugin.services.inventory import progress

    rows = discrepancies(inventory_round)
    counts = progress(inventory_round)
    title = _("Inventory discrepancy report")
    pdf = new_pdf(
        f"{inventory_round.name} · {title}",
        f"{title} {inventory_round.name}",
    )
    heading(pdf, title, inventory_round)
    if inventory_round.closed_at is None:
        pdf.set_font("cjk", size=11)
        pdf.set_text_color(180, 0, 0)
        pdf.cell(
            0,
            7,
            _("The round is still open: its results may change."),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0)
    pdf.ln(2)
    _summary(pdf, counts, sum(1 for row in rows if not row.explained))
    if not rows:
        pdf.ln(4)
        pdf.set_font("cjk", size=12)
        pdf.cell(
            0,
            8,
            _(
                "No discrepancies: every listed dossier was found where the register "
                "has it.",
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    for _kind, group in groupby(rows, key=lambda row: row.kind):
        group = list(group)
        pdf.ln(4)
        section(pdf, f"{group[0].kind_label} ({len(group)})", sum(WIDTHS))
        _table(pdf, group)
    pdf.ln(5)
    checkers_block(pdf)
    printed_line(pdf)
    return bytes(pdf.output()), f"inventory-discrepancies-{inventory_round.pk}.pdf"
