"""Figures about what the plugin manages, for the status endpoint and the admin."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from svc_archive_plugin import __version__
from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import CaptureReport
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import ProvisionedObject
from svc_archive_plugin.services import vocabulary as vocab
from svc_archive_plugin.services.provisioning import provisioned


def expected_keys() -> set[str]:
    """Return the provisioning keys a complete vocabulary has."""
    return {
        *(f"custom_field.{item.key}" for item in vocab.CUSTOM_FIELDS),
        "tag.retention",
        *(f"tag.retention.{key}" for key, _term in vocab.RETENTION_TAGS),
        *(f"group.{item.key}" for item in vocab.GROUPS),
    }


def documents_by_category() -> dict[str, int]:
    """Count documents (not in the trash) per archive category code."""
    from documents.models import CustomFieldInstance

    field = provisioned("custom_field.category")
    if field is None:
        return {}
    field_id = field.pk
    counts = dict(
        CustomFieldInstance.objects.filter(
            field_id=field_id,
            document__deleted_at__isnull=True,
        )
        .values_list("value_select")
        .annotate(n=Count("id"))
        .values_list("value_select", "n"),
    )
    return {
        code: counts.get(option, 0)
        for code, option in ArchiveCategory.objects.values_list("code", "option_id")
    }


def plugin_status() -> dict[str, Any]:
    """Return version, effective settings and counts."""
    present = set(
        ProvisionedObject.objects.filter(key__in=expected_keys()).values_list(
            "key",
            flat=True,
        ),
    )
    return {
        "version": __version__,
        "provisioned": present == expected_keys() and DocumentTypeCode.objects.exists(),
        "settings": archive_settings.effective(),
        "counts": {
            "archive_categories": ArchiveCategory.objects.count(),
            "document_type_codes": DocumentTypeCode.objects.count(),
            "open_capture_reports": CaptureReport.objects.filter(
                resolved__isnull=True,
            ).count(),
            "documents_by_category": documents_by_category(),
        },
    }
