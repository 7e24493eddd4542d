"""The run command's manage script (``scripts/manage.sh``) acts on the run instance: what
it queues goes to that instance's own Redis queues, not to the unprefixed ones no worker of
the instance reads."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.e2e.conftest import REPO
from tests.e2e.conftest import redis_prefix

pytestmark = pytest.mark.e2e


def test_the_manage_script_queues_on_the_run_instance_s_redis_prefix(tmp_path):
    # A fresh run directory, as on a new clone: nothing of the test round's instance.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERLESS_")}
    env |= {
        "SVC_ARCHIVE_RUN_DIR": str(tmp_path / "run"),
        "PAPERLESS_CONSUMPTION_DIR": str(tmp_path / "consume"),
    }
    printed = subprocess.run(
        [
            str(REPO / "scripts" / "manage.sh"),
            "shell",
            "-c",
            "from django.conf import settings; "
            "print(settings.CELERY_BROKER_TRANSPORT_OPTIONS['global_keyprefix'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.split()
    expected = redis_prefix(tmp_path / "run" / "data")
    assert expected.startswith("svc-")
    assert printed[-1] == expected
