"""Create the vocabulary of SPEC §1 as native paperless objects, idempotently.

Each object the plugin provisions is remembered under a stable key (``ProvisionedObject``),
so a second run, even in another language, finds it again. An object that already exists
under the wanted name is adopted as it is, never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db import transaction
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from documents.models import CustomField
from documents.models import DocumentType
from documents.models import MatchingModel
from documents.models import Tag

from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import ProvisionedObject
from svc_archive_plugin.models import RequiredDocumentType
from svc_archive_plugin.models import RetentionRule
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import vocabulary as vocab

TAG_COLOURS = {
    "retention": "#1f78b4",
    "legal_hold": "#e31a1c",
    "on_loan": "#ff7f00",
    "pending_destruction": "#6a3d9a",
}


class ProvisioningError(Exception):
    """The vocabulary cannot be created without overwriting something that exists."""


@dataclass
class ProvisioningReport:
    """What a run created and what it found already there (console lines, in English)."""

    created: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)

    def note(self, what: str, *, created: bool) -> None:
        (self.created if created else self.reused).append(what)


def provisioned(key: str) -> models.Model | None:
    """Return the object provisioned under ``key``, if it still exists."""
    entry = (
        ProvisionedObject.objects.filter(key=key).select_related("content_type").first()
    )
    if entry is None:
        return None
    model = entry.content_type.model_class()
    return model._default_manager.filter(pk=entry.object_id).first()


def remember(key: str, obj: models.Model) -> None:
    ProvisionedObject.objects.update_or_create(
        key=key,
        defaults={
            "content_type": ContentType.objects.get_for_model(obj),
            "object_id": obj.pk,
        },
    )


class _Provisioner:
    def __init__(self, language: str) -> None:
        if language not in vocab.LANGUAGES:
            raise ProvisioningError(
                _("Unknown language '%(language)s'; choose one of %(languages)s.")
                % {"language": language, "languages": ", ".join(vocab.LANGUAGES)},
            )
        self.language = language
        self.report = ProvisioningReport()

    def name(self, term: vocab.Term, **values: object) -> str:
        return term.name(self.language, **values)

    def keyed(
        self,
        key: str,
        model: type[models.Model],
        name: str,
        label: str,
        **create,
    ):
        """Find the object under ``key``, else by name, else create it."""
        obj = provisioned(key)
        created = False
        if obj is None:
            lookup = {"name": name}
            if issubclass(model, MatchingModel):
                lookup["owner"] = None
            obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model._default_manager.create(name=name, **create)
            created = True
        remember(key, obj)
        self.report.note(f"{label} {obj.name}", created=created)
        return obj

    def custom_field(self, item: vocab.CustomFieldItem) -> CustomField:
        cf = self.keyed(
            f"custom_field.{item.key}",
            CustomField,
            self.name(item.term),
            "custom field",
            data_type=item.data_type,
            extra_data={"select_options": []} if item.data_type == "select" else {},
        )
        if cf.data_type != item.data_type:
            raise ProvisioningError(
                _(
                    "The custom field '%(name)s' exists as a %(found)s field, but the "
                    "plugin needs a %(wanted)s field under that name. Rename the "
                    "existing field and run svc_archive_setup again.",
                )
                % {"name": cf.name, "found": cf.data_type, "wanted": item.data_type},
            )
        return cf

    def add_option(self, cf: CustomField, label: str) -> str:
        """Return the id of the option labelled ``label``, adding it when missing."""
        options = cf.extra_data.setdefault("select_options", [])
        for option in options:
            if option.get("label") == label:
                return option["id"]
        option_id = get_random_string(16)
        options.append({"id": option_id, "label": label})
        cf.save(update_fields=["extra_data"])
        return option_id

    def categories(self, cf: CustomField) -> dict[str, ArchiveCategory]:
        known_ids = {o.get("id") for o in cf.extra_data.get("select_options", [])}
        result = {}
        for item in vocab.CATEGORIES:
            category = ArchiveCategory.objects.filter(code=item.code).first()
            created = category is None
            if created:
                name = self.name(item.term)
                category = ArchiveCategory.objects.create(
                    code=item.code,
                    name=name,
                    option_id=self.add_option(cf, name),
                )
            elif category.option_id not in known_ids:
                # The option was removed in paperless's UI: bring the category back.
                category.option_id = self.add_option(cf, category.name)
                category.save(update_fields=["option_id"])
            self.report.note(f"archive category {category}", created=created)
            result[item.code] = category
        return result

    def service_types(self, categories: dict[str, ArchiveCategory]) -> None:
        for item in vocab.SERVICE_TYPES:
            service_type, created = ServiceType.objects.get_or_create(
                code=item.code,
                defaults={
                    "name": self.name(item.term),
                    "category": categories[item.category],
                },
            )
            self.report.note(f"service type {service_type}", created=created)
            if created:
                # The default checklist; once the type exists it is the archive manager's.
                for code in DocumentTypeCode.objects.filter(code__in=item.required):
                    RequiredDocumentType.objects.create(
                        service_type=service_type,
                        document_type=code,
                    )

    def confidentiality(self, cf: CustomField) -> None:
        labels = {o.get("label") for o in cf.extra_data.get("select_options", [])}
        for _key, term in vocab.CONFIDENTIALITY:
            if labels.isdisjoint({term.zh_hans, term.zh_hant, term.en}):
                self.add_option(cf, self.name(term))

    def document_types(self, categories: dict[str, ArchiveCategory]) -> None:
        for item in vocab.DOCUMENT_TYPES:
            code = DocumentTypeCode.objects.filter(code=item.code).first()
            if code is not None:
                self.report.note(f"document type {code}", created=False)
                continue
            document_type = self.keyed(
                f"document_type.{item.code}",
                DocumentType,
                self.name(item.term),
                "document type",
                matching_algorithm=MatchingModel.MATCH_NONE,
            )
            required = vocab.REQUIRED_METADATA.get(item.code, ())
            DocumentTypeCode.objects.create(
                code=item.code,
                document_type=document_type,
                default_category=categories.get(item.default_category),
                requires_customer="customer" in required,
                requires_project="project" in required,
                requires_confidentiality="confidentiality" in required,
            )

    def tags(self) -> None:
        root = self.keyed(
            "tag.retention",
            Tag,
            self.name(vocab.RETENTION_ROOT),
            "tag",
            color=TAG_COLOURS["retention"],
            matching_algorithm=MatchingModel.MATCH_NONE,
        )
        periods = vocab.retention_periods()
        for key, term in vocab.RETENTION_TAGS:
            self.keyed(
                f"tag.retention.{key}",
                Tag,
                self.name(term, n=periods.get(key)),
                "tag",
                tn_parent=root,
                color=TAG_COLOURS.get(key, TAG_COLOURS["retention"]),
                matching_algorithm=MatchingModel.MATCH_NONE,
            )

    def retention_schedule(self) -> None:
        """One rule per document type, unless the archive manager already set one."""
        for code, retention in vocab.RETENTION_SCHEDULE:
            type_code = DocumentTypeCode.objects.filter(code=code).first()
            if type_code is None:
                continue
            _rule, created = RetentionRule.objects.get_or_create(
                document_type=type_code,
                category=None,
                defaults={"retention": retention},
            )
            self.report.note(f"retention rule {code}", created=created)

    def groups(self) -> None:
        for item in vocab.GROUPS:
            group = self.keyed(
                f"group.{item.key}",
                Group,
                self.name(item.term),
                "group",
            )
            wanted = set(item.permissions)
            found = Permission.objects.filter(
                content_type__app_label__in={p.split(".")[0] for p in wanted},
            ).select_related("content_type")
            by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in found}
            missing = wanted - by_name.keys()
            if missing:
                raise ProvisioningError(
                    _("Unknown permissions: %(permissions)s.")
                    % {"permissions": ", ".join(sorted(missing))},
                )
            # Add what the role needs; never take away what an admin granted.
            group.permissions.add(*(by_name[p] for p in wanted))


def provision(language: str = vocab.DEFAULT_LANGUAGE) -> ProvisioningReport:
    """Create or adopt every vocabulary item; all or nothing."""
    provisioner = _Provisioner(language)
    with transaction.atomic():
        fields = {
            item.key: provisioner.custom_field(item) for item in vocab.CUSTOM_FIELDS
        }
        categories = provisioner.categories(fields["category"])
        provisioner.confidentiality(fields["confidentiality"])
        provisioner.document_types(categories)
        provisioner.service_types(categories)
        provisioner.tags()
        provisioner.retention_schedule()
        provisioner.groups()
        # Registers kept before the fields existed get their options now.
        sync_all_options()
    return provisioner.report


# The customer and project registers, mirrored as the fields' options ---------------------

# Register model -> the provisioning key of the select field that mirrors it.
MIRRORED = {Customer: "custom_field.customer", ServiceProject: "custom_field.project"}


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
