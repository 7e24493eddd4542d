"""Classification of incoming scans: by folder (SPEC §3) or by a cover sheet's barcode.

``consume/<customer code>/<project code>/<document-type code>/scan.pdf``, where any suffix
may be missing, and ``consume/<document-type code>/`` alone. A bundle whose first page is a
cover sheet (see ``reports.cover_sheet``) is classified by the sheet, which is then removed.
Codes that are unknown, ambiguous or contradict each other are reported, never guessed.

A scan that fails — empty, damaged, password-protected, of a type paperless cannot read, or
with no text where its type needs text — is reported too, and its file is moved to the
holding folder, so nothing a scanner dropped in is lost or consumed twice.
"""

from __future__ import annotations

import datetime
import logging
import shutil
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pikepdf
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from documents.management.commands.document_consumer import ConsumerFilter
from documents.models import CustomField
from documents.models import CustomFieldInstance
from documents.models import DocumentType
from watchfiles import Change
from watchfiles import DefaultFilter

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import CaptureReport
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import ProvisionedObject
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services.language import in_language_of
from svc_archive_plugin.services.language import with_languages
from svc_archive_plugin.services.provisioning import provisioned

if TYPE_CHECKING:
    from pathlib import PurePath

logger = logging.getLogger("paperless.svc_archive")
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


# The fields a document type can require (keys of the plugin's select fields), with the
# type code's flag, in the order a report names them.
REQUIRABLE = (
    ("customer", "requires_customer"),
    ("project", "requires_project"),
    ("confidentiality", "requires_confidentiality"),
)


def missing_metadata(document) -> list[str]:
    """The names of the fields ``document``'s type requires that it has no value in.

    Nothing for a document without a type code (an unknown code is reported already), and
    nothing for a field that is not provisioned.
    """
    if document.document_type_id is None:
        return []
    code = DocumentTypeCode.objects.filter(
        document_type_id=document.document_type_id,
    ).first()
    wanted = [key for key, flag in REQUIRABLE if code and getattr(code, flag)]
    if not wanted:
        return []
    field_ids = dict(
        ProvisionedObject.objects.filter(
            key__in=[f"custom_field.{key}" for key in wanted],
        ).values_list("key", "object_id"),
    )
    ids = [
        field_ids[f"custom_field.{key}"]
        for key in wanted
        if f"custom_field.{key}" in field_ids
    ]
    present = set(
        CustomFieldInstance.objects.filter(
            document_id=document.pk,
            field_id__in=ids,
            value_select__isnull=False,
        ).values_list("field_id", flat=True),
    )
    names = dict(CustomField.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [names[pk] for pk in ids if pk not in present and pk in names]


def report_missing_metadata(document, path: str = "") -> CaptureReport | None:
    """Report a document that arrived without what its type requires, naming the fields."""
    missing = missing_metadata(document)
    if not missing:
        return None
    return CaptureReport.objects.create(
        document=document,
        document_title=document.title[:128],
        path=path or document.original_filename or "",
        reason=Reason.MISSING_METADATA,
        detail=_(
            "Missing %(fields)s, which documents of type %(type)s must have. Fill them "
            "in on the document's page and this report resolves itself.",
        )
        % {"fields": _(", ").join(missing), "type": document.document_type.name},
    )


def resolve_completed(document) -> int:
    """Resolve ``document``'s open missing-metadata reports once it has what its type
    requires (or its type requires less); return how many were resolved.

    Nobody is named as having resolved them: the document's edit did.
    """
    reports = CaptureReport.objects.filter(
        document_id=document.pk,
        reason=Reason.MISSING_METADATA,
        resolved__isnull=True,
    )
    if not reports.exists() or missing_metadata(document):
        return 0
    return reports.update(resolved=timezone.now())


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


# Failed scans ----------------------------------------------------------------------------------


class ScanRefused(Exception):
    """The plugin stops paperless storing a scan; the file is kept and reported."""

    def __init__(self, reason: str, detail: str) -> None:
        # Both in ``args``: celery pickles the exception, and a refusal it cannot
        # rebuild reaches paperless's task list as a wrapper's repr.
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


def _is_pdf(path: Path) -> bool:
    with path.open("rb") as file:
        return b"%PDF" in file.read(1024)


def _password_detail(folder: str) -> str:
    return _(
        "The PDF is protected by a password, so paperless cannot read its text. Remove "
        "the protection (for example: qpdf --password=<password> --decrypt "
        "<file> <new file>) and put the new file into %(folder)s again; the original "
        "waits in the holding folder.",
    ) % {"folder": folder}


def check_readable(working_copy: Path, folder: str) -> None:
    """Refuse a password-protected PDF before paperless spends OCR on it.

    paperless 3.0.5 stores one as a document with no text and no page count.
    """
    if not working_copy.is_file() or not _is_pdf(working_copy):
        return
    try:
        pikepdf.open(working_copy).close()
    except pikepdf.PasswordError:
        raise ScanRefused(Reason.PASSWORD, _password_detail(folder)) from None
    except pikepdf.PdfError:
        return  # damaged: paperless's own parser tries, and its failure is reported


def check_has_text(document) -> None:
    """Refuse a record whose type needs text when OCR found none."""
    if (document.content or "").strip() or document.document_type_id is None:
        return
    code = DocumentTypeCode.objects.filter(
        document_type_id=document.document_type_id,
        requires_text=True,
    ).first()
    if code is not None:
        raise ScanRefused(
            Reason.NO_TEXT,
            _(
                "OCR found no text in this %(type)s scan, so full-text search could "
                "never find it. Scan it again (straight, at 300 dpi, not too dark), or "
                "untick “requires text” on the type code %(code)s if that is expected.",
            )
            % {"type": code.document_type.name, "code": code.code},
        )


def _refusal(exception: BaseException | None) -> ScanRefused | None:
    seen = set()
    while exception is not None and id(exception) not in seen:
        if isinstance(exception, ScanRefused):
            return exception
        seen.add(id(exception))
        exception = exception.__cause__ or exception.__context__
    return None


def diagnose(path: Path, exception: BaseException | None, folder: str) -> Problem:
    """Why paperless did not take the file, in words an archive manager can act on."""
    refused = _refusal(exception)
    if refused is not None:
        return Problem(refused.reason, refused.detail)
    message = str(exception or "")
    if path.is_file() and path.stat().st_size == 0:
        return Problem(
            Reason.EMPTY_FILE,
            _(
                "The file is empty (0 bytes): the scanner or the copy failed. Scan again.",
            ),
        )
    if path.is_file() and _is_pdf(path):
        try:
            pikepdf.open(path).close()
        except pikepdf.PasswordError:
            return Problem(Reason.PASSWORD, _password_detail(folder))
        except pikepdf.PdfError as exc:
            return Problem(
                Reason.CORRUPT,
                _("The PDF is damaged and cannot be read (%(error)s). Scan again.")
                % {"error": exc},
            )
    if "Unsupported mime type" in message:
        return _unsupported(message.rsplit(": ", 1)[-1], folder)
    return Problem(
        Reason.FAILED,
        _("paperless could not consume the file: %(error)s") % {"error": message},
    )


def holding_dir() -> Path:
    return archive_settings.HOLDING_DIR or (
        Path(settings.DATA_DIR) / "svc-archive" / "held-scans"
    )


def hold(path: Path, relative: str) -> str:
    """Move the file under the holding folder, keeping its folders; return where to."""
    target = holding_dir() / relative
    if target.exists():  # the same name failed before: keep both
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S-%f")
        target = target.with_name(f"{target.stem}.{stamp}{target.suffix}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)
    return str(target.relative_to(holding_dir()))


def relative_path(path: Path) -> str:
    """The path under the consumption folder (``HT/scan.pdf``), else the file's name."""
    codes = folder_codes(path.resolve(), Path(settings.CONSUMPTION_DIR).resolve())
    return "/".join([*codes, path.name]) if codes is not None else path.name


def _intended(path: Path) -> str:
    """What the folder says the scan was meant to be, as names."""
    classification = classify_folder(path, Path(settings.CONSUMPTION_DIR))
    if classification is None:
        return ""
    parts = []
    if classification.document_type_id:
        parts.append(
            DocumentType.objects.filter(pk=classification.document_type_id)
            .values_list("name", flat=True)
            .first(),
        )
    for model, option in (
        (Customer, classification.customer_option_id),
        (ServiceProject, classification.project_option_id),
    ):
        if option:
            entry = model.objects.filter(option_id=option).first()
            parts.append(f"{entry.code} {entry.name}" if entry else None)
    names = " · ".join(part for part in parts if part)
    return _("Meant as: %(names)s.") % {"names": names} if names else ""


def _unsupported(error: str, folder: str) -> Problem:
    return Problem(
        Reason.UNSUPPORTED_TYPE,
        _(
            "paperless cannot read files of this type (%(error)s). Save it as PDF, "
            "JPEG, PNG or TIFF and put it into %(folder)s again.",
        )
        % {"error": error, "folder": folder},
    )


def consume_folder(relative: str) -> str:
    """The folder a scan went into, as scanning staff say it: ``consume/HT/``."""
    return "consume/" + "".join(part + "/" for part in relative.split("/")[:-1])


def report_failed_scan(
    original: Path,
    exception: BaseException | None = None,
    *,
    problem: Problem | None = None,
    name: str = "",
) -> CaptureReport:
    """Report a scan paperless did not store, and keep its file in the holding folder."""
    relative = relative_path(original)
    folder = consume_folder(relative)
    exists = original.is_file()
    problem = problem or diagnose(original, exception, folder)
    detail = " ".join(filter(None, [problem.detail, _intended(original)]))
    held = ""
    if exists:
        try:
            held = hold(original, relative)
        except OSError as exc:
            logger.exception("Could not move %s to the holding folder", original)
            detail += " " + _("It could not be moved to the holding folder: %(e)s") % {
                "e": exc,
            }
    else:
        detail += " " + _("The file was no longer there to keep.")
    return CaptureReport.objects.create(
        document=None,
        document_title=(name or original.name)[:128],
        path=relative,
        reason=problem.reason,
        detail=detail,
        held_file=held,
    )


def hold_unsupported_files(
    settle: datetime.timedelta = datetime.timedelta(minutes=10),
) -> list[CaptureReport]:
    """Hold and report the files paperless's consumer passes over for their extension.

    Its watcher ignores them in silence, so a scan saved as .docx or .heic would wait in
    the consumption folder for ever. Files newer than ``settle`` may still be copying.
    """
    consume = Path(settings.CONSUMPTION_DIR)
    watched = ConsumerFilter(
        ignore_patterns=settings.CONSUMER_IGNORE_PATTERNS,
        ignore_dirs=settings.CONSUMER_IGNORE_DIRS,
    )
    cutoff = (timezone.now() - settle).timestamp()
    reports = []
    for path in sorted(consume.rglob("*")) if consume.is_dir() else ():
        if not path.is_file() or path.stat().st_mtime > cutoff:
            continue
        if watched(Change.added, str(path)):
            continue  # the consumer takes it
        if not DefaultFilter.__call__(watched, Change.added, str(path)):
            continue  # hidden, or in a folder paperless ignores on purpose
        error = path.suffix.lower() or _("no extension")
        problem = _unsupported(error, consume_folder(relative_path(path)))
        reports.append(report_failed_scan(path, problem=problem))
    return reports


def _newest_change(path: Path) -> float:
    if not path.is_dir():
        return path.lstat().st_mtime
    return max(
        [path.lstat().st_mtime] + [p.lstat().st_mtime for p in path.rglob("*")],
    )


def recover_interrupted_scans(
    older_than: datetime.timedelta | None = None,
) -> list[Path]:
    """Queue again the scans whose consumption died with its worker; clear what such a
    run left in paperless's scratch directory. Returns the files queued.

    Celery acknowledges a task when the worker receives it, so a worker killed while
    consuming loses the task; paperless's consumer queues each file once (when it
    appears, or when the consumer starts), so the scan would wait in the consumption
    folder until someone restarts the consumer. A file the consumer takes, unchanged for
    ``older_than`` (by default longer than any task may run), with no consume task of its
    name queued or started since, is queued again, and scratch entries unchanged as long
    are removed. A scan queued twice is stored once: the second task finds it gone.
    """
    from documents.data_models import ConsumableDocument
    from documents.data_models import DocumentMetadataOverrides
    from documents.data_models import DocumentSource
    from documents.models import PaperlessTask
    from documents.tasks import consume_file

    if older_than is None:
        limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or 1800
        older_than = datetime.timedelta(seconds=limit, minutes=10)
    cutoff = timezone.now() - older_than
    scratch = Path(settings.SCRATCH_DIR)
    for entry in sorted(scratch.iterdir()) if scratch.is_dir() else ():
        if _newest_change(entry) <= cutoff.timestamp():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    busy = set(
        PaperlessTask.objects.filter(
            task_type=PaperlessTask.TaskType.CONSUME_FILE,
            status__in=(PaperlessTask.Status.PENDING, PaperlessTask.Status.STARTED),
            date_created__gt=cutoff,
        ).values_list("input_data__filename", flat=True),
    )
    # A scan whose consumption ended (stored, or refused with its capture report) after
    # it last changed was not interrupted: queuing it each day would only repeat that.
    ended: dict[str, datetime.datetime] = {}
    for name, created in PaperlessTask.objects.filter(
        task_type=PaperlessTask.TaskType.CONSUME_FILE,
        status__in=(PaperlessTask.Status.SUCCESS, PaperlessTask.Status.FAILURE),
    ).values_list("input_data__filename", "date_created"):
        ended[name] = max(created, ended.get(name, created))
    consume = Path(settings.CONSUMPTION_DIR)
    watched = ConsumerFilter(
        ignore_patterns=settings.CONSUMER_IGNORE_PATTERNS,
        ignore_dirs=settings.CONSUMER_IGNORE_DIRS,
    )
    queued = []
    for path in sorted(consume.rglob("*")) if consume.is_dir() else ():
        if (
            not path.is_file()
            or path.stat().st_mtime > cutoff.timestamp()
            or path.name in busy
            or (
                path.name in ended
                and ended[path.name].timestamp() >= path.stat().st_mtime
            )
            or not watched(Change.added, str(path))
        ):
            continue
        logger.warning("Queuing %s again: its consumption was interrupted", path)
        consume_file.apply_async(
            kwargs={
                "input_doc": ConsumableDocument(
                    source=DocumentSource.ConsumeFolder,
                    original_file=path,
                ),
                "overrides": DocumentMetadataOverrides(),
            },
            headers={"trigger_source": PaperlessTask.TriggerSource.SYSTEM},
        )
        queued.append(path)
    return queued


def daily_summary(today: datetime.date | None = None) -> int:
    """Mail the archive managers the capture reports of the last day; return mails sent."""
    if not getattr(settings, "EMAIL_ENABLED", False):
        logger.info("Capture summary skipped: paperless has no mail server configured")
        return 0
    since = timezone.now() - datetime.timedelta(days=1)
    new = list(CaptureReport.objects.filter(created__gte=since).order_by("created"))
    still_open = CaptureReport.objects.filter(resolved__isnull=True).count()
    role = provisioned("group.archive_managers")
    if not new or role is None:
        return 0
    readers = with_languages(
        get_user_model()
        .objects.filter(groups=role, is_active=True)
        .exclude(email="")
        .distinct(),
    )
    day = today or timezone.localdate()
    sent = 0
    for reader in readers:
        with in_language_of(reader):
            lines = [
                f"- {timezone.localtime(r.created):%Y-%m-%d %H:%M} {r.path}: "
                f"{r.get_reason_display()}. {r.detail}"
                + (
                    " " + _("(kept as %(file)s)") % {"file": r.held_file}
                    if r.held_file
                    else ""
                )
                for r in new
            ]
            send_mail(
                subject=_("Capture reports of %(day)s: %(count)d new")
                % {"day": day, "count": len(new)},
                message=_(
                    "%(count)d capture reports since yesterday (%(open)d open in all, "
                    "under Service archive ▸ Capture reports):",
                )
                % {"count": len(new), "open": still_open}
                + "\n\n"
                + "\n".join(lines)
                + "\n",
                from_email=None,
                recipient_list=[reader.email],
            )
            sent += 1
    return sent
