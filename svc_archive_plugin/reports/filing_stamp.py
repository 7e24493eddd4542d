"""The filing stamp 归档章 (DA/T 22) as a one-page PDF, to lay over a record's first page.

A box of cells in red ink, 45 x 16 mm: 全宗号, 年度 and 件号 on the first row, 机构 (when
the archive code names the department) and 保管期限 on the second, the 档号 across the
third. Each cell carries its name in small type over its value. The text is real text in
the embedded CJK font (a subset), so it can be searched and copied.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from fpdf import FPDF

from svc_archive_plugin.conf import archive_settings

WIDTH = 45.0  # millimetres
HEIGHT = 16.0
ROW = 6.0  # the two rows of cells; the 档号 takes the rest
CODE_LABEL_WIDTH = 8.0
INK = (176, 0, 0)  # the dark red of a stamp pad
LABEL_SIZE = 4.0  # points
VALUE_SIZE = 6.5
CODE_SIZE = 5.5
LINE = 0.3
PADDING = 0.6


@dataclass(frozen=True)
class StampFacts:
    """What the stamp shows; ``department`` is empty when the archive code has none."""

    fonds: str
    year: str
    retention: str
    item_number: str
    archive_code: str
    department: str = ""


def _fitted(pdf: FPDF, text: str, width: float, size: float) -> float:
    """The largest font size up to ``size`` at which ``text`` fits in ``width``."""
    pdf.set_font_size(size)
    room = width - 2 * PADDING
    used = pdf.get_string_width(text)
    return size if used <= room or not used else size * room / used


def _centred(
    pdf: FPDF,
    text: str,
    x: float,
    width: float,
    baseline: float,
    size: float,
):
    pdf.set_font_size(_fitted(pdf, text, width, size))
    pdf.text(x + (width - pdf.get_string_width(text)) / 2, baseline, text)


def _cell(pdf: FPDF, x: float, y: float, width: float, label: str, value: str) -> None:
    """A cell of the first two rows: its name small at the top, the value under it."""
    height = ROW
    pdf.rect(x, y, width, height)
    _centred(pdf, label, x, width, y + 1.9, LABEL_SIZE)
    _centred(pdf, value, x, width, y + height - 1.0, VALUE_SIZE)


def render(facts: StampFacts) -> bytes:
    """The stamp as a PDF page of exactly its size, labelled in the active language."""
    pdf = FPDF(unit="mm", format=(WIDTH, HEIGHT))
    pdf.set_margins(0, 0, 0)
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("cjk", fname=str(archive_settings.CJK_FONT))
    pdf.set_font("cjk", size=VALUE_SIZE)
    pdf.set_creator("svc-archive")
    pdf.add_page()
    pdf.set_draw_color(*INK)
    pdf.set_text_color(*INK)
    pdf.set_line_width(LINE)
    inset = LINE / 2  # the outer lines inside the page, so none is cut off

    top = [
        (_("Fonds No."), facts.fonds),
        (_("Year"), facts.year),
        (pgettext("filing stamp", "Item No."), facts.item_number),
    ]
    second = [(_("Retention"), facts.retention)]
    if facts.department:
        second.insert(0, (pgettext("filing stamp", "Department"), facts.department))
    inner = WIDTH - 2 * inset
    y = inset
    for row in (top, second):
        width = inner / len(row)
        for place, (label, value) in enumerate(row):
            _cell(pdf, inset + place * width, y, width, label, value)
        y += ROW
    height = HEIGHT - inset - y
    pdf.rect(inset, y, CODE_LABEL_WIDTH, height)
    pdf.rect(inset + CODE_LABEL_WIDTH, y, inner - CODE_LABEL_WIDTH, height)
    baseline = y + height - 1.2
    _centred(
        pdf,
        _("Archive code"),
        inset,
        CODE_LABEL_WIDTH,
        baseline,
        LABEL_SIZE + 0.5,
    )
    _centred(
        pdf,
        facts.archive_code,
        inset + CODE_LABEL_WIDTH,
        inner - CODE_LABEL_WIDTH,
        baseline,
        CODE_SIZE,
    )
    return bytes(pdf.output())
