"""The built wheel carries migrations and templates, leaves tests out, and adds to paperless's
environment only chinesecalendar (China's public holidays)."""

from __future__ import annotations

import email
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

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
    # --no-index: every requirement must already be satisfied by the test environment,
    # paperless's locked one plus chinesecalendar (the next test pins that difference).
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


def paperless_locked() -> dict[str, Version]:
    """The versions paperless's uv.lock pins, as scripts/setup.sh exported them into the venv."""
    text = (Path(sys.prefix) / "paperless-locked.txt").read_text()
    return {
        canonicalize_name(name): Version(version)
        for name, version in re.findall(
            r"^([A-Za-z0-9._-]+)==([^\s;]+)",
            text,
            re.MULTILINE,
        )
    }


def test_requirements_add_only_chinesecalendar_to_paperless(wheel):
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(name))
    requirements = [Requirement(r) for r in metadata.get_all("Requires-Dist")]
    locked = paperless_locked()

    added = {
        canonicalize_name(r.name)
        for r in requirements
        if canonicalize_name(r.name) not in locked
    }
    assert added == {"chinesecalendar"}
    # The rest take paperless's pins as they are: nothing is upgraded or downgraded.
    assert {
        r.name: str(locked[canonicalize_name(r.name)])
        for r in requirements
        if canonicalize_name(r.name) in locked
        and not r.specifier.contains(
            locked[canonicalize_name(r.name)],
            prereleases=True,
        )
    } == {}
    [chinesecalendar] = [r for r in requirements if r.name == "chinesecalendar"]
    # 1.11 has 2026; a major release may change the constants the calendar reads.
    assert Version("1.11.0") in chinesecalendar.specifier
    assert Version("2.0") not in chinesecalendar.specifier
