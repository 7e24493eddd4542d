"""Template filters of the manager screens."""

from __future__ import annotations

from django import template

from svc_archive_plugin.services.people import name_of

register = template.Library()


@register.filter
def person(user) -> str:
    """A person by full name (``people.name_of``), the user name only as fallback."""
    return name_of(user)
