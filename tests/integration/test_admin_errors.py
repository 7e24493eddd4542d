"""Errors on the plugin's admin screens in the admin's own look, in Chinese.

An unknown id answers a styled, translated 404 page with the way back to its list; a filter
value a list cannot use is named on the list, which shows without it (not Django's silent
redirect to ``?e=1``).
"""

from __future__ import annotations

import pytest
from django.utils import translation

from svc_archive_plugin.services import loans

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_reset():
    # A request in Chinese leaves Chinese active in this thread; later tests expect none.
    yield
    translation.deactivate()


ADMIN = "/admin/svc_archive_plugin/"
HANS = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
HANT = {"HTTP_ACCEPT_LANGUAGE": "zh-TW,zh;q=0.9"}


@pytest.fixture
def manager(people):
    people["manager"].is_staff = True
    people["manager"].save()
    return people["manager"]


@pytest.mark.parametrize(
    "url",
    [
        "loan/99999/change/",
        "loan/not-a-number/change/",
        "loan/99999/approve/",
        "loan/99999/slip.pdf",
        "dossier/99999/change/",
        "dossier/99999/return/",
        "accessrequest/99999/change/",
        "destructionlist/99999/history/",
        "legalhold/99999/history/",
    ],
)
def test_an_unknown_id_answers_a_styled_translated_404(client, manager, url):
    client.force_login(manager)
    response = client.get(f"{ADMIN}{url}", **HANS)
    page = response.content.decode()
    assert response.status_code == 404
    assert "admin/svc_archive_plugin/not_found.html" in [
        t.name for t in response.templates
    ]
    assert 'id="header"' in page  # the admin's frame, with its menu and log-out
    assert "或您无权查看" in page
    assert "Not Found" not in page
    assert "返回" in page


def test_the_404_speaks_traditional_chinese(client, manager):
    client.force_login(manager)
    page = client.get(f"{ADMIN}dossier/99999/return/", **HANT).content.decode()
    assert "或您無權查看" in page


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"id": "abc"}, "id=abc"),
        ({"state": "nonsense"}, "state=nonsense"),
        ({"requested_at__gte": "2026-13-45"}, "requested_at__gte=2026-13-45"),
    ],
)
def test_a_bad_filter_value_is_named_on_the_list(
    client,
    manager,
    people,
    dossier,
    query,
    shown,
):
    loan = loans.request_loan(people["clerk"], reason="核对", days=3, dossier=dossier)
    client.force_login(manager)
    response = client.get(f"{ADMIN}loan/", query, **HANS)
    page = response.content.decode()
    assert response.status_code == 400  # not a redirect to ?e=1
    assert "以下筛选条件无效，已忽略" in page
    assert shown in page
    # The list stays usable: it shows, without the bad filter.
    assert f"loan/{loan.pk}/change/" in page
    assert 'id="changelist"' in page


def test_good_filters_keep_working(client, manager, people, dossier):
    loans.request_loan(people["clerk"], reason="核对", days=3, dossier=dossier)
    client.force_login(manager)
    response = client.get(f"{ADMIN}loan/", {"state": "requested"}, **HANS)
    assert response.status_code == 200
    assert "筛选条件无效" not in response.content.decode()
