"""Destruction 销毁: preparer → leader → two checkers → two supervisors → execution.

Only then are the files gone from disk, trash directory and search index; the register
keeps a tombstone with the SHA-256 of each destroyed file, chained by hash.
"""

from __future__ import annotations

import datetime
import hashlib
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError
from django.core.management import call_command
from django.utils import timezone
from django.utils import translation
from documents.models import Document
from documents.search import get_backend

from svc_archive_plugin.db_triggers import evidence_maintenance
from svc_archive_plugin.models import DestructionEvent
from svc_archive_plugin.models import DestructionItem
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import RegisterEntry
from svc_archive_plugin.models.evidence import AppendOnlyError
from svc_archive_plugin.reports.destruction_register import destruction_register_pdf
from svc_archive_plugin.services import destruction
from svc_archive_plugin.services import holds
from svc_archive_plugin.services import retention
from tests.factories import UserFactory
from tests.factories import add_document
from tests.integration.test_register_pdf import poppler

pytestmark = pytest.mark.django_db
D = destruction


@pytest.fixture
def staff(people):
    """The people a destruction needs, on top of the filing roles."""
    managers = Group.objects.get(name="档案管理员")
    leaders = Group.objects.get(name="公司分管领导")
    heads = Group.objects.get(name="部门负责人")

    def person(name, group):
        user = UserFactory(username=name)
        user.groups.add(group)
        return user

    return {
        **people,
        "checker1": person("checker1", managers),
        "checker2": person("checker2", managers),
        "leader": person("leader", leaders),
        "leader2": person("leader2", leaders),
        "head2": person("head2", heads),
    }


def write_files(document, settings) -> dict[str, bytes]:
    """Give a factory-made document real files: original, archive version, thumbnail."""
    document.filename = f"{document.pk:07}.pdf"
    document.archive_filename = f"{document.pk:07}.pdf"
    document.save(update_fields=["filename", "archive_filename"])
    contents = {
        "original": b"%PDF-1.4 original " + str(document.pk).encode(),
        "archive": b"%PDF-1.4 archive " + str(document.pk).encode(),
        "thumbnail": b"RIFF thumbnail " + str(document.pk).encode(),
    }
    paths = {
        "original": document.source_path,
        "archive": document.archive_path,
        "thumbnail": document.thumbnail_path,
    }
    for role, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(contents[role])
    return contents


@pytest.fixture
def to_destroy(dossier, staff, settings, paperless_dirs):
    """Two expired repair records, appraised for destruction, with files and in the index."""
    project = dossier.project
    project.end_date = datetime.date(2010, 6, 30)
    project.save()
    documents = [
        add_document(dossier, "SS", title=f"维修记录{i}", content=f"repairlog{i}")
        for i in range(2)
    ]
    for document in documents:
        write_files(document, settings)
        get_backend().add_or_update(document)
    retention.sweep()
    retention.appraise(
        staff["manager"],
        [d.pk for d in documents],
        "destroy",
        "保管期满，无保存价值",
    )
    return documents


def prepared(staff, to_destroy):
    return D.prepare(
        staff["manager"],
        title="2026年到期维修记录",
        reason="保管期满",
        document_ids=[d.pk for d in to_destroy],
    )


def through_supervision(staff, to_destroy):
    destruction_list = prepared(staff, to_destroy)
    D.submit(destruction_list, staff["manager"])
    D.approve(destruction_list, staff["leader"])
    D.check(destruction_list, staff["checker1"])
    D.check(destruction_list, staff["checker2"])
    D.supervise(destruction_list, staff["leader2"])
    D.supervise(destruction_list, staff["head2"])
    destruction_list.refresh_from_db()
    return destruction_list


def test_the_whole_path_destroys_files_index_and_keeps_tombstones(
    staff,
    to_destroy,
    settings,
    paperless_dirs,
    api_client,
):
    trash_dir = paperless_dirs / "trash"
    trash_dir.mkdir()
    settings.EMPTY_TRASH_DIR = trash_dir
    first = to_destroy[0]
    contents = {d.pk: write_files(d, settings) for d in to_destroy}
    # A copy of the original left in paperless's trash directory by an earlier purge.
    (trash_dir / "old-copy.pdf").write_bytes(contents[first.pk]["original"])
    paths = [
        p for d in to_destroy for p in (d.source_path, d.archive_path, d.thumbnail_path)
    ]
    api_client.force_authenticate(UserFactory(username="root", superuser=True))
    assert (
        api_client.get("/api/documents/", {"query": "repairlog0"}).json()["count"] == 1
    )

    destruction_list = through_supervision(staff, to_destroy)
    assert destruction_list.state == "supervised"
    assert all(p.exists() for p in paths)  # nothing happens before execution
    D.start_execution(destruction_list, staff["manager"])
    assert D.execute(destruction_list.pk) == 2

    destruction_list.refresh_from_db()
    assert destruction_list.state == "executed"
    assert not Document.global_objects.filter(
        pk__in=[d.pk for d in to_destroy],
    ).exists()
    assert not any(p.exists() for p in paths)
    assert not (trash_dir / "old-copy.pdf").exists()
    api_client.force_authenticate(UserFactory(username="root", superuser=True))
    found = api_client.get("/api/documents/", {"query": "repairlog0"}).json()
    assert found["count"] == 0
    entries = list(RegisterEntry.objects.order_by("sequence"))
    assert [e.document_id for e in entries] == [d.pk for d in to_destroy]
    tomb = entries[0].content
    assert tomb["title"] == "维修记录0"
    assert tomb["project"] == "P2026-07 机房维修"
    assert tomb["customer"] == "C001 北京某科技有限公司"
    assert tomb["retention_until"] == "2020-12-31"
    assert tomb["retention"] == "定期10年"
    hashes = {f["role"]: f["sha256"] for f in tomb["files"]}
    for role in ("original", "archive", "thumbnail"):
        assert hashes[role] == hashlib.sha256(contents[first.pk][role]).hexdigest()
    assert hashes["trash copy"] == hashes["original"]
    signed = tomb["signatories"]
    assert signed["preparer"] == "manager"
    assert [s["user"] for s in signed["approved"]] == ["leader"]
    assert [s["user"] for s in signed["checked"]] == ["checker1", "checker2"]
    assert [s["user"] for s in signed["supervised"]] == ["leader2", "head2"]
    assert RecordRetention.objects.filter(state="destroyed").count() == 2
    call_command("svc_archive_verify_register", stdout=StringIO())


def test_the_register_records_how_and_where_and_still_verifies_older_entries(
    staff,
    to_destroy,
    client,
    tmp_path,
):
    # An entry written before the register knew the method and place of destruction.
    older_list = DestructionList.objects.create(
        number="XH-2020-001",
        title="旧清单",
        reason="保管期满",
        prepared_by=staff["manager"],
        state=DestructionList.State.EXECUTED,
    )
    RegisterEntry.objects.create(
        destruction_list=older_list,
        document_id=999,
        destroyed_at=timezone.now(),
        content={"title": "旧记录", "created": "2009-05-01", "signatories": {}},
    )
    staff["leader"].first_name, staff["leader"].last_name = "建国", "王"
    staff["leader"].save()
    destruction_list = through_supervision(staff, to_destroy)

    D.start_execution(
        destruction_list,
        staff["manager"],
        method="碎纸机粉碎",
        place="公司档案室",
        note="纸质原件一并销毁",
    )
    D.execute(destruction_list.pk)

    tomb = RegisterEntry.objects.order_by("sequence").last().content
    assert (tomb["method"], tomb["place"], tomb["remark"]) == (
        "碎纸机粉碎",
        "公司档案室",
        "纸质原件一并销毁",
    )
    call_command("svc_archive_verify_register", stdout=StringIO())
    call_command("svc_archive_verify", stdout=StringIO())

    destruction_list.refresh_from_db()
    with translation.override("zh-hans"):
        pdf, _name = destruction_register_pdf(destruction_list)
    text = poppler("pdftotext", pdf, tmp_path)
    year = str(to_destroy[0].created.year)
    for expected in (
        "年度",
        "销毁方式",
        "销毁地点",
        "备注",
        "碎纸机粉碎",
        "公司档案室",
    ):
        assert expected in text, expected
    assert year in text
    assert "王建国" in text  # the signatories by name, not "leader"
    assert "纸质原件一并销毁" in text.replace("\n", "")

    client.force_login(UserFactory(username="root", superuser=True))
    response = client.get("/admin/svc_archive_plugin/registerentry/export.csv")
    csv = b"".join(response.streaming_content).decode("utf-8-sig")
    header, older, *rows = csv.splitlines()
    assert "year,method,place,remark" in header
    assert "2009,,," in older
    assert f"{year},碎纸机粉碎,公司档案室,纸质原件一并销毁" in rows[0]


def grant(user, codename):
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="svc_archive_plugin",
            codename=codename,
        ),
    )
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


def test_forbidden_role_combinations(staff, to_destroy):
    manager, leader = staff["manager"], staff["leader"]
    with pytest.raises(D.DestructionForbidden):
        D.prepare(staff["head"], title="t", reason="r", document_ids=[to_destroy[0].pk])
    destruction_list = prepared(staff, to_destroy)

    with pytest.raises(D.DestructionError, match="already on another destruction list"):
        prepared(staff, to_destroy)
    with pytest.raises(D.DestructionError, match="needs it to be"):
        D.approve(destruction_list, leader)  # not submitted yet
    with pytest.raises(D.DestructionForbidden, match="prepared the list submits"):
        D.submit(destruction_list, staff["checker1"])
    D.submit(destruction_list, manager)

    # The preparer never approves, even holding the permission.
    with pytest.raises(D.DestructionForbidden, match="Nobody approves"):
        D.approve(destruction_list, grant(manager, "approve_destruction"))
    with pytest.raises(D.DestructionForbidden):
        D.approve(destruction_list, staff["head"])  # no leader
    with pytest.raises(D.DestructionError, match="needs it to be"):
        D.check(destruction_list, staff["checker1"])  # not approved yet
    D.approve(destruction_list, leader)

    with pytest.raises(D.DestructionForbidden):
        D.check(destruction_list, leader)  # not a designated checker
    D.check(destruction_list, staff["checker1"])
    with pytest.raises(D.DestructionForbidden, match="already checked"):
        D.check(destruction_list, staff["checker1"])
    with pytest.raises(D.DestructionError, match="needs it to be"):
        D.supervise(destruction_list, staff["leader2"])  # one check is not enough
    D.check(destruction_list, staff["checker2"])

    with pytest.raises(D.DestructionForbidden, match="preparer cannot supervise"):
        D.supervise(destruction_list, grant(manager, "supervise_destruction"))
    with pytest.raises(D.DestructionForbidden):
        D.supervise(destruction_list, staff["checker1"])  # no supervisor
    D.supervise(destruction_list, staff["leader2"])
    with pytest.raises(D.DestructionForbidden, match="already confirmed"):
        D.supervise(destruction_list, staff["leader2"])
    with pytest.raises(D.DestructionError, match="needs it to be"):
        D.start_execution(destruction_list, manager)  # one supervisor is not enough
    D.supervise(destruction_list, staff["head2"])

    with pytest.raises(D.DestructionForbidden):
        D.start_execution(destruction_list, leader)
    assert Document.objects.filter(pk__in=[d.pk for d in to_destroy]).count() == 2


def test_a_rejected_list_releases_its_records(staff, to_destroy):
    destruction_list = prepared(staff, to_destroy)
    D.submit(destruction_list, staff["manager"])

    with pytest.raises(D.DestructionError, match="why"):
        D.reject(destruction_list, staff["leader"], "")
    D.reject(destruction_list, staff["leader"], "清单信息不全")

    assert not DestructionItem.objects.filter(released=False).exists()
    again = prepared(staff, to_destroy)  # may be listed again
    assert again.items.count() == 2


def test_a_discrepancy_sends_the_list_back_for_a_new_round(staff, to_destroy):
    destruction_list = prepared(staff, to_destroy)
    D.submit(destruction_list, staff["manager"])
    D.approve(destruction_list, staff["leader"])
    D.check(destruction_list, staff["checker1"])

    D.check(destruction_list, staff["checker2"], matches=False, note="少一卷")

    destruction_list.refresh_from_db()
    assert destruction_list.state == "draft"
    D.submit(destruction_list, staff["manager"])
    D.approve(destruction_list, staff["leader"])
    # The first round's check does not count in the second.
    D.check(destruction_list, staff["checker1"])
    destruction_list.refresh_from_db()
    assert destruction_list.state == "approved"
    actions = list(
        DestructionEvent.objects.filter(destruction_list=destruction_list).values_list(
            "round",
            "action",
        ),
    )
    assert (1, "discrepancy") in actions
    assert actions[-1] == (2, "check")


def test_a_hold_placed_after_approval_stops_the_execution(staff, to_destroy):
    destruction_list = through_supervision(staff, to_destroy)
    holds.place_hold(
        staff["manager"],
        name="新诉讼",
        reason="客户起诉",
        documents=[to_destroy[0].pk],
    )

    with pytest.raises(D.DestructionError, match="新诉讼"):
        D.start_execution(destruction_list, staff["manager"])
    assert Document.objects.filter(pk__in=[d.pk for d in to_destroy]).count() == 2


def test_listed_records_cannot_be_deleted_any_other_way(staff, to_destroy, api_client):
    prepared(staff, to_destroy)
    api_client.force_authenticate(UserFactory(username="root", superuser=True))

    response = api_client.delete(f"/api/documents/{to_destroy[0].pk}/")

    assert response.status_code == 403
    assert "destruction list XH-" in response.json()["detail"]


def test_the_register_detects_a_rewritten_or_removed_entry(staff, to_destroy):
    destruction_list = through_supervision(staff, to_destroy)
    D.start_execution(destruction_list, staff["manager"])
    D.execute(destruction_list.pk)
    first, second = RegisterEntry.objects.order_by("sequence")

    # Append-only through the ORM ...
    first.content = {**first.content, "title": "改过的题名"}
    with pytest.raises(AppendOnlyError):
        first.save()
    with pytest.raises(AppendOnlyError):
        second.delete()
    # ... and a rewrite behind the ORM's back (only the database's owner can make one,
    # through the maintenance door) shows in the chain.
    with evidence_maintenance():
        RegisterEntry._base_manager.filter(pk=first.pk).update(
            content={**first.content, "title": "改过的题名"},
        )
    out = StringIO()
    with pytest.raises(CommandError, match="broken"):
        call_command("svc_archive_verify_register", stdout=out)
    assert "entry 1: its content was changed" in out.getvalue()

    with evidence_maintenance():
        RegisterEntry._base_manager.filter(pk=first.pk).delete()
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("svc_archive_verify_register", stdout=out)
    assert "entry 2: entries 1–1 are missing" in out.getvalue()


def test_an_execution_stopped_by_a_late_hold_is_started_again_after_release(
    staff,
    to_destroy,
):
    destruction_list = through_supervision(staff, to_destroy)
    D.start_execution(destruction_list, staff["manager"])
    hold = holds.place_hold(
        staff["manager"],
        name="最后一刻的诉讼",
        reason="客户起诉",
        documents=[to_destroy[1].pk],
    )

    with pytest.raises(PermissionDenied, match="最后一刻的诉讼"):
        D.execute(destruction_list.pk)
    destruction_list.refresh_from_db()
    assert destruction_list.state == "executing"
    # The first record went; the held one is still there, and nothing was half-destroyed.
    assert not Document.global_objects.filter(pk=to_destroy[0].pk).exists()
    assert Document.objects.filter(pk=to_destroy[1].pk).exists()

    holds.release_hold(hold, staff["manager"], "撤诉")
    D.start_execution(destruction_list, staff["manager"])
    assert D.execute(destruction_list.pk) == 1

    destruction_list.refresh_from_db()
    assert destruction_list.state == "executed"
    assert RegisterEntry.objects.count() == 2


def test_a_run_stopped_after_a_tombstone_removes_that_records_files_when_run_again(
    staff,
    to_destroy,
    monkeypatch,
):
    """The worker dies after a record's tombstone is committed, before its files go."""
    destruction_list = through_supervision(staff, to_destroy)
    D.start_execution(destruction_list, staff["manager"])
    paths = {
        d.pk: [d.source_path, d.archive_path, d.thumbnail_path] for d in to_destroy
    }
    backend = get_backend()

    def dies(pk):
        raise SystemExit("worker killed")

    monkeypatch.setattr(backend, "remove", dies)
    with pytest.raises(SystemExit):
        D.execute(destruction_list.pk)
    first, second = to_destroy
    # Committed: the first record is destroyed, its files not yet; the second untouched.
    assert RegisterEntry.objects.get().document_id == first.pk
    assert all(p.exists() for p in paths[first.pk] + paths[second.pk])
    monkeypatch.undo()
    assert get_backend().search_ids("repairlog0", None) == [first.pk]

    assert D.execute(destruction_list.pk) == 1
    assert not any(p.exists() for p in paths[first.pk] + paths[second.pk])
    for word in ("repairlog0", "repairlog1"):
        assert get_backend().search_ids(word, None) == []
    assert not DestructionItem.objects.filter(leftovers__isnull=False).exists()
    assert [e.document_id for e in RegisterEntry.objects.order_by("sequence")] == [
        first.pk,
        second.pk,
    ]


def test_a_trashed_record_can_be_listed_and_a_cancelled_list_releases_it(
    staff,
    to_destroy,
):
    # Trashed before appraisal (since then only a destruction list removes it).
    Document.objects.filter(pk=to_destroy[0].pk).update(deleted_at=timezone.now())
    destruction_list = prepared(staff, to_destroy)
    assert destruction_list.items.count() == 2

    with pytest.raises(D.DestructionForbidden):
        D.cancel(destruction_list, staff["leader"], "不再销毁")
    with pytest.raises(D.DestructionError, match="why"):
        D.cancel(destruction_list, staff["manager"], " ")
    D.cancel(destruction_list, staff["manager"], "清单有误")

    destruction_list.refresh_from_db()
    assert destruction_list.state == "cancelled"
    assert not DestructionItem.objects.filter(released=False).exists()
    assert (
        Document.global_objects.filter(pk__in=[d.pk for d in to_destroy]).count() == 2
    )


def test_the_admin_asks_how_and_where_before_carrying_out(staff, to_destroy, client):
    destruction_list = through_supervision(staff, to_destroy)
    client.force_login(UserFactory(username="root", superuser=True))
    url = f"/admin/svc_archive_plugin/destructionlist/{destruction_list.pk}/execute/"

    refused = client.post(url, {"note": ""}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert refused.status_code == 200  # the form again, nothing started
    page = refused.content.decode()
    assert "销毁方式" in page
    assert "销毁地点" in page
    destruction_list.refresh_from_db()
    assert destruction_list.state == "supervised"

    done = client.post(url, {"method": "化浆", "place": "再生纸厂", "note": "整批"})
    assert done.status_code == 302
    destruction_list.refresh_from_db()
    assert destruction_list.state == "executing"
    assert (destruction_list.method, destruction_list.place) == ("化浆", "再生纸厂")
    assert destruction_list.events.get(action="execute").note == "整批"
