"""Retention classes named in one place, with the configured periods (永久, 定期30年, 定期10年).

The choices become a callable, so the periods configured at start-up never change the
schema; only the field's choices change: no column is touched and no row is lost.
"""

from django.db import migrations
from django.db import models

import svc_archive_plugin.services.vocabulary


class Migration(migrations.Migration):
    dependencies = [
        ("svc_archive_plugin", "0022_destruction_method_and_place"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dossier",
            name="retention",
            field=models.CharField(
                blank=True,
                choices=svc_archive_plugin.services.vocabulary.retention_choices,
                help_text="Written into the archive code; from the retention schedule unless overridden.",
                max_length=16,
                verbose_name="retention class",
            ),
        ),
        migrations.AlterField(
            model_name="recordretention",
            name="retention",
            field=models.CharField(
                choices=svc_archive_plugin.services.vocabulary.retention_choices,
                max_length=16,
                verbose_name="retention class",
            ),
        ),
        migrations.AlterField(
            model_name="retentionrule",
            name="retention",
            field=models.CharField(
                choices=svc_archive_plugin.services.vocabulary.retention_choices,
                max_length=16,
                verbose_name="retention class",
            ),
        ),
    ]
