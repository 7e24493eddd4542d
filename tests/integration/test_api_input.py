"""Bad input to the plugin's API is a 4xx with a message, never a 500.

Each case here was an HTTP 500 found by fuzzing the API from its own schema.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from svc_archive_plugin.models import FilingEvent
from svc_archive_plugin.services import filing
from svc_archive_plugin.services import holds
from tests.factories import UserFactory
from tests.factories import complete

pytestmark = pytest.mark.django_db
API = "/api/svc_archive/"
HUGE = "100000000000000000000000"


@pytest.fixture
def admin_client(api_client, provisioned):
    api_client.force_authenticate(UserFactory(username="root", superuser=True))
    return api_client


@pytest.mark.parametrize(
    ("endpoint", "lookup"),
    [
        ("projects", "end_date__year"),
        ("retention", "until__year"),
        ("fixity_runs", "started_at__year"),
        ("loans", "due__year"),
        ("access_log", "at__year"),
        ("access_requests", "starts__year"),
    ],
)
@pytest.mark.parametrize("year", ["0", "99999999", "-5"])
def test_a_year_out_of_range_is_refused_with_the_range(
    admin_client,
    endpoint,
    lookup,
    year,
):
    response = admin_client.get(f"{API}{endpoint}/", {lookup: year})

    assert response.status_code == 400
    message = " ".join(response.json()[lookup])
    assert "1" in message or "9999" in message


def test_a_year_in_range_still_filters(admin_client, dossier):
    assert (
        admin_client.get(f"{API}projects/", {"end_date__year": 2026}).json()["count"]
        == 1
    )
    assert (
        admin_client.get(f"{API}projects/", {"end_date__year": 2025}).json()["count"]
        == 0
    )


@pytest.mark.parametrize(
    ("endpoint", "lookup"),
    [
        ("customers", "id__in"),
        ("customers", "id"),
        ("projects", "customer__id__in"),
        ("dossiers", "project__id"),
        ("access_log", "document"),
        ("access_log", "user"),
        ("access_log", "user__in"),
        ("fixity_runs", "problems__gt"),
        ("appraisals", "document"),
        ("destruction_register", "destruction_list"),
    ],
)
def test_an_id_beyond_64_bits_is_refused(admin_client, endpoint, lookup):
    response = admin_client.get(f"{API}{endpoint}/", {lookup: HUGE})

    assert response.status_code == 400
    assert lookup in response.json()


def test_a_person_filter_still_takes_ids(admin_client, people):
    clerk = people["clerk"]

    for params in ({"user": clerk.pk}, {"user__in": f"{clerk.pk},{people['head'].pk}"}):
        assert admin_client.get(f"{API}access_log/", params).status_code == 200


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("retention/appraise/", {"decision": "permanent", "reason": "x"}),
        ("destruction_lists/", {"title": "t", "reason": "r"}),
        ("holds/", {"name": "n", "reason": "r"}),
        (
            "access_requests/",
            {"purpose": "p", "starts": "2026-12-02", "ends": "2026-12-03"},
        ),
    ],
)
def test_a_document_id_beyond_64_bits_in_a_body_is_refused(
    admin_client,
    endpoint,
    body,
):
    response = admin_client.post(
        f"{API}{endpoint}",
        {**body, "documents": [int(HUGE)]},
        format="json",
    )

    assert response.status_code == 400
    assert "documents" in response.json()


@pytest.mark.parametrize("field", ["dossiers", "customers", "projects"])
def test_a_related_id_beyond_64_bits_in_a_body_is_refused(admin_client, field):
    response = admin_client.post(
        f"{API}holds/",
        {"name": "n", "reason": "r", field: [int(HUGE)]},
        format="json",
    )

    assert response.status_code == 400
    assert field in response.json()


def test_an_unknown_choice_is_refused(admin_client):
    response = admin_client.get(f"{API}dossiers/", {"state": "lost"})

    assert response.status_code == 400
    assert "lost" in " ".join(response.json()["state"])


@pytest.mark.parametrize(
    "path",
    ["holds/abc/release/", "dossiers/abc/submit/", "loans/1x/", "projects/abc/"],
)
def test_a_step_on_an_id_that_is_not_a_number_is_not_found(admin_client, path):
    response = admin_client.post(f"{API}{path}", {"reason": "x"}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_staff_get_the_same_404(api_client, people):
    api_client.force_authenticate(people["clerk"])

    response = api_client.post(f"{API}holds/abc/release/", {"reason": "x"})

    assert response.status_code == 404


@pytest.fixture
def evidence_of_clerk(people, dossier):
    """The clerk submitted the dossier: a filing event names them and 工程部's project."""
    complete(dossier, owner=people["clerk"])
    filing.submit(dossier, people["clerk"])
    holds.place_hold(
        people["manager"],
        name="诉讼",
        reason="客户纠纷",
        dossiers=[dossier],
    )
    return people


def test_deleting_a_person_the_evidence_names_is_refused_with_the_reason(
    admin_client,
    evidence_of_clerk,
):
    clerk = evidence_of_clerk["clerk"]

    response = admin_client.delete(f"/api/users/{clerk.pk}/")

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "clerk" in detail
    assert "Deactivate" in detail
    clerk.refresh_from_db()  # still there
    assert FilingEvent.objects.filter(actor=clerk).exists()


def test_deleting_a_department_the_evidence_names_is_refused(
    admin_client,
    evidence_of_clerk,
):
    engineering = evidence_of_clerk["engineering"]

    response = admin_client.delete(f"/api/groups/{engineering.pk}/")

    assert response.status_code == 409
    assert "工程部" in response.json()["detail"]
    assert Group.objects.filter(pk=engineering.pk).exists()


def test_the_refusal_reads_in_chinese(admin_client, evidence_of_clerk):
    clerk = evidence_of_clerk["clerk"]

    response = admin_client.delete(
        f"/api/users/{clerk.pk}/",
        HTTP_ACCEPT_LANGUAGE="zh-cn",
    )

    assert response.status_code == 409
    assert "停用" in response.json()["detail"]


def test_a_person_no_evidence_names_can_still_be_deleted(admin_client, people):
    response = admin_client.delete(f"/api/users/{people['outsider'].pk}/")

    assert response.status_code == 204


@pytest.mark.parametrize("model", ["user", "group"])
def test_the_admin_says_why_a_person_or_department_cannot_be_deleted(
    client,
    evidence_of_clerk,
    model,
):
    client.force_login(UserFactory(username="root", superuser=True))
    target = evidence_of_clerk["clerk" if model == "user" else "engineering"]
    url = f"/admin/auth/{model}/{target.pk}/delete/"

    page = client.get(url)
    posted = client.post(url, {"post": "yes"})

    # Django's own page that names the evidence in the way, not an error page.
    assert page.status_code == 200
    assert "P2026-07" in page.content.decode()
    assert posted.status_code == 200
    target.refresh_from_db()
