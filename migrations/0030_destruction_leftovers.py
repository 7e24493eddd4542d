"""What a destroyed record still has to lose (index entries, files) once its tombstone is
written, so a destruction interrupted between the two is finished by its next run."""

from django.db import migrations
from django.db import models


class Migration(migrations.Migration):
    dependencies = [
        ("svc_archive_plugin", "0029_record_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="destructionitem",
            name="leftovers",
            field=models.JSONField(
                blank=True,
                null=True,
                verbose_name="still to be removed",
            ),
        ),
    ]
