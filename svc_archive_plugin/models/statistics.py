"""Statistics 统计分析 (policy ch. 8): the dashboard's permission and its index of records.

The figures are counted from the other registers (``services.statistics``); ``Statistics``
only gives the dashboard its entry in the admin and the permission that opens it, and
``RecordFacts`` keeps each archived record's facts in one narrow row to count.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Statistics(models.Model):
    """The statistics dashboard: who holds ``view_statistics`` may open it."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_statistics", _("Can view the archive statistics")),
        ]
        verbose_name = _("statistics")
        verbose_name_plural = _("statistics")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class RecordFacts(models.Model):
    """What the statistics count one archived record by, in one narrow row.

    One row per archived document (a service-archive type; not a version, not in the
    trash), written by ``services.record_facts`` whenever the record's retention is
    worked out, from the same facts. Counting this table alone keeps the dashboard fast:
    joining the documents with their custom-field values and retention took seconds at a
    million documents. Derived data, not evidence: ``svc_archive_record_facts`` rebuilds it.
    """

    document = models.OneToOneField(
        "documents.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",  # django-softdelete would walk a named one-to-one on restore
        verbose_name=_("document"),
    )
    document_type = models.ForeignKey(
        "documents.DocumentType",
        on_delete=models.CASCADE,  # a deleted type leaves its documents unarchived
        db_constraint=False,
        related_name="+",
        verbose_name=_("document type"),
    )
    # The record's 档案门类: its own, else its project's dossier's, else its type's default.
    category = models.ForeignKey(
        "svc_archive_plugin.ArchiveCategory",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("archive category"),
    )
    created = models.DateField(_("date"), db_index=True)
    retention = models.CharField(_("retention class"), max_length=16, blank=True)
    project = models.ForeignKey(
        "svc_archive_plugin.ServiceProject",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("service project"),
    )
    # Its own customer field, else its project's customer.
    customer = models.ForeignKey(
        "svc_archive_plugin.Customer",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    # Its project's department.
    department = models.ForeignKey(
        "auth.Group",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("department"),
    )

    class Meta:
        verbose_name = _("record facts")
        verbose_name_plural = _("record facts")
        default_permissions = ()

    def __str__(self) -> str:
        return str(self.document_id)


class RecordCount(models.Model):
    """How many archived records share one set of ``RecordFacts`` keys, as change rows.

    The records section counts a million ``RecordFacts`` rows by category, type,
    retention class and month; this table holds those counts ahead, by those keys and
    the department (``services.record_facts.COUNT_KEYS``; ``0`` is "none"). Not by
    customer: with two thousand customers there would be nearly as many counts as
    records; a customer's records are few, and counted from the rows.
    Database triggers on ``RecordFacts`` write it, in the same statement as the change,
    whichever way the change is made (the service, a cascade, raw SQL): on PostgreSQL
    one row per key a statement changes, with the difference it makes (``n``, may be
    negative), inserted only, so concurrent writers never wait for or lose each other's
    counts; ``services.record_facts.fold`` later folds a key's rows into one (``folded``).
    A key's count is the sum of its rows. Derived data: ``svc_archive_record_facts``
    recounts it.
    """

    document_type_id = models.IntegerField(_("document type"))
    category_id = models.IntegerField(_("archive category"))  # 0: none
    retention = models.CharField(_("retention class"), max_length=16, blank=True)
    month = models.DateField(_("month"))  # the first day of the record's month
    department_id = models.IntegerField(_("department"))  # 0: none
    n = models.IntegerField(_("count"))
    folded = models.BooleanField(_("folded"), default=False)

    class Meta:
        verbose_name = _("record count")
        verbose_name_plural = _("record counts")
        default_permissions = ()
        indexes = [
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
            # The change rows not yet folded: few, found without reading the rest.
            models.Index(
                fields=["id"],
                condition=models.Q(folded=False),
                name="svc_recordcount_unfolded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.document_type_id}: {self.n}"
