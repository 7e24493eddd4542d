"""The work page's template tags: what waits for the person looking (``admin.work``)."""

from __future__ import annotations

from django import template

from svc_archive_plugin.admin.work import sections

register = template.Library()


@register.simple_tag(takes_context=True)
def work_sections(context) -> list:
    """The sections of work waiting for the request's user."""
    return sections(context["request"].user)
