"""The printable loan slip 借阅单 of one loan, signed at the desk and kept until it closes.

Printed in the language active when it is made (the reader's, in a request).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.reports.labels import blank_date
from svc_archive_plugin.reports.labels import page_label
from svc_archive_plugin.reports.labels import person
from svc_archive_plugin.reports.labels import printed_on

if TYPE_CHECKING:
    import datetime

    from svc_archive_plugin.models import Loan

# Millimetres of the 180 between the 15 mm margins of A4 portrait: label, value, label, value.
WIDTHS = (44, 56, 26, 54)
LABEL = WIDTHS[0]
LINE = 4.5  # mm per line of text in a cell
ROW = 8  # mm: every row leaves room to write in by hand
SIGN_ROW = 13  # mm: room for a handwritten signature
# Role, signature (over the name), "date", date: the date lines up with the last column.
SIGN_WIDTHS = (44, 82, 14, 40)
SECTION = 6.5  # mm: a section's heading bar
BOX = 3.6  # mm: a tick box

# The font has no bold face: fpdf2's default bold headings would fail.
LABEL_STYLE = FontFace(emphasis="", fill_color=(238, 238, 238))
SECTION_STYLE = FontFace(emphasis="", fill_color=(215, 215, 215))


def _day(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return blank_date()
    if hasattr(value, "tzinfo") and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d")


def _moment(value: datetime.datetime | None) -> str:
    if value is None:
        return blank_date()  # the time is on record, the desk need not write it
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d %H:%M")


def _last_events(loan: Loan) -> dict[str, datetime.datetime]:
    """When each step of the loan was last taken (approvals, inspection)."""
    from svc_archive_plugin.models import LoanEvent

    Action = LoanEvent.Action
    steps = (Action.APPROVE_HEAD, Action.APPROVE_ARCHIVE, Action.INSPECT)
    return dict(
        loan.events.filter(action__in=steps)
        .order_by("at", "pk")
        .values_list("action", "at"),
    )


def _item_rows(loan: Loan) -> list[tuple[str, str] | tuple[str, str, str, str]]:
    """What is lent: the dossier's code, project and customer, or the document."""
    if loan.dossier_id:
        dossier = loan.dossier
        project = dossier.project
        customer = project.customer
        return [
            (
                _("Archive code"),
                dossier.archive_code or _("(not yet filed)"),
                _("Kept at"),
                dossier.location,
            ),
            (_("Project"), f"{project.code}　{project.name}"),
            (_("Customer"), f"{customer.code}　{customer.name}"),
        ]
    from documents.models import Document

    from svc_archive_plugin.services import loans
    from svc_archive_plugin.services import records

    document = Document.global_objects.filter(pk=loan.document_id).first()
    title = document.title if document else _("(document no longer exists)")
    code = records.field_values(
        "archive_code",
        [loan.document_id],
        column="value_text",
    ).get(loan.document_id)
    return [
        (
            _("Archive code"),
            code or _("(not yet filed)"),
            _("Kept at"),
            loans.home_location(loan),
        ),
        (_("Title"), title),
    ]


class _SlipPDF(FPDF):
    def __init__(self, footer_note: str) -> None:
        super().__init__(orientation="P", format="A4")
        self.footer_note = footer_note

    def footer(self) -> None:
        # On every page, so a loose second page still names its loan.
        self.set_y(-13)
        self.set_font("cjk", size=8)
        self.cell(0, 6, self.footer_note, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 6, page_label(self.page_no()), align="R")


def _section(pdf: FPDF, title: str) -> None:
    pdf.set_font("cjk", size=10.5)
    pdf.set_fill_color(*SECTION_STYLE.fill_color.colors255)
    pdf.cell(
        sum(WIDTHS),
        SECTION,
        title,
        border=1,
        fill=True,
        new_x="LMARGIN",
        new_y="NEXT",
    )


def _grid(
    pdf: FPDF,
    rows: list[tuple[str, ...]],
    min_height: float = ROW,
) -> None:
    """Rows of label/value (spanning the width) or label/value/label/value, bordered."""
    pdf.set_fill_color(255)  # a table takes the fill colour last set for its cells
    pdf.set_font("cjk", size=9.5)
    with pdf.table(
        col_widths=WIDTHS,
        width=sum(WIDTHS),
        align="LEFT",
        text_align="LEFT",
        v_align="MIDDLE",
        first_row_as_headings=False,
        line_height=LINE,
        padding=(1, 1.5),
        min_row_height=min_height,
    ) as table:
        for values in rows:
            row = table.row()
            if len(values) == 2:
                row.cell(values[0], style=LABEL_STYLE)
                row.cell(values[1], colspan=3)
            else:
                for i, value in enumerate(values):
                    row.cell(value, style=LABEL_STYLE if i % 2 == 0 else None)


def _boxes(pdf: FPDF, label: str, options, chosen: str) -> None:
    """A bordered row: the label, then a tick box before each option (ticked if chosen)."""
    pdf.set_font("cjk", size=9.5)
    if pdf.get_y() + ROW > pdf.page_break_trigger:  # drawn by hand: no automatic break
        pdf.add_page()
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_fill_color(*LABEL_STYLE.fill_color.colors255)
    pdf.rect(x, y, LABEL, ROW, style="DF")
    pdf.rect(x + LABEL, y, sum(WIDTHS) - LABEL, ROW)
    pdf.set_xy(x + 1.5 - pdf.c_margin, y)  # the text where a table cell's starts
    pdf.cell(LABEL - 1.5, ROW, label)
    at = x + LABEL + 3
    top = y + (ROW - BOX) / 2
    for value, label in options:
        text = str(label)
        pdf.rect(at, top, BOX, BOX)
        if value == chosen:
            pdf.set_line_width(0.45)
            pdf.line(at + 0.6, top + 1.9, at + 1.5, top + 2.9)
            pdf.line(at + 1.5, top + 2.9, at + 3.1, top + 0.6)
            pdf.set_line_width(0.2)
        pdf.set_xy(at + BOX + 1, y)
        pdf.cell(pdf.get_string_width(text) + 1, ROW, text)
        at = pdf.get_x() + 5
    pdf.set_xy(x, y + ROW)


def signatures(pdf: FPDF, rows: list[tuple[str, str, str]]) -> None:
    """Rows of role, room to sign (over the name the system knows), date."""
    pdf.set_fill_color(255)  # a table takes the fill colour last set for its cells
    pdf.set_font("cjk", size=9.5)
    with pdf.table(
        col_widths=SIGN_WIDTHS,
        width=sum(WIDTHS),
        align="LEFT",
        text_align="LEFT",
        v_align="MIDDLE",
        first_row_as_headings=False,
        line_height=LINE,
        padding=(1, 1.5),
        min_row_height=SIGN_ROW,
    ) as table:
        for label, name, date in rows:
            row = table.row()
            row.cell(label, style=LABEL_STYLE)
            row.cell(name, v_align="BOTTOM")
            row.cell(_("Date"), style=LABEL_STYLE)
            row.cell(date)


def _details(loan: Loan) -> list[tuple[str, ...]]:
    renewals = _("%(count)s time(s)") % {"count": loan.renewals}
    if loan.renewal_days:
        renewals += _("; %(days)s more working days awaiting approval") % {
            "days": loan.renewal_days,
        }
    return [
        (_("Reason for the loan"), loan.reason),
        (
            _("Requested on"),
            _day(loan.requested_at),
            _("Loan period"),
            _("%(days)s working days") % {"days": loan.days},
        ),
        (
            _("Issued at"),
            _moment(loan.issued_at),
            _("Issued by"),
            person(loan.issued_by),
        ),
        (_("Due back"), _day(loan.due), _("Renewals"), renewals),
        # Empty until issued (and for an electronic copy, which leaves no shelf).
        (_("Location it left"), loan.location_out),
    ]


def loan_slip_pdf(loan: Loan) -> bytes:
    """An A4 portrait PDF of the loan: particulars, approvals, signatures, the return."""
    from svc_archive_plugin.models import LoanEvent

    Action = LoanEvent.Action
    at = _last_events(loan)
    title = _("Service archive loan slip")

    pdf = _SlipPDF(f"{loan.number} · {title}")
    pdf.set_title(_("Loan slip %(number)s") % {"number": loan.number})
    pdf.add_font("cjk", fname=str(archive_settings.CJK_FONT))
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(auto=True, margin=18)  # leaves the footer its room
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    pdf.add_page()

    pdf.set_font("cjk", size=18)
    pdf.cell(0, 11, title, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, _("Loan No.: %(number)s") % {"number": loan.number}, align="L")
    pdf.set_x(pdf.l_margin)
    pdf.set_font("cjk", size=10)
    pdf.cell(
        0,
        8,
        _("State: %(state)s") % {"state": loan.get_state_display()},
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(1)

    _section(pdf, _("Loan particulars"))
    _grid(
        pdf,
        [
            (
                _("Borrower"),
                person(loan.borrower),
                _("Department"),
                loan.department.name if loan.department_id else "",
            ),
            *_item_rows(loan),
        ],
    )
    _boxes(pdf, _("Medium"), loan.Medium.choices, loan.medium)
    _grid(pdf, _details(loan))
    pdf.ln(2.5)

    _section(pdf, _("Approvals"))
    signatures(
        pdf,
        [
            (
                _("Department head"),
                person(loan.head_approved_by),
                _day(at.get(Action.APPROVE_HEAD)),
            ),
            (
                _("Archive department head"),
                person(loan.archive_approved_by),
                _day(at.get(Action.APPROVE_ARCHIVE)),
            ),
        ],
    )
    pdf.ln(2.5)

    _section(pdf, _("Signatures at issue (sign by hand)"))
    signatures(
        pdf,
        [
            (_("Borrower's signature"), "", blank_date()),
            (_("Desk officer"), "", blank_date()),
        ],
    )
    pdf.ln(2.5)

    _section(pdf, _("Return"))
    _grid(
        pdf,
        [
            (
                _("Returned at"),
                _moment(loan.returned_at),
                _("Received by"),
                person(loan.received_by),
            ),
        ],
    )
    _boxes(pdf, _("Condition"), loan.Condition.choices, loan.condition)
    _grid(pdf, [(_("Inspection note"), loan.inspection_note)], min_height=12)
    signatures(
        pdf,
        [
            (
                _("Inspected by"),
                person(loan.inspected_by),
                _day(at.get(Action.INSPECT)) if loan.inspected_by_id else blank_date(),
            ),
        ],
    )

    pdf.ln(2)
    pdf.set_font("cjk", size=8.5)
    pdf.multi_cell(
        0,
        4.5,
        _(
            "Return the item by the due date; a renewal is asked for before it and "
            "approved again. The borrower is liable for damage, missing pages or loss.",
        ),
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(0, 5, printed_on(), new_x="LMARGIN", new_y="NEXT", align="R")
    return bytes(pdf.output())
