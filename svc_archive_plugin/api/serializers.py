"""Serializers of the plugin's API."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from svc_archive_plugin.api.bounds import LARGEST_INTEGER
from svc_archive_plugin.api.bounds import IdField
from svc_archive_plugin.api.bounds import id_list
from svc_archive_plugin.models import AccessLogEntry
from svc_archive_plugin.models import AccessRequest
from svc_archive_plugin.models import AccessRequestItem
from svc_archive_plugin.models import AppraisalDecision
from svc_archive_plugin.models import Customer
from svc_archive_plugin.models import DestructionEvent
from svc_archive_plugin.models import DestructionItem
from svc_archive_plugin.models import DestructionList
from svc_archive_plugin.models import Dossier
from svc_archive_plugin.models import FilingEvent
from svc_archive_plugin.models import FixityFinding
from svc_archive_plugin.models import FixityRun
from svc_archive_plugin.models import HoldEvent
from svc_archive_plugin.models import HoldMember
from svc_archive_plugin.models import HoldScope
from svc_archive_plugin.models import InventoryItem
from svc_archive_plugin.models import InventoryRound
from svc_archive_plugin.models import LegalHold
from svc_archive_plugin.models import Loan
from svc_archive_plugin.models import LoanEvent
from svc_archive_plugin.models import LoanLiability
from svc_archive_plugin.models import RecordRetention
from svc_archive_plugin.models import RegisterEntry
from svc_archive_plugin.models import ServiceProject
from svc_archive_plugin.models import ServiceType


def _optional_name(slug_field: str) -> serializers.SlugRelatedField:
    """A person's user name or a register's code or name, ``null`` while there is none
    (a step not yet taken, a record of no project)."""
    return serializers.SlugRelatedField(
        slug_field=slug_field,
        read_only=True,
        allow_null=True,
    )


class StatusCountsSerializer(serializers.Serializer):
    archive_categories = serializers.IntegerField()
    document_type_codes = serializers.IntegerField()
    open_capture_reports = serializers.IntegerField()
    documents_by_category = serializers.DictField(child=serializers.IntegerField())


class StatusSerializer(serializers.Serializer):
    version = serializers.CharField()
    provisioned = serializers.BooleanField()
    settings = serializers.DictField()
    counts = StatusCountsSerializer()


class ServiceTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceType
        fields = ("id", "code", "name", "category")


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = (
            "id",
            "code",
            "name",
            "contact_person",
            "phone",
            "address",
            "nature",
            "size",
            "industry",
            "option_id",
        )
        read_only_fields = ("option_id",)


class ServiceProjectSerializer(serializers.ModelSerializer):
    dossier = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ServiceProject
        fields = (
            "id",
            "code",
            "name",
            "customer",
            "service_type",
            "department",
            "start_date",
            "end_date",
            "is_major",
            "option_id",
            "dossier",
        )
        read_only_fields = ("option_id",)

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": _("The end date is before the start date.")},
            )
        return attrs


class DossierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dossier
        fields = (
            "id",
            "project",
            "category",
            "archive_code",
            "state",
            "location_cabinet",
            "location_shelf",
            "location_box",
            "paper_pages",
            "completeness_override",
            "retention",
            "retention_override_reason",
        )
        # The class changes only through override_retention, which records the reason.
        read_only_fields = (
            "project",
            "archive_code",
            "state",
            "completeness_override",
            "retention",
            "retention_override_reason",
        )
        # "" until the schedule or an override gives the dossier a class.
        extra_kwargs = {"retention": {"allow_blank": True}}


class RetentionOverrideSerializer(serializers.Serializer):
    retention = serializers.ChoiceField(choices=Dossier.Retention.choices)
    reason = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class FilingEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = FilingEvent
        fields = ("id", "action", "from_state", "to_state", "actor", "at", "reason")


class CompletenessSerializer(serializers.Serializer):
    required = serializers.ListField(child=serializers.CharField())
    present = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())
    documents = serializers.IntegerField()


# Retention, holds and destruction ----------------------------------------------------------


class RecordRetentionSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="document.title", read_only=True)

    class Meta:
        model = RecordRetention
        fields = (
            "document",
            "title",
            "retention",
            "period_years",
            "basis",
            "starts",
            "until",
            "filed",
            "state",
            "due_since",
        )
        read_only_fields = fields


class AppraiseSerializer(serializers.Serializer):
    documents = id_list(
        allow_empty=False,
    )
    decision = serializers.ChoiceField(choices=AppraisalDecision.Decision.choices)
    years = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    reason = serializers.CharField()


class AppraisalDecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AppraisalDecision
        fields = (
            "id",
            "document",
            "dossier",
            "decision",
            "years",
            "until_before",
            "until_after",
            "reason",
            "decided_by",
            "decided_at",
        )
        read_only_fields = fields


class HoldScopeSerializer(serializers.ModelSerializer):
    class Meta:
        model = HoldScope
        fields = ("document", "dossier", "customer", "project")


class HoldMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = HoldMember
        fields = ("document", "joined_at", "how")
        read_only_fields = fields


class HoldEventSerializer(serializers.ModelSerializer):
    actor = _optional_name("username")

    class Meta:
        model = HoldEvent
        fields = ("action", "document", "actor", "at", "reason")
        read_only_fields = fields


class LegalHoldSerializer(serializers.ModelSerializer):
    placed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    released_by = _optional_name("username")
    scope = HoldScopeSerializer(many=True, read_only=True)
    # The documents it holds (recorded, never taken back while in force) and its history.
    members = HoldMemberSerializer(many=True, read_only=True)
    events = HoldEventSerializer(many=True, read_only=True)
    # What to hold, on creation.
    documents = id_list(
        write_only=True,
        required=False,
    )
    dossiers = IdField(
        queryset=Dossier.objects.all(),
        many=True,
        write_only=True,
        required=False,
    )
    customers = IdField(
        queryset=Customer.objects.all(),
        many=True,
        write_only=True,
        required=False,
    )
    projects = IdField(
        queryset=ServiceProject.objects.all(),
        many=True,
        write_only=True,
        required=False,
    )

    class Meta:
        model = LegalHold
        fields = (
            "id",
            "name",
            "reason",
            "placed_by",
            "placed_at",
            "released_by",
            "released_at",
            "release_reason",
            "scope",
            "members",
            "events",
            "documents",
            "dossiers",
            "customers",
            "projects",
        )
        read_only_fields = (
            "placed_by",
            "placed_at",
            "released_by",
            "released_at",
            "release_reason",
        )


class DestructionItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = DestructionItem
        fields = (
            "document_id",
            "title",
            "archive_code",
            "customer",
            "project",
            "document_type",
            "created",
            "pages",
            "retention",
            "retention_until",
            "years_kept",
            "released",
            "destroyed_at",
        )
        read_only_fields = fields


class DestructionEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DestructionEvent
        fields = ("round", "action", "actor", "at", "note")
        read_only_fields = fields


class DestructionListSerializer(serializers.ModelSerializer):
    prepared_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    items = DestructionItemSerializer(many=True, read_only=True)
    events = DestructionEventSerializer(many=True, read_only=True)
    documents = id_list(
        write_only=True,
        allow_empty=False,
    )

    class Meta:
        model = DestructionList
        fields = (
            "id",
            "number",
            "title",
            "reason",
            "state",
            "round",
            "prepared_by",
            "created_at",
            "method",
            "place",
            "items",
            "events",
            "documents",
        )
        read_only_fields = (
            "number",
            "state",
            "round",
            "prepared_by",
            "created_at",
            "method",
            "place",
        )


class ScanSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=64,
        help_text="the label code (project code) or 档号, as typed or scanned",
    )


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, required=False, default="")


class DestructionExecutionSerializer(NoteSerializer):
    """How and where the records are destroyed (销毁方式, 销毁地点); the note is the remark."""

    method = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=100,
    )
    place = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=200,
    )


class RegisterEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = RegisterEntry
        fields = (
            "sequence",
            "destruction_list",
            "document_id",
            "destroyed_at",
            "content",
            "previous_hash",
            "entry_hash",
        )
        read_only_fields = fields


# Access and loans -----------------------------------------------------------------------


class AccessRequestItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessRequestItem
        fields = ("document", "dossier")
        read_only_fields = fields


class AccessRequestSerializer(serializers.ModelSerializer):
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    department = _optional_name("name")
    decided_by = _optional_name("username")
    closed_by = _optional_name("username")
    items = AccessRequestItemSerializer(many=True, read_only=True)
    # What to consult, on creation.
    documents = id_list(
        write_only=True,
        required=False,
    )
    dossiers = IdField(
        queryset=Dossier.objects.all(),
        many=True,
        write_only=True,
        required=False,
    )

    class Meta:
        model = AccessRequest
        fields = (
            "id",
            "requester",
            "department",
            "purpose",
            "starts",
            "ends",
            "state",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "closed_by",
            "closed_at",
            "close_reason",
            "items",
            "documents",
            "dossiers",
        )
        read_only_fields = (
            "state",
            "created_at",
            "decided_at",
            "decision_reason",
            "closed_at",
            "close_reason",
        )


class AccessLogEntrySerializer(serializers.ModelSerializer):
    # None for a record of no customer or project, or of one deleted since.
    customer = _optional_name("code")
    project = _optional_name("code")

    class Meta:
        model = AccessLogEntry
        fields = (
            "id",
            "at",
            "user",
            "username",
            "department",
            "department_name",
            "document",
            "title",
            "customer",
            "project",
            "kind",
            "via",
            "request",
            "share_link",
            "shared_by_name",
            "client_address",
        )
        read_only_fields = fields


class LoanEventSerializer(serializers.ModelSerializer):
    actor = _optional_name("username")

    class Meta:
        model = LoanEvent
        fields = ("action", "from_state", "to_state", "actor", "at", "note")
        read_only_fields = fields


class LoanLiabilitySerializer(serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = LoanLiability
        fields = ("condition", "note", "recorded_by", "recorded_at")
        read_only_fields = fields


class LoanSerializer(serializers.ModelSerializer):
    borrower = serializers.SlugRelatedField(slug_field="username", read_only=True)
    # Each is None until its step is taken (the department: for a borrower in none).
    department = _optional_name("name")
    head_approved_by = _optional_name("username")
    archive_approved_by = _optional_name("username")
    issued_by = _optional_name("username")
    received_by = _optional_name("username")
    inspected_by = _optional_name("username")
    document = serializers.IntegerField(
        source="document_id",
        required=False,
        allow_null=True,
        min_value=1,
        max_value=LARGEST_INTEGER,
    )
    events = LoanEventSerializer(many=True, read_only=True)
    liability = LoanLiabilitySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Loan
        fields = (
            "id",
            "number",
            "borrower",
            "department",
            "dossier",
            "document",
            "medium",
            "reason",
            "days",
            "state",
            "requested_at",
            "head_approved_by",
            "archive_approved_by",
            "issued_by",
            "issued_at",
            "location_out",
            "due",
            "renewals",
            "renewal_days",
            "renewal_reason",
            "returned_at",
            "received_by",
            "condition",
            "inspection_note",
            "inspected_by",
            "events",
            "liability",
        )
        read_only_fields = tuple(
            f
            for f in fields
            if f not in ("dossier", "document", "medium", "reason", "days")
        )
        # condition is "" until the loan is inspected.
        extra_kwargs = {"days": {"min_value": 1}, "condition": {"allow_blank": True}}


class RenewalSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1)
    reason = serializers.CharField()


class FoundSerializer(serializers.Serializer):
    note = serializers.CharField()


class InspectionSerializer(serializers.Serializer):
    condition = serializers.ChoiceField(choices=Loan.Condition.choices)
    note = serializers.CharField(allow_blank=True, required=False, default="")


class FixityRunSerializer(serializers.ModelSerializer):
    # None for the scheduled runs.
    started_by = _optional_name("username")

    class Meta:
        model = FixityRun
        fields = (
            "id",
            "started_at",
            "finished_at",
            "started_by",
            "state",
            "documents_checked",
            "files_checked",
            "bytes_read",
            "problems",
            "mailed_at",
            "last_document_id",
            "chain_heads",
            "chain_problems",
        )
        read_only_fields = fields


class FixityFindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = FixityFinding
        fields = (
            "id",
            "document",
            "title",
            "file",
            "path",
            "problem",
            "expected",
            "actual",
            "detail",
            "at",
        )
        read_only_fields = fields


class InventoryRoundSerializer(serializers.ModelSerializer):
    started_by = serializers.CharField(source="started_by.username", read_only=True)
    closed_by = serializers.CharField(
        source="closed_by.username",
        read_only=True,
        default=None,
        allow_null=True,
    )
    progress = serializers.SerializerMethodField()

    class Meta:
        model = InventoryRound
        fields = (
            "id",
            "name",
            "cabinet",
            "note",
            "started_by",
            "started_at",
            "closed_by",
            "closed_at",
            "progress",
        )
        read_only_fields = ("started_at", "closed_at")

    def get_progress(self, obj) -> dict[str, int]:
        keys = ("listed", "unchecked", "present", "missing", "misplaced", "unlisted")
        return {key: getattr(obj, key, None) for key in keys}


class InventoryItemSerializer(serializers.ModelSerializer):
    loan_number = serializers.CharField(
        source="loan.number",
        read_only=True,
        default="",
    )
    borrower = serializers.CharField(
        source="loan.borrower.username",
        read_only=True,
        default="",
    )
    checked_by = serializers.CharField(
        source="checked_by.username",
        read_only=True,
        default=None,
        allow_null=True,
    )

    class Meta:
        model = InventoryItem
        fields = (
            "id",
            "round",
            "dossier",
            "archive_code",
            "title",
            "cabinet",
            "shelf",
            "box",
            "pages",
            "loan",
            "loan_number",
            "borrower",
            "document_loans",
            "unlisted",
            "result",
            "found_at",
            "note",
            "checked_by",
            "checked_at",
        )
        read_only_fields = fields


class InventoryCheckSerializer(serializers.Serializer):
    result = serializers.ChoiceField(
        choices=[
            c
            for c in InventoryItem.Result.choices
            if c[0] != InventoryItem.Result.UNCHECKED
        ],
    )
    # The register's column widths: a longer text is a 400, not a database error.
    found_at = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=128,
    )
    note = serializers.CharField(allow_blank=True, required=False, default="")


class InventoryUnlistedSerializer(serializers.Serializer):
    dossier = IdField(
        queryset=Dossier.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    archive_code = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=64,
    )
    found_at = serializers.CharField(max_length=128)
    note = serializers.CharField(allow_blank=True, required=False, default="")


class InventoryDiscrepancySerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    explained = serializers.BooleanField()
    listed_at = serializers.CharField()
    loan_number = serializers.CharField(source="loan.number", default="")
    borrower = serializers.CharField(source="loan.borrower.username", default="")
    loan_back_at_desk = serializers.BooleanField(source="at_desk")
    item = InventoryItemSerializer()
