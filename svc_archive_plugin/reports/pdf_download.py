"""PDF downloads: shown in the browser (inline), saved under the sheet's own file name."""

from __future__ import annotations

from django.http import HttpResponse


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
