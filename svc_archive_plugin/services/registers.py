"""Customers and service projects, and their select options on paperless documents.

The registers are the source of truth; the *Customer* and *Service project* select custom
fields mirror them, so staff pick and filter them in paperless's own document editor. The
mirror works both ways: an option renamed in paperless renames the register entry, an option
added there becomes a register entry, and an option of a registered entry cannot be removed
there (paperless would clear it from every document); removing goes through the register,
which refuses while anything still refers to the entry.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.services import records
from svc_archive_plugin.services.provisioning import provisioned

if TYPE_CHECKING:
    from documents.models import CustomField

logger = logging.getLogger("paperless.svc_archive")

# Register model -> the provisioning key of the select field that mirrors it.
MIRRORED = {Customer: "custom_field.customer", ServiceProject: "custom_field.project"}
AUTO_CODE_PREFIX = {Customer: "C-", ServiceProject: "P-"}


class RegisterInUse(Exception):
    """A register entry is still referred to and cannot be deleted."""


def option_label(entry: Customer | ServiceProject) -> str:
    return f"{entry.code} {entry.name}"


def mirror_field(model: type) -> CustomField | None:
    return provisioned(MIRRORED[model])


def sync_option(entry: Customer | ServiceProject) -> None:
    """Add or relabel ``entry``'s option in its select field."""
    field = mirror_field(type(entry))
    if field is None:
        return
    options = field.extra_data.setdefault("select_options", [])
    label = option_label(entry)
    option = next(
        (o for o in options if entry.option_id and o.get("id") == entry.option_id),
        None,
    )
    if option is not None and option.get("label") == label:
        return
    if option is None:
        entry.option_id = get_random_string(16)
        type(entry).objects.filter(pk=entry.pk).update(option_id=entry.option_id)
        options.append({"id": entry.option_id, "label": label})
    else:
        option["label"] = label
    field.save(update_fields=["extra_data"])


def sync_all_options() -> int:
    """Mirror every register entry (after provisioning); return how many were written."""
    count = 0
    for model in MIRRORED:
        for entry in model.objects.all():
            before = entry.option_id
            sync_option(entry)
            count += before != entry.option_id
    return count


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
