"""Links from the manager screens to a document's page in paperless's own web UI."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _


def document_url(document_id: int) -> str:
    """The document's page in paperless's UI (under paperless's ``BASE_URL``)."""
    return f"{settings.BASE_URL}documents/{document_id}/details"


def document_link(document_id: int, title: str) -> str:
    """The document by its title, opening its page in paperless's UI."""
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        document_url(document_id),
        title or f"#{document_id}",
    )


class DocumentIdColumn:
    """A document's id column under a translated heading (the admin titles a foreign key's
    ``document_id`` "Document id", in English, whatever the language)."""

    @admin.display(description=_("id of the document"), ordering="document_id")
    def document_number(self, obj) -> int:
        return obj.document_id
