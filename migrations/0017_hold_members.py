"""Holds record the documents they cover (members) and what happened to them (events).

Until now a hold's documents were read from the documents' fields at each question, so an
edit could take a document out. The members of each active hold are backfilled from its
scope as it reads today; every hold gets its *placed* event, a released one its *released*
event, from the hold's own columns.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations
from django.db import models


def _scope_documents(apps, hold) -> set[int]:
    """The documents the hold's scope names now, as the plugin read them before."""
    CustomFieldInstance = apps.get_model("documents", "CustomFieldInstance")
    ProvisionedObject = apps.get_model("svc_archive_plugin", "ProvisionedObject")
    ServiceProject = apps.get_model("svc_archive_plugin", "ServiceProject")

    documents, project_ids, customer_ids = set(), set(), set()
    for scope in hold.scope.all():
        if scope.document_id:
            documents.add(scope.document_id)
        if scope.project_id:
            project_ids.add(scope.project_id)
        if scope.dossier_id:
            project_ids.add(scope.dossier.project_id)
        if scope.customer_id:
            customer_ids.add(scope.customer_id)
            project_ids.update(
                ServiceProject.objects.filter(
                    customer_id=scope.customer_id,
                ).values_list(
                    "pk",
                    flat=True,
                ),
            )
    fields = dict(
        ProvisionedObject.objects.filter(
            key__in=("custom_field.project", "custom_field.customer"),
        ).values_list("key", "object_id"),
    )
    Customer = apps.get_model("svc_archive_plugin", "Customer")
    options = {
        "custom_field.project": ServiceProject.objects.filter(pk__in=project_ids),
        "custom_field.customer": Customer.objects.filter(pk__in=customer_ids),
    }
    for key, registers in options.items():
        values = [o for o in registers.values_list("option_id", flat=True) if o]
        if key in fields and values:
            # The historical manager also sees a trashed document's soft-deleted values.
            documents.update(
                CustomFieldInstance.objects.filter(
                    field_id=fields[key],
                    value_select__in=values,
                ).values_list("document_id", flat=True),
            )
    return documents


def backfill(apps, schema_editor):
    LegalHold = apps.get_model("svc_archive_plugin", "LegalHold")
    HoldMember = apps.get_model("svc_archive_plugin", "HoldMember")
    HoldEvent = apps.get_model("svc_archive_plugin", "HoldEvent")
    now = django.utils.timezone.now()
    for hold in LegalHold.objects.order_by("pk"):
        HoldEvent.objects.create(
            hold=hold,
            action="placed",
            actor_id=hold.placed_by_id,
            at=hold.placed_at,
            reason=hold.reason,
        )
        if hold.released_at is not None:
            HoldEvent.objects.create(
                hold=hold,
                action="released",
                actor_id=hold.released_by_id,
                at=hold.released_at,
                reason=hold.release_reason,
            )
            continue
        HoldMember.objects.bulk_create(
            [
                HoldMember(hold=hold, document_id=d, joined_at=now, how="recorded")
                for d in sorted(_scope_documents(apps, hold))
            ],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0022_add_perf_indexes"),
        ("svc_archive_plugin", "0016_record_declaration"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HoldEvent",
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
                    "action",
                    models.CharField(
                        choices=[
                            ("placed", "Hold placed"),
                            ("joined", "Document joined the hold"),
                            ("released", "Hold released"),
                        ],
                        max_length=16,
                        verbose_name="hold event",
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        db_index=True,
                        default=django.utils.timezone.now,
                        verbose_name="recorded at",
                    ),
                ),
                (
                    "reason",
                    models.TextField(blank=True, verbose_name="Reason or note"),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="step taken by",
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="documents.document",
                        verbose_name="document",
                    ),
                ),
                (
                    "hold",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="svc_archive_plugin.legalhold",
                        verbose_name="legal hold",
                    ),
                ),
            ],
            options={
                "verbose_name": "legal hold event",
                "verbose_name_plural": "legal hold events",
                "ordering": ("at", "pk"),
            },
        ),
        migrations.CreateModel(
            name="HoldMember",
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
                    "joined_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now,
                        verbose_name="held since",
                    ),
                ),
                (
                    "how",
                    models.CharField(
                        choices=[
                            ("placed", "In the scope when the hold was placed"),
                            ("joined", "Joined later through the scope"),
                            (
                                "recorded",
                                "In the scope when holds began to record their documents",
                            ),
                        ],
                        max_length=16,
                        verbose_name="how it joined",
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="documents.document",
                        verbose_name="document",
                    ),
                ),
                (
                    "hold",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="members",
                        to="svc_archive_plugin.legalhold",
                        verbose_name="legal hold",
                    ),
                ),
            ],
            options={
                "verbose_name": "document under a legal hold",
                "verbose_name_plural": "documents under legal holds",
                "ordering": ("hold", "joined_at", "document_id"),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("hold", "document"),
                        name="svc_archive_hold_member_once",
                    ),
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
