#!/usr/bin/env bash
# Benchmarks that print figures (none of them is a test).
set -euo pipefail
. "$(dirname "$0")/env.sh"
"$SVC_REPO/scripts/setup.sh"
svc_paperless_env
cd "$SVC_REPO"
# make bench                 -> the benchmarks below; scripts/bench.sh NAME [args] -> bench/NAME.py
# (also document_list, and load: about 25 minutes of seeding and simulated users)
if [ $# -gt 0 ] && [ -f "bench/$1.py" ]; then
	name=$1
	shift
	python "bench/$name.py" "$@"
else
	python bench/consume.py "$@"
	python bench/registers.py
	python bench/sweep.py
	python bench/loans.py
	python bench/fixity.py
	python bench/dashboard.py
fi
