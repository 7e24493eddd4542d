"""The archive's saved views in paperless's UI: made for the roles, on members' dashboards
once, never reset; and every path under /api/ answering as an API."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from documents.models import SavedView
from documents.models import UiSettings

from svc_archive_plugin.services import saved_views
from svc_archive_plugin.services.provisioning import ProvisioningReport
from svc_archive_plugin.services.provisioning import provisioned as provisioned_object
from tests.factories import UserFactory

NAMES = {
    "pending_filing": "待归档档案",
    "filed": "已归档档案",
    "legal_hold": "冻结中的档案",
    "on_loan": "借出中的档案",
    "retention_ending": "一年内到期的档案",
}


@pytest.fixture
def views(provisioned):
    report = ProvisioningReport()
    made = saved_views.provision("zh-hans", report)
    return {v.name: v for v in made}


def visible(user, key="dashboard_views_visible_ids") -> set[int]:
    ui = UiSettings.objects.filter(user=user).first()
    return (
        set(((ui.settings or {}).get("saved_views") or {}).get(key, []))
        if ui
        else set()
    )


def listed_names(api_client, user) -> set[str]:
    api_client.force_authenticate(user)
    response = api_client.get("/api/saved_views/", {"page_size": 100})
    assert response.status_code == 200, response.content
    return {v["name"] for v in response.json()["results"]}


def test_setup_makes_the_role_views_with_the_archive_columns(provisioned):
    call_command("svc_archive_setup", verbosity=0)

    view = SavedView.objects.get(name="已归档档案")
    archive_code = provisioned_object("custom_field.archive_code")
    customer = provisioned_object("custom_field.customer")
    assert f"custom_field_{archive_code.pk}" in view.display_fields
    assert f"custom_field_{customer.pk}" in view.display_fields
    [rule] = view.filter_rules.all()
    assert json.loads(rule.value) == ["AND", [[archive_code.pk, "exists", True]]]
    assert set(SavedView.objects.values_list("name", flat=True)) >= set(NAMES.values())


def test_each_role_sees_its_own_views_only(views, people, api_client):
    leader = UserFactory(username="leader")
    leader.groups.add(Group.objects.get(name="公司分管领导"))

    assert listed_names(api_client, people["clerk"]) == {"待归档档案", "已归档档案"}
    assert listed_names(api_client, people["head"]) == set(NAMES.values())
    assert listed_names(api_client, leader) == {
        "已归档档案",
        "冻结中的档案",
        "一年内到期的档案",
    }
    # Shared, not handed over: a member cannot rename or delete a role's view.
    api_client.force_authenticate(people["head"])
    view = views["已归档档案"]
    assert (
        api_client.patch(f"/api/saved_views/{view.pk}/", {"name": "x"}).status_code
        == 403
    )
    assert api_client.delete(f"/api/saved_views/{view.pk}/").status_code == 403


def test_members_get_the_views_on_their_dashboard_once(views, people):
    clerk = people["clerk"]
    assert saved_views.offer_to_members() > 0
    mine = {views["待归档档案"].pk, views["已归档档案"].pk}
    assert visible(clerk) == mine
    assert visible(clerk, "sidebar_views_visible_ids") == mine

    # In the archive's order, not the UI's sorting by name (已… before 待…).
    ui = UiSettings.objects.get(user=clerk)
    order = [views["待归档档案"].pk, views["已归档档案"].pk]
    assert ui.settings["saved_views"]["dashboard_views_sort_order"] == order
    assert ui.settings["saved_views"]["sidebar_views_sort_order"] == order

    # The clerk takes one off the dashboard in the UI; a second set-up leaves it off.
    ui.settings["saved_views"]["dashboard_views_visible_ids"] = [views["已归档档案"].pk]
    ui.settings["language"] = "zh-cn"
    ui.save()
    assert saved_views.offer_to_members() == 0
    call_command("svc_archive_setup", verbosity=0)
    ui.refresh_from_db()
    assert visible(clerk) == {views["已归档档案"].pk}
    assert ui.settings["language"] == "zh-cn"  # the rest of the settings untouched


def test_joining_a_role_or_signing_in_offers_the_views(
    views,
    provisioned,
    client,
    django_capture_on_commit_callbacks,
):
    newcomer = UserFactory(username="newcomer")
    with django_capture_on_commit_callbacks(execute=True):
        newcomer.groups.add(Group.objects.get(name="档案管理员"))
    assert visible(newcomer) == {v.pk for v in views.values()}  # all five

    admin = UserFactory(username="root", superuser=True)
    client.force_login(admin)  # paperless's sign-in sends user_logged_in
    assert visible(admin) == {v.pk for v in views.values()}


def test_setup_again_resets_nothing_the_records_account_changed(views):
    view = views["冻结中的档案"]
    view.name = "诉讼冻结"
    view.save()
    view.filter_rules.all().delete()

    call_command("svc_archive_setup", verbosity=0)

    assert SavedView.objects.filter(name="冻结中的档案").count() == 0
    assert SavedView.objects.get(pk=view.pk).filter_rules.count() == 0


def test_the_retention_window_moves_on_each_night_unless_edited(views):
    view = views["一年内到期的档案"]
    saved_views.move_retention_window(datetime.date(2027, 1, 10))
    [rule] = view.filter_rules.all()
    assert json.loads(rule.value)[1][0][1:] == ["lte", "2028-01-10"]

    rule.value = json.dumps(
        ["AND", [[json.loads(rule.value)[1][0][0], "gte", "2030-01-01"]]],
    )
    rule.save()
    assert not saved_views.move_retention_window(datetime.date(2027, 1, 11))
    rule.refresh_from_db()
    assert "2030-01-01" in rule.value


def test_every_path_under_api_answers_as_an_api(api_client, staff_user):
    api_client.force_authenticate(staff_user)

    root = api_client.get("/api/svc_archive/")
    assert root.status_code == 200
    assert root.json()["dossiers"].endswith("/api/svc_archive/dossiers/")
    for path in ("/api/svc_archive/no_such_thing/", "/api/no_such_thing/"):
        response = api_client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Not found."}
    # The web UI still answers everywhere else.
    assert api_client.get("/documents/1/details").status_code in (200, 302)
