"""The access log's taps on paperless's document views 查阅登记.

paperless sends no signal when a document is looked at, so the views that show or hand
one out are wrapped: ``GET /api/documents/{id}/`` (the document page), ``…/preview/``,
``…/download/``, ``POST /api/documents/bulk_download/`` and ``…/email/`` (the admin's
document page logs itself, ``admin.documents``). The access is logged after
paperless's own permission check has let it through (2xx, or 304 from the browser's
cache), never for a refusal. Thumbnails in lists are not accesses.

Share links (single and bundles) to sealed records are refused here too: a link would open
a confidential record to whoever holds it.
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


def _tap_bulk_download(original):
    # The zip's documents are those paperless resolved and checked; resolve them again.
    def post(self, request, *args, **kwargs):
        from svc_archive_plugin.services.access import record_accesses

        response = original(self, request, *args, **kwargs)
        if getattr(response, "status_code", None) == 200:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            ids = self._resolve_document_ids(
                user=request.user,
                validated_data=serializer.validated_data,
            )
            record_accesses(request.user, ids, "download", "api")
        return response

    return post


def _tap_email(original):
    def email_documents(self, request, data=None, *args, **kwargs):
        from documents.serialisers import EmailSerializer

        from svc_archive_plugin.services.access import record_accesses

        response = original(self, request, data, *args, **kwargs)
        if getattr(response, "status_code", None) == 200:
            serializer = EmailSerializer(data=data or request.data)
            if serializer.is_valid():
                record_accesses(
                    request.user,
                    serializer.validated_data["documents"],
                    "email",
                    "api",
                )
        return response

    return email_documents


def _refuse_sealed(document_ids) -> None:
    from rest_framework.exceptions import PermissionDenied

    from svc_archive_plugin.services.access import AccessForbidden
    from svc_archive_plugin.services.access import check_sharing

    try:
        check_sharing(document_ids)
    except AccessForbidden as exc:
        raise PermissionDenied(str(exc)) from exc


def _guard_share_link(original):
    def perform_create(self, serializer, *args, **kwargs):
        document = serializer.validated_data.get("document")
        _refuse_sealed([document.pk] if document is not None else [])
        return original(self, serializer, *args, **kwargs)

    return perform_create


def _guard_share_bundle(original):
    def create(self, request, *args, **kwargs):
        ids = request.data.get("document_ids") or []
        _refuse_sealed([int(i) for i in ids if str(i).isdigit()])
        return original(self, request, *args, **kwargs)

    return create


def install_taps() -> None:
    """Wrap the views that show, hand out or share a document (idempotent)."""
    from documents.views import BulkDownloadView
    from documents.views import DocumentViewSet
    from documents.views import ShareLinkBundleViewSet
    from documents.views import ShareLinkViewSet

    _wrap(DocumentViewSet, "retrieve", _tap("view"))
    _wrap(DocumentViewSet, "preview", _tap("preview"))
    _wrap(DocumentViewSet, "download", _tap("download"))
    _wrap(BulkDownloadView, "post", _tap_bulk_download)
    _wrap(DocumentViewSet, "email_documents", _tap_email)
    # A share link opens a document to anyone holding it: none for sealed records.
    _wrap(ShareLinkViewSet, "perform_create", _guard_share_link)
    _wrap(ShareLinkBundleViewSet, "create", _guard_share_bundle)
