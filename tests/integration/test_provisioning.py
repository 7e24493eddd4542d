"""svc_archive_setup: the vocabulary of SPEC §1, idempotent, never overwriting."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError
from django.core.management import call_command
from documents.models import CustomField
from documents.models import DocumentType
from documents.models import SavedView
from documents.models import Tag

from svc_archive_plugin import signals
from svc_archive_plugin.models import ArchiveCategory
from svc_archive_plugin.models import DocumentTypeCode
from svc_archive_plugin.models import RetentionRule
from svc_archive_plugin.models import ServiceType
from svc_archive_plugin.services import vocabulary as vocab

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("paperless_dirs")]


def setup(*args: str) -> str:
    out = StringIO()
    call_command("svc_archive_setup", *args, stdout=out)
    return out.getvalue()


def inventory() -> dict[str, int]:
    return {
        "document types": DocumentType.objects.count(),
        "custom fields": CustomField.objects.count(),
        "tags": Tag.objects.count(),
        "groups": Group.objects.count(),
        "saved views": SavedView.objects.count(),
        "categories": ArchiveCategory.objects.count(),
        "codes": DocumentTypeCode.objects.count(),
        "service types": ServiceType.objects.count(),
    }


def test_creates_the_vocabulary_in_simplified_chinese(settings):
    output = setup()

    assert "53 created, 0 already there" in output
    assert sorted(p.name for p in settings.CONSUMPTION_DIR.iterdir()) == [
        "FA",
        "FP",
        "HT",
        "KH",
        "QT",
        "SS",
        "TS",
    ]
    assert sorted(
        DocumentTypeCode.objects.values_list("code", "document_type__name"),
    ) == [
        ("FA", "需求调研与方案设计"),
        ("FP", "费用结算与发票"),
        ("HT", "合同协议"),
        ("KH", "客户基本信息"),
        ("QT", "其他"),
        ("SS", "实施记录"),
        ("TS", "客户反馈与投诉处理"),
    ]
    category = CustomField.objects.get(name="档案门类")
    assert category.data_type == "select"
    assert [o["label"] for o in category.extra_data["select_options"]] == [
        "客户服务档案",
        "项目服务档案",
        "售后服务档案",
    ]
    assert set(ArchiveCategory.objects.values_list("option_id", flat=True)) == {
        o["id"] for o in category.extra_data["select_options"]
    }
    assert [
        o["label"]
        for o in CustomField.objects.get(name="密级").extra_data["select_options"]
    ] == ["公开", "内部", "机密", "客户隐私"]
    assert CustomField.objects.get(name="保管期限至").data_type == "date"
    assert CustomField.objects.get(name="档号").data_type == "string"
    root = Tag.objects.get(name="保管期限")
    assert sorted(t.name for t in root.get_children()) == sorted(
        ["永久", "定期30年", "定期10年", "冻结", "借出", "待销毁"],
    )
    assert set(Group.objects.values_list("name", flat=True)) == {
        "档案管理员",
        "部门负责人",
        "公司分管领导",
        "员工",
    }
    assert sorted(
        ServiceType.objects.values_list("code", "name", "category__code"),
    ) == [
        ("JS", "技术服务", "XM"),
        ("SH", "售后服务", "SH"),
        ("WX", "维修服务", "SH"),
        ("ZX", "咨询服务", "XM"),
    ]


def test_second_run_duplicates_nothing_even_in_another_language():
    setup()
    before = inventory()

    output = setup("--language", "en")

    assert "0 created, 46 already there" in output
    assert inventory() == before
    assert not DocumentType.objects.filter(name="Contract and agreement").exists()


def test_english_names():
    setup("--language", "en")
    assert (
        DocumentTypeCode.objects.get(code="HT").document_type.name
        == "Contract and agreement"
    )
    assert Tag.objects.filter(name="30 years").exists()
    assert Group.objects.filter(name="Archive managers").exists()


def test_traditional_chinese_names():
    setup("--language", "zh-hant")
    assert (
        DocumentTypeCode.objects.get(code="TS").document_type.name
        == "客戶反饋與投訴處理"
    )
    assert CustomField.objects.filter(name="檔號").exists()


def test_existing_objects_are_reused_not_overwritten():
    contract = DocumentType.objects.create(
        name="合同协议",
        match="contract",
        matching_algorithm=DocumentType.MATCH_ANY,
    )
    hold = Tag.objects.create(name="冻结", color="#000000")

    output = setup("-v", "2")

    contract.refresh_from_db()
    hold.refresh_from_db()
    assert DocumentTypeCode.objects.get(code="HT").document_type == contract
    assert (contract.match, contract.matching_algorithm) == (
        "contract",
        DocumentType.MATCH_ANY,
    )
    assert hold.color == "#000000"
    assert DocumentType.objects.filter(name="合同协议").count() == 1
    assert "reused   document type 合同协议" in output


def test_field_of_the_wrong_type_stops_without_half_a_vocabulary():
    CustomField.objects.create(name="档号", data_type="integer")

    with pytest.raises(
        CommandError,
        match="'档号' exists as a integer field, but the plugin needs a string field",
    ):
        setup()

    assert DocumentType.objects.count() == 0
    assert CustomField.objects.count() == 1


def test_removed_category_option_is_restored():
    setup()
    field = CustomField.objects.get(name="档案门类")
    field.extra_data["select_options"] = [
        o for o in field.extra_data["select_options"] if o["label"] != "售后服务档案"
    ]
    field.save()

    setup()

    field.refresh_from_db()
    after_sales = ArchiveCategory.objects.get(code="SH")
    assert {"id": after_sales.option_id, "label": "售后服务档案"} in field.extra_data[
        "select_options"
    ]


def test_groups_get_exactly_their_permissions():
    setup()
    for item in vocab.GROUPS:
        group = Group.objects.get(name=item.term.zh_hans)
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert granted == set(item.permissions), item.key
    staff = Group.objects.get(name="员工")
    assert not staff.permissions.filter(codename="delete_document").exists()


def test_unknown_language_is_refused():
    with pytest.raises(CommandError, match="invalid choice: 'fr'"):
        setup("--language", "fr")


def test_the_set_up_queues_one_reclassification_not_one_per_rule(
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    # Each queued task costs paperless's worker a fresh process; the task recomputes every
    # record, so the set-up's dozens of rules need it once.
    queued = []
    monkeypatch.setattr(signals.recompute_retention, "delay", lambda: queued.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        setup()

    assert RetentionRule.objects.count() > 1
    assert DocumentTypeCode.objects.count() > 1
    assert queued == [1]
