"""The access log's taps on paperless's document views 查阅登记.

paperless sends no signal when a document is looked at, so the views that show or hand
one out are wrapped: ``GET /api/documents/{id}/`` (the document page), ``…/preview/``,
``…/download/``, ``POST /api/documents/bulk_download/`` and ``…/email/`` (the admin's
document page logs itself, ``admin.documents``). The access is logged after
paperless's own permission check has let it through (2xx, or 304 from the browser's
cache), never for a refusal. Thumbnails in lists are not accesses.

Share links (single and bundles) to sealed records are refused here too: a link would open
a confidential record to whoever holds it. Opening a share link (``/share/<slug>``) is
logged with the link, its creator and the client address, whoever opens it.

Lists and search results (``/api/documents/``, ``?query=``, ``?more_like_id=``,
``/api/search/``, the trash) leave out the full text (``content`` and the search
highlights) of sealed and filed records for anyone without a current grant on them; with a
grant the text is served and the read is logged as ``listed``. Counting a read for every
record on every list page would cost a log row per row shown; leaving the text out costs
three queries a page, and the record's own page still shows it, logged.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models.manager import BaseManager
from python_ipware import IpWare

from svc_archive_plugin.guards import _wrap
from svc_archive_plugin.services.access import AccessForbidden
from svc_archive_plugin.services.access import SharedRead
from svc_archive_plugin.services.access import check_sharing
from svc_archive_plugin.services.access import content_withheld
from svc_archive_plugin.services.access import record_access
from svc_archive_plugin.services.access import record_accesses

LOGGED_STATUS = {200, 206, 304}
# The records on the page being serialised whose full text is left out.
_WITHHELD = "svc_archive_content_withheld"


def log_response(request, pk, kind: str, via: str, response) -> None:
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


def client_address(request) -> str | None:
    """The client's address as paperless reads it (behind ``PAPERLESS_TRUSTED_PROXIES``)."""
    address, _trusted = IpWare(proxy_list=settings.TRUSTED_PROXIES).get_client_ip(
        meta=request.META,
    )
    return str(address) if address is not None else None


def _tap_shared_link(original):
    # paperless checks nothing but the slug and its expiry: the log is the only trace.
    def get(self, request, slug, *args, **kwargs):
        from documents.models import ShareLink
        from documents.models import ShareLinkBundle

        response = original(self, request, slug, *args, **kwargs)
        if getattr(response, "status_code", None) not in LOGGED_STATUS:
            return response
        link = ShareLink.objects.filter(slug=slug).select_related("owner").first()
        if link is not None:
            creator, ids = link.owner, [link.document_id]
        else:
            bundle = ShareLinkBundle.objects.filter(slug=slug).first()
            if bundle is None:
                return response
            creator = bundle.owner
            ids = list(bundle.documents.values_list("pk", flat=True))
        record_accesses(
            getattr(request, "user", None),
            ids,
            "shared",
            "share",
            shared=SharedRead(slug, creator, client_address(request)),
        )
        return response

    return get


def _reader(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


def _tap_document_list(ids_of):
    """Decide, for a whole page at once, whose full text is left out (or logged)."""

    def wrapper(original):
        def to_representation(self, data):
            from documents.serialisers import DocumentSerializer

            child = self.child
            if (
                not isinstance(child, DocumentSerializer)
                or "content" not in child.fields
            ):
                return original(self, data)
            # Read once: the page's ids, then its rows, from the same list.
            data = list(data.all() if isinstance(data, BaseManager) else data)
            user = _reader(child)
            withheld, granted = content_withheld(user, ids_of(data))
            child.context[_WITHHELD] = withheld
            rows = original(self, data)
            if granted:
                record_accesses(user, granted, "listed", "api")
            return rows

        return to_representation

    return wrapper


def _withhold_content(original):
    def to_representation(self, instance):
        shown = original(self, instance)
        if "content" in shown and instance.pk in self.context.get(_WITHHELD, ()):
            shown["content"] = ""
        return shown

    return to_representation


def _withhold_highlights(original):
    def to_representation(self, hit):
        shown = original(self, hit)
        if hit["id"] in self.context.get(_WITHHELD, ()):
            shown["__search_hit__"]["highlights"] = ""
        return shown

    return to_representation


def install_taps() -> None:
    """Wrap the views that show, hand out or share a document (idempotent)."""
    from documents.serialisers import DocumentSerializer
    from documents.serialisers import OwnedObjectListSerializer
    from documents.serialisers import SearchResultListSerializer
    from documents.serialisers import SearchResultSerializer
    from documents.views import BulkDownloadView
    from documents.views import DocumentViewSet
    from documents.views import SharedLinkView
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
    _wrap(SharedLinkView, "get", _tap_shared_link)
    # Full text in lists and search: for grant holders only (and then logged).
    _wrap(
        OwnedObjectListSerializer,
        "to_representation",
        _tap_document_list(lambda documents: [d.pk for d in documents]),
    )
    _wrap(
        SearchResultListSerializer,
        "to_representation",
        _tap_document_list(lambda hits: [hit["id"] for hit in hits]),
    )
    _wrap(DocumentSerializer, "to_representation", _withhold_content)
    _wrap(SearchResultSerializer, "to_representation", _withhold_highlights)
