"""Classification of consumed files by the folder convention of SPEC §3.

``consume/<document-type code>/scan.pdf`` gives the document its type and that type's
default archive category. Customer and project levels
(``consume/<customer>/<project>/<type>/``) come with the customer and project registers;
until then those levels are reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from svc_archive_plugin.models import CaptureReport
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.services.provisioning import provisioned

if TYPE_CHECKING:
    from pathlib import Path
    from pathlib import PurePath


@dataclass(frozen=True)
class Problem:
    reason: str
    detail: str


@dataclass(frozen=True)
class FolderClassification:
    """What a file's folder says about it."""

    relative_path: str
    document_type_id: int | None = None
    category_option_id: str | None = None
    problems: tuple[Problem, ...] = ()


def folder_codes(file: PurePath, consumption_dir: PurePath) -> list[str] | None:
    """Return the folder names between the consumption directory and the file.

    ``None`` when the file is not inside the consumption directory.
    """
    try:
        relative = file.relative_to(consumption_dir)
    except ValueError:
        return None
    return [part.strip() for part in relative.parts[:-1]]


def classify_folder(file: Path, consumption_dir: Path) -> FolderClassification | None:
    """Classify a file by its folder; ``None`` when the folder convention does not apply."""
    codes = folder_codes(file.resolve(), consumption_dir.resolve())
    if not codes:
        return None
    relative = str(file.resolve().relative_to(consumption_dir.resolve()))
    *outer, type_code = codes
    problems = []
    if outer:
        problems.append(
            Problem(
                CaptureReport.Reason.UNSUPPORTED_PATH,
                f"Customer and project folders ({'/'.join(outer)}) are not classified yet; "
                "only consume/<document-type code>/ is.",
            ),
        )
    code = (
        DocumentTypeCode.objects.select_related("default_category")
        .filter(code__iexact=type_code)
        .first()
    )
    if code is None:
        known = (
            ", ".join(DocumentTypeCode.objects.values_list("code", flat=True)) or "none"
        )
        problems.append(
            Problem(
                CaptureReport.Reason.UNKNOWN_CODE,
                f"No document type has the code {type_code!r} (known codes: {known}). "
                "The document was left without a type.",
            ),
        )
        return FolderClassification(relative, problems=tuple(problems))
    return FolderClassification(
        relative,
        document_type_id=code.document_type_id,
        category_option_id=(
            code.default_category.option_id if code.default_category else None
        ),
        problems=tuple(problems),
    )


def category_field_id() -> int | None:
    """Return the id of the *Archive category* custom field, if provisioned."""
    field = provisioned("custom_field.category")
    return field.pk if field is not None else None


def apply_to_overrides(classification: FolderClassification, overrides) -> None:
    """Put the classification into paperless's consumption overrides.

    What the uploader or a rule already chose wins over the folder.
    """
    if classification.document_type_id and overrides.document_type_id is None:
        overrides.document_type_id = classification.document_type_id
    field_id = category_field_id()
    if classification.category_option_id and field_id is not None:
        custom_fields = (
            overrides.custom_fields if overrides.custom_fields is not None else {}
        )
        custom_fields.setdefault(field_id, classification.category_option_id)
        overrides.custom_fields = custom_fields


def record_problems(
    document,
    classification: FolderClassification,
) -> list[CaptureReport]:
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
