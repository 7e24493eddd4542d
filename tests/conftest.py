"""Fixtures shared by the tiers: isolated paperless directories, users, API clients."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import pytest
from celery._state import _set_task_join_will_block
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import override_settings
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import UserFactory

if TYPE_CHECKING:
    from pathlib import Path

API_ACCEPT = "application/json; version=10"


@pytest.fixture
def paperless_dirs(settings, tmp_path: Path) -> Path:
    """Point every paperless directory at a fresh temporary tree, search index included."""
    from documents.search import reset_backend

    media = tmp_path / "media"
    layout = {
        "DATA_DIR": tmp_path / "data",
        "SCRATCH_DIR": tmp_path / "scratch",
        "MEDIA_ROOT": media,
        "ORIGINALS_DIR": media / "documents" / "originals",
        "ARCHIVE_DIR": media / "documents" / "archive",
        "THUMBNAIL_DIR": media / "documents" / "thumbnails",
        "CONSUMPTION_DIR": tmp_path / "consume",
        "INDEX_DIR": tmp_path / "data" / "index",
        "LOGGING_DIR": tmp_path / "data" / "log",
    }
    for name, path in layout.items():
        path.mkdir(parents=True, exist_ok=True)
        setattr(settings, name, path)
    settings.MODEL_FILE = tmp_path / "data" / "classification_model.pickle"
    settings.MEDIA_LOCK = media / "media.lock"
    reset_backend()
    yield tmp_path
    reset_backend()


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """The test accounts' passwords are hashed quickly: PBKDF2's million rounds for each
    person of each test took over 40% of the integration tier's time."""
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        yield


@pytest.fixture(autouse=True)
def _settings_reloaded():
    """Each test starts from the plugin's settings as configured, whatever the last set."""
    from svc_archive_plugin.conf import archive_settings

    archive_settings.reload()
    yield
    archive_settings.reload()


@pytest.fixture(autouse=True)
def _cache_cleared():
    """Each test starts with paperless's cache empty (one process's memory in the tests):
    what one test left there, such as the daily reminders' claims, must not change
    another's outcome."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _language_reset():
    """Each test starts in the site's language: a request through the test client leaves the
    language it asked for active in the thread (LocaleMiddleware does not reset it)."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Run tasks that paperless queues from a save (e.g. select-field clean-up) in-process."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
    # An eager task marks the process "inside a task" with one process-wide flag; two
    # threads' eager tasks at once (the PostgreSQL concurrency tests) can leave it set,
    # and every later ``result.get()`` would refuse.
    _set_task_join_will_block(False)  # noqa: FBT003 (celery's own signature)


@pytest.fixture
def provisioned(db):
    """The vocabulary, as ``svc_archive_setup`` makes it."""
    from svc_archive_plugin.services.provisioning import provision

    return provision()


@pytest.fixture
def staff_user(db):
    return UserFactory(username="clerk", staff=True)


@pytest.fixture
def plain_user(db):
    return UserFactory(username="reader")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient(HTTP_ACCEPT=API_ACCEPT)


@pytest.fixture
def people(provisioned):
    """Two departments and a person in each role."""
    engineering = Group.objects.create(name="工程部")
    sales = Group.objects.create(name="销售部")

    def person(name, *groups, email=""):
        user = UserFactory(username=name, email=email)
        user.groups.add(*groups)
        return user

    staff, heads, managers = (
        Group.objects.get(name=n) for n in ("员工", "部门负责人", "档案管理员")
    )
    return {
        "clerk": person("clerk", staff, engineering),
        "head": person("head", heads, engineering, email="head@example.com"),
        "sales_head": person("sales_head", heads, sales, email="sales@example.com"),
        "manager": person("manager", managers, email="archive@example.com"),
        "outsider": person("outsider", staff, sales),
        "engineering": engineering,
    }


@pytest.fixture
def dossier(people):
    """The dossier of a repair project of 工程部 that ended on 2026-09-30."""
    from svc_archive_plugin.models import Customer
    from svc_archive_plugin.models import ServiceProject
    from svc_archive_plugin.models import ServiceType

    customer = Customer.objects.create(code="C001", name="北京某科技有限公司")
    project = ServiceProject.objects.create(
        code="P2026-07",
        name="机房维修",
        customer=customer,
        service_type=ServiceType.objects.get(code="WX"),
        department=people["engineering"],
        end_date=datetime.date(2026, 9, 30),
    )
    return project.dossier
