"""The vocabulary the plugin provisions into paperless, and the codes that name it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    _("A code is letters, digits, '-' and '_', as used in folder names and barcodes."),
)


class ArchiveCategory(models.Model):
    """An archive category 档案门类: an option of the *Archive category* select field."""

    code = models.CharField(
        _("code"),
        max_length=16,
        unique=True,
        validators=[code_validator],
        help_text=_("Written into archive codes, e.g. KF."),
    )
    name = models.CharField(_("name"), max_length=128)
    # The option of paperless's select custom field that stands for this category.
    option_id = models.CharField(_("select option id"), max_length=16, editable=False)

    class Meta:
        verbose_name = _("archive category")
        verbose_name_plural = _("archive categories")
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DocumentTypeCode(models.Model):
    """The code of a service-archive document type, as folders and cover sheets name it."""

    code = models.CharField(
        _("code"),
        max_length=16,
        unique=True,
        validators=[code_validator],
        help_text=_(
            "The folder name under the consumption directory, e.g. HT for contracts.",
        ),
    )
    document_type = models.OneToOneField(
        "documents.DocumentType",
        on_delete=models.CASCADE,
        related_name="svc_archive_code",
        verbose_name=_("document type"),
    )
    default_category = models.ForeignKey(
        ArchiveCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="document_type_codes",
        verbose_name=_("default archive category"),
        help_text=_("Set on documents of this type until a project says otherwise."),
    )
    requires_text = models.BooleanField(
        _("requires text"),
        default=True,
        help_text=_(
            "A scan of this type in which OCR finds no text is held back and reported, "
            "not stored as a record that full-text search can never find.",
        ),
    )

    # What a document of this type must carry (SPEC §3): one that arrives without it gets
    # a capture report, which resolves itself once the fields are filled in.
    requires_customer = models.BooleanField(
        _("requires a customer"),
        default=False,
        help_text=_(
            "A document of this type that arrives without a customer is reported.",
        ),
    )
    requires_project = models.BooleanField(
        _("requires a service project"),
        default=False,
        help_text=_(
            "A document of this type that arrives without a service project is "
            "reported: only through its project does it join a dossier.",
        ),
    )
    requires_confidentiality = models.BooleanField(
        _("requires a confidentiality level"),
        default=True,
        help_text=_(
            "A document of this type that arrives without a confidentiality level (密级) "
            "is reported: until it has one, it is not sealed (policy §1.3.4, ch. 7).",
        ),
    )

    class Meta:
        verbose_name = _("document type code")
        verbose_name_plural = _("document type codes")
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} {self.document_type.name}"

    def save(self, *args, **kwargs) -> None:
        self.code = self.code.upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Codes are matched case-insensitively; keep one spelling, before uniqueness is checked.
        self.code = self.code.upper()


class ProvisionedObject(models.Model):
    """Which paperless object stands for a vocabulary item, so re-provisioning finds it."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("provisioned object")
        verbose_name_plural = _("provisioned objects")
        ordering = ("key",)

    def __str__(self) -> str:
        return self.key


class SavedViewOffer(models.Model):
    """A role's saved view was put on this person's dashboard once; never again after.

    So a person who takes the view off their dashboard keeps it off.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    saved_view = models.ForeignKey(
        "documents.SavedView",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("saved view"),
    )
    offered_at = models.DateTimeField(_("offered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view offered")
        verbose_name_plural = _("saved views offered")
        constraints = [
            models.UniqueConstraint(
                fields=("user", "saved_view"),
                name="svc_archive_one_offer_per_view",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.saved_view_id} → {self.user_id}"
