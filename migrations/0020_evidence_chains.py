"""Hash-chain every evidence table; the existing rows are chained in id order."""

from django.db import migrations
from django.db import models

from svc_archive_plugin.models.chains import GENESIS
from svc_archive_plugin.models.chains import row_hash

# The evidence tables (concrete AppendOnlyModels) other than the destruction register,
# whose chain has its own columns from the start.
CHAINED = (
    "accesslogentry",
    "appraisaldecision",
    "correctionevent",
    "destructionevent",
    "filingevent",
    "fixityfinding",
    "holdevent",
    "holdmember",
    "loanevent",
    "loanliability",
    "refusedchange",
    "refuseddeletion",
    "withdrawnpermission",
)
BATCH = 2000


def chain_existing_rows(apps, schema_editor):
    """Number and hash every row in id order, as if each had been sealed when written."""
    connection = schema_editor.connection
    for name in CHAINED:
        model = apps.get_model("svc_archive_plugin", name)
        table = connection.ops.quote_name(model._meta.db_table)
        sql = (
            f"UPDATE {table} SET seq = %s, prev_hash = %s, entry_hash = %s "
            f"WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s"
        )
        previous, seq, last_pk = GENESIS, 0, None
        while True:
            rows = model._base_manager.order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            rows = list(rows[:BATCH])
            if not rows:
                break
            updates = []
            for row in rows:
                seq += 1
                digest = row_hash(row, previous, seq)
                updates.append((seq, previous, digest, row.pk))
                previous = digest
            with connection.cursor() as cursor:
                cursor.executemany(sql, updates)
            last_pk = rows[-1].pk
    if connection.vendor == "postgresql":
        # Run the deferred foreign-key checks now: PostgreSQL refuses to alter a table
        # with pending trigger events, and the seq columns are altered next.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def chain_field(name: str) -> list:
    return [
        migrations.AddField(
            model_name=name,
            name="seq",
            field=models.PositiveBigIntegerField(
                editable=False,
                null=True,
                verbose_name="chain sequence",
            ),
        ),
        migrations.AddField(
            model_name=name,
            name="prev_hash",
            field=models.CharField(
                default="",
                editable=False,
                max_length=64,
                verbose_name="previous entry's hash",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name=name,
            name="entry_hash",
            field=models.CharField(
                default="",
                editable=False,
                max_length=64,
                verbose_name="entry hash",
            ),
            preserve_default=False,
        ),
    ]


def seq_unique(name: str) -> migrations.AlterField:
    return migrations.AlterField(
        model_name=name,
        name="seq",
        field=models.PositiveBigIntegerField(
            editable=False,
            unique=True,
            verbose_name="chain sequence",
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("svc_archive_plugin", "0019_loan_exclusion_reads"),
    ]

    operations = [
        *[op for name in CHAINED for op in chain_field(name)],
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        *[seq_unique(name) for name in CHAINED],
        migrations.AddField(
            model_name="fixityrun",
            name="chain_heads",
            field=models.JSONField(
                default=dict,
                verbose_name="heads of the evidence chains",
            ),
        ),
        migrations.AddField(
            model_name="fixityrun",
            name="chain_problems",
            field=models.JSONField(
                default=list,
                verbose_name="evidence chain problems",
            ),
        ),
    ]
