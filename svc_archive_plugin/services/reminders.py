"""Daily reminders of overdue filings to the department heads (paperless's mail settings)."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.services.deadlines import filing_deadline
from svc_archive_plugin.services.deadlines import overdue
from svc_archive_plugin.services.language import in_language_of
from svc_archive_plugin.services.language import with_languages
from svc_archive_plugin.services.provisioning import provisioned

logger = logging.getLogger("paperless.svc_archive")


def _recipients(department_id: int | None) -> list:
    """Department heads of the department; archive managers when the project has none."""
    key = "group.department_heads" if department_id else "group.archive_managers"
    role = provisioned(key)
    if role is None:
        return []
    users = (
        get_user_model().objects.filter(groups=role, is_active=True).exclude(email="")
    )
    if department_id:
        users = users.filter(groups=department_id)
    return list(with_languages(users.distinct()).order_by("email", "pk"))


def remind_overdue_filings() -> int:
    """E-mail each responsible person the overdue dossiers; return how many mails went out."""
    if not getattr(settings, "EMAIL_ENABLED", False):
        logger.info(
            "Overdue-filing reminders skipped: paperless has no mail server configured",
        )
        return 0
    by_department = defaultdict(list)
    deadline = {}
    for dossier in overdue().select_related("project__customer", "project__department"):
        by_department[dossier.project.department_id].append(dossier)
        deadline[dossier.pk] = filing_deadline(dossier.project)
    mails = defaultdict(list)
    readers = {}
    for department_id, dossiers in by_department.items():
        for user in _recipients(department_id):
            readers.setdefault(user.email, user)
            mails[user.email].extend(dossiers)
    today = timezone.localdate()
    for address, dossiers in mails.items():
        # Each in the language its reader chose in paperless.
        with in_language_of(readers[address]):
            lines = [
                "- "
                + _("%(project)s (%(customer)s): %(state)s, due %(due)s")
                % {
                    "project": f"{d.project.code} {d.project.name}",
                    "customer": d.project.customer.name,
                    "state": d.get_state_display(),
                    "due": deadline[d.pk],
                }
                for d in dossiers
            ]
            send_mail(
                subject=_("Overdue filings: %(count)d") % {"count": len(dossiers)},
                message=(
                    _(
                        "These project dossiers are past their filing deadline (%(today)s):",
                    )
                    % {"today": today}
                    + "\n\n"
                    + "\n".join(lines)
                ),
                from_email=None,
                recipient_list=[address],
            )
    return len(mails)
