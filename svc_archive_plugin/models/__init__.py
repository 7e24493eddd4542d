"""The plugin's registers, one module per concept."""

from svc_archive_plugin.models.calendar import CalendarDay
from svc_archive_plugin.models.capture import CaptureReport
from svc_archive_plugin.models.filing import ArchiveCodeSeries
from svc_archive_plugin.models.filing import FilingEvent
from svc_archive_plugin.models.filing import RequiredDocumentType
from svc_archive_plugin.models.registers import Customer
from svc_archive_plugin.models.registers import Dossier
from svc_archive_plugin.models.registers import ServiceProject
from svc_archive_plugin.models.registers import ServiceType
from svc_archive_plugin.models.vocabulary import ArchiveCategory
from svc_archive_plugin.models.vocabulary import DocumentTypeCode
from svc_archive_plugin.models.vocabulary import ProvisionedObject

__all__ = [
    "ArchiveCategory",
    "ArchiveCodeSeries",
    "CalendarDay",
    "CaptureReport",
    "Customer",
    "DocumentTypeCode",
    "Dossier",
    "FilingEvent",
    "ProvisionedObject",
    "RequiredDocumentType",
    "ServiceProject",
    "ServiceType",
]
