"""Customers and service projects, and their select options on paperless documents.

The registers are the source of truth; the *Customer* and *Service project* select custom
fields mirror them, so staff pick and filter them in paperless's own document editor. The
mirror works both ways: an option renamed in paperless renames the register entry, an option
added there becomes a register entry, and an option of a registered entry cannot be removed
there (paperless would clear it from every document); removing goes through the register,
which refuses while anything still refers to the entry.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from typing import TYPE_CHECKING
from typing import Any

from django.db import models
from django.db import transaction
from django.utils.translation import gettext as _

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services import records
from svc_archive_plugin.services.people import in_department
from svc_archive_plugin.services.provisioning import MIRRORED
from svc_archive_plugin.services.provisioning import mirror_field
from svc_archive_plugin.services.provisioning import option_label
from svc_archive_plugin.services.provisioning import provisioned
from svc_archive_plugin.services.refusals import Forbidden
from svc_archive_plugin.services.refusals import Refused

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Iterator

    from django.contrib.auth.models import User
    from documents.models import CustomField

logger = logging.getLogger("paperless.svc_archive")

AUTO_CODE_PREFIX = {Customer: "C-", ServiceProject: "P-"}


class RegisterInUse(Refused):
    """A register entry is still referred to and cannot be deleted."""


def documents_referring_to(entry: Customer | ServiceProject) -> int:
    """Count documents (in the trash too) whose select field names ``entry``."""
    from documents.models import CustomFieldInstance

    field = mirror_field(type(entry))
    if field is None or not entry.option_id:
        return 0
    return CustomFieldInstance.global_objects.filter(
        field=field,
        value_select=entry.option_id,
    ).count()


def check_deletable(entry: Customer | ServiceProject) -> None:
    """Raise ``RegisterInUse`` naming what still refers to ``entry``."""
    reasons = []
    documents = documents_referring_to(entry)
    if documents:
        reasons.append(_("%(count)s document(s)") % {"count": documents})
    if isinstance(entry, Customer) and (projects := entry.projects.count()):
        reasons.append(_("%(count)s service project(s)") % {"count": projects})
    if (
        isinstance(entry, ServiceProject)
        and Dossier.objects.filter(project=entry)
        .exclude(state=Dossier.State.COLLECTING)
        .exists()
    ):
        reasons.append(_("its dossier, which is in filing"))
    if isinstance(entry, ServiceProject):
        from svc_archive_plugin.models import AccessRequestItem
        from svc_archive_plugin.models import Loan

        # Loans and access requests are evidence; they keep the dossier they name.
        if Loan.objects.filter(dossier__project=entry).exists():
            reasons.append(_("loans of its dossier"))
        if AccessRequestItem.objects.filter(dossier__project=entry).exists():
            reasons.append(_("access requests for its dossier"))
    if reasons:
        raise RegisterInUse(
            _("%(entry)s cannot be deleted: %(reasons)s still refer to it.")
            % {"entry": entry, "reasons": _(" and ").join(reasons)},
        )


def delete_entry(entry: Customer | ServiceProject) -> None:
    """Delete an unreferenced register entry and its select option."""
    with transaction.atomic():
        check_deletable(entry)
        entry.delete()


def remove_option(entry: Customer | ServiceProject) -> None:
    """Drop a deleted entry's option from its select field."""
    field = mirror_field(type(entry))
    if field is None or not entry.option_id:
        return
    options = field.extra_data.get("select_options", [])
    kept = [o for o in options if o.get("id") != entry.option_id]
    if len(kept) != len(options):
        field.extra_data["select_options"] = kept
        field.save(update_fields=["extra_data"])


def ensure_dossier(project: ServiceProject) -> Dossier:
    """Return the project's dossier, creating it in the service type's category."""
    dossier, _created = Dossier.objects.get_or_create(
        project=project,
        defaults={"category_id": project.service_type.category_id},
    )
    return dossier


def align_customer_with_project(document) -> bool:
    """Set a document's customer to its project's customer; return whether it changed."""
    from documents.models import CustomFieldInstance
    from documents.tasks import index_document

    customer_field = mirror_field(Customer)
    project_field = mirror_field(ServiceProject)
    if customer_field is None or project_field is None:
        return False
    if records.frozen([document.pk]):
        return False  # a record's customer is a frozen fact
    project_option = (
        CustomFieldInstance.objects.filter(document=document, field=project_field)
        .values_list("value_select", flat=True)
        .first()
    )
    if not project_option:
        return False
    project = (
        ServiceProject.objects.select_related("customer")
        .filter(option_id=project_option)
        .first()
    )
    if project is None or not project.customer.option_id:
        return False
    instance, created = CustomFieldInstance.objects.get_or_create(
        document=document,
        field=customer_field,
        defaults={"value_select": project.customer.option_id},
    )
    if not created and instance.value_select == project.customer.option_id:
        return False
    if not created:
        instance.value_select = project.customer.option_id
        instance.save(update_fields=["value_select"])
    transaction.on_commit(lambda: index_document.delay(document.pk))
    return True


# Paperless -> registers ----------------------------------------------------------------------


def keep_register_options(field: CustomField) -> None:
    """Before a mirrored field is saved: put back options of registered entries.

    Runs at ``pre_save``, so paperless's own clean-up task (which clears documents whose
    option disappeared) sees the options restored and clears nothing.
    """
    model = _mirrored_model(field)
    if model is None:
        return
    options = field.extra_data.setdefault("select_options", [])
    present = {o.get("id") for o in options}
    for entry in model.objects.exclude(option_id="").exclude(option_id__in=present):
        logger.warning(
            "Option %r is kept: %s is still registered",
            option_label(entry),
            entry,
        )
        options.append({"id": entry.option_id, "label": option_label(entry)})


def follow_field_edits(field: CustomField) -> None:
    """After a mirrored field is saved: rename or register entries edited in paperless."""
    model = _mirrored_model(field)
    if model is None:
        return
    by_option = {e.option_id: e for e in model.objects.exclude(option_id="")}
    for option in field.extra_data.get("select_options", []):
        entry = by_option.get(option.get("id"))
        label = (option.get("label") or "").strip()
        if entry is None:
            _register_from_option(model, option["id"], label)
        elif label != option_label(entry):
            # "CODE name" keeps the code; any other label is taken as the new name.
            prefix = f"{entry.code} "
            name = label[len(prefix) :] if label.startswith(prefix) else label
            model.objects.filter(pk=entry.pk).update(name=name[:128])


def _register_from_option(model: type, option_id: str, label: str) -> None:
    if model is ServiceProject:
        # A project needs a customer and a service type that an option cannot say.
        logger.warning("Option %r of the project field has no register entry", label)
        return
    code = f"{AUTO_CODE_PREFIX[model]}{option_id[:8].upper()}"
    model.objects.create(code=code, name=label[:128], option_id=option_id)
    logger.info("Registered %s %r from paperless's select option", code, label)


def _mirrored_model(field: CustomField) -> type | None:
    if field.pk is None:
        return None
    for model, key in MIRRORED.items():
        mirrored = provisioned(key)
        if mirrored is not None and mirrored.pk == field.pk:
            return model
    return None


# Register data that filed records depend on --------------------------------------------------
#
# A filed record's 档号 is made of its dossier's category, its project's end year and
# department; its retention counts from the project's end date; its customer is its
# project's. So once a dossier is filed (its category) or in review or filed (its
# project's end date, customer and department), these facts change only through an
# approved correction (``services.corrections``), which applies them inside ``amending``.

FROZEN_PROJECT_FIELDS = ("end_date", "customer", "department")
FROZEN_DOSSIER_FIELDS = ("category",)
PROJECT_FROZEN_IN = frozenset(
    {
        Dossier.State.SUBMITTED,
        Dossier.State.APPROVED,
        Dossier.State.RECEIVED,
        Dossier.State.FILED,
    },
)
# Whoever holds this (the archive department) edits any project that is not frozen.
ARCHIVE_EDITS_ANY = "svc_archive_plugin.file_dossier"

# (model label, pk) of register entries an applying correction may change.
_amending: contextvars.ContextVar[frozenset[tuple[str, int]]] = contextvars.ContextVar(
    "svc_archive_amending",
    default=frozenset(),
)


class RegisterFrozen(Refused):
    """Register data a filed record depends on; only a correction changes it."""


class RegisterEditForbidden(Forbidden):
    """The person may not edit this register entry (another department's project)."""


@contextlib.contextmanager
def amending(*entries: models.Model) -> Iterator[None]:
    """Let an approved correction change these entries' frozen facts."""
    keys = frozenset((entry._meta.label, entry.pk) for entry in entries)
    token = _amending.set(_amending.get() | keys)
    try:
        yield
    finally:
        _amending.reset(token)


def _being_amended(entry: models.Model) -> bool:
    return (entry._meta.label, entry.pk) in _amending.get()


def frozen_fields(entry: ServiceProject | Dossier) -> tuple[str, ...]:
    """The fields of ``entry`` that its dossier's state (as stored) freezes now."""
    if entry.pk is None:
        return ()
    if isinstance(entry, ServiceProject):
        state = (
            Dossier.objects.filter(project_id=entry.pk)
            .values_list("state", flat=True)
            .first()
        )
        return FROZEN_PROJECT_FIELDS if state in PROJECT_FROZEN_IN else ()
    if isinstance(entry, Dossier):
        state = (
            Dossier.objects.filter(pk=entry.pk).values_list("state", flat=True).first()
        )
        return FROZEN_DOSSIER_FIELDS if state == Dossier.State.FILED else ()
    return ()


def _raw(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def changed_fields(
    entry: models.Model,
    changes: dict[str, Any],
    names: tuple[str, ...],
) -> list[str]:
    """Which of ``names`` the ``changes`` (field name -> value) would change on ``entry``."""
    changed = []
    for name in names:
        if name not in changes:
            continue
        field = entry._meta.get_field(name)
        if _raw(changes[name]) != getattr(entry, field.attname):
            changed.append(name)
    return changed


def frozen_refusal(entry: ServiceProject | Dossier, fields: list[str]) -> str:
    labels = ", ".join(str(entry._meta.get_field(f).verbose_name) for f in fields)
    if isinstance(entry, Dossier):
        why = _("the dossier is filed")
    else:
        why = _("its dossier is under review or filed")
    return _(
        "%(entry)s: %(fields)s cannot be changed, because %(why)s and its records' "
        "archive code and retention depend on it (rule: register data of filed records "
        "is frozen). Put a real mistake right with a correction: an archive manager "
        "proposes it (Service archive > Corrections) and a second archive manager "
        "approves it.",
    ) % {"entry": entry, "fields": labels, "why": why}


def check_frozen(entry: ServiceProject | Dossier, changes: dict[str, Any]) -> None:
    """Raise ``RegisterFrozen`` if ``changes`` touch a frozen fact of ``entry``."""
    if _being_amended(entry):
        return
    fields = changed_fields(entry, changes, frozen_fields(entry))
    if fields:
        raise RegisterFrozen(frozen_refusal(entry, fields))


def _department_name(department_id: int | None) -> str:
    from django.contrib.auth.models import Group

    if department_id is None:
        return _("(no department)")
    return Group.objects.filter(pk=department_id).values_list("name", flat=True).first()


def check_department(
    user: User,
    project: ServiceProject | None,
    new_department_id: int | None,
) -> None:
    """Department heads edit their own department's projects only, and keep them there."""
    if user.has_perm(ARCHIVE_EDITS_ANY):
        return
    if project is not None and not in_department(user, project.department_id):
        raise RegisterEditForbidden(
            _(
                "You may not change %(project)s: it belongs to %(department)s, and "
                "department heads edit only their own department's projects.",
            )
            % {
                "project": project,
                "department": _department_name(project.department_id),
            },
        )
    if not in_department(user, new_department_id):
        raise RegisterEditForbidden(
            _(
                "You may not put a project in %(department)s: department heads edit "
                "only their own department's projects.",
            )
            % {"department": _department_name(new_department_id)},
        )


def check_project_edit(
    user: User,
    project: ServiceProject | None,
    changes: dict[str, Any],
) -> None:
    """Whether ``user`` may make ``changes`` to ``project`` (``None``: a new one)."""
    if project is None:
        check_department(user, None, _raw(changes.get("department")))
        return
    new_department = _raw(changes.get("department", project.department_id))
    check_department(user, project, new_department)
    check_frozen(project, changes)


def check_dossier_edit(user: User, dossier: Dossier, changes: dict[str, Any]) -> None:
    """Whether ``user`` may make ``changes`` to ``dossier`` (its project's department)."""
    project = dossier.project
    check_department(user, project, project.department_id)
    check_frozen(dossier, changes)


def refuse_frozen_save(
    entry: ServiceProject | Dossier,
    update_fields: Iterable[str] | None = None,
) -> None:
    """Before any save (shell, admin, API, a service): compare with the stored row."""
    if entry.pk is None or _being_amended(entry):
        return
    names = frozen_fields(entry)
    if update_fields is not None:
        names = tuple(n for n in names if n in set(update_fields))
    if not names:
        return
    stored = type(entry).objects.filter(pk=entry.pk).first()
    if stored is None:
        return
    changes = {
        name: getattr(entry, entry._meta.get_field(name).attname) for name in names
    }
    fields = changed_fields(stored, changes, names)
    if fields:
        raise RegisterFrozen(frozen_refusal(stored, fields))
