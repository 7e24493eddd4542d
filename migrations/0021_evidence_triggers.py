"""Evidence refuses UPDATE and DELETE in the database: triggers on every evidence table.

The people and departments the access log and withdrawn permissions name are kept
(PROTECT) instead of set to null, since setting them to null would rewrite evidence. Only
Python-side: no column changes. Evidence tables added later get their triggers from the
``post_migrate`` receiver (``svc_archive_plugin.db_triggers``).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations
from django.db import models

from svc_archive_plugin.db_triggers import EvidenceDoor
from svc_archive_plugin.db_triggers import EvidenceTriggers

EVIDENCE = (
    "accesslogentry",
    "withdrawnpermission",
    "loanevent",
    "loanliability",
    "filingevent",
    "appraisaldecision",
    "destructionevent",
    "registerentry",
    "refuseddeletion",
    "fixityfinding",
    "refusedchange",
    "holdmember",
    "holdevent",
    "correctionevent",
)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("svc_archive_plugin", "0020_evidence_chains"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="accesslogentry",
            name="department",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="auth.group",
                verbose_name="department",
            ),
        ),
        migrations.AlterField(
            model_name="accesslogentry",
            name="user",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="person",
            ),
        ),
        migrations.AlterField(
            model_name="withdrawnpermission",
            name="group",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="auth.group",
                verbose_name="group it was taken from",
            ),
        ),
        migrations.AlterField(
            model_name="withdrawnpermission",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="person it was taken from",
            ),
        ),
        EvidenceDoor(),
        *(EvidenceTriggers(name) for name in EVIDENCE),
    ]
