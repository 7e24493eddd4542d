"""GET /api/svc_archive/status/ under paperless's own authentication and permissions."""

from __future__ import annotations

import base64

import pytest
from django.urls import resolve
from django.urls import reverse
from rest_framework.authtoken.models import Token

from svc_archive_plugin import __version__
from svc_archive_plugin.api.urls import mount_api
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/svc_archive/status/"


def test_route_is_mounted_under_paperless_api():
    assert reverse("svc_archive:status") == URL
    assert resolve(URL).func.view_class.__name__ == "StatusView"


def test_mounting_twice_adds_one_route():
    from paperless import urls

    mount_api()
    mount_api()
    mounted = [
        p for p in urls.urlpatterns if getattr(p, "app_name", None) == "svc_archive"
    ]
    assert len(mounted) == 1
    # Ahead of the single-page app's catch-all, or the UI would answer instead.
    assert urls.urlpatterns.index(mounted[0]) < len(urls.urlpatterns) - 1


def test_token_authentication(api_client, staff_user, provisioned):
    token = Token.objects.create(user=staff_user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == __version__
    assert body["provisioned"] is True
    assert body["settings"]["FILING_DAYS"] == 20
    assert body["settings"]["LOAN_MAX_DAYS"] == 10
    assert body["counts"]["document_type_codes"] == 7
    assert body["counts"]["documents_by_category"] == {"KF": 0, "SH": 0, "XM": 0}


def test_basic_authentication(api_client, staff_user):
    credentials = base64.b64encode(b"clerk:secret-pass").decode()
    api_client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")

    response = api_client.get(URL)

    assert response.status_code == 200
    assert response.json()["provisioned"] is False


def test_session_authentication(client, staff_user):
    client.login(username="clerk", password="secret-pass")
    assert (
        client.get(URL, HTTP_ACCEPT="application/json; version=10").status_code == 200
    )


def test_anonymous_is_refused(api_client):
    assert api_client.get(URL).status_code == 401


def test_wrong_password_is_refused(api_client, staff_user):
    credentials = base64.b64encode(b"clerk:wrong").decode()
    api_client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert api_client.get(URL).status_code == 401


def test_non_staff_user_is_forbidden(api_client):
    api_client.force_authenticate(UserFactory(username="visitor"))
    assert api_client.get(URL).status_code == 403


def test_listed_in_the_openapi_schema(api_client):
    api_client.force_authenticate(UserFactory(username="root", superuser=True))

    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    assert "get" in schema["paths"][URL]
    assert schema["paths"][URL]["get"]["operationId"] == "svc_archive_status"


def test_counts_classified_documents_by_category(api_client, provisioned):
    from documents.models import CustomField
    from documents.models import CustomFieldInstance

    from svc_archive_plugin.models import ArchiveCategory
    from tests.factories import DocumentFactory

    field = CustomField.objects.get(name="档案门类")
    after_sales = ArchiveCategory.objects.get(code="SH").option_id
    kept, trashed = DocumentFactory(), DocumentFactory()
    for doc in (kept, trashed):
        CustomFieldInstance.objects.create(
            document=doc,
            field=field,
            value_select=after_sales,
        )
    trashed.delete()  # in paperless's trash: not counted
    api_client.force_authenticate(UserFactory(username="root", superuser=True))

    counts = api_client.get(URL).json()["counts"]["documents_by_category"]

    assert counts == {"KF": 0, "SH": 1, "XM": 0}
