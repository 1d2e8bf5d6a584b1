#!/bin/bash
# data/check-data.sh KIND FILE — validation of the packaging files (meson suite 'data').
# Exit 77 (skipped) when the validating tool is not installed.
set -u
kind=$1 target=$2
need () { command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 not installed"; exit 77; }; }

case $kind in
  desktop)
    need desktop-file-validate
    out=$(desktop-file-validate "$target" 2>&1); rc=$?
    echo "desktop-file-validate $target"; [ -n "$out" ] && echo "$out"
    # desktop-file-validate exits 0 on hints; any output is a problem for us
    [ $rc -eq 0 ] && [ -z "$out" ] ;;
  metainfo)
    need appstreamcli
    appstreamcli validate --no-net --pedantic --explain "$target" ;;
  gschema)
    need glib-compile-schemas
    glib-compile-schemas --strict --dry-run "$target" && echo "schemas in $target: OK" ;;
  mime)
    need xmllint
    xmllint --noout "$target" || exit 1
    need update-mime-database
    # install into a throw-away MIME database and check that the globs resolve
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/mime/packages"
    cp "$target" "$tmp/mime/packages/"
    for f in /usr/share/mime/packages/freedesktop.org.xml; do [ -f "$f" ] && cp "$f" "$tmp/mime/packages/"; done
    update-mime-database "$tmp/mime" >/dev/null 2>&1 || { update-mime-database "$tmp/mime"; exit 1; }
    grep -q '^application/x-anndata-h5ad:\*\.h5ad$' "$tmp/mime/globs" || { echo "*.h5ad not registered"; exit 1; }
    grep -q '^application/x-loom:\*\.loom$' "$tmp/mime/globs" || { echo "*.loom not registered"; exit 1; }
    grep -q '^application/x-anndata-h5ad application/x-hdf$' "$tmp/mime/subclasses" || { echo "h5ad is no sub-class of application/x-hdf"; exit 1; }
    grep -q '^application/x-loom application/x-hdf$' "$tmp/mime/subclasses" || { echo "loom is no sub-class of application/x-hdf"; exit 1; }
    echo "MIME types registered: $(grep -c . "$tmp/mime/globs") globs, h5ad and loom OK" ;;
  icons)
    need xmllint
    app=$target/hicolor/scalable/apps/org.genomap.Studio.svg
    sym=$target/hicolor/symbolic/apps/org.genomap.Studio-symbolic.svg
    xmllint --noout "$app" "$sym" || exit 1
    grep -q 'viewBox="0 0 128 128"' "$app" || { echo "$app: not a 128×128 canvas"; exit 1; }
    grep -q 'viewBox="0 0 16 16"' "$sym" || { echo "$sym: not a 16×16 canvas"; exit 1; }
    # symbolic icons are recoloured by GTK: one colour only
    colours=$(grep -o '#[0-9a-fA-F]\{6\}' "$sym" | sort -u)
    [ "$colours" = "#2e3436" ] || { echo "$sym: colours other than #2e3436: $colours"; exit 1; }
    if command -v rsvg-convert >/dev/null 2>&1; then
      tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
      rsvg-convert -w 128 "$app" -o "$tmp/a.png" && rsvg-convert -w 16 "$sym" -o "$tmp/s.png" || exit 1
    fi
    echo "icons OK" ;;
  flatpak)
    need python3
    python3 -m json.tool "$target" >/dev/null || exit 1
    python3 - "$target" <<'PY' || exit 1
import json, sys
m = json.load(open(sys.argv[1]))
assert m["id"] == "org.genomap.Studio", m.get("id")
assert m["command"] == "genomap-studio"
assert m["runtime"] == "org.gnome.Platform" and m["sdk"] == "org.gnome.Sdk"
names = [mod["name"] if isinstance(mod, dict) else mod for mod in m["modules"]]
assert names[-1] == "genomap-studio", names
for mod in m["modules"]:
    for src in mod.get("sources", []) if isinstance(mod, dict) else []:
        assert src["type"] in ("archive", "git", "dir", "file", "patch"), src
print("flatpak manifest OK: modules", ", ".join(names))
PY
    ;;
  *) echo "unknown kind $kind"; exit 2 ;;
esac
