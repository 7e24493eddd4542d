#!/usr/bin/env bash
# Update the zh-Hans and zh-Hant catalogs from the source, then compile them.
# Translate the new msgstr entries in svc_archive_plugin/locale/*/LC_MESSAGES/django.po
# between the two steps (run it again to compile).
set -euo pipefail
. "$(dirname "$0")/env.sh"
svc_paperless_env
cd "$SVC_REPO/svc_archive_plugin"
env -u DJANGO_SETTINGS_MODULE django-admin makemessages --symlinks --no-obsolete -l zh_Hans -l zh_Hant
env -u DJANGO_SETTINGS_MODULE django-admin compilemessages
