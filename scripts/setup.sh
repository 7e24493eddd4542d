#!/usr/bin/env bash
# Set up what is missing to run and test the plugin against the real paperless-ngx:
# OCR system packages, a paperless-ngx checkout at the pinned tag (cached outside the repo),
# a virtual environment with paperless's *locked* runtime dependencies (without the AI
# stack, with its web server), paperless's web UI built from the same tag, and this plugin
# installed editable under those constraints. A second run with everything in place only
# checks stamps.
set -euo pipefail
# shellcheck source=scripts/env.sh
. "$(dirname "$0")/env.sh"

say() { printf 'svc-archive setup: %s\n' "$*" >&2; }
die() {
	say "ERROR: $*"
	exit 1
}

UPSTREAM_GIT=https://github.com/paperless-ngx/paperless-ngx.git
# What consumption with OCR, thumbnails and barcodes needs, as Debian names it.
APT_PACKAGES=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim tesseract-ocr-chi-tra
	ghostscript unpaper libmagic1 file poppler-utils qpdf pngquant jbig2dec icc-profiles-free
	fonts-liberation fonts-noto-cjk fonts-wqy-microhei gnupg imagemagick tzdata gettext libpq-dev libzbar0
	chromium)
# The browser tier drives Debian's chromium; Playwright's own browser download is not used.
PLAYWRIGHT=playwright==1.65.2
# The contract tier's property-based run of the plugin's API from its OpenAPI schema.
SCHEMATHESIS=schemathesis==4.32.5
# Languages of paperless's web UI to build (Angular locale ids, or "all"); the others are
# served in English.
UI_LOCALES=${SVC_ARCHIVE_UI_LOCALES:-en-US,zh-CN,zh-TW}
# paperless v3.0.5's Angular CLI needs Node.js 22.22+ or 24.15+; Debian ships 20.
NODE_PACKAGE=node@24
# paperless_ai's stack; the plugin never touches it and it is most of the download.
AI_PACKAGES=(torch sentence-transformers openai azure-ai-documentintelligence)

system_packages() {
	command -v dpkg-query >/dev/null || {
		command -v tesseract >/dev/null || die "tesseract is missing; install tesseract (eng, chi_sim, chi_tra), ghostscript, unpaper, poppler-utils, qpdf and libmagic"
		return
	}
	local missing=() pkg
	for pkg in "${APT_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return
	if [ "$(id -u)" != 0 ]; then
		die "missing system packages: ${missing[*]} (run as root once, or: sudo apt-get install ${missing[*]})"
	fi
	say "installing system packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

paperless_checkout() {
	if [ -n "${PAPERLESS_NGX_SRC:-}" ]; then
		[ -f "$PLX_SRC/src/manage.py" ] && [ -f "$PLX_SRC/uv.lock" ] ||
			die "PAPERLESS_NGX_SRC=$PLX_SRC is not a paperless-ngx checkout (no src/manage.py or uv.lock)"
		return
	fi
	[ -f "$PLX_SRC/.svc-archive-checkout" ] && return
	local source=${PAPERLESS_NGX_GIT:-$UPSTREAM_GIT} tmp
	say "checking out paperless-ngx $PAPERLESS_NGX_TAG from $source"
	mkdir -p "$SVC_ARCHIVE_CACHE"
	tmp=$(mktemp -d "$SVC_ARCHIVE_CACHE/checkout.XXXXXX")
	local depth=()
	case "$source" in *://* | *@*:*) depth=(--depth 1 --branch "$PAPERLESS_NGX_TAG") ;; esac
	if ! git clone -q --no-checkout "${depth[@]}" "$source" "$tmp" 2>"$tmp.err" ||
		! git -C "$tmp" rev-parse -q --verify "$PAPERLESS_NGX_TAG^{commit}" >/dev/null; then
		cat "$tmp.err" >&2 || true
		rm -rf "$tmp" "$tmp.err"
		die "cannot get paperless-ngx $PAPERLESS_NGX_TAG from '$source'. Set PAPERLESS_NGX_GIT to a git URL or local git directory that has the tag, or PAPERLESS_NGX_SRC to an existing checkout."
	fi
	# Only the backend: a partial mirror may lack blobs of src-ui that the backend never needs.
	git -C "$tmp" -c advice.detachedHead=false checkout -q "$PAPERLESS_NGX_TAG" -- src pyproject.toml uv.lock docker
	git -C "$tmp" rev-parse "$PAPERLESS_NGX_TAG^{commit}" >"$tmp/.svc-archive-checkout"
	rm -rf "$PLX_SRC" "$tmp.err"
	mv "$tmp" "$PLX_SRC"
}

venv_stamp() {
	cat "$PLX_SRC/uv.lock" "$SVC_REPO/setup.cfg" "$SVC_REPO/scripts/setup.sh" | sha256sum | cut -d' ' -f1
}

virtualenv() {
	local stamp
	stamp=$(venv_stamp)
	if [ -f "$SVC_ARCHIVE_VENV/.svc-archive-stamp" ] && [ "$(cat "$SVC_ARCHIVE_VENV/.svc-archive-stamp")" = "$stamp" ]; then
		return
	fi
	local python=${SVC_ARCHIVE_PYTHON:-python3}
	say "building $SVC_ARCHIVE_VENV with paperless-ngx's locked dependencies (a few minutes)"
	rm -rf "$SVC_ARCHIVE_VENV"
	"$python" -m venv "$SVC_ARCHIVE_VENV"
	local py="$SVC_ARCHIVE_VENV/bin/python"
	"$py" -m pip install -q --disable-pip-version-check "uv>=0.5,<1"

	local locked="$SVC_ARCHIVE_VENV/paperless-locked.txt" prune=() name
	for name in "${AI_PACKAGES[@]}"; do prune+=(--prune "$name"); done
	# llama-index-* are listed by name in paperless's pyproject.toml.
	while read -r name; do prune+=(--prune "$name"); done < <(
		"$py" - "$PLX_SRC/pyproject.toml" <<'PY'
import re, sys, tomllib
deps = tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]
for dep in deps:
    name = re.split(r"[\[<>=~! ;]", dep, maxsplit=1)[0]
    if name.startswith("llama-index"):
        print(name)
PY
	)
	(cd "$PLX_SRC" && "$SVC_ARCHIVE_VENV/bin/uv" export -q --frozen --no-dev --group testing \
		--extra postgres --extra webserver --no-hashes --no-emit-project --format requirements-txt \
		"${prune[@]}" -o "$locked")
	VIRTUAL_ENV="$SVC_ARCHIVE_VENV" "$SVC_ARCHIVE_VENV/bin/uv" pip install -q -r "$locked"
	# setuptools builds the plugin without network (editable here, the wheel in the tests).
	VIRTUAL_ENV="$SVC_ARCHIVE_VENV" "$SVC_ARCHIVE_VENV/bin/uv" pip install -q "setuptools>=68" wheel \
		"$PLAYWRIGHT" "$SCHEMATHESIS" -c "$locked"
	# paperless is not a distribution: put its src/ on the path of every process.
	"$py" - "$PLX_SRC/src" <<'PY'
import sys, sysconfig, pathlib
pathlib.Path(sysconfig.get_paths()["purelib"], "paperless_ngx_src.pth").write_text(sys.argv[1] + "\n")
PY
	"$py" -m pip install -q --disable-pip-version-check --no-build-isolation -c "$locked" -e "$SVC_REPO"
	"$py" -m pip check >/dev/null || say "warning: pip check reports inconsistencies ($py -m pip check)"
	echo "$stamp" >"$SVC_ARCHIVE_VENV/.svc-archive-stamp"
}

ui_source() {
	# src-ui without src-ui/e2e/: the build never reads the e2e tests, and some mirrors lack
	# their recorded fixtures.
	[ -f "$PLX_SRC/src-ui/package.json" ] && [ -f "$PLX_SRC/src-ui/angular.json" ] && return
	git -C "$PLX_SRC" rev-parse -q --verify "$PAPERLESS_NGX_TAG^{commit}" >/dev/null 2>&1 ||
		die "the web UI cannot be built: $PLX_SRC has neither src-ui/ nor the git history of $PAPERLESS_NGX_TAG"
	local files
	files=$(mktemp)
	git -C "$PLX_SRC" ls-tree -r --name-only "$PAPERLESS_NGX_TAG" -- src-ui | grep -v '^src-ui/e2e/' >"$files"
	git -C "$PLX_SRC" -c advice.detachedHead=false checkout -q "$PAPERLESS_NGX_TAG" --pathspec-from-file="$files" 2>"$files.err" || {
		rm -f "$files"
		die "the web UI cannot be built: checking out src-ui of $PAPERLESS_NGX_TAG failed ($(tail -n 1 "$files.err"))"
	}
	rm -f "$files" "$files.err"
}

node_tools() {
	# Node.js and pnpm from the npm registry (the node package carries the binary), at the
	# pnpm version src-ui/package.json names.
	local pnpm tools=$SVC_ARCHIVE_CACHE/node
	pnpm=$(sed -n 's/.*"packageManager": *"\(pnpm@[^"]*\)".*/\1/p' "$PLX_SRC/src-ui/package.json")
	[ -n "$pnpm" ] || die "the web UI cannot be built: src-ui/package.json names no pnpm version"
	if [ ! -x "$tools/node_modules/.bin/node" ] || [ "$(cat "$tools/.svc-archive-stamp" 2>/dev/null)" != "$NODE_PACKAGE $pnpm" ]; then
		command -v npm >/dev/null || die "the web UI cannot be built: npm is not installed"
		say "installing $NODE_PACKAGE and $pnpm from the npm registry"
		rm -rf "$tools"
		mkdir -p "$tools"
		npm install -s --no-audit --no-fund --prefix "$tools" "$NODE_PACKAGE" "$pnpm" >"$tools.log" 2>&1 ||
			die "the web UI cannot be built: npm install $NODE_PACKAGE $pnpm failed (see $tools.log)"
		echo "$NODE_PACKAGE $pnpm" >"$tools/.svc-archive-stamp"
	fi
	"$tools/node_modules/.bin/node" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>24||(a===24&&b>=15)||(a===22&&b>=22)?0:1)' ||
		die "the web UI cannot be built: Node.js $("$tools/node_modules/.bin/node" --version) is too old for paperless's Angular CLI (22.22+ or 24.15+)"
	export PATH="$tools/node_modules/.bin:$PATH"
}

frontend() {
	# paperless's Dockerfile: pnpm install, then ng build --configuration production, which
	# writes src/documents/static/frontend/<locale>/, where paperless serves it from.
	[ "${SVC_ARCHIVE_BUILD_UI:-1}" = 0 ] && return
	local out=$PLX_SRC/src/documents/static/frontend stamp
	stamp="$(git -C "$PLX_SRC" rev-parse -q --verify "$PAPERLESS_NGX_TAG^{commit}" 2>/dev/null || cat "$PLX_SRC/.svc-archive-checkout" 2>/dev/null) $UI_LOCALES"
	[ "$(cat "$out/.svc-archive-stamp" 2>/dev/null)" = "$stamp" ] && return
	ui_source
	node_tools
	local ui=$PLX_SRC/src-ui log=$SVC_ARCHIVE_CACHE/ui-build.log started=$SECONDS
	say "building paperless's web UI ($UI_LOCALES; a few minutes, once per tag)"
	(cd "$ui" && CI=true pnpm install --frozen-lockfile) >"$log" 2>&1 ||
		die "the web UI cannot be built: pnpm install failed ($(tail -n 1 "$log"); see $log)"
	# Only the wanted locales: all 51 take twenty minutes here and a collectstatic of six.
	(cd "$ui" && git checkout -q -- angular.json 2>/dev/null || true)
	if [ "$UI_LOCALES" != all ]; then
		node - "$ui/angular.json" "$UI_LOCALES" <<'JS' || die "the web UI cannot be built: SVC_ARCHIVE_UI_LOCALES='$UI_LOCALES' is not a list of the UI's locales"
const fs = require("fs");
const [file, wanted] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(file));
const project = config.projects["paperless-ui"];
const known = [project.i18n.sourceLocale, ...Object.keys(project.i18n.locales)];
const locales = wanted.split(",").map((l) => l.trim()).filter(Boolean);
const unknown = locales.filter((l) => !known.includes(l));
if (!locales.length || unknown.length) {
  console.error(`svc-archive setup: unknown UI locales: ${unknown.join(", ") || "(none given)"}; known: ${known.join(", ")}`);
  process.exit(1);
}
project.architect.build.options.localize = locales;
fs.writeFileSync(file, JSON.stringify(config, null, 2));
JS
	fi
	rm -rf "$out"
	(cd "$ui" && ./node_modules/.bin/ng build --configuration production) >>"$log" 2>&1 || {
		(cd "$ui" && git checkout -q -- angular.json 2>/dev/null || true)
		die "the web UI cannot be built: ng build failed ($(grep -m1 -i error "$log" || tail -n 1 "$log"); see $log)"
	}
	(cd "$ui" && git checkout -q -- angular.json 2>/dev/null || true)
	compgen -G "$out/*/main.js" >/dev/null ||
		die "the web UI cannot be built: ng build wrote no main.js under $out (see $log)"
	echo "$stamp" >"$out/.svc-archive-stamp"
	say "web UI built in $((SECONDS - started)) s"
}

main() {
	system_packages
	paperless_checkout
	virtualenv
	frontend
	# An editable install points at one checkout; re-point it when this clone moved (CI).
	if ! "$SVC_ARCHIVE_VENV/bin/python" -c 'import svc_archive_plugin, sys, pathlib; sys.exit(pathlib.Path(svc_archive_plugin.__file__).resolve().parents[1] != pathlib.Path(sys.argv[1]).resolve())' "$SVC_REPO" 2>/dev/null; then
		"$SVC_ARCHIVE_VENV/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps -e "$SVC_REPO"
	fi
}

main "$@"
