"""Fixtures shared by the tiers: isolated paperless directories, users, API clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
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


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Run tasks that paperless queues from a save (e.g. select-field clean-up) in-process."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


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
