"""The built wheel carries migrations and templates, leaves tests out, and adds nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(REPO),
        ],
        check=True,
        cwd=build,
        env={
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PATH": str(Path(sys.executable).parent),
            "HOME": str(build),
        },
    )
    [built] = out.glob("svc_archive_plugin-*.whl")
    return built


def test_wheel_contains_migrations_and_templates_but_not_tests(wheel):
    names = zipfile.ZipFile(wheel).namelist()

    assert "svc_archive_plugin/migrations/0001_initial.py" in names
    assert "svc_archive_plugin/migrations/__init__.py" in names
    assert (
        "svc_archive_plugin/templates/admin/svc_archive_plugin/capturereport/change_list.html"
        in names
    )
    assert "svc_archive_plugin/management/commands/svc_archive_setup.py" in names
    assert "svc_archive_plugin/locale/zh_Hans/LC_MESSAGES/django.mo" in names
    assert "svc_archive_plugin/locale/zh_CN/LC_MESSAGES/django.mo" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "scripts/"))]


def test_installing_the_wheel_changes_no_other_distribution(wheel, tmp_path):
    report = tmp_path / "report.json"
    # --no-index: every requirement must already be satisfied by paperless's environment.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-index",
            "--quiet",
            "--report",
            str(report),
            str(wheel),
        ],
        check=True,
    )
    would_install = {
        item["metadata"]["name"] for item in json.loads(report.read_text())["install"]
    }
    assert would_install == {"svc-archive-plugin"}
