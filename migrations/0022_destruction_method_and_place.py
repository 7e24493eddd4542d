"""How and where a destruction list is carried out (销毁方式, 销毁地点), for the register.

Only the list gains columns; the register's entries and the lists' events are untouched,
so every existing chain verifies as before.
"""

from django.db import migrations
from django.db import models


class Migration(migrations.Migration):
    dependencies = [
        ("svc_archive_plugin", "0021_evidence_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="destructionlist",
            name="method",
            field=models.CharField(
                blank=True,
                max_length=100,
                verbose_name="method of destruction",
            ),
        ),
        migrations.AddField(
            model_name="destructionlist",
            name="place",
            field=models.CharField(
                blank=True,
                max_length=200,
                verbose_name="place of destruction",
            ),
        ),
    ]
