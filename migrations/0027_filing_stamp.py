"""The filing stamp 归档章 on declared records: when, the checksum it left, or why not.

Records filed before this migration start unstamped; the daily stamping task (or
``manage.py svc_archive_stamp``) stamps them.
"""

from django.db import migrations
from django.db import models


class Migration(migrations.Migration):
    dependencies = [
        ("svc_archive_plugin", "0026_required_metadata"),
    ]

    operations = [
        migrations.AddField(
            model_name="declaredrecord",
            name="stamped_at",
            field=models.DateTimeField(
                blank=True,
                null=True,
                verbose_name="stamped at",
            ),
        ),
        migrations.AddField(
            model_name="declaredrecord",
            name="stamped_checksum",
            field=models.CharField(
                blank=True,
                max_length=64,
                verbose_name="checksum of the stamped archive version",
            ),
        ),
        migrations.AddField(
            model_name="declaredrecord",
            name="stamp_problem",
            field=models.CharField(
                blank=True,
                max_length=255,
                verbose_name="why it is not stamped",
            ),
        ),
    ]
