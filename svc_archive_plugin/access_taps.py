"""The access log's taps on paperless's document views 查阅登记.

paperless sends no signal when a document is looked at, so the views that show one are
wrapped: ``GET /api/documents/{id}/`` (the document page), ``…/preview/`` and
``…/download/`` (the admin's document page logs itself, ``admin.documents``). The access is logged after
paperless's own permission check has let it through (2xx, or 304 from the browser's
cache), never for a refusal. Thumbnails in lists are not accesses.
"""

from __future__ import annotations

from svc_archive_plugin.guards import _wrap

LOGGED_STATUS = {200, 206, 304}


def log_response(request, pk, kind: str, via: str, response) -> None:
    from svc_archive_plugin.services.access import record_access

    if getattr(response, "status_code", None) not in LOGGED_STATUS:
        return
    try:
        document_id = int(pk)
    except (TypeError, ValueError):
        return
    record_access(getattr(request, "user", None), document_id, kind, via)


def _tap(kind: str):
    def wrapper(original):
        def view(self, request, *args, **kwargs):
            response = original(self, request, *args, **kwargs)
            log_response(request, kwargs.get("pk"), kind, "api", response)
            return response

        return view

    return wrapper


def install_taps() -> None:
    """Wrap the views that show a document (idempotent)."""
    from documents.views import DocumentViewSet

    _wrap(DocumentViewSet, "retrieve", _tap("view"))
    _wrap(DocumentViewSet, "preview", _tap("preview"))
    _wrap(DocumentViewSet, "download", _tap("download"))
