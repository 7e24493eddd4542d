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
	local status=0
	python -m pytest --basetemp="$work/$label/tmp" "$@" || status=$?
	# Arguments that pick tests of other rounds only leave this one nothing (pytest's 5).
	if [ "$status" = 5 ]; then
		echo "== $label: none of the chosen tests runs in this round"
		return 0
	fi
	return "$status"
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

postgres_round() { # label, database, marker expression, then pytest arguments
	local label=$1 database=$2 marker=$3
	shift 3
	export PAPERLESS_DBHOST=127.0.0.1 PAPERLESS_DBPORT=5432
	export PAPERLESS_DBUSER=${SVC_ARCHIVE_PGUSER:-postgres} PAPERLESS_DBNAME=$database
	# makemigrations --check reads the migration history, so the database must exist.
	python - "$database" <<'PY'
import os, sys, psycopg
name = sys.argv[1]
with psycopg.connect(host="127.0.0.1", user=os.environ["PAPERLESS_DBUSER"], dbname="postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
PY
	# The wheel does not depend on the database: the SQLite round builds it once.
	run_suite "$label" -m "$marker and not packaging" "$@"
}

if ! postgres_ready; then
	[ "${SVC_ARCHIVE_SKIP_POSTGRES:-}" = 1 ] ||
		echo "== postgresql: nothing answers on 127.0.0.1:5432, PostgreSQL round not run"
	run_suite sqlite "$@"
	exit
fi

# The rounds share nothing (directories, databases, e2e instances and their Redis prefixes
# are their own), so they run side by side. The PostgreSQL round is the longer: its
# end-to-end tier runs beside its other tiers, so both cores stay busy to the end. Each
# one's output is shown whole.
(run_suite sqlite "$@") >"$work/sqlite.log" 2>&1 &
sqlite_pid=$!
(postgres_round postgresql svc_archive "not e2e" "$@") >"$work/postgresql.log" 2>&1 &
postgres_pid=$!
(postgres_round postgresql-e2e svc_archive_e2e "e2e" "$@") >"$work/postgresql-e2e.log" 2>&1 &
postgres_e2e_pid=$!
status=0
wait "$sqlite_pid" || status=1
cat "$work/sqlite.log"
wait "$postgres_pid" || status=1
cat "$work/postgresql.log"
wait "$postgres_e2e_pid" || status=1
cat "$work/postgresql-e2e.log"
[ "$status" = 0 ] && echo "== every round passed" || echo "== a round failed"
exit "$status"
