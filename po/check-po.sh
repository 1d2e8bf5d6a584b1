#!/bin/bash
# po/check-po.sh PODIR — msgfmt --check on every language of LINGUAS (meson test 'msgfmt-check').
set -u
command -v msgfmt >/dev/null 2>&1 || { echo "SKIP: msgfmt not installed"; exit 77; }
podir=${1:-$(dirname "$0")}
status=0
for lang in $(grep -v '^#' "$podir/LINGUAS"); do
  po=$podir/$lang.po
  [ -f "$po" ] || { echo "$po: listed in LINGUAS but missing"; status=1; continue; }
  stats=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1) || { echo "$stats"; status=1; continue; }
  echo "$lang: $stats"
done
exit $status
