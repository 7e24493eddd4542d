"""The statistics' counts of records ahead (``RecordCount``), kept by triggers.

Creates the table and the triggers on ``RecordFacts`` that keep it, then counts the
existing rows into it, in this migration's transaction: no row goes uncounted.
"""

from django.db import migrations
from django.db import models


def count(apps, schema_editor):
    """Install the triggers and count every existing row (the live service: the tables
    are the ones created here; a later migration that changes them must not use it)."""
    from svc_archive_plugin.services import record_facts

    alias = schema_editor.connection.alias
    if record_facts.counts_kept(alias):
        record_facts.install_count_triggers(alias)
        record_facts.recount(alias)


def uncount(apps, schema_editor):
    from svc_archive_plugin.services import record_facts

    for sql in record_facts.remove_count_triggers_sql(schema_editor.connection):
        schema_editor.execute(sql, None)


class Migration(migrations.Migration):
    dependencies = [
        ("svc_archive_plugin", "0028_fixity_chunks"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordCount",
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
                ("document_type_id", models.IntegerField(verbose_name="document type")),
                ("category_id", models.IntegerField(verbose_name="archive category")),
                (
                    "retention",
                    models.CharField(
                        blank=True,
                        max_length=16,
                        verbose_name="retention class",
                    ),
                ),
                ("month", models.DateField(verbose_name="month")),
                ("department_id", models.IntegerField(verbose_name="department")),
                ("n", models.IntegerField(verbose_name="count")),
                ("folded", models.BooleanField(default=False, verbose_name="folded")),
            ],
            options={
                "verbose_name": "record count",
                "verbose_name_plural": "record counts",
                "default_permissions": (),
                "indexes": [
                    models.Index(
                        fields=[
                            "document_type_id",
                            "category_id",
                            "retention",
                            "month",
                            "department_id",
                        ],
                        name="svc_recordcount_keys",
                    ),
                    models.Index(
                        condition=models.Q(("folded", False)),
                        fields=["id"],
                        name="svc_recordcount_unfolded",
                    ),
                ],
            },
        ),
        migrations.RunPython(count, uncount),
    ]
