"""The plugin's registers, one module per concept."""

from svc_archive_plugin.models.access import AccessGrant
from svc_archive_plugin.models.access import AccessLogEntry
from svc_archive_plugin.models.access import AccessRequest
from svc_archive_plugin.models.access import AccessRequestItem
from svc_archive_plugin.models.access import WithdrawnPermission
from svc_archive_plugin.models.calendar import CalendarDay
from svc_archive_plugin.models.calendar import CalendarYear
from svc_archive_plugin.models.capture import CaptureReport
from svc_archive_plugin.models.corrections import Correction
from svc_archive_plugin.models.corrections import CorrectionEvent
from svc_archive_plugin.models.destruction import DestructionEvent
from svc_archive_plugin.models.destruction import DestructionItem
from svc_archive_plugin.models.destruction import DestructionList
from svc_archive_plugin.models.destruction import RegisterEntry
from svc_archive_plugin.models.filing import ArchiveCodeSeries
from svc_archive_plugin.models.filing import FilingEvent
from svc_archive_plugin.models.filing import RequiredDocumentType
from svc_archive_plugin.models.fixity import FixityChunk
from svc_archive_plugin.models.fixity import FixityFinding
from svc_archive_plugin.models.fixity import FixityRun
from svc_archive_plugin.models.inventory import InventoryItem
from svc_archive_plugin.models.inventory import InventoryRound
from svc_archive_plugin.models.loans import Loan
from svc_archive_plugin.models.loans import LoanApprovalQueue
from svc_archive_plugin.models.loans import LoanEvent
from svc_archive_plugin.models.loans import LoanLiability
from svc_archive_plugin.models.loans import LoanOccupancy
from svc_archive_plugin.models.loans import LoanOut
from svc_archive_plugin.models.loans import LoanToInspect
from svc_archive_plugin.models.loans import LoanToIssue
from svc_archive_plugin.models.loans import OverdueLoan
from svc_archive_plugin.models.records import DeclaredRecord
from svc_archive_plugin.models.records import RefusedChange
from svc_archive_plugin.models.registers import Customer
from svc_archive_plugin.models.registers import Dossier
from svc_archive_plugin.models.registers import ServiceProject
from svc_archive_plugin.models.registers import ServiceType
from svc_archive_plugin.models.retention import AppraisalDecision
from svc_archive_plugin.models.retention import ArchiveRecord
from svc_archive_plugin.models.retention import HoldEvent
from svc_archive_plugin.models.retention import HoldMember
from svc_archive_plugin.models.retention import HoldScope
from svc_archive_plugin.models.retention import LegalHold
from svc_archive_plugin.models.retention import RecordRetention
from svc_archive_plugin.models.retention import RefusedDeletion
from svc_archive_plugin.models.retention import RetentionRule
from svc_archive_plugin.models.retention import SweepRun
from svc_archive_plugin.models.statistics import RecordCount
from svc_archive_plugin.models.statistics import RecordFacts
from svc_archive_plugin.models.statistics import Statistics
from svc_archive_plugin.models.vocabulary import ArchiveCategory
from svc_archive_plugin.models.vocabulary import DocumentTypeCode
from svc_archive_plugin.models.vocabulary import ProvisionedObject
from svc_archive_plugin.models.vocabulary import SavedViewOffer

__all__ = [
    "AccessGrant",
    "AccessLogEntry",
    "AccessRequest",
    "AccessRequestItem",
    "AppraisalDecision",
    "ArchiveCategory",
    "ArchiveCodeSeries",
    "ArchiveRecord",
    "CalendarDay",
    "CalendarYear",
    "CaptureReport",
    "Correction",
    "CorrectionEvent",
    "Customer",
    "DeclaredRecord",
    "DestructionEvent",
    "DestructionItem",
    "DestructionList",
    "DocumentTypeCode",
    "Dossier",
    "FilingEvent",
    "FixityChunk",
    "FixityFinding",
    "FixityRun",
    "HoldEvent",
    "HoldMember",
    "HoldScope",
    "InventoryItem",
    "InventoryRound",
    "LegalHold",
    "Loan",
    "LoanApprovalQueue",
    "LoanEvent",
    "LoanLiability",
    "LoanOccupancy",
    "LoanOut",
    "LoanToInspect",
    "LoanToIssue",
    "OverdueLoan",
    "ProvisionedObject",
    "RecordCount",
    "RecordFacts",
    "RecordRetention",
    "RefusedChange",
    "RefusedDeletion",
    "RegisterEntry",
    "RequiredDocumentType",
    "RetentionRule",
    "SavedViewOffer",
    "ServiceProject",
    "ServiceType",
    "Statistics",
    "SweepRun",
    "WithdrawnPermission",
]
