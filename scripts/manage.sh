#!/usr/bin/env bash
# paperless's manage.py with the plugin enabled, on the run command's instance.
set -euo pipefail
. "$(dirname "$0")/env.sh"
svc_paperless_env
svc_local_dirs
# The run command's queues: a task this command queues must reach that instance's worker.
PAPERLESS_REDIS_PREFIX=$(svc_redis_prefix "$PAPERLESS_DATA_DIR")
export PAPERLESS_REDIS_PREFIX
export PAPERLESS_SECRET_KEY=${PAPERLESS_SECRET_KEY:-$(cat "$PAPERLESS_DATA_DIR/.secret_key" 2>/dev/null || { head -c 32 /dev/urandom | base64 | tee "$PAPERLESS_DATA_DIR/.secret_key"; })}
exec python -m django "$@"
