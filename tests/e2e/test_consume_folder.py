"""A scan dropped into consume/<type code>/ comes out OCR'd, classified and searchable."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ADMIN
from tests.e2e.conftest import wait_for
from tests.pdfs import scanned_pdf
from tests.pdfs import text_pdf

pytestmark = pytest.mark.e2e


def drop(instance, folder: str, name: str, make, *lines: str):
    """Write the file next to the folder, then move it in whole, as a scanner share does."""
    staging = instance.root / "staging" / name
    make(staging, *lines)
    target = instance.consume_dir / folder / name
    if not target.parent.is_dir():
        # A folder made and filled in the same instant can slip past the watcher; people
        # make the folder first.
        target.parent.mkdir(parents=True)
        time.sleep(2)
    staging.replace(target)


def contracts_counted(client) -> int:
    """The statistics' count of contracts 合同协议 (HT)."""
    figure = client.get(
        "/api/svc_archive/statistics/records_by_document_type/",
    ).json()
    return next(row["count"] for row in figure["rows"] if row["code"] == "HT")


def test_chinese_scan_is_classified_and_found_by_a_chinese_word(paperless):
    with paperless.client() as client:
        contracts_before = contracts_counted(client)
    drop(
        paperless,
        "HT",
        "contract-scan.pdf",
        scanned_pdf,
        "技术服务合同",
        "北京市海淀区",
    )

    with paperless.client() as client:

        def found():
            hits = client.get("/api/documents/", params={"query": "北京市"}).json()
            return hits["results"] if hits["count"] else None

        [document] = wait_for(found, 180, paperless, "search for 北京市")

        doc_type = client.get(
            f"/api/document_types/{document['document_type']}/",
        ).json()
        assert doc_type["name"] == "合同协议"
        fields = {
            f["id"]: f
            for f in client.get(
                "/api/custom_fields/",
                params={"page_size": 100},
            ).json()["results"]
        }
        values = {
            fields[cf["field"]]["name"]: cf["value"] for cf in document["custom_fields"]
        }
        category_options = {
            o["id"]: o["label"]
            for o in next(f for f in fields.values() if f["name"] == "档案门类")[
                "extra_data"
            ]["select_options"]
        }
        assert category_options[values["档案门类"]] == "项目服务档案"
        # The OCR text is there, and staff can filter by type in paperless's own list.
        assert (
            "北京" in client.get(f"/api/documents/{document['id']}/").json()["content"]
        )
        by_type = client.get(
            "/api/documents/",
            params={"document_type__id": document["document_type"]},
        ).json()
        # (other tests share this instance: other contracts may be listed too)
        assert document["id"] in [d["id"] for d in by_type["results"]]
        assert {d["document_type"] for d in by_type["results"]} == {
            document["document_type"],
        }
        assert (
            client.get("/api/documents/", params={"query": "长颈鹿"}).json()["count"]
            == 0
        )
        # The consumed record counts in the statistics (written with its retention).
        wait_for(
            lambda: contracts_counted(client) == contracts_before + 1,
            30,
            paperless,
            "the contract in the statistics",
        )


def test_unknown_folder_code_is_reported_not_invented(paperless):
    with paperless.client() as client:
        types_before = client.get(
            "/api/document_types/",
            params={"page_size": 100},
        ).json()["count"]
        reports_before = client.get("/api/svc_archive/status/").json()["counts"][
            "open_capture_reports"
        ]

        drop(
            paperless,
            "ZZ9",
            "unknown.pdf",
            text_pdf,
            "Mystery paper from an unknown folder",
        )

        def consumed():
            hits = client.get(
                "/api/documents/",
                params={"title__icontains": "unknown"},
            ).json()
            return hits["results"] if hits["count"] else None

        [document] = wait_for(consumed, 120, paperless, "consumption of unknown.pdf")
        assert document["document_type"] is None
        assert (
            client.get("/api/document_types/", params={"page_size": 100}).json()[
                "count"
            ]
            == types_before
        )
        status = client.get("/api/svc_archive/status/").json()
        assert status["counts"]["open_capture_reports"] == reports_before + 1


def test_status_answers_a_token(paperless):
    import httpx

    with httpx.Client(base_url=paperless.base_url, timeout=30) as anonymous:
        assert anonymous.get("/api/svc_archive/status/").status_code == 401
        token = anonymous.post(
            "/api/token/",
            data={"username": ADMIN[0], "password": ADMIN[1]},
        ).json()["token"]
        response = anonymous.get(
            "/api/svc_archive/status/",
            headers={"Authorization": f"Token {token}"},
        )
    assert response.status_code == 200
    assert response.json()["provisioned"] is True


def test_failed_scans_are_reported_and_kept(paperless):
    """An empty file and a password-protected PDF, as scanning staff drop them."""
    import pikepdf

    def locked(path, *lines):
        plain = text_pdf(path.with_suffix(".plain.pdf"), *lines)
        with pikepdf.open(plain) as pdf:
            pdf.save(path, encryption=pikepdf.Encryption(user="pw", owner="pw"))

    def empty(path, *lines):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")

    with paperless.client() as client:

        def open_reports() -> int:
            status = client.get("/api/svc_archive/status/").json()
            return status["counts"]["open_capture_reports"]

        before = open_reports()
        drop(paperless, "HT", "blank-copy.pdf", empty)
        drop(
            paperless,
            "HT",
            "locked-contract.pdf",
            locked,
            "Service contract 2026-009",
        )

        wait_for(
            lambda: open_reports() >= before + 2 or None,
            180,
            paperless,
            "capture reports of the two failed scans",
        )
    reasons = paperless.manage(
        "shell",
        "-c",
        "from svc_archive_plugin.models import CaptureReport as R; "
        "print(sorted(R.objects.filter(path__startswith='HT/')"
        ".values_list('path', 'reason', 'held_file')))",
    )
    assert "('HT/blank-copy.pdf', 'empty_file', 'HT/blank-copy.pdf')" in reasons
    assert "('HT/locked-contract.pdf', 'password', 'HT/locked-contract.pdf')" in reasons
    held = Path(paperless.env["PAPERLESS_DATA_DIR"]) / "svc-archive" / "held-scans"
    for name in ("blank-copy.pdf", "locked-contract.pdf"):
        assert (held / "HT" / name).is_file()
        assert not (paperless.consume_dir / "HT" / name).exists()
