"""What a dossier's cover 案卷封面 and note sheet 备考表 say (DA/T 22 practice, SPEC §4).

The facts come from the registers, the dossier's documents and its filing history; the
sheets themselves are drawn in ``reports/dossier_sheets.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Max
from django.db.models import Min
from django.db.models import Sum
from django.utils import timezone
from django.utils import translation

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models.filing import FilingEvent
from svc_archive_plugin.services import records
from svc_archive_plugin.services import vocabulary
from svc_archive_plugin.services.filing import completeness
from svc_archive_plugin.services.language import django_language
from svc_archive_plugin.services.people import name_of
from svc_archive_plugin.services.provisioning import provisioned
from svc_archive_plugin.services.retention import dossier_class
from svc_archive_plugin.services.retention import period_years
from svc_archive_plugin.services.retention import retention_label

if TYPE_CHECKING:
    import datetime

Action = FilingEvent.Action


@dataclass(frozen=True)
class Step:
    """Who took a filing step, and on which day."""

    person: str
    day: datetime.date | None


@dataclass(frozen=True)
class DossierSheet:
    fonds: str  # 全宗号
    unit: str  # 立卷单位: the project's department
    title: str  # 案卷题名
    archive_code: str  # 档号 ('' until filed)
    retention: str  # 保管期限, as the archive writes it: 永久, 定期10年
    first_day: datetime.date | None  # 起止日期: the earliest and latest document
    last_day: datetime.date | None
    documents: int  # 件数
    pages: int  # 页数 (scanned pages, or the paper original's count if recorded)
    classification: str  # 密级: the highest marked on its documents ('' if none is)
    location: str  # cabinet-shelf-box
    state: str
    # The note sheet 备考表.
    missing_types: tuple[str, ...]  # by name
    incomplete_reason: str  # why it was filed although incomplete
    incomplete_accepted_by: str
    compiled: Step  # 立卷人, 立卷时间: the last submission
    checked: Step  # 检查人: the archive department's receipt
    filed: Step  # 归档: the filing


def _day(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None


def last_step(dossier: Dossier, action: str) -> Step:
    """Who last took the filing step ``action`` on the dossier, and when (blank if nobody)."""
    event = (
        dossier.filing_events.filter(action=action)
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )
    if event is None:
        return Step("", None)
    return Step(name_of(event.actor), _day(event.at))


def confidentiality(document_ids) -> dict[int, tuple[int, str]]:
    """Each marked document's confidentiality (密级): its rank (0 is public, higher is
    stricter, as the vocabulary lists them) and its name in the reader's language."""
    field = provisioned("custom_field.confidentiality")
    marked = records.field_values("confidentiality", document_ids)
    if field is None or not marked:
        return {}
    labels = {
        str(o.get("id")): o.get("label")
        for o in field.extra_data.get("select_options", [])
    }
    language = django_language(translation.get_language())
    if language not in vocabulary.LANGUAGES:
        language = "en" if language.startswith("en") else vocabulary.DEFAULT_LANGUAGE
    levels = {}
    for rank, (_key, term) in enumerate(vocabulary.CONFIDENTIALITY):
        for name in (term.zh_hans, term.zh_hant, term.en):
            levels[name] = (rank, term.name(language))
    found = {pk: levels.get(labels.get(str(option))) for pk, option in marked.items()}
    return {pk: level for pk, level in found.items() if level}


def _classification(document_ids) -> str:
    """The highest confidentiality (密级) marked on any of the documents ('' if none is)."""
    levels = confidentiality(document_ids).values()
    return max(levels)[1] if levels else ""


def retention_text(dossier: Dossier) -> str:
    """The dossier's retention 保管期限 as the archive writes it: 永久, 定期10年."""
    retention = dossier_class(dossier) or dossier.retention
    return retention_label(retention, period_years(retention)) if retention else ""


def _type_names(codes: tuple[str, ...]) -> tuple[str, ...]:
    names = dict(
        DocumentTypeCode.objects.filter(code__in=codes).values_list(
            "code",
            "document_type__name",
        ),
    )
    return tuple(names.get(code, code) for code in codes)


def dossier_title(dossier: Dossier) -> str:
    """The dossier's title 案卷题名: the customer, the project and what it holds."""
    project = dossier.project
    return f"{project.customer.name}　{project.name}（{project.service_type.name}）"


def dossier_sheet(dossier: Dossier) -> DossierSheet:
    """Everything the cover and the note sheet of ``dossier`` print."""
    dossier = Dossier.objects.select_related(
        "project__customer",
        "project__service_type",
        "project__department",
        "completeness_override_by",
    ).get(pk=dossier.pk)
    project = dossier.project
    documents = records.dossier_documents(dossier)
    facts = documents.aggregate(
        first=Min("created"),
        last=Max("created"),
        pages=Sum("page_count"),
    )
    check = completeness(dossier)
    compiled = last_step(dossier, Action.SUBMIT)
    received = last_step(dossier, Action.RECEIVE)
    return DossierSheet(
        fonds=archive_settings.FONDS,
        unit=project.department.name if project.department_id else "",
        title=dossier_title(dossier),
        archive_code=dossier.archive_code or "",
        retention=retention_text(dossier),
        first_day=facts["first"] or project.start_date,
        last_day=facts["last"] or project.end_date,
        documents=check.documents,
        pages=dossier.paper_pages or facts["pages"] or 0,
        classification=_classification(documents.values_list("pk", flat=True)),
        location=dossier.location,
        state=dossier.get_state_display(),
        missing_types=_type_names(check.missing),
        incomplete_reason=dossier.completeness_override,
        incomplete_accepted_by=name_of(dossier.completeness_override_by),
        compiled=compiled,
        checked=received,
        filed=last_step(dossier, Action.FILE),
    )
