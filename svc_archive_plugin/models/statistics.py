"""Statistics 统计分析 (policy ch. 8): no table of its own, a place for its permission.

The figures are counted from the other registers (``services.statistics``); this model only
gives the dashboard its entry in the admin and the permission that opens it.
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
