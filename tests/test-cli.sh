#!/usr/bin/env bash
# test-cli.sh — genomap-cli's commands, options, exit statuses and messages.
. "$(dirname "$0")/cli-lib.sh"

check "help" 0 "$cli" --help
expect "help lists commands" "$tmp/out" "convert"
check "no command" 2 "$cli"
check "unknown command" 2 "$cli" frobnicate
check "info --help" 0 "$cli" info --help
expect "info --help shows input options" "$tmp/out" "layer"
check "help convert" 0 "$cli" help convert
check "bad option" 2 "$cli" info --no-such-option "$data/csr_counts.h5ad"
check "info without file" 2 "$cli" info
check "convert without -o" 2 "$cli" convert "$data/csr_counts.h5ad"
check "convert to unknown extension" 2 "$cli" convert "$data/csr_counts.h5ad" -o "$tmp/x.xlsx"

check "info" 0 "$cli" info "$data/csr_counts.h5ad"
expect "info counts cells" "$tmp/out" "Cells: *60"
expect "info shows categories" "$tmp/out" "Monocyte *20"
expect "info says integer counts" "$tmp/out" "integer counts"
check "info --json" 0 "$cli" info --json "$data/tenx_v3_filtered_feature_bc_matrix.h5"
expect "json nnz" "$tmp/out" '"nnz": 1295'
expect "json total" "$tmp/out" '"total": 76026'
expect "json format" "$tmp/out" '"format": "10x-h5"'
expect "json notes the antibody features" "$tmp/out" "Antibody Capture"

check "missing input" 3 "$cli" info "$tmp/nope.h5ad"
expect "missing input named" "$tmp/err" "$tmp/nope.h5ad"
check "truncated input" 3 "$cli" info "$data/broken_truncated.h5ad"
expect "truncated input explained" "$tmp/err" "broken_truncated.h5ad: file is truncated"
check "ragged csv" 3 "$cli" info "$data/broken_ragged.csv"
expect "ragged csv line" "$tmp/err" "broken_ragged.csv: line 6"
check "not anndata" 3 "$cli" convert "$data/broken_not_anndata.h5" -o "$tmp/o.h5ad"
test ! -e "$tmp/o.h5ad" && { pass=$((pass + 1)); echo "ok - no output after failed read"; } \
  || { fail=$((fail + 1)); echo "FAIL - output exists after failed read"; }

check "output folder missing" 4 "$cli" convert "$data/csr_counts.h5ad" -o "$tmp/none/o.h5ad"
cp "$data/csr_counts.h5ad" "$tmp/same.h5ad"
sum_before=$(md5sum < "$tmp/same.h5ad")
check "refuses to overwrite the input" 4 "$cli" convert "$tmp/same.h5ad" -o "$tmp/same.h5ad"
[ "$(md5sum < "$tmp/same.h5ad")" = "$sum_before" ] && { pass=$((pass + 1)); echo "ok - input intact"; } \
  || { fail=$((fail + 1)); echo "FAIL - input changed"; }

check "convert h5ad → loom" 0 "$cli" convert "$data/csr_counts.h5ad" -o "$tmp/a.loom"
check "info on our loom" 0 "$cli" info --json "$tmp/a.loom"
expect "loom keeps the total" "$tmp/out" '"total": 76026'
ls -a "$tmp" | grep -q '\.tmp-' && { fail=$((fail + 1)); echo "FAIL - temporary file left"; } \
  || { pass=$((pass + 1)); echo "ok - no temporary files left"; }

check "version" 0 "$cli" --version
expect "version names the BLAS kernels" "$tmp/out" "BLAS: *OpenBLAS.*kernels"
expect "version names HDF5" "$tmp/out" "HDF5: *1\.1"
# On a CPU OpenBLAS does not know, the program restarts itself with the right kernels.
if grep -q -w avx2 /proc/cpuinfo; then
  env -u OPENBLAS_CORETYPE GENOMAP_BLAS_PRETEND_GENERIC=1 "$cli" --version >"$tmp/out" 2>&1
  expect "generic kernels are replaced" "$tmp/out" "chosen by GenoMap Studio"
  if grep -q -w avx512bw /proc/cpuinfo; then
    expect "AVX-512 CPU gets SkylakeX kernels" "$tmp/out" "SkylakeX kernels"
  else
    expect "AVX2 CPU gets Haswell kernels" "$tmp/out" "Haswell kernels"
  fi
fi
OPENBLAS_CORETYPE=Haswell "$cli" --version >"$tmp/out" 2>&1
expect "the user's OPENBLAS_CORETYPE wins" "$tmp/out" "Haswell kernels (chosen with OPENBLAS_CORETYPE)"
# With several BLAS threads, idle ones are made to sleep at once (gm-blas.c), unless the user chose
if [ "$(nproc)" -gt 1 ] && [ -z "${OPENBLAS_NUM_THREADS:-}" ] && [ -z "${OMP_NUM_THREADS:-}" ]; then
  env -u OPENBLAS_THREAD_TIMEOUT "$cli" --version >"$tmp/out" 2>&1
  expect "idle BLAS threads sleep at once" "$tmp/out" "idle threads sleep after 2^4 cycles (set by GenoMap Studio)"
  expect "kernels still detected by OpenBLAS" "$tmp/out" "kernels (detected by OpenBLAS\|kernels (chosen by GenoMap"
  OPENBLAS_THREAD_TIMEOUT=12 "$cli" --version >"$tmp/out" 2>&1
  expect "the user's OPENBLAS_THREAD_TIMEOUT wins" "$tmp/out" "OPENBLAS_THREAD_TIMEOUT=12"
fi
OPENBLAS_NUM_THREADS=1 "$cli" --version >"$tmp/out" 2>&1
expect "one BLAS thread: nothing to arrange" "$tmp/out" "kernels ([a-zA-Z ]*), 1 thread$"

# GenoMap layouts and figures
check "layout" 0 "$cli" layout "$data/csr_counts.h5ad" -o "$tmp/layout.tsv" --seed 3
expect "layout prints the energy" "$tmp/out" "^energy: "
expect "layout prints the grid" "$tmp/out" "36 genes on a 6 × 6 grid (rings geometry)"
[ "$(grep -vc '^#' "$tmp/layout.tsv")" -eq 37 ] && { pass=$((pass + 1)); echo "ok - layout file has 36 genes"; } \
  || { fail=$((fail + 1)); echo "FAIL - layout file rows"; }
check "layout euclidean" 0 "$cli" layout "$data/csr_counts.h5ad" -o "$tmp/layout-e.tsv" --grid euclidean --genes 30 --rows 5 --cols 6
expect "euclidean layout" "$tmp/out" "30 genes on a 5 × 6 grid (euclidean geometry)"
check "layout unknown grid" 2 "$cli" layout "$data/csr_counts.h5ad" -o "$tmp/x.tsv" --grid spiral
check "layout too many genes" 2 "$cli" layout "$data/csr_counts.h5ad" -o "$tmp/x.tsv" --genes 50 --rows 3 --cols 3
check "layout of a broken file" 3 "$cli" layout "$data/broken_truncated.h5ad" -o "$tmp/x.tsv"
test ! -e "$tmp/x.tsv" && { pass=$((pass + 1)); echo "ok - no layout file after errors"; } \
  || { fail=$((fail + 1)); echo "FAIL - layout file left after an error"; }

check "convert with the layout" 0 "$cli" convert "$data/csr_counts.h5ad" --layout "$tmp/layout.tsv" -o "$tmp/with-layout.h5ad"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import anndata" 2>/dev/null; then
  /usr/bin/python3 - "$tmp/with-layout.h5ad" "$tmp/layout.tsv" >"$tmp/out" 2>&1 <<'PY'
import sys, anndata
a = anndata.read_h5ad(sys.argv[1])
rows = {l.split("\t")[0]: l.split("\t")[1:3] for l in open(sys.argv[2]) if not l.startswith("#") and not l.startswith("gene\t")}
for g, (r, c) in rows.items():
    assert a.var.loc[g, "genomap_row"] == int(r) and a.var.loc[g, "genomap_col"] == int(c), g
assert a.var["genomap_row"].isna().sum() == a.n_vars - len(rows)
assert a.uns["genomap_grid"] == "6 x 6", a.uns["genomap_grid"]
print("layout stored")
PY
  expect "anndata reads the stored layout" "$tmp/out" "layout stored"
fi
# uns: our own entries, and those anndata 0.8 writes (string and number scalars; dicts and arrays skipped)
check "info shows uns" 0 "$cli" info "$tmp/with-layout.h5ad"
expect "info lists uns entries" "$tmp/out" "^  genomap_grid *6 x 6$"
check "info --json shows uns" 0 "$cli" info --json "$tmp/with-layout.h5ad"
expect "json uns" "$tmp/out" '"uns": {.*"genomap_grid": "6 x 6"'
check "info without uns" 0 "$cli" info "$data/csr_counts.h5ad"
expect "info says no uns" "$tmp/out" "^Unstructured (uns): none$"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import anndata" 2>/dev/null; then
  /usr/bin/python3 - "$tmp/anndata-uns.h5ad" >"$tmp/out" 2>&1 <<'PY'
import sys, numpy as np, anndata
a = anndata.AnnData(X=np.eye(3, dtype=np.float32))
a.uns["title"] = "PBMC ünïcode"
a.uns["n_pcs"] = 50
a.uns["resolution"] = 0.25
a.uns["flag"] = True
a.uns["params"] = {"k": "15"}
a.uns["colors"] = np.array(["red", "blue"], dtype=object)
a.write_h5ad(sys.argv[1])
print("written")
PY
  check "info on anndata uns" 0 "$cli" info --json "$tmp/anndata-uns.h5ad"
  expect "anndata string scalar" "$tmp/out" '"title": "PBMC ünïcode"'
  expect "anndata integer scalar" "$tmp/out" '"n_pcs": "50"'
  expect "anndata float scalar" "$tmp/out" '"resolution": "0.25"'
  grep -q '"params"\|"colors"\|"flag"' "$tmp/out" && { fail=$((fail + 1)); echo "FAIL - dicts, arrays or booleans in uns"; } \
    || { pass=$((pass + 1)); echo "ok - dicts, arrays and booleans in uns skipped"; }
fi
check "render groups (png)" 0 "$cli" render "$data/csr_counts.h5ad" --layout "$tmp/layout.tsv" --group-by cell_type --cells-per-group 4 -o "$tmp/groups.png" --dpi 150
head -c 8 "$tmp/groups.png" | od -An -c | grep -q "P   N   G" && { pass=$((pass + 1)); echo "ok - a PNG"; } \
  || { fail=$((fail + 1)); echo "FAIL - not a PNG"; }
check "render means (pdf)" 0 "$cli" render "$data/csr_counts.h5ad" --layout "$tmp/layout.tsv" --mean-by cell_type -o "$tmp/means.pdf" --transform zscore --clip 1,99
head -c 4 "$tmp/means.pdf" | grep -q "%PDF" && { pass=$((pass + 1)); echo "ok - a PDF"; } \
  || { fail=$((fail + 1)); echo "FAIL - not a PDF"; }
check "render difference (svg)" 0 "$cli" render "$data/csr_counts.h5ad" --layout "$tmp/layout.tsv" --diff "cell_type:B cell:T cell" -o "$tmp/diff.svg"
expect "difference lists B-cell genes first" "$tmp/out" "^\(MS4A1\|CD79A\|CD79B\|CD19\|BANK1\)"
grep -q "<svg" "$tmp/diff.svg" && { pass=$((pass + 1)); echo "ok - an SVG"; } \
  || { fail=$((fail + 1)); echo "FAIL - not an SVG"; }
check "render cells" 0 "$cli" render "$data/csr_counts.h5ad" --layout "$tmp/layout.tsv" --cell "$(sed -n 's/^cell\t0\t\([^\t]*\).*/\1/p' "$data/truth.tsv")" -o "$tmp/cell.png"
check "render unknown cell" 2 "$cli" render "$data/csr_counts.h5ad" --layout "$tmp/layout.tsv" --cell NOPE -o "$tmp/n.png"
check "render unknown column" 2 "$cli" render "$data/csr_counts.h5ad" --layout "$tmp/layout.tsv" --group-by nope -o "$tmp/n.png"
check "render numeric column" 2 "$cli" render "$data/csr_counts.h5ad" --layout "$tmp/layout.tsv" --group-by n_genes -o "$tmp/n.png"
check "render two modes" 2 "$cli" render "$data/csr_counts.h5ad" --layout "$tmp/layout.tsv" --mean-by cell_type --group-by cell_type -o "$tmp/n.png"
check "render missing layout" 3 "$cli" render "$data/csr_counts.h5ad" --layout "$tmp/none.tsv" --mean-by cell_type -o "$tmp/n.png"
check "render bad extension" 2 "$cli" render "$data/csr_counts.h5ad" --layout "$tmp/layout.tsv" --mean-by cell_type -o "$tmp/n.bmp"
test ! -e "$tmp/n.png" && { pass=$((pass + 1)); echo "ok - no figure after errors"; } \
  || { fail=$((fail + 1)); echo "FAIL - figure left after an error"; }

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
