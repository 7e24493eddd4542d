"""Template tags and filters of the manager screens."""

from __future__ import annotations

from django import template
from django.utils import timezone

from svc_archive_plugin.admin.work import sections
from svc_archive_plugin.services.calendar import uncovered_years_ahead
from svc_archive_plugin.services.people import name_of

register = template.Library()


@register.filter
def person(user) -> str:
    """A person by full name (``people.name_of``), the user name only as fallback."""
    return name_of(user)


@register.simple_tag(takes_context=True)
def work_sections(context) -> list:
    """The sections of work waiting for the request's user (the work page 待办)."""
    return sections(context["request"].user)


@register.simple_tag
def calendar_gaps() -> list[int]:
    """This year and the next, if neither the library nor the company calendar covers them."""
    return uncovered_years_ahead(timezone.localdate())
