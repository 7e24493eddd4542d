#!/usr/bin/env bash
# The whole suite, as CI runs it: lint, migrations check, then the unit, integration,
# end-to-end and packaging tiers on SQLite and, when PostgreSQL answers on
# 127.0.0.1:5432, on PostgreSQL at the same time. Extra arguments go to pytest.
set -euo pipefail
. "$(dirname "$0")/env.sh"
"$SVC_REPO/scripts/setup.sh"
svc_paperless_env
cd "$SVC_REPO"

work=$(mktemp -d "${TMPDIR:-/tmp}/svc-archive-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PAPERLESS_SECRET_KEY=svc-archive-tests PAPERLESS_CONSUMER_RECURSIVE=true

ruff=$SVC_ARCHIVE_CACHE/tools/bin/ruff
if [ ! -x "$ruff" ]; then
	python3 -m venv "$SVC_ARCHIVE_CACHE/tools"
	"$SVC_ARCHIVE_CACHE/tools/bin/pip" install -q --disable-pip-version-check "ruff~=0.15.20"
fi
echo "== ruff"
"$ruff" check --no-fix .
"$ruff" format --check .

svc_ensure_redis

round_dirs() { # label: each round has its own paperless directories and pytest temp
	local dir=$work/$1
	export PAPERLESS_DATA_DIR=$dir/data PAPERLESS_MEDIA_ROOT=$dir/media
	export PAPERLESS_CONSUMPTION_DIR=$dir/consume PAPERLESS_SCRATCH_DIR=$dir/scratch
	export PAPERLESS_STATICDIR=$dir/static
	# Anything the tests queue stays off the queues of other instances on this Redis (a
	# running `make run` among them); each e2e instance derives its own the same way.
	PAPERLESS_REDIS_PREFIX=$(PAPERLESS_REDIS_PREFIX='' svc_redis_prefix "$PAPERLESS_DATA_DIR")
	export PAPERLESS_REDIS_PREFIX
	mkdir -p "$PAPERLESS_STATICDIR" "$PAPERLESS_DATA_DIR/index" "$PAPERLESS_MEDIA_ROOT" \
		"$PAPERLESS_CONSUMPTION_DIR" "$PAPERLESS_SCRATCH_DIR" "$dir/tmp"
}

run_suite() { # label, then pytest arguments
	local label=$1
	shift
	round_dirs "$label"
	echo "== $label: makemigrations --check"
	python -m django makemigrations --check --dry-run svc_archive_plugin
	echo "== $label: pytest"
	python -m pytest --basetemp="$work/$label/tmp" "$@"
}

# paperless's web UI for every end-to-end instance of both rounds, collected once (and
# again only when it changed).
export SVC_ARCHIVE_STATIC=$SVC_ARCHIVE_CACHE/static
(round_dirs static && PAPERLESS_STATICDIR=$SVC_ARCHIVE_STATIC svc_collect_static)

postgres_ready() {
	[ "${SVC_ARCHIVE_SKIP_POSTGRES:-}" != 1 ] || return 1
	if ! svc_answers 127.0.0.1 5432 && command -v pg_ctlcluster >/dev/null; then
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>/dev/null || true
	fi
	svc_answers 127.0.0.1 5432
}

postgres_round() {
	export PAPERLESS_DBHOST=127.0.0.1 PAPERLESS_DBPORT=5432
	export PAPERLESS_DBUSER=${SVC_ARCHIVE_PGUSER:-postgres} PAPERLESS_DBNAME=svc_archive
	# makemigrations --check reads the migration history, so the database must exist.
	python - <<'PY'
import os, psycopg
with psycopg.connect(host="127.0.0.1", user=os.environ["PAPERLESS_DBUSER"], dbname="postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'svc_archive'").fetchone():
        conn.execute('CREATE DATABASE "svc_archive"')
PY
	# The wheel does not depend on the database: the SQLite round builds it once.
	run_suite postgresql -m "not packaging" "$@"
}

if ! postgres_ready; then
	[ "${SVC_ARCHIVE_SKIP_POSTGRES:-}" = 1 ] ||
		echo "== postgresql: nothing answers on 127.0.0.1:5432, PostgreSQL round not run"
	run_suite sqlite "$@"
	exit
fi

# The two rounds share nothing (directories, databases, e2e instances and their Redis
# prefixes are their own), so they run side by side; each one's output is shown whole.
(run_suite sqlite "$@") >"$work/sqlite.log" 2>&1 &
sqlite_pid=$!
(postgres_round "$@") >"$work/postgresql.log" 2>&1 &
postgres_pid=$!
status=0
wait "$sqlite_pid" || status=1
cat "$work/sqlite.log"
wait "$postgres_pid" || status=1
cat "$work/postgresql.log"
[ "$status" = 0 ] && echo "== both rounds passed" || echo "== a round failed"
exit "$status"
