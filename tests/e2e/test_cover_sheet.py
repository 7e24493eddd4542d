"""A project's paper bundle, scanned with its printed cover sheet, lands in its dossier."""

from __future__ import annotations

import json

import pikepdf
import pytest
from pdf2image import convert_from_bytes

from tests.e2e.conftest import wait_for
from tests.pdfs import scanned_pdf

pytestmark = pytest.mark.e2e


def test_bundle_with_cover_sheet_is_filed_into_its_project(paperless):
    with paperless.client() as client:
        customer = client.post(
            "/api/svc_archive/customers/",
            json={"code": "C100", "name": "杭州某公司"},
        ).json()
        service_type = next(
            t
            for t in client.get("/api/svc_archive/service_types/").json()["results"]
            if t["code"] == "WX"
        )
        project = client.post(
            "/api/svc_archive/projects/",
            json={
                "code": "P100",
                "name": "空调维修",
                "customer": customer["id"],
                "service_type": service_type["id"],
            },
        ).json()
        sheet = client.get(
            f"/api/svc_archive/projects/{project['id']}/cover_sheet/",
            params={"document_type": "SS"},
        )
        assert sheet.status_code == 200

        # Print and scan: the sheet comes back as a black-and-white image, like the body.
        [sheet_image] = convert_from_bytes(sheet.content, dpi=300, grayscale=True)
        staging = paperless.root / "staging"
        staging.mkdir(exist_ok=True)
        sheet_image.convert("1").save(staging / "sheet.pdf", "PDF", resolution=300)
        scanned_pdf(staging / "body.pdf", "空调维修记录", "更换压缩机一台")
        bundle = staging / "bundle.pdf"
        with (
            pikepdf.open(staging / "sheet.pdf") as first,
            pikepdf.open(staging / "body.pdf") as rest,
        ):
            first.pages.extend(rest.pages)
            first.save(bundle)
        bundle.replace(paperless.consume_dir / "bundle.pdf")

        def consumed():
            hits = client.get("/api/documents/", params={"query": "压缩机"}).json()
            return hits["results"] if hits["count"] else None

        [document] = wait_for(consumed, 180, paperless, "consumption of the bundle")
        assert (
            client.get(f"/api/document_types/{document['document_type']}/").json()[
                "name"
            ]
            == "实施记录"
        )
        assert document["page_count"] == 1
        fields = {
            f["id"]: f
            for f in client.get(
                "/api/custom_fields/",
                params={"page_size": 100},
            ).json()["results"]
        }
        labels = {}
        for value in document["custom_fields"]:
            field = fields[value["field"]]
            options = {
                o["id"]: o["label"]
                for o in field["extra_data"].get("select_options") or []
            }
            labels[field["name"]] = options.get(value["value"], value["value"])
        assert labels["服务项目"] == "P100 空调维修"
        assert labels["客户"] == "C100 杭州某公司"
        assert labels["档案门类"] == "售后服务档案"
        # Staff find it by project in paperless's own document list.
        project_field = next(f for f in fields.values() if f["name"] == "服务项目")
        query = json.dumps([project_field["id"], "exact", project["option_id"]])
        listed = client.get(
            "/api/documents/",
            params={"custom_field_query": query},
        ).json()
        assert [d["id"] for d in listed["results"]] == [document["id"]]
        completeness = client.get(
            f"/api/svc_archive/dossiers/{project['dossier']}/completeness/",
        ).json()
        assert completeness["present"] == ["SS"]
        assert completeness["missing"] == ["FP", "HT", "KH"]
