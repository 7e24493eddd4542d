"""factory-boy factories for the host's and the plugin's models (paperless ships none)."""

from __future__ import annotations

import factory
from django.contrib.auth.models import User
from documents.models import Document
from factory.django import DjangoModelFactory


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass")

    @factory.post_generation
    def _save_password(self, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: FBT001
        if create:
            self.save(update_fields=["password"])

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)


class DocumentFactory(DjangoModelFactory):
    class Meta:
        model = Document

    title = factory.Sequence(lambda n: f"Document {n}")
    content = "scanned text"
    checksum = factory.Sequence(lambda n: f"{n:064x}")
    mime_type = "application/pdf"


def add_document(dossier, type_code: str, owner=None, **fields):
    """A document of the given type code in the dossier's project."""
    from documents.models import CustomField
    from documents.models import CustomFieldInstance
    from documents.models import DocumentType
    from documents.signals import document_updated

    document = DocumentFactory(
        owner=owner,
        **fields,
        document_type=DocumentType.objects.get(svc_archive_code__code=type_code),
    )
    CustomFieldInstance.objects.create(
        document=document,
        field=CustomField.objects.get(name="服务项目"),
        value_select=dossier.project.option_id,
    )
    # As after an edit in paperless: the plugin follows the document's new fields.
    document_updated.send(sender=None, document=document)
    return document


def complete(dossier, owner=None):
    """The documents a repair dossier needs to be complete."""
    return [add_document(dossier, code, owner) for code in ("KH", "HT", "SS", "FP")]


def mark(document, level: str):
    """Set the document's 密级 (``public``, ``internal``, ``confidential``, ``customer_private``)."""
    from documents.models import CustomField
    from documents.models import CustomFieldInstance
    from documents.signals import document_updated

    from svc_archive_plugin.services import vocabulary

    field = CustomField.objects.get(name="密级")
    label = dict(vocabulary.CONFIDENTIALITY)[level].zh_hans
    option = next(
        o["id"] for o in field.extra_data["select_options"] if o["label"] == label
    )
    CustomFieldInstance.objects.update_or_create(
        document=document,
        field=field,
        defaults={"value_select": option},
    )
    document_updated.send(sender=None, document=document)
    return document


def lend(
    people,
    desk,
    *,
    dossier=None,
    document_id=None,
    reason="客户回访核对原件",
    days=5,
):
    """A paper loan (of a dossier or one document), approved and issued by the loan service."""
    from svc_archive_plugin.services import loans

    loan = loans.request_loan(
        people["clerk"],
        reason=reason,
        days=days,
        dossier=dossier,
        document_id=document_id,
    )
    loans.approve(loan, people["head"])
    loans.approve(loan, people["manager"])
    return loans.issue(loan, desk)
