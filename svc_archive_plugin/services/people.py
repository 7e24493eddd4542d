"""Who belongs where: a person's department, and the department heads who decide for it.

Departments are paperless groups (a project names one); the provisioned role groups
(档案管理员, 部门负责人, 公司分管领导, 员工) are not departments.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext as _

from svc_archive_plugin.models import ProvisionedObject

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet


def name_of(user: User | None) -> str:
    """A person as people know them: the full name, in Chinese order without a space when the
    name is Chinese; the user name only when no name is recorded; "" for nobody."""
    if user is None:
        return ""
    return full_name(user.first_name, user.last_name, user.get_username())


def full_name(first: str | None, last: str | None, username: str) -> str:
    """``name_of`` from the columns, for lists read as values (the CSV downloads)."""
    first, last = (first or "").strip(), (last or "").strip()
    if not (first or last):
        return username
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def _roles():
    return ProvisionedObject.objects.filter(key__startswith="group.").values(
        "object_id",
    )


def role_group_ids() -> set[int]:
    return {row["object_id"] for row in _roles()}


def department_of(user: User) -> Group | None:
    """The person's department: their first group that is not a role (by name)."""
    return (
        Group.objects.filter(user=user)
        .exclude(pk__in=_roles())
        .order_by("name")
        .first()
    )


def group_ids(user: User) -> frozenset[int]:
    """The ids of the person's groups, read once per user object (lists ask per row)."""
    cached = getattr(user, "_svc_archive_group_ids", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("pk", flat=True))
        user._svc_archive_group_ids = cached
    return cached


def in_department(user: User, department_id: int | None) -> bool:
    return department_id is not None and department_id in group_ids(user)


def heads_of(department_id: int | None, permission: str) -> QuerySet:
    """Active people of the department holding ``permission`` through a group or directly."""
    app_label, codename = permission.split(".")
    users = get_user_model().objects.filter(is_active=True)
    if department_id is not None:
        users = users.filter(groups=department_id)
    return users.filter(
        Q(
            groups__permissions__codename=codename,
            groups__permissions__content_type__app_label=app_label,
        )
        | Q(
            user_permissions__codename=codename,
            user_permissions__content_type__app_label=app_label,
        ),
    ).distinct()


def deletion_refused(person_or_group, protected_objects) -> str:
    """Why a user or department that the archive's evidence names cannot be deleted.

    The evidence keeps the reference (``PROTECT``), so the person is kept too; what to
    do instead is deactivating the account, or emptying the department.
    """
    counts = Counter(type(obj)._meta.verbose_name_plural for obj in protected_objects)
    # TRANSLATORS: between the items of a list, as in "loans 2, access log entries 5".
    what = _(", ").join(
        f"{name} {count}"
        for name, count in sorted((str(name), n) for name, n in counts.items())
    )
    if isinstance(person_or_group, Group):
        return _(
            "Department %(name)s cannot be deleted: the archive's evidence names it "
            "(%(what)s). Move its members to another department instead.",
        ) % {"name": person_or_group.name, "what": what}
    return _(
        "%(name)s cannot be deleted: the archive's evidence names this person "
        "(%(what)s). Deactivate the account instead (uncheck Active).",
    ) % {"name": person_or_group.get_username(), "what": what}
