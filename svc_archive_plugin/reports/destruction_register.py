"""The printable destruction register 销毁清册 of one destruction list, to sign and file.

Printed in the language active when it is made (the reader's, in a request); the records'
own particulars are printed as the register holds them.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.reports.labels import page_label
from svc_archive_plugin.reports.labels import printed_on
from svc_archive_plugin.services import chains
from svc_archive_plugin.services import register
from svc_archive_plugin.services.people import name_of

if TYPE_CHECKING:
    from svc_archive_plugin.models import DestructionList


def _headings() -> tuple[str, ...]:
    return (
        _("No."),
        _("Archive code"),
        # Translators: the year a record belongs to (年度), a column of the register.
        _("Year"),
        _("Title"),
        _("Customer"),
        _("Project"),
        _("Document type"),
        _("Pages"),
        _("Retention"),
        _("Years kept"),
        _("Method of destruction"),
        _("Place of destruction"),
        _("Destroyed"),
        _("Remarks"),
    )


# Millimetres of the 277 between the margins of A4 landscape; the title gets the most.
WIDTHS = (8, 32, 10, 40, 38, 28, 14, 9, 14, 12, 18, 20, 18, 16)
ALIGNS = (
    "CENTER",
    "LEFT",
    "CENTER",
    "LEFT",
    "LEFT",
    "LEFT",
    "LEFT",
    "RIGHT",
    "CENTER",
    "RIGHT",
    "LEFT",
    "LEFT",
    "CENTER",
    "LEFT",
)


def _roles() -> tuple[tuple[str, str, int], ...]:
    """(label, signatories key, lines left at least): the policy wants two people to check
    and at least two to supervise, so the paper has room for them even before they sign."""
    return (
        (_("Prepared by"), "preparer", 1),
        (_("Approved by (company leader)"), "approved", 1),
        (_("Checked by"), "checked", 2),
        (_("Supervised by"), "supervised", 2),
        (_("Carried out by"), "executed", 1),
    )


SIGNATURE_WIDTHS = (62, 55, 30, 130)
SIGNATURE_ROW = 10  # mm: room for a handwritten signature, and for a two-line label

# The font has no bold face: fpdf2's default bold headings would fail.
HEADING_STYLE = FontFace(emphasis="", fill_color=(225, 225, 225))


def _date(value) -> str:
    """The local date of an ISO date or timestamp ('' for none)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    return value.isoformat()


def _text(value) -> str:
    return "" if value is None else str(value)


def _row(number: int, c: dict, destroyed: str) -> tuple[str, ...]:
    return (
        str(number),
        _text(c.get("archive_code")),
        register.year_of(c),
        _text(c.get("title")),
        _text(c.get("customer")),
        _text(c.get("project")),
        _text(c.get("document_type")),
        _text(c.get("pages")),
        _text(c.get("retention")),
        _text(c.get("years_kept")),
        _text(c.get("method")),
        _text(c.get("place")),
        destroyed,
        _text(c.get("remark")),
    )


def _named(signatories: dict) -> dict:
    """The signatories with each user name replaced by the person's name, where known.

    The tombstone keeps user names (that is what its hash covers); the paper shows names.
    """
    from django.contrib.auth import get_user_model

    usernames = {signatories.get("preparer")} | {
        person.get("user")
        for key in ("approved", "checked", "supervised", "executed")
        for person in signatories.get(key) or []
    }
    User = get_user_model()
    names = {
        user.get_username(): name_of(user)
        for user in User.objects.filter(username__in=usernames - {None})
    }
    named = dict(signatories)
    if preparer := signatories.get("preparer"):
        named["preparer"] = names.get(preparer, preparer)
    for key in ("approved", "checked", "supervised", "executed"):
        named[key] = [
            {**person, "user": names.get(person.get("user"), person.get("user"))}
            for person in signatories.get(key) or []
        ]
    return named


def _event_signatories(destruction_list: DestructionList) -> dict:
    """Who has signed so far in the list's current round, shaped like a tombstone's."""
    from svc_archive_plugin.models import DestructionEvent

    Action = DestructionEvent.Action
    keys = {
        Action.APPROVE: "approved",
        Action.CHECK: "checked",
        Action.SUPERVISE: "supervised",
        Action.EXECUTE: "executed",
    }
    signatories = {
        "preparer": name_of(destruction_list.prepared_by),
        **{key: [] for key in keys.values()},
    }
    events = destruction_list.events.filter(
        round=destruction_list.round,
        action__in=keys,
    ).select_related("actor")
    for event in events.order_by("at", "pk"):
        signatories[keys[event.action]].append(
            {"user": name_of(event.actor), "at": event.at.isoformat()},
        )
    return signatories


def _prepared_on(destruction_list: DestructionList) -> str:
    """The tombstone names the preparer without a date: use the round's submission."""
    from svc_archive_plugin.models import DestructionEvent

    submitted = (
        destruction_list.events.filter(
            round=destruction_list.round,
            action=DestructionEvent.Action.SUBMIT,
        )
        .order_by("-at", "-pk")
        .first()
    )
    return _date(submitted.at) if submitted else ""


class FooterPDF(FPDF):
    """A4 landscape whose every page names the sheet and its page number at the foot."""

    def __init__(self, footer_note: str) -> None:
        super().__init__(orientation="L", format="A4")
        self.footer_note = footer_note

    def footer(self) -> None:
        # On every page, so a loose printed page still names its list and entries.
        self.set_y(-13)
        self.set_font("cjk", size=8)
        self.cell(0, 6, self.footer_note, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 6, page_label(self.page_no()), align="R")


def _heading(pdf: FPDF, destruction_list: DestructionList) -> None:
    pdf.set_font("cjk", size=18)
    pdf.cell(
        0,
        12,
        _("Service archive destruction register"),
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(  # a title may be as long as 200 characters
        0,
        7,
        _("List No.: %(number)s") % {"number": destruction_list.number}
        + "　　"
        + _("Title: %(title)s") % {"title": destruction_list.title},
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.multi_cell(
        0,
        7,
        _("Reason for destruction: %(reason)s") % {"reason": destruction_list.reason},
        align="L",  # justified mixed Chinese and English spreads the English words apart
        new_x="LMARGIN",
        new_y="NEXT",
    )


def _register_table(pdf: FPDF, rows: list[tuple[str, ...]]) -> None:
    pdf.set_font("cjk", size=8.5)
    with pdf.table(
        col_widths=WIDTHS,
        width=sum(WIDTHS),
        text_align=ALIGNS,
        headings_style=HEADING_STYLE,
        line_height=4.5,
        padding=(1, 0.8),  # narrow sides: 已保管年数 just fits its column
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for text in _headings():
            heading.cell(text, align="CENTER")
        for values in rows:
            table.row(values)


def _signature_block(pdf: FPDF, signatories: dict, prepared_on: str) -> None:
    people = {
        key: signatories.get(key) or []
        for key in ("approved", "checked", "supervised", "executed")
    }
    preparer = signatories.get("preparer")
    people["preparer"] = [{"user": preparer, "at": prepared_on}] if preparer else []
    roles = _roles()
    lines = sum(max(least, len(people[key])) for _l, key, least in roles)
    # Keep the block on one page: signatures split from their heading read badly.
    if pdf.get_y() + 10 + (lines + 1) * SIGNATURE_ROW > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font("cjk", size=11)
    pdf.cell(
        0,
        8,
        _(
            "Signatures (signatories and dates as recorded in the system; sign by "
            "hand under “Signature”)",
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("cjk", size=9)
    with pdf.table(
        col_widths=SIGNATURE_WIDTHS,
        width=sum(SIGNATURE_WIDTHS),
        text_align="LEFT",
        headings_style=HEADING_STYLE,
        line_height=4,
        padding=1,
        min_row_height=SIGNATURE_ROW,
        repeat_headings=0,
    ) as table:
        table.row((_("Role"), _("Signed by"), _("Date"), _("Signature")))
        for label, key, least in roles:
            signed = people[key]
            count = max(least, len(signed))
            for i in range(count):
                row = table.row()
                if i == 0:
                    row.cell(label, rowspan=count)
                person = signed[i] if i < len(signed) else {}
                row.cell(_text(person.get("user")))
                row.cell(_date(person.get("at")))
                row.cell("")


CHAIN_WIDTHS = (95, 22, 160)


def _chain_heads_block(pdf: FPDF, heads: dict[str, dict]) -> None:
    """The 链头: every evidence chain's head as printed, an anchor outside the database."""
    if pdf.get_y() + 20 + len(heads) * 6 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, _("Chain heads"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(
        0,
        4.5,
        _(
            "The last entry of every evidence chain when this was printed. Keep it with "
            "the register: svc_archive_verify --heads compares the chains with it, so a "
            "removed tail or a re-chained table shows.",
        ),
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    with pdf.table(
        col_widths=CHAIN_WIDTHS,
        width=sum(CHAIN_WIDTHS),
        text_align=("LEFT", "RIGHT", "LEFT"),
        headings_style=HEADING_STYLE,
        line_height=4,
        padding=(0.8, 1),
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for text in (_("Evidence table"), _("Entries"), _("Head hash (SHA-256)")):
            heading.cell(text, align="CENTER")
        for label, head in sorted(heads.items()):
            table.row(
                (
                    f"{chains.table_name(label)} ({label.rsplit('.', 1)[-1]})",
                    str(head["seq"]),
                    head["hash"],
                ),
            )


def destruction_register_pdf(destruction_list: DestructionList) -> tuple[bytes, str]:
    """A4 landscape PDF of the list's register entries + signature block; returns (bytes, filename)."""
    entries = list(register.list_entries(destruction_list))
    if entries:
        rows = [
            _row(n, e.content, _date(e.content.get("destroyed_at") or e.destroyed_at))
            for n, e in enumerate(entries, 1)
        ]
        pages = [e.content.get("pages") for e in entries]
        # All entries of a list were written with the same signatories.
        signatories = _named(entries[0].content.get("signatories") or {})
        first, last = entries[0], entries[-1]
        footer = _(
            "%(number)s · register entries #%(first)s–#%(last)s · "
            "SHA-256 %(first_hash)s … %(last_hash)s",
        ) % {
            "number": destruction_list.number,
            "first": first.sequence,
            "last": last.sequence,
            "first_hash": first.entry_hash[:12],
            "last_hash": last.entry_hash[:12],
        }
    else:
        items = list(destruction_list.items.all())
        rows = [
            _row(
                n,
                {
                    "archive_code": i.archive_code,
                    "title": i.title,
                    "customer": i.customer,
                    "project": i.project,
                    "document_type": i.document_type,
                    "pages": i.pages,
                    "retention": i.retention,
                    "years_kept": i.years_kept,
                    "created": i.created.isoformat() if i.created else None,
                    "method": destruction_list.method,
                    "place": destruction_list.place,
                },
                "",
            )
            for n, i in enumerate(items, 1)
        ]
        pages = [i.pages for i in items]
        signatories = _event_signatories(destruction_list)
        footer = _("%(number)s · not yet carried out, no register entries") % {
            "number": destruction_list.number,
        }

    pdf = FooterPDF(footer)
    pdf.set_title(
        _("Destruction register %(number)s") % {"number": destruction_list.number},
    )
    pdf.add_font("cjk", fname=str(archive_settings.CJK_FONT))
    pdf.set_auto_page_break(auto=True, margin=18)  # leaves the footer its room
    pdf.add_page()
    _heading(pdf, destruction_list)
    if not entries:
        pdf.set_font("cjk", size=12)
        pdf.set_text_color(180, 0, 0)
        pdf.multi_cell(
            0,
            8,
            _(
                "Not yet carried out (%(state)s): the records listed below have not "
                "been destroyed; this is not yet a register.",
            )
            % {"state": destruction_list.get_state_display()},
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0)
    elif destruction_list.state != destruction_list.State.EXECUTED:
        # A list is registered record by record: say so while it is still running.
        pdf.set_font("cjk", size=12)
        pdf.cell(
            0,
            8,
            _("Being carried out: %(done)s of %(total)s")
            % {"done": len(entries), "total": destruction_list.items.count()},
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(2)
    _register_table(pdf, rows)
    pdf.ln(2)
    pdf.set_font("cjk", size=10)
    total = sum(p for p in pages if p)
    pdf.cell(
        0,
        7,
        _("Total: %(items)s items, %(pages)s pages")
        % {"items": len(rows), "pages": total},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    _signature_block(pdf, signatories, _prepared_on(destruction_list))
    if entries:  # a list not yet carried out is no register yet: nothing to anchor
        pdf.ln(4)
        _chain_heads_block(pdf, chains.heads())
    pdf.set_font("cjk", size=8)
    pdf.cell(0, 6, printed_on(), new_x="LMARGIN", new_y="NEXT", align="R")
    return bytes(pdf.output()), f"destruction-register-{destruction_list.number}.pdf"
