"""Fixity checks in parts (FixityChunk): any worker claims a part of a run and commits it.

A run interrupted before this migration has no parts; resuming it splits what is left
after its cursor into parts.
"""

import django.db.models.deletion
from django.db import migrations
from django.db import models


class Migration(migrations.Migration):
    dependencies = [
        ("svc_archive_plugin", "0027_filing_stamp"),
    ]

    operations = [
        migrations.CreateModel(
            name="FixityChunk",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "first_id",
                    models.PositiveIntegerField(verbose_name="first document"),
                ),
                ("last_id", models.PositiveIntegerField(verbose_name="last document")),
                (
                    "last_document_id",
                    models.PositiveIntegerField(
                        default=0,
                        verbose_name="last document checked",
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting"),
                            ("claimed", "Being checked"),
                            ("done", "Done"),
                        ],
                        default="pending",
                        max_length=16,
                        verbose_name="state",
                    ),
                ),
                (
                    "claimed_by",
                    models.CharField(
                        blank=True,
                        max_length=128,
                        verbose_name="claimed by",
                    ),
                ),
                (
                    "claimed_at",
                    models.DateTimeField(
                        blank=True,
                        null=True,
                        verbose_name="claimed at",
                    ),
                ),
                (
                    "heartbeat_at",
                    models.DateTimeField(
                        blank=True,
                        null=True,
                        verbose_name="last progress at",
                    ),
                ),
                (
                    "documents_checked",
                    models.PositiveIntegerField(
                        default=0,
                        verbose_name="documents checked",
                    ),
                ),
                (
                    "files_checked",
                    models.PositiveIntegerField(
                        default=0,
                        verbose_name="files checked",
                    ),
                ),
                (
                    "bytes_read",
                    models.PositiveBigIntegerField(
                        default=0,
                        verbose_name="bytes read",
                    ),
                ),
                (
                    "problems",
                    models.PositiveIntegerField(
                        default=0,
                        verbose_name="problems found",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="chunks",
                        to="svc_archive_plugin.fixityrun",
                        verbose_name="fixity check",
                    ),
                ),
            ],
            options={
                "verbose_name": "part of a fixity check",
                "verbose_name_plural": "parts of a fixity check",
                "ordering": ("run", "first_id"),
                "indexes": [
                    models.Index(
                        fields=["run", "state"],
                        name="svc_fixity_chunk_state",
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("run", "first_id"),
                        name="svc_archive_fixity_chunk_once",
                    ),
                ],
            },
        ),
    ]
