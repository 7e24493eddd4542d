"""The folder convention's path arithmetic (no database)."""

from __future__ import annotations

from pathlib import PurePosixPath as P

from svc_archive_plugin.services.capture import folder_codes


def test_type_folder():
    assert folder_codes(P("/c/HT/scan.pdf"), P("/c")) == ["HT"]


def test_file_directly_in_consume_has_no_codes():
    assert folder_codes(P("/c/scan.pdf"), P("/c")) == []


def test_full_convention_keeps_order():
    assert folder_codes(P("/c/C001/P01/HT/scan.pdf"), P("/c")) == ["C001", "P01", "HT"]


def test_file_outside_consume_is_not_classified():
    assert folder_codes(P("/scratch/split/page1.pdf"), P("/c")) is None
