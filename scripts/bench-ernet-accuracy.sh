#!/usr/bin/env bash
# scripts/bench-ernet-accuracy.sh — ER-Net learning curves on the Splatter-style benchmark
# (docs/performance.md, "ER-Net accuracy").
#
#   scripts/bench-ernet-accuracy.sh [BUILD] [WORKDIR] [-- extra bench-ernet-accuracy args]
#
# Makes a reference (1 500 cells × 2 000 genes, 5 groups), SAVER-style observations at 0.5 %
# efficiency (Gamma(10, 2000) per cell, as TCER's "10-2000"), a 32 × 32 layout of the 1 024
# most variable observed genes (rings, and euclidean), then runs bench-ernet-accuracy for the
# variants in the table: each prints observed / kNN / MAGIC (the first), what the neighbours
# target alone scores, and ER-Net every 250 steps.
# One thread per run; the runs go one after the other (each takes 15–40 minutes on one core).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
work=${2:-/tmp/gm-ernet-accuracy}
shift $(( $# > 2 ? 2 : $# )) || true
[ "${1:-}" = "--" ] && shift
ninja -C "$build" app/genomap-cli tests/bench-ernet-accuracy >/dev/null
cli=$build/app/genomap-cli
bench=$build/tests/bench-ernet-accuracy
mkdir -p "$work"
[ -f "$work/ref.h5ad" ] || "$cli" simulate --splat --cells 1500 --genes 2000 --groups 5 --seed 1 -o "$work/ref.h5ad"
[ -f "$work/obs.h5ad" ] || "$cli" simulate "$work/ref.h5ad" --efficiency 0.5 --seed 2 -o "$work/obs.h5ad"
[ -f "$work/rings.tsv" ] || "$cli" layout "$work/obs.h5ad" --genes 1024 -o "$work/rings.tsv"
[ -f "$work/euclidean.tsv" ] || "$cli" layout "$work/obs.h5ad" --genes 1024 --grid euclidean -o "$work/euclidean.tsv"

run () {  # name, layout, args…
  local name=$1 lay=$2; shift 2
  echo "== $name"
  "$bench" --reference "$work/ref.h5ad" --observed "$work/obs.h5ad" --layout "$work/$lay.tsv" \
    --threads 1 "$@" | tee "$work/$name.log"
}
# the default recipe (neighbours target, gene head 16, MSE, lr 1e-3), then the published one
run neighbours-rings rings --steps 1000 "$@"
run neighbours-euclidean euclidean --steps 1000 --no-baselines "$@"
run neighbours-paper-model rings --model paper --steps 500 --no-baselines "$@"
run neighbours-paper-loss rings --loss paper --steps 1000 --no-baselines "$@"
run tcer-rings rings --recipe tcer --steps 1000 --no-baselines "$@"
run tcer-euclidean euclidean --recipe tcer --steps 1000 --no-baselines "$@"
