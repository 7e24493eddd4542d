#!/usr/bin/env bash
# Apply paperless's ruff rules and format (until both agree).
set -euo pipefail
. "$(dirname "$0")/env.sh"
ruff=$SVC_ARCHIVE_CACHE/tools/bin/ruff
for _ in 1 2 3; do
	"$ruff" check --fix -q "$SVC_REPO" 2>/dev/null || true
	"$ruff" format -q "$SVC_REPO" 2>/dev/null
done
"$ruff" check --no-fix "$SVC_REPO"
