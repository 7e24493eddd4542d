"""The plugin's part of paperless's OpenAPI schema (drf-spectacular, ``/api/schema/``)."""

from __future__ import annotations

# drf-spectacular names an enum after its field, so the plugin's many ``state`` fields
# would collide (a warning, and ``--fail-on-warn`` fails) or take a misleading name
# (``AccessStateEnum``); each choice set gets its own name instead.
ENUM_NAMES = {
    "AccessRequestStateEnum": "svc_archive_plugin.models.AccessRequest.State",
    "DestructionListStateEnum": "svc_archive_plugin.models.DestructionList.State",
    "DossierStateEnum": "svc_archive_plugin.models.Dossier.State",
    "FixityRunStateEnum": "svc_archive_plugin.models.FixityRun.State",
    "LoanStateEnum": "svc_archive_plugin.models.Loan.State",
    "RecordRetentionStateEnum": "svc_archive_plugin.models.RecordRetention.State",
}


def register_enum_names() -> None:
    """Add the plugin's enum names to paperless's ``ENUM_NAME_OVERRIDES``, once.

    paperless-ngx 3.0.5 has no schema hook for apps; its settings are the one place, and
    drf-spectacular reads them only when it first builds a schema. Paperless's own
    entries stay as they are.
    """
    from django.conf import settings

    spectacular = getattr(settings, "SPECTACULAR_SETTINGS", None)
    if spectacular is None:
        return
    overrides = spectacular.setdefault("ENUM_NAME_OVERRIDES", {})
    for name, choices in ENUM_NAMES.items():
        overrides.setdefault(name, choices)
