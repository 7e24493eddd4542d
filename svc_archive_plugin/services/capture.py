"""Classification of incoming scans: by folder (SPEC §3) or by a cover sheet's barcode.

``consume/<customer code>/<project code>/<document-type code>/scan.pdf``, where any suffix
may be missing, and ``consume/<document-type code>/`` alone. A bundle whose first page is a
cover sheet (see ``reports.cover_sheet``) is classified by the sheet, which is then removed.
Codes that are unknown, ambiguous or contradict each other are reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from svc_archive_plugin.models import CaptureReport
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services.provisioning import provisioned

if TYPE_CHECKING:
    from pathlib import Path
    from pathlib import PurePath

Reason = CaptureReport.Reason


@dataclass(frozen=True)
class Problem:
    reason: str
    detail: str


@dataclass(frozen=True)
class Classification:
    """What a file's folder or cover sheet says about it."""

    relative_path: str
    document_type_id: int | None = None
    category_option_id: str | None = None
    customer_option_id: str | None = None
    project_option_id: str | None = None
    problems: tuple[Problem, ...] = ()

    def with_problem(self, reason: str, detail: str) -> Classification:
        return replace(self, problems=(*self.problems, Problem(reason, detail)))


def folder_codes(file: PurePath, consumption_dir: PurePath) -> list[str] | None:
    """Return the folder names between the consumption directory and the file.

    ``None`` when the file is not inside the consumption directory.
    """
    try:
        relative = file.relative_to(consumption_dir)
    except ValueError:
        return None
    return [part.strip() for part in relative.parts[:-1]]


def _find(model: type, code: str):
    """Find by exact code, else by code ignoring case (folders are typed by hand)."""
    manager = model.objects
    if model is DocumentTypeCode:
        manager = manager.select_related("default_category")
    if model is ServiceProject:
        manager = manager.select_related("customer", "dossier__category")
    return (
        manager.filter(code=code).first() or manager.filter(code__iexact=code).first()
    )


def classify_codes(
    relative_path: str,
    *,
    customer_code: str | None = None,
    project_code: str | None = None,
    type_code: str | None = None,
) -> Classification:
    """Turn codes into document metadata, reporting what does not fit."""
    result = Classification(relative_path)
    customer = project = type_entry = None
    if customer_code is not None:
        customer = _find(Customer, customer_code)
        if customer is None:
            result = result.with_problem(
                Reason.UNKNOWN_CODE,
                _("No customer has the code '%(code)s'.") % {"code": customer_code},
            )
    if project_code is not None:
        project = _find(ServiceProject, project_code)
        if project is None:
            result = result.with_problem(
                Reason.UNKNOWN_CODE,
                _("No service project has the code '%(code)s'.")
                % {"code": project_code},
            )
        elif customer is not None and project.customer_id != customer.pk:
            result = result.with_problem(
                Reason.MISMATCH,
                _(
                    "Project %(project)s belongs to customer %(owner)s, not "
                    "%(customer)s; the project was not set.",
                )
                % {
                    "project": project.code,
                    "owner": project.customer.code,
                    "customer": customer.code,
                },
            )
            project = None
        elif customer is None:
            customer = project.customer
    if type_code is not None:
        type_entry = _find(DocumentTypeCode, type_code)
        if type_entry is None:
            known = ", ".join(
                DocumentTypeCode.objects.values_list("code", flat=True),
            ) or _("none")
            result = result.with_problem(
                Reason.UNKNOWN_CODE,
                _(
                    "No document type has the code '%(code)s' (known codes: %(known)s). "
                    "The document was left without a type.",
                )
                % {"code": type_code, "known": known},
            )
    category = None
    if project is not None and hasattr(project, "dossier"):
        category = project.dossier.category
    elif type_entry is not None:
        category = type_entry.default_category
    return replace(
        result,
        document_type_id=type_entry.document_type_id if type_entry else None,
        category_option_id=category.option_id if category else None,
        customer_option_id=customer.option_id or None if customer else None,
        project_option_id=project.option_id or None if project else None,
    )


def classify_folder(file: Path, consumption_dir: Path) -> Classification | None:
    """Classify a file by its folder; ``None`` when the folder convention does not apply."""
    file, consumption_dir = file.resolve(), consumption_dir.resolve()
    codes = folder_codes(file, consumption_dir)
    if not codes:
        return None
    relative = str(file.relative_to(consumption_dir))
    if len(codes) > 3:
        return Classification(relative).with_problem(
            Reason.UNSUPPORTED_PATH,
            _(
                "%(path)s has more levels than "
                "consume/<customer>/<project>/<document type>/.",
            )
            % {"path": "/".join(codes)},
        )
    if len(codes) == 1:
        # consume/<document type>/ or consume/<customer>/: the code decides which.
        [code] = codes
        is_type, is_customer = _find(DocumentTypeCode, code), _find(Customer, code)
        if is_type and is_customer:
            return Classification(relative).with_problem(
                Reason.AMBIGUOUS_CODE,
                _(
                    "'%(code)s' is both a document-type code and a customer code; use "
                    "consume/<customer>/<project>/<document type>/.",
                )
                % {"code": code},
            )
        if is_customer:
            return classify_codes(relative, customer_code=code)
        return classify_codes(relative, type_code=code)
    return classify_codes(
        relative,
        customer_code=codes[0],
        project_code=codes[1],
        type_code=codes[2] if len(codes) == 3 else None,
    )


def apply_to_overrides(classification: Classification, overrides) -> None:
    """Put the classification into paperless's consumption overrides.

    What the uploader or a rule already chose wins over the folder or sheet.
    """
    if classification.document_type_id and overrides.document_type_id is None:
        overrides.document_type_id = classification.document_type_id
    values = {
        "custom_field.category": classification.category_option_id,
        "custom_field.customer": classification.customer_option_id,
        "custom_field.project": classification.project_option_id,
    }
    custom_fields = dict(overrides.custom_fields or {})
    for key, value in values.items():
        field = provisioned(key) if value else None
        if field is not None:
            custom_fields.setdefault(field.pk, value)
    if custom_fields:
        overrides.custom_fields = custom_fields


def record_problems(document, classification: Classification) -> list[CaptureReport]:
    """Write one capture report per problem; part of the consumption's transaction."""
    with transaction.atomic():
        return [
            CaptureReport.objects.create(
                document=document,
                document_title=document.title[:128],
                path=classification.relative_path,
                reason=problem.reason,
                detail=problem.detail,
            )
            for problem in classification.problems
        ]


def report_duplicate(document) -> CaptureReport | None:
    """Report a document whose file is already in the archive (or in the trash)."""
    from documents.models import Document

    earlier = (
        Document.global_objects.filter(checksum=document.checksum)
        .exclude(pk=document.pk)
        .order_by("pk")
        .values_list("pk", "title", "deleted_at")
        .first()
    )
    if earlier is None:
        return None
    pk, title, deleted_at = earlier
    where = _(" (in the trash)") if deleted_at else ""
    return CaptureReport.objects.create(
        document=document,
        document_title=document.title[:128],
        path=document.original_filename or "",
        reason=Reason.DUPLICATE,
        detail=_("Same file as document #%(id)s '%(title)s'%(where)s.")
        % {"id": pk, "title": title, "where": where},
    )


def resolve_reports(report_ids: list[int], user) -> int:
    """Mark open capture reports as dealt with by ``user``; return how many were open."""
    from django.utils import timezone

    return CaptureReport.objects.filter(
        pk__in=report_ids,
        resolved__isnull=True,
    ).update(
        resolved=timezone.now(),
        resolved_by=user,
    )


def create_type_folders(consumption_dir: Path) -> list[Path]:
    """Create ``consume/<code>/`` for every document-type code; return the new ones.

    Scanning staff then see where each kind of paper goes, and the consumer watches the
    folders before the first file arrives.
    """
    created = []
    for code in DocumentTypeCode.objects.values_list("code", flat=True):
        folder = consumption_dir / code
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            created.append(folder)
    return created
