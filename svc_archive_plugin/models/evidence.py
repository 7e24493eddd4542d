"""Evidence rows: written once, never changed or deleted through the ORM."""

from __future__ import annotations

from django.db import models


class AppendOnlyError(Exception):
    """An attempt to change or delete a row kept as evidence."""


class AppendOnlyModel(models.Model):
    """A row kept as evidence: ``save`` only inserts, ``delete`` refuses."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name} rows are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.verbose_name} rows are never deleted.")
