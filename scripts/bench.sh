#!/usr/bin/env bash
# Benchmarks that print figures (none of them is a test).
set -euo pipefail
. "$(dirname "$0")/env.sh"
"$SVC_REPO/scripts/setup.sh"
svc_paperless_env
cd "$SVC_REPO"
python bench/consume.py "$@"
