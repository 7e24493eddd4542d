"""Evidence rows: written once, never changed or deleted.

Three layers refuse, each below the last: the instance (``save`` only inserts, ``delete``
refuses), the queryset (``update`` and ``delete`` refuse), and the database's triggers on
every table of a concrete subclass (``svc_archive_plugin.db_triggers``), which catch raw
SQL and anything else that goes round the ORM.
"""

from __future__ import annotations

from django.db import models
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from svc_archive_plugin.models.chains import ChainedQuerySet
from svc_archive_plugin.models.chains import seal


class AppendOnlyError(Exception):
    """An attempt to change or delete a row kept as evidence."""


def _never_changed(model) -> AppendOnlyError:
    return AppendOnlyError(
        _("%(what)s are evidence: they are never changed.")
        % {"what": model._meta.verbose_name_plural},
    )


def _never_deleted(model) -> AppendOnlyError:
    return AppendOnlyError(
        _("%(what)s are evidence: they are never deleted.")
        % {"what": model._meta.verbose_name_plural},
    )


# The ORM's doors ------------------------------------------------------------------------


class AppendOnlyQuerySet(ChainedQuerySet):
    """Seals every insert (``ChainedQuerySet``); refuses ``update`` and ``delete`` early.

    The triggers refuse the same statements anyway; this says so before any SQL is sent.
    """

    def update(self, **kwargs):
        raise _never_changed(self.model)

    def delete(self):
        raise _never_deleted(self.model)

    # ``bulk_update`` goes through ``update``; said here so the refusal names it too.
    def bulk_update(self, objs, fields, batch_size=None):
        raise _never_changed(self.model)


class AppendOnlyManager(models.Manager.from_queryset(AppendOnlyQuerySet)):
    pass


# The model ------------------------------------------------------------------------------


class AppendOnlyModel(models.Model):
    """A row kept as evidence: ``save`` only inserts, ``delete`` refuses.

    Every concrete subclass gets the database triggers too, with no more work: a
    ``post_migrate`` receiver installs them for each (``db_triggers``).
    """

    # The hash chain (models/chains.py): filled in by every insert, never by hand.
    seq = models.PositiveBigIntegerField(
        gettext_lazy("chain sequence"),
        unique=True,
        editable=False,
    )
    prev_hash = models.CharField(
        gettext_lazy("previous entry's hash"),
        max_length=64,
        editable=False,
    )
    entry_hash = models.CharField(
        gettext_lazy("entry hash"),
        max_length=64,
        editable=False,
    )

    objects = AppendOnlyManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise _never_changed(self)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise _never_deleted(self)

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
