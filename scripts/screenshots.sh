#!/usr/bin/env bash
# screenshots.sh: pictures of the real application window, for the README and the metainfo.
#
#   scripts/screenshots.sh [--build DIR] [--out DIR] [--dataset FILE] [--gene NAME]
#                          [--steps N] [--renderer cairo|gl] [--method magic|knn|ernet]
#
# Builds tests/bench-app (tests/bench/bench-app.c) in BUILD (default /tmp/gms-screenshots-build,
# configured with -Dbuildtype=release -Dcuda=disabled when it does not exist yet), then runs it
# under a private Xvfb (xvfb-run): it starts GmsApplication, opens DATASET (default
# data/examples/demo.h5ad, else data/examples/three-cell-types.h5ad) in a 1200 × 900 window and
# renders the window's own widget tree with its GSK renderer into OUT (default docs/screenshots):
#   cells.png            the Cells page: a cell selected, GENE found (default: the gene at the
#                        middle of the map)
#   groups.png           the Groups page: mean GenoMaps by the first grouping column, a difference
#   imputation.png       the Imputation page after a run of METHOD (--method, default magic:
#                        scored against simulated 5 % observations of the dataset; ernet: a tiny
#                        ER-Net run of STEPS steps, default 1500, hold-out evaluation), scrolled
#                        to the before/after maps and Pearson plots
#   cells-dark.png, imputation-dark.png   the same in the dark style
# The Xvfb screen is larger than the window so that the pointer (at the screen's centre) is
# not over it.  Settings are in memory (GSETTINGS_BACKEND=memory): nothing of the user's changes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=/tmp/gms-screenshots-build
OUT="$ROOT/docs/screenshots"
DATASET=""
GENE=""
STEPS=1500
RENDERER=cairo
METHOD=magic

while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --dataset) DATASET=$2; shift 2 ;;
    --gene) GENE=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --renderer) RENDERER=$2; shift 2 ;;
    --method) METHOD=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

if [ -z "$DATASET" ]; then
  DATASET="$ROOT/data/examples/demo.h5ad"
  [ -f "$DATASET" ] || DATASET="$ROOT/data/examples/three-cell-types.h5ad"
fi
command -v xvfb-run >/dev/null || { echo "needs xvfb-run (apt-get install xvfb xauth)" >&2; exit 1; }

if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" "$ROOT" -Dbuildtype=release -Dcuda=disabled >/dev/null
fi
ninja -C "$BUILD" tests/bench-app tests/ui/gschemas.compiled >/dev/null 2>&1 ||
  ninja -C "$BUILD" tests/bench-app
SCHEMAS="$BUILD/tests/ui"
[ -f "$SCHEMAS/gschemas.compiled" ] || { mkdir -p "$BUILD/schemas"; glib-compile-schemas --targetdir="$BUILD/schemas" "$ROOT/data"; SCHEMAS="$BUILD/schemas"; }

mkdir -p "$OUT"
SHOTS=(cells groups imputation cells-dark imputation-dark)
for f in "${SHOTS[@]}"; do rm -f "$OUT/$f.png"; done
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
status=0
GSETTINGS_SCHEMA_DIR="$SCHEMAS" GSETTINGS_BACKEND=memory GSK_RENDERER="$RENDERER" GTK_A11Y=none \
NO_AT_BRIDGE=1 OPENBLAS_NUM_THREADS=1 \
  xvfb-run -a -s "-screen 0 2560x1600x24" \
  "$BUILD/tests/bench-app" screenshots "$DATASET" "$OUT" --width 1200 --height 900 \
    ${GENE:+--gene "$GENE"} --steps "$STEPS" --method "$METHOD" --scroll-margin 112 >"$LOG" 2>&1 || status=$?
grep -v -e 'session bus' -e '^$' "$LOG" || true
[ "$status" -eq 0 ] || { echo "bench-app failed (exit $status)" >&2; exit 1; }

for f in "${SHOTS[@]}"; do
  [ -f "$OUT/$f.png" ] || { echo "missing $OUT/$f.png" >&2; exit 1; }
  echo "$OUT/$f.png: $(stat -c %s "$OUT/$f.png") bytes"
done
