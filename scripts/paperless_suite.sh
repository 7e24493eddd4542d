#!/usr/bin/env bash
# paperless-ngx's own backend test suite at the pinned tag, run twice on SQLite: without
# the plugin and with PAPERLESS_APPS=svc_archive_plugin. Prints both summaries and the
# tests that fail (or error) only with the plugin; exits 1 when there are any.
# Extra arguments go to both pytest runs, with paths relative to the paperless checkout
# (e.g. src/documents/tests/test_api_schema.py). SVC_SUITE_WORKERS sets the xdist
# workers (default 2); SVC_SUITE_KEEP=1 keeps the logs and junit XML even on success.
set -euo pipefail
# shellcheck source=scripts/env.sh
. "$(dirname "$0")/env.sh"
"$SVC_REPO/scripts/setup.sh"

# Only this script decides paperless's environment: a caller's PAPERLESS_DBHOST would
# switch to PostgreSQL, and PAPERLESS_APPS is what the two runs differ in.
while read -r var; do unset "$var"; done < <(compgen -e | grep '^PAPERLESS_' || true)
# The instance's settings, Ghostscript work-around included: without it Debian 12's gs
# fails a dozen real-OCR tests; with it two tests that expect PDF/A fail, in both runs.
svc_paperless_env
svc_ensure_redis

work=$(mktemp -d "${TMPDIR:-/tmp}/svc-archive-paperless-suite.XXXXXX")
keep=${SVC_SUITE_KEEP:-}
cleanup() {
	# The instances' files are large and useless afterwards; the reports are kept on request
	# or when the plugin broke something, so its tracebacks can be read.
	rm -rf "$work"/*/run
	[ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT

# Follow paperless's own pytest configuration, but spread over xdist only if it does.
xdist=()
if python - "$PLX_SRC/pyproject.toml" <<'PY'; then
import sys, tomllib
opts = tomllib.load(open(sys.argv[1], "rb"))["tool"]["pytest"].get("addopts", [])
opts = opts.split() if isinstance(opts, str) else opts
sys.exit(0 if any(o.startswith(("--numprocesses", "-n")) for o in opts) else 1)
PY
	xdist=(-n "${SVC_SUITE_WORKERS:-2}" --maxprocesses "${SVC_SUITE_WORKERS:-2}")
fi

# setup.sh leaves out paperless_ai's stack, and its tests' conftest cannot even be imported
# without it, which aborts the whole run (--ignore is too late for a testpaths conftest).
ignore=()
if ! python -c "import llama_index.core" 2>/dev/null; then
	echo "== paperless_ai's dependencies are not installed: src/paperless_ai/tests not run"
	ignore=(-o "testpaths=$(python - "$PLX_SRC/pyproject.toml" <<'PY'
import sys, tomllib
paths = tomllib.load(open(sys.argv[1], "rb"))["tool"]["pytest"]["testpaths"]
print(" ".join(p for p in paths if not p.startswith("src/paperless_ai")))
PY
)" --ignore=src/paperless_ai/tests)
fi

run_round() { # label, then pytest arguments
	local label=$1 dir=$work/$1 start status=0
	shift
	# Each round has its own paperless directories, temp dir and pytest basetemp.
	export PAPERLESS_DATA_DIR=$dir/run/data PAPERLESS_MEDIA_ROOT=$dir/run/media
	export PAPERLESS_CONSUMPTION_DIR=$dir/run/consume PAPERLESS_SCRATCH_DIR=$dir/run/scratch
	export PAPERLESS_STATICDIR=$dir/run/static TMPDIR=$dir/run/tmp
	mkdir -p "$PAPERLESS_DATA_DIR/index" "$PAPERLESS_MEDIA_ROOT" "$PAPERLESS_CONSUMPTION_DIR" \
		"$PAPERLESS_SCRATCH_DIR" "$PAPERLESS_STATICDIR" "$TMPDIR"
	echo "== $label: pytest (PAPERLESS_APPS=${PAPERLESS_APPS:-})"
	start=$(date +%s)
	# Our --junitxml overrides the addopts one; coverage and the cache would write into the
	# shared checkout; a module that fails to import must not stop the rest of the round.
	(cd "$PLX_SRC" && python -m pytest "${xdist[@]}" --no-cov -p no:cacheprovider -p no:sugar \
		--continue-on-collection-errors --basetemp="$dir/run/pytest" \
		--junitxml="$dir/junit.xml" "${ignore[@]}" "$@") >"$dir/pytest.log" 2>&1 || status=$?
	echo "$(($(date +%s) - start)) $status" >"$dir/result"
	tail -n 3 "$dir/pytest.log"
}

mkdir -p "$work/without-plugin" "$work/with-plugin"
(unset PAPERLESS_APPS && run_round without-plugin "$@")
(export PAPERLESS_APPS=svc_archive_plugin && run_round with-plugin "$@")

# Outcomes per test node id, from both junit reports.
status=0
python - "$work" "$PLX_SRC" <<'PY' || status=$?
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

work, root = Path(sys.argv[1]), Path(sys.argv[2])

def node_id(case):
    # junit's classname is the node id's module path and classes joined by dots: the
    # longest prefix naming a file in the checkout is the module.
    parts = [p for p in case.get("classname", "").split(".") if p]
    name = case.get("name", "")
    for cut in range(len(parts), 0, -1):
        if (root / "/".join(parts[:cut])).with_suffix(".py").is_file():
            return "::".join(["/".join(parts[:cut]) + ".py", *parts[cut:], name])
    return "::".join([*parts, name])  # collection errors have no class

def outcomes(label):
    seen = {}
    for case in ET.parse(work / label / "junit.xml").iter("testcase"):
        tags = {child.tag for child in case}
        # A teardown error is reported beside the test's own result: the worse one counts.
        outcome = ("error" if "error" in tags else "failed" if "failure" in tags
                   else "skipped" if "skipped" in tags else "passed")
        rank = ["passed", "skipped", "failed", "error"]
        nid = node_id(case)
        if rank.index(outcome) >= rank.index(seen.get(nid, "passed")):
            seen[nid] = outcome
    return seen

runs = {}
for label in ("without-plugin", "with-plugin"):
    seconds, code = (work / label / "result").read_text().split()
    if not (work / label / "junit.xml").is_file():
        print(f"== {label}: pytest exited {code} without a junit report; see its log:")
        print((work / label / "pytest.log").read_text()[-3000:])
        sys.exit(2)
    runs[label] = result = outcomes(label)
    counts = {k: sum(v == k for v in result.values()) for k in ("passed", "failed", "skipped", "error")}
    print(f"== {label}: {len(result)} tests in {int(seconds) // 60}m{int(seconds) % 60:02d}s, pytest exit {code}: "
          + ", ".join(f"{n} {k}" for k, n in counts.items()))

bad = {label: {n for n, o in r.items() if o in ("failed", "error")} for label, r in runs.items()}
def show(title, ids, source=None):
    print(f"== {title}: {len(ids)}")
    for nid in sorted(ids):
        print(f"  {nid}" + (f"  [{runs[source][nid]}]" if source else ""))

show("failing in both runs", bad["without-plugin"] & bad["with-plugin"], "with-plugin")
show("failing only without the plugin", bad["without-plugin"] - bad["with-plugin"], "without-plugin")
missing = set(runs["without-plugin"]) - set(runs["with-plugin"])
if missing:
    show("run without the plugin but not with it", missing)
only = bad["with-plugin"] - bad["without-plugin"]
show("FAILING ONLY WITH THE PLUGIN", only, "with-plugin")
sys.exit(1 if only else 0)
PY
if [ "$status" != 0 ]; then
	keep=1
	echo "== logs and junit reports: $work/{without-plugin,with-plugin}/{pytest.log,junit.xml}"
fi
exit "$status"
