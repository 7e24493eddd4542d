#!/usr/bin/env bash
# Set up what is missing to run and test the plugin against the real paperless-ngx:
# OCR system packages, a paperless-ngx checkout at the pinned tag (cached outside the repo),
# a virtual environment with paperless's *locked* runtime dependencies (without the AI
# stack), and this plugin installed editable under those constraints. A second run with
# everything in place only checks stamps.
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
	fonts-liberation fonts-noto-cjk fonts-wqy-microhei gnupg imagemagick tzdata gettext libpq-dev libzbar0)
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
		--extra postgres --no-hashes --no-emit-project --format requirements-txt \
		"${prune[@]}" -o "$locked")
	VIRTUAL_ENV="$SVC_ARCHIVE_VENV" "$SVC_ARCHIVE_VENV/bin/uv" pip install -q -r "$locked"
	# setuptools builds the plugin without network (editable here, the wheel in the tests).
	VIRTUAL_ENV="$SVC_ARCHIVE_VENV" "$SVC_ARCHIVE_VENV/bin/uv" pip install -q "setuptools>=68" wheel
	# paperless is not a distribution: put its src/ on the path of every process.
	"$py" - "$PLX_SRC/src" <<'PY'
import sys, sysconfig, pathlib
pathlib.Path(sysconfig.get_paths()["purelib"], "paperless_ngx_src.pth").write_text(sys.argv[1] + "\n")
PY
	"$py" -m pip install -q --disable-pip-version-check --no-build-isolation -c "$locked" -e "$SVC_REPO"
	"$py" -m pip check >/dev/null || say "warning: pip check reports inconsistencies ($py -m pip check)"
	echo "$stamp" >"$SVC_ARCHIVE_VENV/.svc-archive-stamp"
}

main() {
	system_packages
	paperless_checkout
	virtualenv
	# An editable install points at one checkout; re-point it when this clone moved (CI).
	if ! "$SVC_ARCHIVE_VENV/bin/python" -c 'import svc_archive_plugin, sys, pathlib; sys.exit(pathlib.Path(svc_archive_plugin.__file__).resolve().parents[1] != pathlib.Path(sys.argv[1]).resolve())' "$SVC_REPO" 2>/dev/null; then
		"$SVC_ARCHIVE_VENV/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps -e "$SVC_REPO"
	fi
}

main "$@"
