"""Evidence rows: written once, never changed or deleted through the ORM."""

from __future__ import annotations

from django.db import models
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from svc_archive_plugin.models.chains import ChainedManager
from svc_archive_plugin.models.chains import seal


class AppendOnlyError(Exception):
    """An attempt to change or delete a row kept as evidence."""


class AppendOnlyModel(models.Model):
    """A row kept as evidence: ``save`` only inserts, ``delete`` refuses."""

    # The hash chain (models/chains.py): filled in by every insert, never by hand.
    seq = models.PositiveBigIntegerField(
        _("chain sequence"),
        unique=True,
        editable=False,
    )
    prev_hash = models.CharField(
        _("previous entry's hash"),
        max_length=64,
        editable=False,
    )
    entry_hash = models.CharField(_("entry hash"), max_length=64, editable=False)

    objects = ChainedManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name} rows are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.verbose_name} rows are never deleted.")

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        # save() inserts through the plain base manager: seal the row here, then insert
        # it exactly as hashed.
        if raw:
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        with transaction.atomic(using=using, savepoint=False):
            seal([self], fields, using)
            return super()._do_insert(
                manager,
                using,
                fields,
                returning_fields,
                raw=True,
            )
