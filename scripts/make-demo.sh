#!/bin/bash
# scripts/make-demo.sh [GENOMAP_CLI] [OUT] — regenerate data/examples/demo.h5ad, the demo dataset
# of "Open Demo Dataset": a Splatter-style simulation (integer counts with dropout, obs
# categorical 'group' with five cell groups), deterministic for a given seed, gzip-9
# compressed so that it stays near 1 MB.  Checked by the test 'demo-dataset' (tests/meson.build).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cli=${1:-${GM_CLI:-$here/build/app/genomap-cli}}
out=${2:-$here/data/examples/demo.h5ad}
[ -x "$cli" ] || { echo "genomap-cli not found at $cli (pass its path as the first argument)" >&2; exit 1; }

# Parameters (also in data/README.md); the simulator records them in uns.
cells=1500 genes=500 groups=5 seed=7

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# the intermediate's name is recorded in uns/genomap_source_file: keep it fixed
"$cli" simulate --splat --cells $cells --genes $genes --groups $groups --dropout --seed $seed \
       -o "$tmp/demo-splat.h5ad"
"$cli" convert "$tmp/demo-splat.h5ad" --compression 9 -o "$tmp/demo.h5ad"
mkdir -p "$(dirname "$out")"
mv "$tmp/demo.h5ad" "$out"
echo "$out: $(stat -c %s "$out") bytes"
