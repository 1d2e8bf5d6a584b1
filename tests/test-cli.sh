#!/usr/bin/env bash
# test-cli.sh — genomap-cli's commands, options, exit statuses and messages.
set -u
cli=${GM_CLI:?GM_CLI must name genomap-cli}
data=${GM_TEST_DATA:?GM_TEST_DATA must name tests/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check () {  # name, expected status, command…
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then
    pass=$((pass + 1)); echo "ok - $name"
  else
    fail=$((fail + 1)); echo "FAIL - $name: exit $got, expected $want"; cat "$tmp/err"
  fi
}
expect () {  # name, file, pattern
  if grep -q -- "$3" "$2"; then
    pass=$((pass + 1)); echo "ok - $1"
  else
    fail=$((fail + 1)); echo "FAIL - $1: '$3' not in:"; cat "$2"
  fi
}

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

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
