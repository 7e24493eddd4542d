"""The registers of SPEC §2: service types, customers, service projects and their dossiers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models.vocabulary import ArchiveCategory
from svc_archive_plugin.models.vocabulary import code_validator
from svc_archive_plugin.services.vocabulary import retention_choices
from svc_archive_plugin.services.vocabulary import retention_class_label


class ServiceType(models.Model):
    """A kind of service (policy §3.1.2): technical, consulting, repair, after-sales, …"""

    code = models.CharField(
        _("code"),
        max_length=16,
        unique=True,
        validators=[code_validator],
    )
    name = models.CharField(_("name"), max_length=64)
    category = models.ForeignKey(
        ArchiveCategory,
        on_delete=models.PROTECT,
        related_name="service_types",
        verbose_name=_("archive category"),
        help_text=_("The archive category of this type's project dossiers."),
    )

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A customer 客户 (policy §3.1.1), kept in step with the *Customer* select field."""

    class Nature(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        GOVERNMENT = "government", _("Government body")
        INSTITUTION = "institution", _("Public institution")
        INDIVIDUAL = "individual", _("Individual")
        OTHER = "other", _("Other")

    class Size(models.TextChoices):
        LARGE = "large", _("Large company")
        MEDIUM = "medium", _("Medium-sized company")
        SMALL = "small", _("Small company")
        MICRO = "micro", _("Micro company")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[code_validator],
    )
    name = models.CharField(_("name"), max_length=128)
    contact_person = models.CharField(_("contact person"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=256, blank=True)
    nature = models.CharField(
        _("nature"),
        max_length=16,
        choices=Nature.choices,
        blank=True,
    )
    size = models.CharField(
        _("company size"),
        max_length=16,
        choices=Size.choices,
        blank=True,
    )
    industry = models.CharField(_("industry"), max_length=64, blank=True)
    # The option of the *Customer* select custom field that stands for this customer.
    option_id = models.CharField(
        _("select option id"),
        max_length=16,
        blank=True,
        editable=False,
        db_index=True,  # a document's field value leads to its entry
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ServiceProject(models.Model):
    """A service project 服务项目, kept in step with the *Service project* select field."""

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[code_validator],
    )
    name = models.CharField(_("name"), max_length=128)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("customer"),
    )
    service_type = models.ForeignKey(
        ServiceType,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("service type"),
    )
    # Departments are paperless groups: their members are its staff.
    department = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="svc_archive_projects",
        verbose_name=_("department"),
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(
        _("end (acceptance) date"),
        null=True,
        blank=True,
        help_text=_("Filing deadlines count from this date."),
    )
    is_major = models.BooleanField(
        _("major project"),
        default=False,
        help_text=_("Major projects (重大项目) have earlier filing deadlines."),
    )
    option_id = models.CharField(
        _("select option id"),
        max_length=16,
        blank=True,
        editable=False,
        db_index=True,  # a document's field value leads to its entry
    )

    class Meta:
        verbose_name = _("service project")
        verbose_name_plural = _("service projects")
        ordering = ("code",)
        indexes = [models.Index(fields=["end_date"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Dossier(models.Model):
    """The dossier 案卷 of one project: its documents are those whose project field names it."""

    class State(models.TextChoices):
        COLLECTING = "collecting", _("Collecting")
        SUBMITTED = "submitted", _("Submitted by the department")
        APPROVED = "approved", _("Approved by the department head")
        RECEIVED = "received", _("Received by the archive department")
        FILED = "filed", _("Filed")
        RETURNED = "returned", _("Returned for correction")

    # Deleting a project is refused while its dossier is in filing (services.registers).
    project = models.OneToOneField(
        ServiceProject,
        on_delete=models.CASCADE,
        related_name="dossier",
        verbose_name=_("service project"),
    )
    category = models.ForeignKey(
        ArchiveCategory,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=_("archive category"),
    )

    class Retention(models.TextChoices):
        # Named in one place, with the configured periods: 永久, 定期30年, 定期10年.
        PERMANENT = "permanent", retention_class_label("permanent")
        IMPORTANT = "important", retention_class_label("important")
        ORDINARY = "ordinary", retention_class_label("ordinary")

    archive_code = models.CharField(
        _("archive code"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
    )
    # The archive code's series and number, so gaps in a series can be listed.
    archive_series = models.CharField(
        _("archive-code series"),
        max_length=64,
        blank=True,
        editable=False,
    )
    archive_number = models.PositiveIntegerField(
        _("number in series"),
        null=True,
        blank=True,
        editable=False,
    )
    retention = models.CharField(
        _("retention class"),
        max_length=16,
        choices=retention_choices,
        blank=True,
        help_text=_(
            "Written into the archive code; from the retention schedule unless overridden.",
        ),
    )
    # A class set by hand overrides the schedule for every record of the dossier.
    retention_override_reason = models.TextField(
        _("reason for overriding the retention schedule"),
        blank=True,
        editable=False,
    )
    retention_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("retention schedule overridden by"),
    )
    state = models.CharField(
        _("filing state"),
        max_length=16,
        choices=State.choices,
        default=State.COLLECTING,
        db_index=True,
    )
    location_cabinet = models.CharField(_("cabinet"), max_length=32, blank=True)
    location_shelf = models.CharField(_("shelf"), max_length=32, blank=True)
    location_box = models.CharField(_("box"), max_length=32, blank=True)
    paper_pages = models.PositiveIntegerField(
        _("pages of the paper original"),
        null=True,
        blank=True,
    )
    completeness_override = models.TextField(
        _("reason to file although incomplete"),
        blank=True,
        editable=False,
    )
    completeness_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("incompleteness accepted by"),
    )

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ("project__code",)
        permissions = [
            ("submit_dossier", _("Can submit a dossier for filing")),
            ("approve_dossier", _("Can approve a dossier as department head")),
            ("file_dossier", _("Can receive, return and file dossiers")),
            (
                "accept_incomplete_dossier",
                _("Can accept an incomplete dossier for filing"),
            ),
        ]

    def __str__(self) -> str:
        return self.archive_code or str(self.project)

    @property
    def location(self) -> str:
        return "-".join(
            p
            for p in (self.location_cabinet, self.location_shelf, self.location_box)
            if p
        )
