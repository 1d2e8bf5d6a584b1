#!/bin/bash
# tests/test-demo-dataset.sh — data/examples/demo.h5ad is what scripts/make-demo.sh makes:
# regenerate it into a temporary folder and compare (same shape, annotations and counts).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
cli=${GM_CLI:?GM_CLI must name genomap-cli}
demo=$src/data/examples/demo.h5ad
[ -f "$demo" ] || { echo "FAIL: $demo is missing"; exit 1; }

size=$(stat -c %s "$demo")
[ "$size" -le 2097152 ] || { echo "FAIL: demo.h5ad is $size bytes (> 2 MiB)"; exit 1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bash "$src/scripts/make-demo.sh" "$cli" "$tmp/demo.h5ad"

# everything 'info' reports, except the path, must agree
"$cli" info --json "$demo" | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("path"); print(json.dumps(d, sort_keys=True))' > "$tmp/committed.json"
"$cli" info --json "$tmp/demo.h5ad" | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("path"); print(json.dumps(d, sort_keys=True))' > "$tmp/regenerated.json"
if ! cmp -s "$tmp/committed.json" "$tmp/regenerated.json"; then
  echo "FAIL: info differs"; diff "$tmp/committed.json" "$tmp/regenerated.json" || true; exit 1
fi
python3 - "$tmp/committed.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert (d["n_cells"], d["n_genes"]) == (1500, 500), (d["n_cells"], d["n_genes"])
g = d["obs"]["group"]
assert g["type"] == "categorical" and len(g["categories"]) == 5, g
assert d["is_integer"], "counts expected"
PY

# every value equal: mean squared error 0 over the whole matrix
"$cli" evaluate --reference "$demo" --imputed "$tmp/demo.h5ad" --scale raw --json > "$tmp/eval.json"
python3 - "$tmp/eval.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["after"]["mean_mse"] == 0, e
PY
echo "demo.h5ad: $size bytes, 1500 cells × 500 genes, 5 groups; regenerated identically"
