"""As a clever superuser would: every way round a filed or held record's protection, tried
on the running server.

A scan consumed by the real worker is filed; another, in a project under a legal hold, is
not. Each attempt goes through paperless's REST API, bulk edit, its per-operation
endpoints, the trash, or the plugin's own API. Every one must be refused with a reason, and
afterwards the records must be exactly as they were: still filed, in the same project, with
the same file, out of the trash. The table of attempts closes the session's report.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import PROBE_ROWS
from tests.e2e.conftest import USER_PASSWORD
from tests.e2e.conftest import as_user
from tests.e2e.conftest import wait_for
from tests.pdfs import scanned_pdf

pytestmark = pytest.mark.e2e
API = "/api/svc_archive/"
FILED_WORD = "胶州湾"
HELD_WORD = "即墨区"
REFUSED = (400, 403, 409)


def drop_scan(paperless, folder: str, name: str, *lines: str) -> None:
    target = paperless.consume_dir / folder
    target.mkdir(parents=True)
    time.sleep(2)  # the watcher sees the new folder before its file
    staging = paperless.root / "staging" / name
    scanned_pdf(staging, *lines)
    staging.replace(target / name)


def search(client, word: str):
    hits = client.get("/api/documents/", params={"query": word}).json()
    return hits["results"] if hits["count"] else None


@pytest.fixture(scope="module")
def records(paperless):
    """A filed record of 工程二部's project, and a held one of another project."""
    with paperless.client() as admin:
        department = admin.post(
            "/api/groups/",
            json={"name": "工程二部", "permissions": []},
        ).json()["id"]
        groups = {
            g["name"]: g["id"]
            for g in admin.get("/api/groups/", params={"page_size": 100}).json()[
                "results"
            ]
        }
        for username, roles in (
            ("probe-staff", ["员工", "工程二部"]),
            ("probe-head", ["部门负责人", "工程二部"]),
            ("probe-archivist", ["档案管理员"]),
        ):
            response = admin.post(
                "/api/users/",
                json={
                    "username": username,
                    "password": USER_PASSWORD,
                    "groups": [groups[r] for r in roles],
                },
            )
            assert response.status_code == 201, response.text
        service = next(
            t
            for t in admin.get(f"{API}service_types/").json()["results"]
            if t["code"] == "JS"
        )
        customer = admin.post(
            f"{API}customers/",
            json={"code": "C900", "name": "青岛某港务有限公司"},
        ).json()
        projects = {}
        for code, name in (
            ("P2026-90", "码头改造"),
            ("P2026-91", "码头维护"),
            ("P2026-92", "堆场扩建"),
        ):
            response = admin.post(
                f"{API}projects/",
                json={
                    "code": code,
                    "name": name,
                    "customer": customer["id"],
                    "service_type": service["id"],
                    "department": department,
                    "end_date": "2026-06-30",
                },
            )
            assert response.status_code == 201, response.text
            projects[code] = response.json()

    drop_scan(paperless, "C900/P2026-90/HT", "改造合同.pdf", "码头改造合同", FILED_WORD)
    drop_scan(paperless, "C900/P2026-92/HT", "扩建合同.pdf", "堆场扩建合同", HELD_WORD)

    with paperless.client() as admin:
        [filed] = wait_for(lambda: search(admin, FILED_WORD), 240, paperless, "scan")
        [held] = wait_for(lambda: search(admin, HELD_WORD), 240, paperless, "scan")
        dossier = admin.get(
            f"{API}dossiers/",
            params={"project__id": projects["P2026-90"]["id"]},
        ).json()["results"][0]
        url = f"{API}dossiers/{dossier['id']}/"
        step = admin.post(f"{url}accept_incomplete/", json={"reason": "仅合同"})
        assert step.status_code == 200, step.text
    assert (
        as_user(paperless, "probe-staff").post(f"{url}submit/", json={}).status_code
        == 200
    )
    assert (
        as_user(paperless, "probe-head").post(f"{url}approve/", json={}).status_code
        == 200
    )
    with paperless.client() as admin:
        assert admin.post(f"{url}receive/", json={}).status_code == 200
        scanned = archive_checksum(admin, filed["id"])
        assert admin.post(f"{url}file/", json={}).json()["state"] == "filed"
        # Filing's own last write, the 归档章 on the archive version, comes first: the
        # probe starts from the record as filed and stamped.
        wait_for(
            lambda: archive_checksum(admin, filed["id"]) != scanned,
            120,
            paperless,
            "the filing stamp",
        )
    hold = as_user(paperless, "probe-archivist").post(
        f"{API}holds/",
        json={
            "name": "诉讼2026-12",
            "reason": "港务合同纠纷",
            "projects": [projects["P2026-92"]["id"]],
        },
    )
    assert hold.status_code == 201, hold.text
    with paperless.client() as admin:
        fields = {
            f["name"]: f
            for f in admin.get("/api/custom_fields/", params={"page_size": 100}).json()[
                "results"
            ]
        }
        return {
            "filed": filed["id"],
            "held": held["id"],
            "dossier": dossier["id"],
            "projects": projects,
            "fields": fields,
            "snapshot": {
                doc: snapshot(admin, doc) for doc in (filed["id"], held["id"])
            },
        }


def archive_checksum(admin, doc_id: int) -> str | None:
    return (
        admin.get(f"/api/documents/{doc_id}/metadata/").json().get("archive_checksum")
    )


def snapshot(admin, doc_id: int) -> dict:
    """What must not change: file, type, owner, the archive's fields, the trash."""
    document = admin.get(f"/api/documents/{doc_id}/")
    assert document.status_code == 200, f"document {doc_id} is gone: {document.text}"
    data = document.json()
    metadata = admin.get(f"/api/documents/{doc_id}/metadata/").json()
    return {
        "document_type": data["document_type"],
        "owner": data["owner"],
        "custom_fields": sorted(
            (cf["field"], str(cf["value"])) for cf in data["custom_fields"]
        ),
        "original_checksum": metadata["original_checksum"],
        "archive_checksum": metadata.get("archive_checksum"),
        "versions": len(data.get("versions") or []),
    }


def attempt(paperless, records, name: str, doc: str, call) -> str | None:
    """Try one way round; what went wrong, if it was not refused or changed the record."""
    doc_id = records[doc]
    with paperless.client() as admin:
        response = call(admin)
        detail = " ".join(response.text.split())[:100]
        PROBE_ROWS.append((name, response.status_code, detail))
        time.sleep(1)  # a task it might have queued would run now
        problem = None
        if response.status_code not in REFUSED:
            problem = f"{name}: answered {response.status_code} {detail}"
        elif (after := snapshot_or_none(admin, doc_id)) != records["snapshot"][doc_id]:
            problem = f"{name}: the record changed to {after}"
        elif doc == "filed" and not admin.get(f"{API}retention/{doc_id}/").json().get(
            "filed",
        ):
            problem = f"{name}: the record is no longer filed"
        if problem:  # the next attempt starts from what is there now
            records["snapshot"][doc_id] = snapshot_or_none(admin, doc_id)
        return problem


def snapshot_or_none(admin, doc_id: int) -> dict | None:
    if admin.get(f"/api/documents/{doc_id}/").status_code != 200:
        return None
    return snapshot(admin, doc_id)


def bulk(method: str, doc_id: int, **parameters):
    return lambda admin: admin.post(
        "/api/documents/bulk_edit/",
        json={"documents": [doc_id], "method": method, "parameters": parameters},
    )


def test_no_way_round_the_protection_of_a_filed_or_held_record(paperless, records):
    filed, held = records["filed"], records["held"]
    fields = records["fields"]
    project_field = fields["服务项目"]
    other_project = next(
        o["id"]
        for o in project_field["extra_data"]["select_options"]
        if o["label"].startswith("P2026-91")
    )
    with paperless.client() as admin:
        document = admin.get(f"/api/documents/{filed}/").json()
        types = admin.get("/api/document_types/", params={"page_size": 100}).json()
        other_type = next(
            t["id"] for t in types["results"] if t["id"] != document["document_type"]
        )
        staff = next(
            u["id"]
            for u in admin.get("/api/users/", params={"page_size": 100}).json()[
                "results"
            ]
            if u["username"] == "probe-staff"
        )

    def moved_fields(doc):
        return [
            {
                "field": cf["field"],
                "value": other_project
                if cf["field"] == project_field["id"]
                else cf["value"],
            }
            for cf in doc["custom_fields"]
        ]

    tries = [
        (
            "PATCH 服务项目 → another project",
            "filed",
            lambda a: a.patch(
                f"/api/documents/{filed}/",
                json={"custom_fields": moved_fields(document)},
            ),
        ),
        (
            "PATCH document type",
            "filed",
            lambda a: a.patch(
                f"/api/documents/{filed}/",
                json={"document_type": other_type},
            ),
        ),
        (
            "PATCH owner",
            "filed",
            lambda a: a.patch(f"/api/documents/{filed}/", json={"owner": staff}),
        ),
        (
            "bulk_edit modify_custom_fields: remove project and customer",
            "filed",
            bulk(
                "modify_custom_fields",
                filed,
                add_custom_fields={},
                remove_custom_fields=[project_field["id"], fields["客户"]["id"]],
            ),
        ),
        (
            "bulk_edit set_document_type",
            "filed",
            bulk("set_document_type", filed, document_type=other_type),
        ),
        (
            "bulk_edit set_permissions: owner",
            "filed",
            bulk("set_permissions", filed, owner=staff, set_permissions={}),
        ),
        ("bulk_edit rotate", "filed", bulk("rotate", filed, degrees=90)),
        (
            "POST /api/documents/rotate/",
            "filed",
            lambda a: a.post(
                "/api/documents/rotate/",
                json={"documents": [filed], "degrees": 90},
            ),
        ),
        ("bulk_edit delete_pages", "filed", bulk("delete_pages", filed, pages=[1])),
        ("bulk_edit reprocess", "filed", bulk("reprocess", filed)),
        (
            "POST /api/documents/reprocess/",
            "filed",
            lambda a: a.post("/api/documents/reprocess/", json={"documents": [filed]}),
        ),
        (
            "POST /api/documents/edit_pdf/ as a new version",
            "filed",
            lambda a: a.post(
                "/api/documents/edit_pdf/",
                json={
                    "documents": [filed],
                    "operations": [{"page": 1, "rotate": 90}],
                    "update_document": True,
                },
            ),
        ),
        (
            "POST update_version (a new file)",
            "filed",
            lambda a: a.post(
                f"/api/documents/{filed}/update_version/",
                files={
                    "document": (
                        "new.pdf",
                        scanned_pdf(
                            paperless.root / "staging" / "new.pdf",
                            "新版",
                        ).read_bytes(),
                        "application/pdf",
                    ),
                },
            ),
        ),
        (
            "DELETE the filed record",
            "filed",
            lambda a: a.delete(f"/api/documents/{filed}/"),
        ),
        (
            "bulk_edit modify_custom_fields on the held record: remove project",
            "held",
            bulk(
                "modify_custom_fields",
                held,
                add_custom_fields={},
                remove_custom_fields=[project_field["id"], fields["客户"]["id"]],
            ),
        ),
        ("bulk_edit delete the held record", "held", bulk("delete", held)),
        (
            "PATCH the filed project's end date (plugin API)",
            "filed",
            lambda a: a.patch(
                f"{API}projects/{records['projects']['P2026-90']['id']}/",
                json={"end_date": "1985-06-30"},
            ),
        ),
        (
            "DELETE the 服务项目 custom field",
            "filed",
            lambda a: a.delete(f"/api/custom_fields/{project_field['id']}/"),
        ),
    ]
    problems = [
        attempt(paperless, records, name, doc, call) for name, doc, call in tries
    ]
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)

    # An open fact stays open: the title of a filed record.
    with paperless.client() as admin:
        response = admin.patch(
            f"/api/documents/{filed}/",
            json={"title": "码头改造合同（正本）"},
        )
        PROBE_ROWS.append(("PATCH title (open by policy)", response.status_code, ""))
        assert response.status_code == 200, response.text
        assert snapshot(admin, filed) == records["snapshot"][filed]
        # A protection tag taken off by hand is put back at once.
        hold_tag = next(
            t["id"]
            for t in admin.get("/api/tags/", params={"name__iexact": "冻结"}).json()[
                "results"
            ]
        )
        response = bulk("remove_tag", held, tag=hold_tag)(admin)
        time.sleep(2)  # paperless's follow-up update task
        tags = admin.get(f"/api/documents/{held}/").json()["tags"]
        PROBE_ROWS.append(
            ("bulk_edit remove_tag 冻结 (put back)", response.status_code, str(tags)),
        )
        assert hold_tag in tags
        # Nothing of either record ever reached the trash.
        trash = admin.get("/api/trash/").json()
        assert not {filed, held} & {d["id"] for d in trash["results"]}
