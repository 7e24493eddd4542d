# shellcheck shell=bash
# Where the harness keeps paperless-ngx and its virtual environment, and the environment
# every paperless process (web, worker, beat, consumer, manage.py, pytest) needs.
# Sourced by scripts/setup.sh, scripts/run.sh and scripts/test.sh; nothing here writes.

SVC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SVC_REPO

# The paperless-ngx release the plugin is built and tested against.
PAPERLESS_NGX_TAG=${PAPERLESS_NGX_TAG:-v3.0.5}
# Kept outside the repository so later runs and CI reuse it without network.
SVC_ARCHIVE_CACHE=${SVC_ARCHIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/svc-archive}
# An existing checkout wins; otherwise the set-up clones into the cache.
PLX_SRC=${PAPERLESS_NGX_SRC:-$SVC_ARCHIVE_CACHE/paperless-ngx-$PAPERLESS_NGX_TAG}
SVC_ARCHIVE_VENV=${SVC_ARCHIVE_VENV:-$SVC_ARCHIVE_CACHE/venv-$PAPERLESS_NGX_TAG}
export PAPERLESS_NGX_TAG SVC_ARCHIVE_CACHE PLX_SRC SVC_ARCHIVE_VENV

svc_paperless_env() {
	# The plugin must be enabled in every process, or its migrations, receivers and tasks vanish.
	export PATH="$SVC_ARCHIVE_VENV/bin:$PATH"
	export DJANGO_SETTINGS_MODULE=paperless.settings
	export PAPERLESS_APPS=${PAPERLESS_APPS:-svc_archive_plugin}
	export PAPERLESS_OCR_LANGUAGE=${PAPERLESS_OCR_LANGUAGE:-chi_sim+eng}
	# Debian 12's Ghostscript 10.0.0 is refused by ocrmypdf 17 for PDF/A output.
	if [ -z "${PAPERLESS_OCR_OUTPUT_TYPE:-}" ] && command -v gs >/dev/null; then
		case "$(gs --version 2>/dev/null)" in
		10.00.* | 10.01.* | 10.02.0) export PAPERLESS_OCR_OUTPUT_TYPE=pdf ;;
		esac
	fi
}

svc_local_dirs() {
	# The run command's instance: data and media under ./.run, scans in ./consume.
	local run=${SVC_ARCHIVE_RUN_DIR:-$SVC_REPO/.run}
	export PAPERLESS_DATA_DIR=${PAPERLESS_DATA_DIR:-$run/data}
	export PAPERLESS_MEDIA_ROOT=${PAPERLESS_MEDIA_ROOT:-$run/media}
	export PAPERLESS_STATICDIR=${PAPERLESS_STATICDIR:-$run/static}
	export PAPERLESS_SCRATCH_DIR=${PAPERLESS_SCRATCH_DIR:-$run/scratch}
	export PAPERLESS_CONSUMPTION_DIR=${PAPERLESS_CONSUMPTION_DIR:-$SVC_REPO/consume}
	export PAPERLESS_CONSUMER_RECURSIVE=${PAPERLESS_CONSUMER_RECURSIVE:-true}
	# The index directory must exist before any process starts, or search stays in memory.
	mkdir -p "$PAPERLESS_DATA_DIR/index" "$PAPERLESS_MEDIA_ROOT" "$PAPERLESS_STATICDIR" \
		"$PAPERLESS_SCRATCH_DIR" "$PAPERLESS_CONSUMPTION_DIR"
}

svc_redis_url() { echo "${PAPERLESS_REDIS:-redis://127.0.0.1:6379}"; }

svc_redis_prefix() { # data directory: the instance's own Redis key prefix
	# Instances sharing one Redis must not share queues: a worker would take another
	# instance's tasks (signed with another secret key) and lose them. The prefix follows
	# the data directory, so each instance gets its own and keeps it across restarts;
	# PAPERLESS_REDIS_PREFIX set explicitly wins (machines of one instance must agree).
	if [ -n "${PAPERLESS_REDIS_PREFIX:-}" ]; then
		echo "$PAPERLESS_REDIS_PREFIX"
		return
	fi
	local dir
	dir=$(realpath -m -- "${1:?data directory}")
	echo "svc-$(printf %s "$dir" | sha256sum | cut -c1-12)"
}

svc_answers() { # host port: does something listen there?
	python3 - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

svc_ensure_redis() {
	# Use the Redis on 127.0.0.1:6379, or start one that keeps nothing on disk.
	svc_answers 127.0.0.1 6379 && return 0
	command -v redis-server >/dev/null || { echo "svc-archive: no Redis on 127.0.0.1:6379 and redis-server is not installed" >&2; return 1; }
	echo "svc-archive: starting redis-server on 127.0.0.1:6379" >&2
	redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
		--logfile "${TMPDIR:-/tmp}/svc-archive-redis.log" >/dev/null
	for _ in $(seq 50); do svc_answers 127.0.0.1 6379 && return 0; sleep 0.1; done
	echo "svc-archive: redis-server did not come up" >&2
	return 1
}

svc_collect_static() {
	# collectstatic into $PAPERLESS_STATICDIR (compressing all of the web UI takes a while),
	# only when the static set changed: the UI build, the environment or the plugin's files.
	local dir=$PAPERLESS_STATICDIR stamp
	stamp=$({
		cat "$PLX_SRC/src/documents/static/frontend/.svc-archive-stamp" "$SVC_ARCHIVE_VENV/.svc-archive-stamp" 2>/dev/null
		find "$SVC_REPO/svc_archive_plugin" -path '*/static/*' -type f -exec sha256sum {} + 2>/dev/null | sort
	} | sha256sum | cut -d' ' -f1)
	[ "$(cat "$dir/.svc-archive-stamp" 2>/dev/null)" = "$stamp" ] && return
	echo "svc-archive: collecting static files into $dir" >&2
	mkdir -p "$dir"
	python -m django collectstatic --no-input --clear -v 0
	# A UI language that was not built is served in English instead of a blank page.
	[ -f "$PLX_SRC/src-ui/angular.json" ] && python - "$PLX_SRC/src-ui/angular.json" "$dir/frontend" <<'PY'
import json, sys
from pathlib import Path
locales = json.load(open(sys.argv[1]))["projects"]["paperless-ui"]["i18n"]["locales"]
frontend = Path(sys.argv[2])
if (frontend / "en-US").is_dir():
    for locale in locales:
        if not (frontend / locale).exists():
            (frontend / locale).symlink_to("en-US")
PY
	echo "$stamp" >"$dir/.svc-archive-stamp"
}
