"""Test documents: a born-digital PDF, and a scan (image only) that needs OCR."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FONT_SC = 2  # the Simplified Chinese face in the collection


def text_pdf(path: Path, *lines: str) -> Path:
    """Write a PDF with a text layer (Latin text only)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    for line in lines:
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def scanned_pdf(path: Path, *lines: str) -> Path:
    """Write an image-only, black-and-white PDF at 300 dpi, as a scanner would.

    One line each, Chinese alone or Latin alone, about 14 pt: tesseract 5.3 reads mixed
    lines, very large characters and JPEG-blurred greys poorly.
    """
    width, height = 2480, 400 + 160 * len(lines)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(CJK_FONT), 56, index=CJK_FONT_SC)
    for i, line in enumerate(lines):
        draw.text((200, 200 + 160 * i), line, font=font, fill=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert("1").save(path, "PDF", resolution=300)
    return path
