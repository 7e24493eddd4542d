"""Item numbers 件号 (DA/T 22) on declared records.

Records of dossiers filed before this migration are numbered here, as filing numbers new
ones: in the checklist's order of document types, then by date. No row is added or lost.
"""

import datetime

from django.db import migrations
from django.db import models

UNLISTED = 10**6


def number_filed_records(apps, schema_editor):
    DeclaredRecord = apps.get_model("svc_archive_plugin", "DeclaredRecord")
    RequiredDocumentType = apps.get_model("svc_archive_plugin", "RequiredDocumentType")
    Dossier = apps.get_model("svc_archive_plugin", "Dossier")
    Document = apps.get_model("documents", "Document")
    dossier_ids = DeclaredRecord.objects.values_list("dossier_id", flat=True).distinct()
    for dossier in Dossier.objects.filter(pk__in=dossier_ids).select_related("project"):
        rank = {
            type_id: place
            for place, type_id in enumerate(
                RequiredDocumentType.objects.filter(
                    service_type_id=dossier.project.service_type_id,
                )
                .order_by("document_type__pk")
                .values_list("document_type__document_type_id", flat=True),
            )
        }
        rows = {
            r.document_id: r for r in DeclaredRecord.objects.filter(dossier=dossier)
        }
        facts = dict(
            (pk, (type_id, created))
            for pk, type_id, created in Document.objects.filter(
                pk__in=rows,
            ).values_list(
                "pk",
                "document_type_id",
                "created",
            )
        )

        def key(pk, facts=facts, rank=rank):
            type_id, created = facts.get(pk, (None, None))
            day = created.date() if isinstance(created, datetime.datetime) else created
            return (rank.get(type_id, UNLISTED), day or datetime.date.max, pk)

        for number, pk in enumerate(sorted(rows, key=key), start=1):
            rows[pk].item_number = number
        DeclaredRecord.objects.bulk_update(rows.values(), ["item_number"])


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0022_add_perf_indexes"),
        ("svc_archive_plugin", "0023_retention_class_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="declaredrecord",
            name="item_number",
            field=models.PositiveIntegerField(
                blank=True,
                null=True,
                verbose_name="item number",
            ),
        ),
        migrations.AddConstraint(
            model_name="declaredrecord",
            constraint=models.UniqueConstraint(
                fields=("dossier", "item_number"),
                name="svc_archive_item_number_once_per_dossier",
            ),
        ),
        migrations.RunPython(number_filed_records, migrations.RunPython.noop),
    ]
