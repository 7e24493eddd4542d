"""The archive inside paperless's own UI: saved views for the roles, on their dashboards.

paperless's UI has no extension slot, so the archive shows there through native objects:
saved views whose filters read the plugin's custom fields and tags, with those fields as
columns. The views belong to the records account and are shared with the role groups
(paperless's object permissions), so people see only their role's views and cannot
change them; each person decides what stays on their own dashboard and sidebar.

A view is put on a member's dashboard and sidebar once (``SavedViewOffer``): a member who
takes it off keeps it off, and a re-run of the set-up changes nothing a person chose.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from documents.models import SavedView
from documents.models import SavedViewFilterRule
from documents.models import UiSettings
from documents.permissions import set_permissions_for_object

from svc_archive_plugin.models import ProvisionedObject
from svc_archive_plugin.models import SavedViewOffer
from svc_archive_plugin.services import records
from svc_archive_plugin.services import vocabulary as vocab
from svc_archive_plugin.services.provisioning import ProvisioningReport
from svc_archive_plugin.services.provisioning import provisioned
from svc_archive_plugin.services.provisioning import remember

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import User

# paperless's SavedViewFilterRule.RULE_TYPES
HAS_TAG = 6
CUSTOM_FIELDS_QUERY = 42

# How far ahead "retention ends soon" looks; the nightly sweep moves the date along.
RETENTION_WINDOW_DAYS = 365

# The columns of every archive view, by custom-field key; title, date and type first.
COLUMNS = ("customer", "project", "archive_code", "retention_until", "confidentiality")


@dataclass(frozen=True)
class ViewItem:
    key: str
    term: vocab.Term
    groups: tuple[str, ...]  # GroupItem keys whose members get it
    sort_field: str = "created"


ALL_ROLES = ("archive_managers", "department_heads", "company_leaders", "staff")
VIEWS = (
    ViewItem(
        "pending_filing",
        vocab.Term("待归档档案", "待歸檔檔案", "Records waiting to be filed"),
        ("archive_managers", "department_heads", "staff"),
    ),
    ViewItem(
        "filed",
        vocab.Term("已归档档案", "已歸檔檔案", "Filed records"),
        ALL_ROLES,
    ),
    ViewItem(
        "legal_hold",
        vocab.Term("冻结中的档案", "凍結中的檔案", "Records under a legal hold"),
        ("archive_managers", "department_heads", "company_leaders"),
    ),
    ViewItem(
        "on_loan",
        vocab.Term("借出中的档案", "借出中的檔案", "Records out on loan"),
        ("archive_managers", "department_heads"),
    ),
    ViewItem(
        "retention_ending",
        vocab.Term(
            "一年内到期的档案",
            "一年內到期的檔案",
            "Records whose retention ends within a year",
        ),
        ("archive_managers", "department_heads", "company_leaders"),
        sort_field="custom_field_{retention_until}",
    ),
)


def _field_id(key: str) -> int:
    field = provisioned(f"custom_field.{key}")
    if field is None:  # provisioning makes the fields first
        msg = f"custom field {key} is not provisioned"
        raise LookupError(msg)
    return field.pk


def _query(*conditions: list) -> str:
    return json.dumps(["AND", list(conditions)], ensure_ascii=False)


def retention_window(today: datetime.date | None = None) -> str:
    """The filter of "retention ends within a year", as of ``today``."""
    today = today or timezone.localdate()
    until = today + datetime.timedelta(days=RETENTION_WINDOW_DAYS)
    return _query([_field_id("retention_until"), "lte", until.isoformat()])


def _rules(key: str) -> list[tuple[int, str]]:
    if key == "pending_filing":
        # In a dossier (a service project) and not yet given its 档号 by filing.
        query = _query(
            [_field_id("project"), "exists", True],
            [_field_id("archive_code"), "exists", False],
        )
        return [(CUSTOM_FIELDS_QUERY, query)]
    if key == "filed":
        return [
            (CUSTOM_FIELDS_QUERY, _query([_field_id("archive_code"), "exists", True])),
        ]
    if key in ("legal_hold", "on_loan"):
        tag = provisioned(f"tag.retention.{key}")
        return [(HAS_TAG, str(tag.pk))] if tag is not None else []
    if key == "retention_ending":
        return [(CUSTOM_FIELDS_QUERY, retention_window())]
    msg = f"unknown view {key}"
    raise KeyError(msg)


def _display_fields() -> list[str]:
    return [
        "title",
        "created",
        "documenttype",
        *(f"custom_field_{_field_id(key)}" for key in COLUMNS),
        "tag",
    ]


def provision(language: str, report: ProvisioningReport) -> list[SavedView]:
    """Create the role views that are missing, shared with their groups; keep the rest.

    A view that exists is left as its owner (the records account) has it: only its
    sharing with the role groups is made complete.
    """
    owner = records.records_account()
    groups = {key: provisioned(f"group.{key}") for key in ALL_ROLES}
    fields = {key: _field_id(key) for key in COLUMNS}
    views = []
    for item in VIEWS:
        view = provisioned(f"saved_view.{item.key}")
        created = view is None
        if created:
            view = SavedView.objects.create(
                name=item.term.name(language),
                owner=owner,
                sort_field=item.sort_field.format(**fields),
                sort_reverse=item.key != "retention_ending",
                display_mode=SavedView.DisplayMode.TABLE,
                display_fields=_display_fields(),
            )
            SavedViewFilterRule.objects.bulk_create(
                SavedViewFilterRule(saved_view=view, rule_type=rule, value=value)
                for rule, value in _rules(item.key)
            )
            remember(f"saved_view.{item.key}", view)
        role_groups = [groups[g].pk for g in item.groups if groups.get(g) is not None]
        set_permissions_for_object(
            {"view": {"users": [], "groups": role_groups}},
            view,
            merge=True,
        )
        report.note(f"saved view {view.name}", created=created)
        views.append(view)
    return views


def role_views(user: User) -> list[SavedView]:
    """The provisioned views meant for ``user``'s roles (all of them for a superuser)."""
    if not user.is_active:
        return []
    if user.is_superuser:
        wanted = [f"saved_view.{item.key}" for item in VIEWS]
        ids = ProvisionedObject.objects.filter(key__in=wanted).values_list(
            "object_id",
            flat=True,
        )
        return list(SavedView.objects.filter(pk__in=list(ids)).order_by("pk"))
    group_keys = {
        entry.key.removeprefix("group.")
        for entry in ProvisionedObject.objects.filter(
            key__startswith="group.",
            object_id__in=user.groups.values_list("pk", flat=True),
            content_type__model="group",
        )
    }
    wanted = [
        f"saved_view.{item.key}" for item in VIEWS if group_keys & set(item.groups)
    ]
    ids = ProvisionedObject.objects.filter(key__in=wanted).values_list(
        "object_id",
        flat=True,
    )
    return list(SavedView.objects.filter(pk__in=list(ids)).order_by("pk"))


def offer(users: Iterable[User]) -> int:
    """Put each member's role views on their dashboard and sidebar, once; return how many.

    The UI keeps dashboard and sidebar visibility per person in their UI settings
    (``saved_views.dashboard_views_visible_ids`` / ``sidebar_views_visible_ids``).
    """
    offered = 0
    for user in users:
        views = role_views(user)
        already = set(
            SavedViewOffer.objects.filter(user=user).values_list(
                "saved_view_id",
                flat=True,
            ),
        )
        new = [v for v in views if v.pk not in already]
        if not new:
            continue
        with transaction.atomic():
            ui, _ = UiSettings.objects.select_for_update().get_or_create(
                user=user,
                defaults={"settings": {}},
            )
            settings = ui.settings if isinstance(ui.settings, dict) else {}
            saved = settings.get("saved_views")
            saved = dict(saved) if isinstance(saved, dict) else {}
            for place in ("dashboard", "sidebar"):
                visible = f"{place}_views_visible_ids"
                ids = [int(i) for i in saved.get(visible, []) if str(i).isdigit()]
                ids += [v.pk for v in new if v.pk not in ids]
                saved[visible] = ids
                # In the archive's order, after the person's own (else the UI sorts by name).
                order = f"{place}_views_sort_order"
                sort = [int(i) for i in saved.get(order, []) if str(i).isdigit()]
                saved[order] = sort + [i for i in ids if i not in sort]
            settings["saved_views"] = saved
            ui.settings = settings
            ui.save(update_fields=["settings"])
            SavedViewOffer.objects.bulk_create(
                [SavedViewOffer(user=user, saved_view=v) for v in new],
                ignore_conflicts=True,
            )
        offered += len(new)
    return offered


def offer_to_members() -> int:
    """Offer the role views to every active member of a role group, and to superusers."""
    from django.contrib.auth import get_user_model

    group_ids = ProvisionedObject.objects.filter(
        key__startswith="group.",
        content_type__model="group",
    ).values_list("object_id", flat=True)
    members = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__in=Group.objects.filter(pk__in=list(group_ids))),
        )
        .distinct()
    )
    return offer(members)


def move_retention_window(today: datetime.date | None = None) -> bool:
    """Move "retention ends within a year" on to ``today`` + one year (nightly).

    Only a rule still in the shape the plugin wrote is moved; one its owner edited stays.
    """
    view = provisioned("saved_view.retention_ending")
    if view is None:
        return False
    field = _field_id("retention_until")
    for rule in view.filter_rules.filter(rule_type=CUSTOM_FIELDS_QUERY):
        try:
            operator, [[rule_field, op, _value]] = json.loads(rule.value)
        except (ValueError, TypeError):
            continue
        if (operator, rule_field, op) == ("AND", field, "lte"):
            value = retention_window(today)
            if rule.value != value:
                rule.value = value
                rule.save(update_fields=["value"])
                return True
    return False
