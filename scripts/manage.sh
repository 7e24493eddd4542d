#!/usr/bin/env bash
# paperless's manage.py with the plugin enabled, on the run command's instance.
set -euo pipefail
. "$(dirname "$0")/env.sh"
svc_paperless_env
svc_local_dirs
export PAPERLESS_SECRET_KEY=${PAPERLESS_SECRET_KEY:-$(cat "$PAPERLESS_DATA_DIR/.secret_key" 2>/dev/null || { head -c 32 /dev/urandom | base64 | tee "$PAPERLESS_DATA_DIR/.secret_key"; })}
exec python -m django "$@"
