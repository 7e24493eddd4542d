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
