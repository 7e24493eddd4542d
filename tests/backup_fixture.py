"""A service archive with a row in every register, built through the services.

Used in-process by ``tests/integration/test_backup.py`` and, through
``python -m django shell``, to seed a real installation in
``tests/integration/test_backup_roundtrip.py``. ``natural_rows`` dumps every plugin table
with its references to paperless spelled out (a document by checksum, a user by name), so
two installations whose ids differ can be compared row for row.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.utils import timezone
from documents.models import Document
from guardian.shortcuts import assign_perm

from tests.factories import DocumentFactory
from tests.factories import add_document
from tests.factories import mark

ENDED_LONG_AGO = datetime.date(2010, 6, 30)
RECENT_END = datetime.date(2026, 9, 30)


def give_files(document: Document, marker: str = "") -> None:
    """Real files for a document (original, archive version, thumbnail), checksums to match."""
    original = f"%PDF-1.4 original {document.title} {marker} {uuid.uuid4()}".encode()
    archive = b"%PDF-1.4 archive " + original
    name = f"{document.pk:07}.pdf"
    paths = {
        settings.ORIGINALS_DIR / name: original,
        settings.ARCHIVE_DIR / name: archive,
        settings.THUMBNAIL_DIR / f"{document.pk:07}.webp": b"RIFF thumbnail",
    }
    for path, content in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    Document.global_objects.filter(pk=document.pk).update(
        filename=name,
        archive_filename=name,
        checksum=hashlib.sha256(original).hexdigest(),
        archive_checksum=hashlib.sha256(archive).hexdigest(),
    )
    document.refresh_from_db()


def _person(name: str, *groups: Group):
    # No password: hashing one takes a second and a half, and nobody signs in here.
    user = get_user_model().objects.create_user(
        username=name,
        email=f"{name}@example.com",
    )
    user.groups.add(*groups)
    return get_user_model().objects.get(pk=user.pk)


def build_archive(marker: str = "") -> dict:
    """Vocabulary, people, registers, filing, hold, loan, access, appraisal, destruction."""
    from svc_archive_plugin.models import CalendarDay
    from svc_archive_plugin.models import CalendarYear
    from svc_archive_plugin.models import CaptureReport
    from svc_archive_plugin.models import Customer
    from svc_archive_plugin.models import FixityChunk
    from svc_archive_plugin.models import FixityFinding
    from svc_archive_plugin.models import FixityRun
    from svc_archive_plugin.models import InventoryItem
    from svc_archive_plugin.models import InventoryRound
    from svc_archive_plugin.models import Loan
    from svc_archive_plugin.models import ServiceProject
    from svc_archive_plugin.models import ServiceType
    from svc_archive_plugin.services import access
    from svc_archive_plugin.services import corrections
    from svc_archive_plugin.services import destruction
    from svc_archive_plugin.services import filing
    from svc_archive_plugin.services import holds
    from svc_archive_plugin.services import loans
    from svc_archive_plugin.services import records
    from svc_archive_plugin.services import retention
    from svc_archive_plugin.services import saved_views
    from svc_archive_plugin.services.protection import RecordProtected
    from svc_archive_plugin.services.protection import check
    from svc_archive_plugin.services.provisioning import ProvisioningReport
    from svc_archive_plugin.services.provisioning import provision

    provision()
    saved_views.provision("zh-hans", ProvisioningReport())
    engineering = Group.objects.create(name="工程部")
    staff, heads, managers, leaders = (
        Group.objects.get(name=n)
        for n in ("员工", "部门负责人", "档案管理员", "公司分管领导")
    )
    people = {
        "clerk": _person("clerk", staff, engineering),
        "head": _person("head", heads, engineering),
        "manager": _person("manager", managers),
        "desk": _person("desk", managers),
        "checker1": _person("checker1", managers),
        "checker2": _person("checker2", managers),
        "leader": _person("leader", leaders),
        "leader2": _person("leader2", leaders),
        "head2": _person("head2", heads),
    }
    saved_views.offer([people["clerk"]])
    CalendarDay.objects.create(
        date=datetime.date(2026, 10, 1),
        kind="holiday",
        name="国庆节",
    )
    # Far ahead, so the missing-calendar banner stays on the pages the fixture serves.
    CalendarYear.objects.create(year=2030, note="公司2030年放假安排")
    customer = Customer.objects.create(
        code="C001",
        name="北京某科技有限公司",
        phone="010-1",
    )
    repair = ServiceType.objects.get(code="WX")
    old = ServiceProject.objects.create(
        code="P2010-01",
        name="旧机房维修",
        customer=customer,
        service_type=repair,
        department=engineering,
        end_date=ENDED_LONG_AGO,
    ).dossier
    current = ServiceProject.objects.create(
        code="P2026-07",
        name="机房维修",
        customer=customer,
        service_type=repair,
        department=engineering,
        end_date=RECENT_END,
        is_major=True,
    ).dossier

    def document(dossier, code, title, owner=None):
        doc = add_document(dossier, code, owner=owner, title=title)
        give_files(doc, marker)
        return doc

    # Filing: a complete dossier, submitted, approved, received, filed.
    current.location_cabinet, current.location_shelf, current.location_box = (
        "A01",
        "03",
        "12",
    )
    current.save()
    filed = [
        document(current, code, f"{code} 机房维修") for code in ("KH", "HT", "SS", "FP")
    ]
    filing.submit(current, people["clerk"])
    filing.approve(current, people["head"])
    filing.receive(current, people["manager"])
    filing.file_dossier(current, people["manager"])
    current.refresh_from_db()

    # A hold, a refused deletion, a loan returned with pages missing.
    hold = holds.place_hold(
        people["manager"],
        name="合同纠纷",
        reason="诉讼中",
        documents=[filed[1].pk],
    )
    try:
        check([filed[1].pk], user=people["head"], path="backup fixture")
    except RecordProtected:
        pass
    loan = loans.request_loan(
        people["clerk"],
        reason="核对原件",
        days=5,
        dossier=current,
    )
    loans.approve(loan, people["head"])
    loans.approve(loan, people["manager"])
    loans.issue(loan, people["desk"])
    loans.receive(loan, people["desk"])
    loans.inspect(loan, people["desk"], Loan.Condition.PAGES_MISSING, "缺第3页")
    # A document out on loan now (its shelf place is taken).
    out = loans.request_loan(
        people["clerk"],
        reason="复印发票",
        days=5,
        document_id=filed[3].pk,
    )
    loans.approve(out, people["head"])
    loans.approve(out, people["manager"])
    loans.issue(out, people["desk"])

    # A refused change of a record's frozen fact; a correction proposed and refused.
    try:
        records.check(
            {filed[0].pk: {"document_type"}},
            user=people["head"],
            path="backup fixture",
        )
    except records.RecordFrozen:
        pass
    proposal = corrections.propose(
        people["manager"],
        fact="end_date",
        value="2027-03-31",
        reason="结束日期录入有误",
        project=current.project,
    )
    corrections.refuse(proposal, people["checker1"], "合同约定结束日期无误")

    # A confidential record: the department's grant withdrawn; a request opens it again.
    secret = document(current, "QT", "保密协议", owner=people["head"])
    assign_perm("documents.view_document", engineering, secret)
    mark(secret, "confidential")
    today = timezone.localdate()
    request = access.request_access(
        people["clerk"],
        purpose="核对合同条款",
        starts=today,
        ends=today + datetime.timedelta(days=3),
        document_ids=[secret.pk],
    )
    access.approve(request, people["head"])
    access.record_access(people["clerk"], secret.pk, "view", "api")
    access.record_access(people["head"], filed[1].pk, "download", "admin")

    # Expired records: appraised, listed, approved, checked, supervised, destroyed.
    kept = document(old, "SS", "维修记录（延期）")
    duplicate = DocumentFactory(title="重复扫描")
    give_files(duplicate, marker)
    # Created last, so the destroyed records have the highest ids of the installation.
    expired = [document(old, "SS", f"维修记录{i}") for i in range(2)]
    retention.sweep()
    retention.appraise(people["manager"], [kept.pk], "extend", "仍有参考价值", years=5)
    retention.appraise(
        people["manager"],
        [d.pk for d in expired],
        "destroy",
        "保管期满",
    )
    destruction_list = destruction.prepare(
        people["manager"],
        title="到期维修记录",
        reason="保管期满",
        document_ids=[d.pk for d in expired],
    )
    destruction.submit(destruction_list, people["manager"])
    destruction.approve(destruction_list, people["leader"])
    destruction.check(destruction_list, people["checker1"])
    destruction.check(destruction_list, people["checker2"])
    destruction.supervise(destruction_list, people["leader2"])
    destruction.supervise(destruction_list, people["head2"])
    destruction.start_execution(destruction_list, people["manager"])
    destruction.execute(destruction_list.pk)

    # What other parts of the plugin write: capture, fixity and inventory rows.
    CaptureReport.objects.create(
        document=filed[0],
        document_title=filed[0].title,
        path="consume/XX/scan.pdf",
        reason=CaptureReport.Reason.UNKNOWN_CODE,
        detail="未知代码 XX",
    )
    # A duplicate scan reported, then put in paperless's trash: the report still names it.
    CaptureReport.objects.create(
        document=duplicate,
        document_title=duplicate.title,
        path="consume/HT/scan-again.pdf",
        reason=CaptureReport.Reason.DUPLICATE,
        detail="与已有文件相同",
    )
    duplicate.delete()
    run = FixityRun.objects.create(
        started_by=people["manager"],
        state=FixityRun.State.FINISHED,
        finished_at=timezone.now(),
        last_document_id=filed[-1].pk,
        documents_checked=5,
        files_checked=10,
        problems=1,
    )
    FixityChunk.objects.create(
        run=run,
        first_id=filed[0].pk,
        last_id=filed[-1].pk,
        last_document_id=filed[-1].pk,
        state=FixityChunk.State.DONE,
        claimed_by="worker@host:1",
        documents_checked=5,
        files_checked=10,
        problems=1,
    )
    FixityFinding.objects.create(
        run=run,
        document=filed[2],
        title=filed[2].title,
        file=FixityFinding.File.ARCHIVE,
        path="archive/x.pdf",
        problem=FixityFinding.Problem.MISMATCH,
        expected="a" * 64,
        actual="b" * 64,
    )
    inventory = InventoryRound.objects.create(
        name="2026年盘点",
        started_by=people["manager"],
    )
    InventoryItem.objects.create(
        round=inventory,
        dossier=current,
        archive_code=current.archive_code or "",
        cabinet="A01",
        result=InventoryItem.Result.PRESENT,
        checked_by=people["desk"],
        checked_at=timezone.now(),
    )
    return {
        "people": people,
        "department": engineering,
        "filed": filed,
        "secret": secret,
        "kept": kept,
        "trashed": duplicate,
        "destroyed": [d.pk for d in expired],
        "hold": hold,
        "loan": loan,
        "request": request,
        "destruction_list": destruction_list,
        "dossier": current,
    }


# Comparing installations --------------------------------------------------------------------


def _natural(label: str, pk, cache: dict) -> object:
    """A paperless object as an installation-independent value."""
    from django.apps import apps

    from svc_archive_plugin.services.backup import identity_of

    if pk is None:
        return None
    key = (label, pk)
    if key not in cache:
        model = apps.get_model(label)
        identity = identity_of(model)
        row = (
            model._base_manager.filter(pk=pk)
            .values(*identity.keys, *identity.ties)
            .first()
        )
        cache[key] = [label, row] if row else [label, "gone", pk]
    return cache[key]


def natural_rows(*, seals: bool = True) -> dict[str, list]:
    """Every plugin row, its references to paperless spelled out instead of ids.

    ``seals=False`` leaves out the evidence chains' hashes and the heads anchored in the
    fixity checks: an import that renumbers documents or people seals their rows again.
    """
    from svc_archive_plugin.models.chains import chain_fields
    from svc_archive_plugin.services.backup import GENERIC_REFERENCES
    from svc_archive_plugin.services.backup import is_chained
    from svc_archive_plugin.services.backup import plugin_models
    from svc_archive_plugin.services.backup import references

    cache: dict = {}
    dump = {}
    for model in plugin_models():
        label = model._meta.label_lower
        rows = []
        for record in serializers.serialize(
            "python",
            model._base_manager.order_by("pk"),
        ):
            values = record["fields"]
            for ref in references(model):
                values[ref.name] = _natural(ref.target, values.get(ref.name), cache)
            if label in GENERIC_REFERENCES:
                ct_name, obj_name = GENERIC_REFERENCES[label]
                target = ContentType.objects.get_for_id(values[ct_name])
                values[ct_name] = [target.app_label, target.model]
                values[obj_name] = _natural(
                    f"{target.app_label}.{target.model}",
                    values[obj_name],
                    cache,
                )
            if not seals and is_chained(model):
                for name in chain_fields(model)[1:]:
                    values.pop(name)
            if not seals and label == "svc_archive_plugin.fixityrun":
                values.pop("chain_heads")
            rows.append({"pk": record["pk"], **values})
        dump[label] = rows
    from svc_archive_plugin.services.backup import ExportEncoder

    return json.loads(json.dumps(dump, cls=ExportEncoder, ensure_ascii=False))


def print_natural_rows() -> None:
    """For a subprocess: the dump on stdout, between markers."""
    print("@@ROWS@@" + json.dumps(natural_rows(), ensure_ascii=False) + "@@END@@")  # noqa: T201


# Entry points for ``python -m django shell -c`` in a separate installation ------------------


def _eager() -> None:
    """No worker in these installations: run what paperless queues in-process."""
    from paperless.celery import app

    app.conf.task_always_eager = True


def seed_instance(marker: str) -> None:
    """Build the rich archive and print its rows."""
    _eager()
    build_archive(marker)
    print_natural_rows()


def seed_other_instance(export_dir: str) -> None:
    """Another installation: its own person and document, exported by paperless."""
    from django.core.management import call_command

    _eager()
    get_user_model().objects.create_user(username="someone-else")
    give_files(DocumentFactory(title="另一份合同"), "other")
    call_command("document_exporter", export_dir, no_progress_bar=True)


def load_paperless_export(export_dir: str) -> None:
    """paperless's own import, as ``document_importer`` runs it."""
    from django.core.management import call_command

    _eager()
    call_command("document_importer", export_dir, no_progress_bar=True)


def report_destination() -> None:
    """After the import: the register verified, the rows, and the next document's id.

    Then the archive at work again: a new access-log row and a new calendar day (ids past
    the imported ones), and a new document, whose id it prints.
    """
    from django.core.management import call_command

    from svc_archive_plugin.models import CalendarDay
    from svc_archive_plugin.services.access import record_access

    _eager()
    call_command("svc_archive_verify_register")
    print_natural_rows()
    clerk = get_user_model().objects.get(username="clerk")
    record_access(clerk, Document.objects.get(title="保密协议").pk, "view", "api")
    CalendarDay.objects.create(
        date=datetime.date(2027, 1, 1),
        kind="holiday",
        name="元旦",
    )
    document = Document.objects.create(
        title="导入后的新文件",
        checksum=uuid.uuid4().hex,
        mime_type="application/pdf",
    )
    print(f"@@NEXT_DOCUMENT@@{document.pk}@@END@@")  # noqa: T201
