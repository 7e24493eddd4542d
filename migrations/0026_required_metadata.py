"""What each document type must carry (SPEC §3): customer, project, confidentiality 密级.

A document that arrives without what its type requires gets a capture report. The types
provisioned before this migration get the policy's defaults, as provisioning now seeds them
(``services.vocabulary.REQUIRED_METADATA``); 密级 is required of every type by default.
"""

from django.db import migrations
from django.db import models

# The provisioned codes whose documents belong to a project, and customer information.
# Copied, not imported: a migration keeps what it did when the vocabulary changes.
WITH_PROJECT = ("HT", "FA", "SS", "TS", "FP")
WITH_CUSTOMER = ("KH", *WITH_PROJECT)


def seed(apps, schema_editor):
    codes = apps.get_model("svc_archive_plugin", "DocumentTypeCode").objects
    codes.filter(code__in=WITH_CUSTOMER).update(requires_customer=True)
    codes.filter(code__in=WITH_PROJECT).update(requires_project=True)


class Migration(migrations.Migration):
    dependencies = [
        ("svc_archive_plugin", "0025_calendar_years"),
    ]

    operations = [
        migrations.AddField(
            model_name="documenttypecode",
            name="requires_confidentiality",
            field=models.BooleanField(
                default=True,
                help_text="A document of this type that arrives without a confidentiality level (密级) is reported: until it has one, it is not sealed (policy §1.3.4, ch. 7).",
                verbose_name="requires a confidentiality level",
            ),
        ),
        migrations.AddField(
            model_name="documenttypecode",
            name="requires_customer",
            field=models.BooleanField(
                default=False,
                help_text="A document of this type that arrives without a customer is reported.",
                verbose_name="requires a customer",
            ),
        ),
        migrations.AddField(
            model_name="documenttypecode",
            name="requires_project",
            field=models.BooleanField(
                default=False,
                help_text="A document of this type that arrives without a service project is reported: only through its project does it join a dossier.",
                verbose_name="requires a service project",
            ),
        ),
        migrations.AlterField(
            model_name="capturereport",
            name="reason",
            field=models.CharField(
                choices=[
                    ("unknown_code", "Unknown code"),
                    ("ambiguous_code", "Ambiguous code"),
                    ("mismatch", "Project does not belong to the customer"),
                    ("unsupported_path", "Folder path not understood"),
                    ("cover_sheet", "Cover sheet not usable"),
                    ("duplicate", "Duplicate of an existing document"),
                    ("empty_file", "Empty file"),
                    ("corrupt", "Damaged file"),
                    ("password", "Password-protected PDF"),
                    ("unsupported_type", "File type not supported"),
                    ("no_text", "No text recognised"),
                    ("failed", "Consumption failed"),
                    ("missing_metadata", "Mandatory metadata missing"),
                ],
                max_length=32,
                verbose_name="reason",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
