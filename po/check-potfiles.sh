#!/bin/bash
# po/check-potfiles.sh [SRCDIR] — every file with translatable strings must be listed in
# po/POTFILES.in (meson test 'potfiles', suite 'data').  Lists the missing ones and fails.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 1
[ -f po/POTFILES.in ] || { echo "po/POTFILES.in not found"; exit 1; }

listed=$(grep -v '^[[:space:]]*\(#\|$\)' po/POTFILES.in | sed 's/[[:space:]]*$//' | sort -u)

# C: _("  N_("  C_(  NC_(  ngettext (  g_dgettext (  g_dngettext (  g_dpgettext2 (
c_pattern='(^|[^A-Za-z0-9_])(_|N_|C_|NC_)\(|(^|[^A-Za-z0-9_])(ngettext|g_dgettext|g_dngettext|g_dpgettext2) ?\('
candidates=$(
  {
    grep -lE "$c_pattern" ui/*.c app/genomap-studio*.c 2>/dev/null
    grep -rlE 'translatable="yes"' --include='*.ui' resources ui data 2>/dev/null
    # data files: merged desktop/metainfo sources and schemas with a gettext domain
    ls data/*.desktop.in data/*.metainfo.xml.in 2>/dev/null
    grep -lE 'gettext-domain=' data/*.gschema.xml 2>/dev/null
    grep -rlE "$c_pattern" --include='*.c' data 2>/dev/null
  } | sed 's|^\./||' | sort -u)

missing=$(comm -23 <(echo "$candidates") <(echo "$listed"))
gone=""
for f in $listed; do [ -f "$f" ] || gone="$gone $f"; done

status=0
if [ -n "$missing" ]; then
  echo "Files with translatable strings missing from po/POTFILES.in:"
  echo "$missing" | sed 's/^/  /'
  status=1
fi
if [ -n "$gone" ]; then
  echo "Files listed in po/POTFILES.in that do not exist:"
  for f in $gone; do echo "  $f"; done
  status=1
fi
[ $status -eq 0 ] && echo "po/POTFILES.in lists all $(echo "$candidates" | grep -c .) files with translatable strings"
exit $status
