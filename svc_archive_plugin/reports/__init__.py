"""Printable documents: PDF (fpdf2) and CSV renderers."""
