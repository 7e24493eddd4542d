"""Catalogues and paperwork of filed dossiers (policy §3.2.2, DA/T 22; SPEC §4).

- the in-dossier catalogue 卷内目录: one row per record, in 件号 order;
- the catalogue of filed records 归档文件目录 of one year and archive category;
- the handover list 移交清单 the business department signs over to the archive department;
- the box and spine labels 档案盒脊背, and the label code a scanner reads back.

What each row says:

- 责任者 (responsible): the record's correspondent in paperless, else the project's
  department (the company itself formed the record);
- 文号 (reference number): paperless's archive serial number (ASN) when one is set, else
  blank: the company's records carry no issuing number of their own, and the ASN is the
  number staff write on the paper original;
- 备注 (note): the record's 密级 when it is not public, and how many later versions it has.

The label code: a box label carries two codes. The QR code holds the 档号 itself (Chinese
and all, UTF-8); the 1D barcode (Code 128, ASCII only) holds the project's code, which the
register keeps to letters, digits, '-' and '_' and which names one dossier (one per project).
Every place that asks for a dossier by typing (the loan request, the inventory round's
scan and find pages) accepts either, as a scanner types it: ``find_dossier``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from dataclasses import field

from django.db.models import Count
from django.db.models import Q
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import FilingEvent
from svc_archive_plugin.services import items
from svc_archive_plugin.services import records
from svc_archive_plugin.services.dossier_sheets import Step
from svc_archive_plugin.services.dossier_sheets import confidentiality
from svc_archive_plugin.services.dossier_sheets import dossier_title
from svc_archive_plugin.services.dossier_sheets import last_step
from svc_archive_plugin.services.dossier_sheets import retention_text

Action = FilingEvent.Action


class CatalogueError(ValueError):
    """A catalogue asked for with parameters it cannot use (said in the reader's language)."""


@dataclass(frozen=True)
class CatalogueRow:
    item_number: int | None  # 件号 (None before filing)
    responsible: str  # 责任者
    reference: str  # 文号: the ASN, or ''
    title: str  # 题名
    day: datetime.date | None  # 日期
    pages: int | None  # 页数
    note: str  # 备注
    document_id: int


@dataclass(frozen=True)
class Catalogue:
    """The in-dossier catalogue 卷内目录 of one dossier."""

    dossier: Dossier
    archive_code: str  # 档号 ('' until filed)
    title: str  # 案卷题名
    retention: str  # 保管期限
    year: int | None  # 年度
    rows: list[CatalogueRow] = field(default_factory=list)


def _day(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def record_year(dossier: Dossier) -> int | None:
    """The dossier's year 年度, as its 档号 has it: the project's end, else the filing's."""
    if dossier.project.end_date:
        return dossier.project.end_date.year
    filed = last_step(dossier, Action.FILE)
    return filed.day.year if filed.day else None


def _later_versions(document_ids: list[int]) -> dict[int, int]:
    from documents.models import Document

    return dict(
        Document.global_objects.filter(root_document_id__in=document_ids)
        .values("root_document_id")
        .annotate(n=Count("pk"))
        .values_list("root_document_id", "n"),
    )


def _note(level: tuple[int, str] | None, versions: int) -> str:
    parts = []
    if level and level[0] > 0:  # 公开 goes without saying
        parts.append(level[1])
    if versions:
        parts.append(
            ngettext(
                "%(count)d later version",
                "%(count)d later versions",
                versions,
            )
            % {"count": versions},
        )
    return _("; ").join(parts)


def catalogue_rows(dossier: Dossier) -> list[CatalogueRow]:
    """The dossier's records in 件号 order (before filing: the order filing will number)."""
    from documents.models import Document

    numbered = items.numbered(dossier)
    if numbered:
        order = [(pk, number) for pk, number in numbered]
    else:
        documents = records.dossier_documents(dossier).values_list("pk", flat=True)
        order = [(pk, None) for pk in items.in_catalogue_order(dossier, documents)]
    ids = [pk for pk, _number in order]
    documents = Document.global_objects.select_related("correspondent").in_bulk(ids)
    levels = confidentiality(ids)
    versions = _later_versions(ids)
    department = (
        dossier.project.department.name if dossier.project.department_id else ""
    )
    rows = []
    for pk, number in order:
        document = documents.get(pk)
        if document is None:
            continue
        rows.append(
            CatalogueRow(
                item_number=number,
                responsible=document.correspondent.name
                if document.correspondent_id
                else department,
                reference=""
                if document.archive_serial_number is None
                else str(document.archive_serial_number),
                title=document.title,
                day=_day(document.created),
                pages=document.page_count,
                note=_note(levels.get(pk), versions.get(pk, 0)),
                document_id=pk,
            ),
        )
    return rows


def _with_project(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_related(
        "project__customer",
        "project__service_type",
        "project__department",
        "category",
    ).get(pk=dossier.pk)


def in_dossier_catalogue(dossier: Dossier) -> Catalogue:
    """The in-dossier catalogue 卷内目录 of ``dossier``."""
    dossier = _with_project(dossier)
    return Catalogue(
        dossier=dossier,
        archive_code=dossier.archive_code or "",
        title=dossier_title(dossier),
        retention=retention_text(dossier),
        year=record_year(dossier),
        rows=catalogue_rows(dossier),
    )


# The catalogue of filed records 归档文件目录 of a year and category -------------------------


def category_of(value) -> ArchiveCategory:
    """The archive category of a code (``KF``) or an id; ``CatalogueError`` if none is."""
    text = str(value or "").strip()
    if not text:
        raise CatalogueError(_("Choose an archive category."))
    query = Q(code__iexact=text)
    if text.isdigit():
        query |= Q(pk=int(text))
    found = ArchiveCategory.objects.filter(query).first()
    if found is None:
        raise CatalogueError(
            _("No archive category has the code '%(code)s'.") % {"code": text},
        )
    return found


def year_of(value) -> int:
    """A year 年度 of four digits; ``CatalogueError`` for anything else."""
    text = str(value or "").strip()
    if not text:
        raise CatalogueError(_("Give the year."))
    if not (text.isdigit() and len(text) == 4 and int(text) >= 1900):
        raise CatalogueError(
            _("'%(year)s' is not a year; write it with four digits, e.g. 2026.")
            % {"year": text},
        )
    return int(text)


def filed_dossiers(year: int, category: ArchiveCategory):
    """The filed dossiers of ``category`` whose year 年度 is ``year``, by 档号."""
    filed_in = FilingEvent.objects.filter(
        action=Action.FILE,
        at__year=year,
    ).values("dossier_id")
    return (
        Dossier.objects.filter(
            state=Dossier.State.FILED,
            category=category,
        )
        .exclude(archive_code=None)
        .filter(
            Q(project__end_date__year=year)
            | Q(project__end_date=None, pk__in=filed_in),
        )
        .select_related(
            "project__customer",
            "project__service_type",
            "project__department",
            "category",
        )
        .order_by("archive_code")
    )


def filed_records(year: int, category: ArchiveCategory) -> list[Catalogue]:
    """The catalogue of filed records 归档文件目录: each dossier's rows, by 档号 then 件号."""
    return [in_dossier_catalogue(d) for d in filed_dossiers(year, category)]


# The handover list 移交清单 -----------------------------------------------------------------


@dataclass(frozen=True)
class HandoverRow:
    dossier: Dossier
    archive_code: str
    title: str
    retention: str
    items: int  # 件数
    pages: int  # 页数 (scanned)
    paper_pages: int | None  # the paper original's pages, as the archive counted them


@dataclass(frozen=True)
class Handover:
    rows: list[HandoverRow]
    handed_over_by: Step  # 移交人: the business department's last submission
    received_by: Step  # 接收人: the archive department's receipt

    @property
    def items(self) -> int:
        return sum(r.items for r in self.rows)

    @property
    def pages(self) -> int:
        return sum(r.pages for r in self.rows)

    @property
    def paper_pages(self) -> int:
        return sum(r.paper_pages or 0 for r in self.rows)


def _together(steps: list[Step]) -> Step:
    """Several dossiers' signers as one line: each name once, the latest day."""
    names = list(dict.fromkeys(s.person for s in steps if s.person))
    days = [s.day for s in steps if s.day]
    return Step(_(", ").join(names), max(days) if days else None)


def handover(dossiers) -> Handover:
    """The handover list of ``dossiers`` (by 档号, then project code)."""
    chosen = sorted(
        (_with_project(d) for d in dossiers),
        key=lambda d: (d.archive_code or "\uffff", d.project.code),
    )
    rows = []
    for dossier in chosen:
        documents = records.dossier_documents(dossier)
        facts = documents.aggregate(n=Count("pk"), pages=Sum("page_count"))
        rows.append(
            HandoverRow(
                dossier=dossier,
                archive_code=dossier.archive_code or "",
                title=dossier_title(dossier),
                retention=retention_text(dossier),
                items=facts["n"] or 0,
                pages=facts["pages"] or 0,
                paper_pages=dossier.paper_pages,
            ),
        )
    return Handover(
        rows=rows,
        handed_over_by=_together([last_step(d, Action.SUBMIT) for d in chosen]),
        received_by=_together([last_step(d, Action.RECEIVE) for d in chosen]),
    )


# Labels and the code a scanner reads back ---------------------------------------------------


@dataclass(frozen=True)
class Label:
    archive_code: str  # 档号, also the QR code's text
    code: str  # the label code of the 1D barcode: the project code (ASCII)
    title: str
    year: int | None
    retention: str
    fonds: str


def label_code(dossier: Dossier) -> str:
    """The ASCII code of the dossier's barcode: its project's code."""
    return dossier.project.code


def label(dossier: Dossier) -> Label:
    dossier = _with_project(dossier)
    return Label(
        archive_code=dossier.archive_code or "",
        code=label_code(dossier),
        title=dossier_title(dossier),
        year=record_year(dossier),
        retention=retention_text(dossier),
        fonds=archive_settings.FONDS,
    )


def find_dossier(text: str) -> Dossier | None:
    """The dossier a typed or scanned code names: its 档号, or its label (project) code.

    Case and surrounding blanks do not matter (a scanner may add a newline or type in
    capitals); a 档号 is matched whole, never in part.
    """
    code = (text or "").strip()
    if not code:
        return None
    return (
        Dossier.objects.filter(
            Q(archive_code__iexact=code) | Q(project__code__iexact=code),
        )
        .select_related("project")
        .order_by("pk")
        .first()
    )
