#!/usr/bin/env bash
# The whole suite, as CI runs it: lint, migrations check, then the unit, integration,
# end-to-end and packaging tiers on SQLite and, when PostgreSQL answers on
# 127.0.0.1:5432, again on PostgreSQL. Extra arguments go to pytest.
set -euo pipefail
. "$(dirname "$0")/env.sh"
"$SVC_REPO/scripts/setup.sh"
svc_paperless_env
cd "$SVC_REPO"

work=$(mktemp -d "${TMPDIR:-/tmp}/svc-archive-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PAPERLESS_DATA_DIR=$work/data PAPERLESS_MEDIA_ROOT=$work/media
export PAPERLESS_CONSUMPTION_DIR=$work/consume PAPERLESS_SCRATCH_DIR=$work/scratch
export PAPERLESS_STATICDIR=$work/static PAPERLESS_SECRET_KEY=svc-archive-tests
export PAPERLESS_CONSUMER_RECURSIVE=true
mkdir -p "$PAPERLESS_STATICDIR" "$PAPERLESS_DATA_DIR/index" "$PAPERLESS_MEDIA_ROOT" "$PAPERLESS_CONSUMPTION_DIR" "$PAPERLESS_SCRATCH_DIR"

ruff=$SVC_ARCHIVE_CACHE/tools/bin/ruff
if [ ! -x "$ruff" ]; then
	python3 -m venv "$SVC_ARCHIVE_CACHE/tools"
	"$SVC_ARCHIVE_CACHE/tools/bin/pip" install -q --disable-pip-version-check "ruff~=0.15.20"
fi
echo "== ruff"
"$ruff" check --no-fix .
"$ruff" format --check .

svc_ensure_redis

run_suite() { # label, then pytest arguments
	local label=$1
	shift
	echo "== $label: makemigrations --check"
	python -m django makemigrations --check --dry-run svc_archive_plugin
	echo "== $label: pytest"
	python -m pytest "$@"
}

run_suite sqlite "$@"

if [ "${SVC_ARCHIVE_SKIP_POSTGRES:-}" != 1 ]; then
	if ! svc_answers 127.0.0.1 5432 && command -v pg_ctlcluster >/dev/null; then
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>/dev/null || true
	fi
	if svc_answers 127.0.0.1 5432; then
		export PAPERLESS_DBHOST=127.0.0.1 PAPERLESS_DBPORT=5432
		export PAPERLESS_DBUSER=${SVC_ARCHIVE_PGUSER:-postgres} PAPERLESS_DBNAME=svc_archive
		# makemigrations --check reads the migration history, so the database must exist.
		python - <<'PY'
import os, psycopg
with psycopg.connect(host="127.0.0.1", user=os.environ["PAPERLESS_DBUSER"], dbname="postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'svc_archive'").fetchone():
        conn.execute('CREATE DATABASE "svc_archive"')
PY
		run_suite postgresql "$@"
	else
		echo "== postgresql: nothing answers on 127.0.0.1:5432, PostgreSQL round not run"
	fi
fi
