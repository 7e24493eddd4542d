#!/usr/bin/env bash
# Run paperless-ngx with the plugin, as a newcomer would: set up what is missing, migrate,
# provision, make an admin account, then paperless's web server (granian, as in its image:
# the web UI at /, the API, the admin) on 127.0.0.1:8000, the celery worker(s), the scheduler
# and the consumer watching ./consume. SQLite unless PAPERLESS_DBHOST is set.
# SVC_ARCHIVE_WORKERS=N (PostgreSQL only) starts N celery worker processes.
# Ctrl-C stops everything it started.
set -euo pipefail
. "$(dirname "$0")/env.sh"
workers=${SVC_ARCHIVE_WORKERS:-1}
if ! [[ $workers =~ ^[1-9][0-9]*$ ]]; then
	echo "svc-archive: SVC_ARCHIVE_WORKERS must be a whole number of workers (1 or more), not '$workers'" >&2
	exit 2
fi
if [ "$workers" -gt 1 ] && [ -z "${PAPERLESS_DBHOST:-}" ]; then
	# SQLite takes one writer at a time and ignores the row locks the archive's tasks take
	# (select_for_update): several worker processes would fail with "database is locked"
	# or act twice. One worker with PAPERLESS_TASK_WORKERS=N is the SQLite way to run more.
	echo "svc-archive: SVC_ARCHIVE_WORKERS=$workers needs PostgreSQL (set PAPERLESS_DBHOST); on SQLite run one worker (SVC_ARCHIVE_WORKERS=1)" >&2
	exit 2
fi

"$SVC_REPO/scripts/setup.sh"
svc_paperless_env
svc_local_dirs
cd "$SVC_REPO"
# This instance's own queues and cache on a Redis other instances may use too.
PAPERLESS_REDIS_PREFIX=$(svc_redis_prefix "$PAPERLESS_DATA_DIR")
export PAPERLESS_REDIS_PREFIX

secret="$PAPERLESS_DATA_DIR/.secret_key"
[ -s "$secret" ] || (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' >"$secret")
export PAPERLESS_SECRET_KEY=${PAPERLESS_SECRET_KEY:-$(cat "$secret")}
port=${SVC_ARCHIVE_PORT:-8000}
# paperless's own address, for links it writes (the records' 档案详情 field); set it to
# the address people use when that is not this machine.
export PAPERLESS_URL=${PAPERLESS_URL:-http://127.0.0.1:$port}
logs="$PAPERLESS_DATA_DIR/log"
mkdir -p "$logs"

pids=()
started_redis=
stop() {
	# Children first: the terminal may already be gone (a closed pipe must not stop us here).
	trap - INT TERM HUP EXIT
	trap '' PIPE
	for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
	echo "svc-archive: stopping" >&2 || true
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	[ -n "$started_redis" ] && redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true
	exit 0
}
trap stop INT TERM HUP EXIT

if ! svc_answers 127.0.0.1 6379; then
	svc_ensure_redis
	started_redis=1
fi

python -m django migrate --no-input
# The web UI and the admin's styles: paperless serves static files from STATIC_ROOT only
# (WhiteNoise); collected again only when they changed.
svc_collect_static
python -m django svc_archive_setup

if [ -n "${PAPERLESS_ADMIN_USER:-}" ] && [ -n "${PAPERLESS_ADMIN_PASSWORD:-}" ]; then
	python -m django manage_superuser
elif [ "$(python -m django shell --no-imports -c 'from django.contrib.auth.models import User; print(User.objects.filter(is_superuser=True).exists())' | tail -n 1)" = False ]; then
	password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 16)
	DJANGO_SUPERUSER_PASSWORD=$password python -m django createsuperuser --no-input \
		--username admin --email admin@localhost >/dev/null
	echo "svc-archive: created the admin account  user: admin  password: $password  (shown once)"
fi

start() { # name, command...: each in its own process group, so Ctrl-C stops its children too
	local name=$1
	shift
	setsid "$@" >"$logs/$name.log" 2>&1 &
	pids+=($!)
}
if [ "$workers" = 1 ]; then
	start worker celery --app paperless worker --loglevel INFO --hostname "worker1@%h"
else
	# Distinct node names, or celery's control commands and monitoring mix them up.
	for i in $(seq "$workers"); do
		start "worker$i" celery --app paperless worker --loglevel INFO --hostname "worker$i@%h"
	done
fi
start beat celery --app paperless beat --loglevel INFO --schedule "$PAPERLESS_DATA_DIR/celerybeat-schedule.db"
start consumer python -m django document_consumer
bind=${SVC_ARCHIVE_BIND:-127.0.0.1}
start web granian --interface asginl --ws --loop uvloop --host "$bind" --port "$port" \
	--workers "${PAPERLESS_WEBSERVER_WORKERS:-1}" paperless.asgi:application

cat <<INFO
svc-archive: paperless-ngx with the service-archive plugin is running
  web UI     http://127.0.0.1:$port/   (paperless; the archive's screens: http://127.0.0.1:$port/admin/)
  API        http://127.0.0.1:$port/api/svc_archive/status/
  scans      $PAPERLESS_CONSUMPTION_DIR/<type code>/   (codes: see /admin/svc_archive_plugin/documenttypecode/)
  workers    $workers (celery node names worker1@$(hostname)...)   Redis prefix $PAPERLESS_REDIS_PREFIX
  logs       $logs/{web,worker,beat,consumer}.log   (several workers: worker1.log, worker2.log...)
  Ctrl-C stops everything.
INFO
# Stop all when any one of them dies, so a broken process is not left unnoticed.
wait -n "${pids[@]}"
echo "svc-archive: a process exited; see $logs" >&2
stop
