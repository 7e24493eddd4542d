"""The working-day calendar: public holidays and make-up working days (调休)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """A date whose working status differs from the plain Monday-to-Friday week."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Day off (holiday)")
        WORKDAY = "workday", _("Working day (make-up day, 调休)")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(
        _("name"),
        max_length=64,
        blank=True,
        help_text=_("e.g. 国庆节"),
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working-day calendar")
        ordering = ("date",)

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()}"


class CalendarYear(models.Model):
    """A year whose days off and make-up working days the company calendar lists in full.

    Deadlines in a year the holiday library has no data for count public holidays only
    when the company's list for that year is here; until then the plugin warns.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    note = models.CharField(
        _("note"),
        max_length=128,
        blank=True,
        help_text=_("where the list comes from, e.g. 公司2027年放假安排"),
    )

    class Meta:
        verbose_name = _("complete calendar year")
        verbose_name_plural = _("complete calendar years")
        ordering = ("year",)

    def __str__(self) -> str:
        return str(self.year)
