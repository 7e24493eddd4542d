"""Cover sheets: a first page whose QR code names the project (and document type).

The code reads ``SVCARCHIVE:<project code>[:<document-type code>]``. paperless's own reader,
zxing-cpp, decodes it; the plugin looks for it on the first page of an incoming PDF before
consumption, classifies the bundle by it and removes the sheet, so the archived original is
the bundle as it was before the sheet was put on top.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

logger = logging.getLogger("paperless.svc_archive")

PREFIX = "SVCARCHIVE:"


@dataclass(frozen=True)
class CoverSheetCode:
    project_code: str
    type_code: str | None = None

    def payload(self) -> str:
        return (
            PREFIX
            + self.project_code
            + (f":{self.type_code}" if self.type_code else "")
        )


def parse_payload(text: str) -> CoverSheetCode | None:
    """Return the codes a cover-sheet barcode carries, or ``None`` for any other barcode."""
    if not text.startswith(PREFIX):
        return None
    parts = text[len(PREFIX) :].split(":")
    if not parts[0] or len(parts) > 2:
        return None
    return CoverSheetCode(parts[0], parts[1] or None if len(parts) == 2 else None)


def read_cover_sheet(pdf: Path) -> CoverSheetCode | None:
    """Look for a cover-sheet barcode on the first page of ``pdf``."""
    import zxingcpp
    from pdf2image import convert_from_path

    try:
        [page] = convert_from_path(
            pdf,
            dpi=150,
            first_page=1,
            last_page=1,
            grayscale=True,
        )
    except Exception as exc:  # a PDF poppler cannot render is paperless's to report
        logger.debug("No cover-sheet check for %s: %s", pdf, exc)
        return None
    for barcode in zxingcpp.read_barcodes(page):
        if (code := parse_payload(barcode.text)) is not None:
            return code
    return None


def remove_first_page(pdf: Path) -> bool:
    """Remove the cover sheet in place; refuse (``False``) when it is the only page."""
    import pikepdf

    with pikepdf.open(pdf) as document:
        if len(document.pages) < 2:
            return False
        del document.pages[0]
        with tempfile.NamedTemporaryFile(
            dir=pdf.parent,
            suffix=".tmp",
            delete=False,
        ) as tmp:
            document.save(tmp.name)
    shutil.move(tmp.name, pdf)
    return True
