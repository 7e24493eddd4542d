"""The backup as a user runs it: export, a fresh paperless, import — in real processes.

Two installations with their own data directory and database (SQLite files, or PostgreSQL
databases when the session runs on PostgreSQL): the source is seeded through the
services, exported with paperless's ``document_exporter`` and ``svc_archive_export``; the
destination is freshly migrated, receives ``document_importer`` and ``svc_archive_import``.
Every plugin table must come back row for row, the register's chain must verify, and no
new document may take the id of a destroyed record. The plugin's export laid next to
another installation's paperless export is refused.

Every installation starts from one freshly migrated database, copied (a file copy, or
PostgreSQL's ``CREATE DATABASE … TEMPLATE``): the same as migrating each, at a quarter
of the time. The commands under test run each in its own process; the other
installation's seeding, export and import share one process each, to save start-ups.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DB_SETTINGS = ("PAPERLESS_DBHOST", "PAPERLESS_DBPORT", "PAPERLESS_DBNAME")
ON_POSTGRES = bool(os.environ.get("PAPERLESS_DBHOST"))


@dataclass
class Installation:
    root: Path
    env: dict[str, str]

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "django", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if ok:
            assert result.returncode == 0, (
                f"{' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def shell(self, code: str) -> str:
        return self.run("shell", "-c", code).stdout


def _pg_params() -> dict:
    params = {
        "host": os.environ["PAPERLESS_DBHOST"],
        "port": os.environ.get("PAPERLESS_DBPORT", "5432"),
        "user": os.environ.get("PAPERLESS_DBUSER", "paperless"),
        "dbname": "postgres",
    }
    if "PAPERLESS_DBPASS" in os.environ:
        params["password"] = os.environ["PAPERLESS_DBPASS"]
    return params


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(**_pg_params(), autocommit=True) as conn:
        conn.execute(sql)


class Installations:
    """Fresh installations cloned from one migrated template."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = os.environ.get("PAPERLESS_DBNAME", "paperless")
        self.databases: list[str] = []
        self.template = self._make("tpl")
        self.template.run("migrate", "--no-input")

    def _make(self, name: str) -> Installation:
        root = self.root / name
        env = {k: v for k, v in os.environ.items() if k not in DB_SETTINGS}
        env.update(
            PAPERLESS_APPS="svc_archive_plugin",
            PAPERLESS_DATA_DIR=str(root / "data"),
            PAPERLESS_MEDIA_ROOT=str(root / "media"),
            PAPERLESS_CONSUMPTION_DIR=str(root / "consume"),
            PAPERLESS_SCRATCH_DIR=str(root / "scratch"),
            PAPERLESS_STATICDIR=str(root / "static"),
        )
        for key in ("DATA_DIR", "MEDIA_ROOT", "CONSUMPTION_DIR", "SCRATCH_DIR"):
            Path(env[f"PAPERLESS_{key}"]).mkdir(parents=True)
        (root / "data" / "index").mkdir()
        if ON_POSTGRES:
            database = f"{self.base}_{name}"
            _pg(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            template = f' TEMPLATE "{self.base}_tpl"' if name != "tpl" else ""
            _pg(f'CREATE DATABASE "{database}"{template}')
            self.databases.append(database)
            for key in DB_SETTINGS:
                if key in os.environ:
                    env[key] = os.environ[key]
            env["PAPERLESS_DBNAME"] = database
        return Installation(root, env)

    def fresh(self, name: str) -> Installation:
        installation = self._make(name)
        if not ON_POSTGRES:
            for db in (self.root / "tpl" / "data").glob("db.sqlite3*"):
                shutil.copy2(db, installation.root / "data" / db.name)
        return installation

    def drop(self) -> None:
        for database in reversed(self.databases):
            _pg(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def between(marker: str, text: str) -> str:
    found = re.search(f"@@{marker}@@(.*?)@@END@@", text, re.DOTALL)
    assert found, text
    return found.group(1)


def parallel(*chains):
    with ThreadPoolExecutor(len(chains)) as pool:
        return [f.result() for f in [pool.submit(chain) for chain in chains]]


@pytest.fixture
def installations(tmp_path):
    made = Installations(tmp_path)
    yield made
    if ON_POSTGRES:
        made.drop()


def test_export_fresh_install_import(installations, tmp_path):
    source, other = installations.fresh("src"), installations.fresh("oth")
    destination, mismatched = installations.fresh("dst"), installations.fresh("dst2")
    export, other_export = tmp_path / "export", tmp_path / "other-export"
    export.mkdir()
    other_export.mkdir()

    def export_source():
        seeded = source.shell(
            "from tests.backup_fixture import seed_instance; seed_instance('src')",
        )
        source.run("document_exporter", str(export), "--no-progress-bar")
        exported = source.run("svc_archive_export", str(export)).stdout
        return json.loads(between("ROWS", seeded)), exported

    def export_other():
        other.shell(
            "from tests.backup_fixture import seed_other_instance as s; "
            f"s({str(other_export)!r})",
        )

    (rows, exported), _ = parallel(export_source, export_other)
    assert "destruction register" in exported and "Exported" in exported
    assert (export / "manifest.json").is_file()
    # Someone lays the plugin's export next to another installation's paperless export.
    shutil.copy(export / "svc_archive.json", other_export / "svc_archive.json")

    def restore():
        destination.run("document_importer", str(export), "--no-progress-bar")
        imported = destination.run("svc_archive_import", str(export)).stdout
        report = destination.shell(
            "from tests.backup_fixture import report_destination; report_destination()",
        )
        return imported, report

    def restore_mismatched():
        mismatched.shell(
            "from tests.backup_fixture import load_paperless_export as load; "
            f"load({str(other_export)!r})",
        )
        return mismatched.run("svc_archive_import", str(other_export), ok=False)

    (imported, report), refused = parallel(restore, restore_mismatched)

    assert "Imported" in imported
    assert "The destruction register's chain verifies (2 entries)" in imported
    assert "The destruction register's chain is intact (2 entries)" in report
    restored = json.loads(between("ROWS", report))
    assert restored.keys() == rows.keys()
    for label, source_rows in rows.items():
        assert restored[label] == source_rows, label
    assert len(rows["svc_archive_plugin.registerentry"]) == 2
    destroyed = [row["document_id"] for row in rows["svc_archive_plugin.registerentry"]]
    # paperless's importer sets the id sequence to the highest document it imported;
    # the destroyed records had higher ids, and they stay theirs.
    assert int(between("NEXT_DOCUMENT", report)) > max(destroyed)

    assert refused.returncode != 0
    message = refused.stderr.strip().splitlines()[-1]
    assert message.startswith(
        "CommandError: The export does not match this installation",
    )
    assert "documents it refers to are not here" in message
    assert "users it refers to are not here" in message
