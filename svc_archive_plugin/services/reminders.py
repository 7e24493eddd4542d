"""Daily reminders of overdue filings to the department heads (paperless's mail settings)."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone

from svc_archive_plugin.services.deadlines import filing_deadline
from svc_archive_plugin.services.deadlines import overdue
from svc_archive_plugin.services.provisioning import provisioned

logger = logging.getLogger("paperless.svc_archive")


def _recipients(department_id: int | None) -> list[str]:
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
    return sorted(set(users.values_list("email", flat=True)))


def remind_overdue_filings() -> int:
    """E-mail each responsible person the overdue dossiers; return how many mails went out."""
    if not getattr(settings, "EMAIL_ENABLED", False):
        logger.info(
            "Overdue-filing reminders skipped: paperless has no mail server configured",
        )
        return 0
    by_department = defaultdict(list)
    for dossier in overdue().select_related("project__customer", "project__department"):
        by_department[dossier.project.department_id].append(dossier)
    mails = defaultdict(list)
    for department_id, dossiers in by_department.items():
        for address in _recipients(department_id):
            mails[address].extend(dossiers)
    today = timezone.localdate()
    for address, dossiers in mails.items():
        lines = [
            f"- {d.project.code} {d.project.name} ({d.project.customer.name}): "
            f"{d.get_state_display()}, due {filing_deadline(d.project)}"
            for d in dossiers
        ]
        send_mail(
            subject=f"档案归档逾期提醒 / Overdue filings: {len(dossiers)}",
            message=(
                f"以下服务项目的档案已超过归档期限（{today}）：\n"
                f"These project dossiers are past their filing deadline ({today}):\n\n"
                + "\n".join(lines)
            ),
            from_email=None,
            recipient_list=[address],
        )
    return len(mails)
