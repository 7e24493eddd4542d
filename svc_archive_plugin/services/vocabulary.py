"""The service-archive vocabulary of SPEC §1, in the three languages it ships in."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import lazy
from django.utils.translation import get_language

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.services.language import django_language

LANGUAGES = ("zh-hans", "zh-hant", "en")
DEFAULT_LANGUAGE = "zh-hans"


@dataclass(frozen=True)
class Term:
    """A name in each shipped language; ``{n}`` is filled in where a period belongs."""

    zh_hans: str
    zh_hant: str
    en: str

    def name(self, language: str, **values: object) -> str:
        text = {"zh-hans": self.zh_hans, "zh-hant": self.zh_hant, "en": self.en}[
            language
        ]
        return text.format(**values)


@dataclass(frozen=True)
class CategoryItem:
    code: str
    term: Term


@dataclass(frozen=True)
class DocumentTypeItem:
    code: str
    term: Term
    default_category: str | None


# Codes are pinyin initials, as Chinese archive codes customarily are.
CATEGORIES = (
    CategoryItem(
        "KF",
        Term("客户服务档案", "客戶服務檔案", "Customer service archive"),
    ),
    CategoryItem("XM", Term("项目服务档案", "項目服務檔案", "Project service archive")),
    CategoryItem(
        "SH",
        Term("售后服务档案", "售後服務檔案", "After-sales service archive"),
    ),
)


@dataclass(frozen=True)
class ServiceTypeItem:
    code: str
    term: Term
    category: str
    required: tuple[str, ...]  # document-type codes a complete dossier contains


# Policy §3.1.2; the archive manager can add more in the admin.
SERVICE_TYPES = (
    ServiceTypeItem(
        "JS",
        Term("技术服务", "技術服務", "Technical service"),
        "XM",
        ("KH", "HT", "FA", "SS", "FP"),
    ),
    ServiceTypeItem(
        "ZX",
        Term("咨询服务", "諮詢服務", "Consulting service"),
        "XM",
        ("KH", "HT", "FA", "SS", "FP"),
    ),
    ServiceTypeItem(
        "WX",
        Term("维修服务", "維修服務", "Repair service"),
        "SH",
        ("KH", "HT", "SS", "FP"),
    ),
    ServiceTypeItem(
        "SH",
        Term("售后服务", "售後服務", "After-sales service"),
        "SH",
        ("KH", "SS", "TS", "FP"),
    ),
)

# Collection scope, policy chapter 2.1.
DOCUMENT_TYPES = (
    DocumentTypeItem(
        "KH",
        Term("客户基本信息", "客戶基本信息", "Customer information"),
        "KF",
    ),
    DocumentTypeItem(
        "HT",
        Term("合同协议", "合同協議", "Contract and agreement"),
        "XM",
    ),
    DocumentTypeItem(
        "FA",
        Term(
            "需求调研与方案设计",
            "需求調研與方案設計",
            "Requirement survey and solution design",
        ),
        "XM",
    ),
    DocumentTypeItem(
        "SS",
        Term("实施记录", "實施記錄", "Implementation records"),
        "XM",
    ),
    DocumentTypeItem(
        "TS",
        Term(
            "客户反馈与投诉处理",
            "客戶反饋與投訴處理",
            "Feedback and complaint handling",
        ),
        "SH",
    ),
    DocumentTypeItem(
        "FP",
        Term("费用结算与发票", "費用結算與發票", "Billing vouchers and invoices"),
        "XM",
    ),
    DocumentTypeItem("QT", Term("其他", "其他", "Other"), None),
)

# What a document of each type must carry when it arrives (SPEC §3), as the plugin's field
# keys. A type that a service type's checklist requires belongs in a dossier, which it joins
# only through its project field, so it needs the project (and the customer); customer
# information needs the customer. Every record needs its 密级: the policy keeps customer
# privacy and business secrets (§1.3.4, ch. 7), and an unmarked record is not sealed.
REQUIRED_METADATA = {
    "KH": ("customer", "confidentiality"),
    "HT": ("customer", "project", "confidentiality"),
    "FA": ("customer", "project", "confidentiality"),
    "SS": ("customer", "project", "confidentiality"),
    "TS": ("customer", "project", "confidentiality"),
    "FP": ("customer", "project", "confidentiality"),
    "QT": ("confidentiality",),
}

CONFIDENTIALITY = (
    ("public", Term("公开", "公開", "Public")),
    ("internal", Term("内部", "內部", "Internal")),
    ("confidential", Term("机密", "機密", "Confidential")),
    ("customer_private", Term("客户隐私", "客戶隱私", "Customer-private")),
)


@dataclass(frozen=True)
class CustomFieldItem:
    key: str
    term: Term
    data_type: str


CUSTOM_FIELDS = (
    CustomFieldItem(
        "category",
        Term("档案门类", "檔案門類", "Archive category"),
        "select",
    ),
    CustomFieldItem("customer", Term("客户", "客戶", "Customer"), "select"),
    CustomFieldItem(
        "project",
        Term("服务项目", "服務項目", "Service project"),
        "select",
    ),
    CustomFieldItem("archive_code", Term("档号", "檔號", "Archive code"), "string"),
    CustomFieldItem("item_number", Term("件号", "件號", "Item number"), "integer"),
    CustomFieldItem(
        "retention_until",
        Term("保管期限至", "保管期限至", "Retention until"),
        "date",
    ),
    CustomFieldItem(
        "confidentiality",
        Term("密级", "密級", "Confidentiality"),
        "select",
    ),
    CustomFieldItem(
        "location",
        Term("存放位置", "存放位置", "Physical location"),
        "string",
    ),
    # From the document's page in paperless's UI to its record page in the admin.
    CustomFieldItem(
        "record_link",
        Term("档案详情", "檔案詳情", "Archive record"),
        "url",
    ),
)

# The default retention schedule, by document type ("class determines destiny"):
# contracts, customer particulars and accounting vouchers long, working papers shorter.
RETENTION_SCHEDULE = (
    ("KH", "important"),
    ("HT", "important"),
    ("FA", "ordinary"),
    ("SS", "ordinary"),
    ("TS", "ordinary"),
    ("FP", "important"),
    ("QT", "ordinary"),
)

# The retention tag tree: the root, then its children in order.
RETENTION_ROOT = Term("保管期限", "保管期限", "Retention")
RETENTION_TAGS = (
    ("permanent", Term("永久", "永久", "Permanent")),
    ("important", Term("定期{n}年", "定期{n}年", "{n} years")),
    ("ordinary", Term("定期{n}年", "定期{n}年", "{n} years")),
    ("legal_hold", Term("冻结", "凍結", "Legal hold")),
    ("on_loan", Term("借出", "借出", "On loan")),
    ("pending_destruction", Term("待销毁", "待銷毀", "Pending destruction")),
)

_REGISTERS_VIEW = (
    "svc_archive_plugin.view_customer",
    "svc_archive_plugin.view_serviceproject",
    "svc_archive_plugin.view_servicetype",
    "svc_archive_plugin.view_dossier",
)
_REGISTERS_EDIT = (
    *_REGISTERS_VIEW,
    "svc_archive_plugin.add_customer",
    "svc_archive_plugin.change_customer",
    "svc_archive_plugin.add_serviceproject",
    "svc_archive_plugin.change_serviceproject",
    "svc_archive_plugin.change_dossier",
)
_STAFF = (
    "documents.view_document",
    "documents.add_document",
    "documents.change_document",
    "documents.view_tag",
    "documents.view_correspondent",
    "documents.view_documenttype",
    "documents.view_storagepath",
    "documents.view_customfield",
    "documents.view_note",
    "documents.add_note",
    "documents.view_savedview",
    "documents.add_savedview",
    "documents.change_savedview",
    "documents.delete_savedview",
    "documents.view_uisettings",
    "documents.add_uisettings",
    "documents.change_uisettings",
    *_REGISTERS_VIEW,
    "svc_archive_plugin.submit_dossier",
    "svc_archive_plugin.view_filingevent",
    # Everyone asks for access and borrows; the API shows them their own.
    "svc_archive_plugin.add_accessrequest",
    "svc_archive_plugin.add_loan",
)
_MANAGER = (
    *_STAFF,
    "documents.add_tag",
    "documents.change_tag",
    "documents.add_documenttype",
    "documents.change_documenttype",
    "documents.change_customfield",
    "svc_archive_plugin.view_archivecategory",
    "svc_archive_plugin.add_archivecategory",
    "svc_archive_plugin.change_archivecategory",
    "svc_archive_plugin.view_documenttypecode",
    "svc_archive_plugin.add_documenttypecode",
    "svc_archive_plugin.change_documenttypecode",
    "svc_archive_plugin.view_capturereport",
    "svc_archive_plugin.change_capturereport",
    "svc_archive_plugin.view_calendarday",
    "svc_archive_plugin.add_calendarday",
    "svc_archive_plugin.change_calendarday",
    "svc_archive_plugin.delete_calendarday",
    "svc_archive_plugin.view_calendaryear",
    "svc_archive_plugin.add_calendaryear",
    "svc_archive_plugin.change_calendaryear",
    "svc_archive_plugin.delete_calendaryear",
    *_REGISTERS_EDIT,
    "svc_archive_plugin.delete_customer",
    "svc_archive_plugin.delete_serviceproject",
    "svc_archive_plugin.add_servicetype",
    "svc_archive_plugin.change_servicetype",
    "svc_archive_plugin.file_dossier",
    "svc_archive_plugin.accept_incomplete_dossier",
    "svc_archive_plugin.view_requireddocumenttype",
    "svc_archive_plugin.add_requireddocumenttype",
    "svc_archive_plugin.change_requireddocumenttype",
    "svc_archive_plugin.delete_requireddocumenttype",
    "svc_archive_plugin.view_archivecodeseries",
    "svc_archive_plugin.view_retentionrule",
    "svc_archive_plugin.add_retentionrule",
    "svc_archive_plugin.change_retentionrule",
    "svc_archive_plugin.delete_retentionrule",
    "svc_archive_plugin.view_recordretention",
    "svc_archive_plugin.view_sweeprun",
    "svc_archive_plugin.appraise_record",
    "svc_archive_plugin.view_appraisaldecision",
    "svc_archive_plugin.view_legalhold",
    "svc_archive_plugin.place_legalhold",
    "svc_archive_plugin.release_legalhold",
    "svc_archive_plugin.view_refuseddeletion",
    "svc_archive_plugin.view_declaredrecord",
    "svc_archive_plugin.view_refusedchange",
    "svc_archive_plugin.view_destructionlist",
    "svc_archive_plugin.prepare_destruction",
    "svc_archive_plugin.check_destruction",
    "svc_archive_plugin.view_registerentry",
    # The loan desk 借阅台 and the access log 查阅登记.
    "svc_archive_plugin.view_accessrequest",
    "svc_archive_plugin.revoke_accessrequest",
    "svc_archive_plugin.view_accesslogentry",
    "svc_archive_plugin.view_withdrawnpermission",
    "svc_archive_plugin.view_loan",
    "svc_archive_plugin.view_loanevent",
    "svc_archive_plugin.view_loanliability",
    "svc_archive_plugin.approve_loan_for_archive",
    "svc_archive_plugin.issue_loan",
    # Statistics 统计分析: the archive department counts every record.
    "svc_archive_plugin.view_statistics",
    "paperless.view_global_statistics",
    # The fixity check 四性检测: its reports, and starting one now.
    "svc_archive_plugin.view_fixityrun",
    "svc_archive_plugin.view_fixityfinding",
    "svc_archive_plugin.run_fixity",
    # Inventory rounds 清查盘点 of the paper originals.
    "svc_archive_plugin.view_inventoryround",
    "svc_archive_plugin.add_inventoryround",
    "svc_archive_plugin.view_inventoryitem",
    "svc_archive_plugin.change_inventoryitem",
    # Corrections 更正 of frozen facts: one manager proposes, a second one approves.
    "svc_archive_plugin.view_correction",
    "svc_archive_plugin.view_correctionevent",
    "svc_archive_plugin.propose_correction",
    "svc_archive_plugin.approve_correction",
)
# What a company leader needs to approve and supervise destruction.
_DESTRUCTION_OVERSIGHT = (
    "svc_archive_plugin.view_destructionlist",
    "svc_archive_plugin.view_registerentry",
    "svc_archive_plugin.view_retentionrule",
    "svc_archive_plugin.view_appraisaldecision",
    "svc_archive_plugin.approve_destruction",
    "svc_archive_plugin.supervise_destruction",
)
_LEADER = (
    "documents.view_document",
    "documents.view_tag",
    "documents.view_documenttype",
    "documents.view_customfield",
    "documents.view_savedview",
    "documents.view_uisettings",
    "documents.add_uisettings",
    "documents.change_uisettings",
    "svc_archive_plugin.view_archivecategory",
    "svc_archive_plugin.view_documenttypecode",
    *_REGISTERS_VIEW,
    "svc_archive_plugin.view_filingevent",
    *_DESTRUCTION_OVERSIGHT,
    "svc_archive_plugin.view_statistics",
    "paperless.view_global_statistics",
)


@dataclass(frozen=True)
class GroupItem:
    key: str
    term: Term
    permissions: tuple[str, ...]


# Each group gets exactly the model permissions its role needs; later features add theirs.
GROUPS = (
    GroupItem(
        "archive_managers",
        Term("档案管理员", "檔案管理員", "Archive managers"),
        _MANAGER,
    ),
    GroupItem(
        "department_heads",
        Term("部门负责人", "部門負責人", "Department heads"),
        (
            *_STAFF,
            *_REGISTERS_EDIT,
            "svc_archive_plugin.approve_dossier",
            "svc_archive_plugin.approve_accessrequest",
            "svc_archive_plugin.approve_loan",
            "svc_archive_plugin.view_destructionlist",
            "svc_archive_plugin.supervise_destruction",
            "svc_archive_plugin.view_statistics",
        ),
    ),
    GroupItem(
        "company_leaders",
        Term("公司分管领导", "公司分管領導", "Company leaders"),
        _LEADER,
    ),
    GroupItem("staff", Term("员工", "員工", "Staff"), _STAFF),
)


# The retention classes, in order; their names are the retention tags' names.
RETENTION_CLASSES = ("permanent", "important", "ordinary")


def retention_periods() -> dict[str, int]:
    """The configured period in years of each fixed-term class."""
    return {
        "important": archive_settings.RETENTION_IMPORTANT,
        "ordinary": archive_settings.RETENTION_ORDINARY,
    }


def retention_class_name(key: str, language: str | None = None) -> str:
    """A retention class as screens, statistics, sheets and tags all name it: 永久, 定期30年,
    定期10年 (the configured periods); in ``language``, else the active one."""
    code = django_language(language or get_language())
    return dict(RETENTION_TAGS)[key].name(
        code if code in LANGUAGES else "en",
        n=retention_periods().get(key),
    )


# For the models' ``Retention`` labels: named when shown, in the reader's language.
retention_class_label = lazy(retention_class_name, str)


def retention_choices() -> list[tuple[str, str]]:
    """The retention classes as a field's choices (a callable: migrations name it, so the
    configured periods never change the schema)."""
    return [(key, retention_class_name(key)) for key in RETENTION_CLASSES]
