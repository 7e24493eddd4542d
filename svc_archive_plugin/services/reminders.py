"""Daily reminders of the filing and collection deadlines to the department heads.

Sent through paperless's mail settings, each in the language its reader chose. Each reader
gets each kind of reminder once a day: a second run that day (the task queued twice, a
second worker, a re-run by hand) sends nothing again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from svc_archive_plugin.conf import archive_settings
from svc_archive_plugin.services.deadlines import collection_deadline
from svc_archive_plugin.services.deadlines import collection_due
from svc_archive_plugin.services.deadlines import filing_deadline
from svc_archive_plugin.services.deadlines import overdue
from svc_archive_plugin.services.language import date_in_text
from svc_archive_plugin.services.language import in_language_of
from svc_archive_plugin.services.language import with_languages
from svc_archive_plugin.services.provisioning import provisioned

if TYPE_CHECKING:
    import datetime

logger = logging.getLogger("paperless.svc_archive")

# A day's claim outlives the day, whatever the time zones of the workers.
CLAIM_SECONDS = 2 * 24 * 3600


def _send_once(kind: str, address: str, today: datetime.date, **mail) -> bool:
    """Send ``today``'s ``kind`` of reminder to ``address`` unless another run already did.

    Claimed in paperless's cache, which is Redis, shared by every worker of the instance
    (under its prefix): the first run to claim it sends, the others skip it. A failed
    mail gives its claim back, so a re-run tries again. (A per-process cache, as with
    PAPERLESS_DEBUG, only protects against runs in one process.)
    """
    key = f"svc-archive:{kind}:{today.isoformat()}:{address}"
    if not cache.add(key, 1, CLAIM_SECONDS):
        logger.info("%s to %s already sent today", kind, address)
        return False
    try:
        send_mail(from_email=None, recipient_list=[address], **mail)
    except BaseException:
        cache.delete(key)
        raise
    return True


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
    sent = 0
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
            sent += _send_once(
                "filing-reminder",
                address,
                today,
                subject=_("Overdue filings: %(count)d") % {"count": len(dossiers)},
                message=(
                    _(
                        "These project dossiers are past their filing deadline (%(today)s):",
                    )
                    % {"today": today}
                    + "\n\n"
                    + "\n".join(lines)
                ),
            )
    return sent


def remind_collection_deadlines() -> int:
    """E-mail each department head the dossiers still collecting whose collection deadline
    is near or past (archive managers for projects without a department); return the mails.

    One mail per reader however many departments they head.
    """
    if not getattr(settings, "EMAIL_ENABLED", False):
        logger.info(
            "Collection reminders skipped: paperless has no mail server configured",
        )
        return 0
    today = timezone.localdate()
    by_department = defaultdict(list)
    deadline = {}
    dossiers = collection_due(today).select_related(
        "project__customer",
        "project__department",
    )
    for dossier in dossiers.order_by("project__end_date", "pk"):
        by_department[dossier.project.department_id].append(dossier)
        deadline[dossier.pk] = collection_deadline(dossier.project)
    mails = defaultdict(list)
    readers = {}
    for department_id, found in by_department.items():
        for user in _recipients(department_id):
            readers.setdefault(user.email, user)
            mails[user.email].extend(found)
    sent = 0
    for address, found in mails.items():
        late = [d for d in found if deadline[d.pk] < today]
        near = [d for d in found if deadline[d.pk] >= today]
        with in_language_of(readers[address]):
            parts = [
                _(
                    "These project dossiers are still being collected (%(today)s). "
                    "Collect their records and submit the dossiers for filing:",
                )
                % {"today": date_in_text(today)},
            ]
            for heading, group in (
                (_("Past the collection deadline:"), late),
                (
                    _("Collection deadline within %(days)d working days:")
                    % {"days": archive_settings.COLLECTION_DUE_SOON_DAYS},
                    near,
                ),
            ):
                if group:
                    parts.append(
                        heading
                        + "\n"
                        + "\n".join(
                            "- "
                            + _("%(project)s (%(customer)s): collect by %(due)s")
                            % {
                                "project": f"{d.project.code} {d.project.name}",
                                "customer": d.project.customer.name,
                                "due": date_in_text(deadline[d.pk]),
                            }
                            for d in group
                        ),
                    )
            sent += _send_once(
                "collection-reminder",
                address,
                today,
                subject=_("Collection deadlines: %(count)d dossiers")
                % {"count": len(found)},
                message="\n\n".join(parts) + "\n",
            )
    return sent
