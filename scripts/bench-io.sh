#!/usr/bin/env bash
# bench-io.sh: dataset I/O benchmark, genomap-cli against the reference Python stack.
#
#   scripts/bench-io.sh [--cells N] [--genes G] [--loom-cells N] [--reps N]
#                       [--scratch DIR] [--build DIR] [--cli PATH] [--out FILE]
#
# What it does:
#   1. builds genomap-cli (release) in BUILD (default SCRATCH/build) unless --cli is given;
#   2. generates a seeded 10x-like dataset with scripts/bench/gen_10x_like.py into
#      SCRATCH/data-<cells>x<genes>-loom<loom-cells> (reused when it already exists):
#      big.h5ad (CSR float32), big_10x.h5 (Cell Ranger v3) and big.loom (only the first
#      --loom-cells cells, because a dense loom of 100 000 x 30 000 is 12 GB before gzip);
#   3. runs every step REPS times under /usr/bin/time -v and reports the median wall time
#      and the median peak RSS ("Maximum resident set size"):
#        (i)  convert big.h5ad -> out.h5ad: `genomap-cli convert` vs /usr/bin/python3 with
#             anndata.read_h5ad + write_h5ad (Debian's anndata 0.8);
#        (ii) reading: `genomap-cli info` vs anndata.read_h5ad (h5ad), vs h5py + scipy CSR +
#             AnnData as scanpy.read_10x_h5 does it (10x .h5), vs anndata.read_loom (loom);
#             plus `import anndata` alone, the fixed cost inside every Python row;
#   4. prints machine info, the BLAS line of `genomap-cli --version` and a markdown table
#      (also written to --out FILE, default SCRATCH/results-<size>.md).
#
# Defaults: 100 000 cells x 30 000 genes, loom 20 000 cells, 3 repetitions, SCRATCH=/tmp/gm-bench
# (or $GM_BENCH_DIR).  Quick run: scripts/bench-io.sh --cells 2000 --genes 3000
# The page cache is warm (the files were just written or read); nothing is dropped.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3          # Debian's python3 with python3-anndata etc., not a pyenv one
CELLS=100000
GENES=30000
LOOM_CELLS=20000
REPS=3
SCRATCH=${GM_BENCH_DIR:-/tmp/gm-bench}
BUILD=""
CLI=""
OUT_MD=""

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --cells) CELLS=$2; shift 2 ;;
    --genes) GENES=$2; shift 2 ;;
    --loom-cells) LOOM_CELLS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --scratch) SCRATCH=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --cli) CLI=$2; shift 2 ;;
    --out) OUT_MD=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "bench-io.sh: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
done

for v in CELLS GENES LOOM_CELLS REPS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench-io.sh: --${v,,} needs a positive integer" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench-io.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
$PY -c 'import anndata, h5py, scipy, loompy' 2>/dev/null ||
  { echo "bench-io.sh: $PY lacks anndata/h5py/scipy/loompy (apt-get install python3-anndata python3-loompy)" >&2; exit 1; }

mkdir -p "$SCRATCH"
SCRATCH=$(cd "$SCRATCH" && pwd)
SIZE="${CELLS}x${GENES}"
(( LOOM_CELLS > CELLS )) && LOOM_CELLS=$CELLS
DATA="$SCRATCH/data-$SIZE-loom$LOOM_CELLS"
WORK="$SCRATCH/work-$SIZE"
OUT_MD=${OUT_MD:-$SCRATCH/results-$SIZE.md}
RESULTS="$WORK/results.tsv"

log() { printf '[bench-io] %s\n' "$*" >&2; }

# ---------------------------------------------------------------------------
# 1. build

if [ -z "$CLI" ]; then
  BUILD=${BUILD:-$SCRATCH/build}
  if [ ! -f "$BUILD/build.ninja" ]; then
    log "configuring a release build in $BUILD"
    meson setup "$BUILD" "$ROOT" -Dbuildtype=release -Dtests=false -Dgui=disabled -Dcuda=disabled >&2
  fi
  log "building genomap-cli"
  ninja -C "$BUILD" app/genomap-cli >&2
  CLI="$BUILD/app/genomap-cli"
fi
[ -x "$CLI" ] || { echo "bench-io.sh: $CLI is not executable" >&2; exit 1; }
CLI=$(cd "$(dirname "$CLI")" && pwd)/$(basename "$CLI")

# ---------------------------------------------------------------------------
# 2. data

if [ -f "$DATA/manifest.json" ]; then
  log "reusing $DATA"
else
  log "generating $CELLS x $GENES (loom: $LOOM_CELLS cells) into $DATA"
  rm -rf "$DATA.tmp"
  /usr/bin/time -v -o "$SCRATCH/gen-$SIZE.time" \
    $PY "$ROOT/scripts/bench/gen_10x_like.py" --out "$DATA.tmp" --cells "$CELLS" --genes "$GENES" \
        --tenx --loom --loom-cells "$LOOM_CELLS" >&2
  mv "$DATA.tmp" "$DATA"
fi

rm -rf "$WORK"
mkdir -p "$WORK"
: > "$RESULTS"

# ---------------------------------------------------------------------------
# 3. measurements

# seconds from "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.03"
wall_seconds() {
  awk -F': ' '/Elapsed \(wall clock\)/ { print $NF }' "$1" |
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}
rss_mib() {
  sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{ printf "%.0f", $1 / 1024 }'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# measure TASK TOOL CMD...: REPS runs, one results line "task<TAB>tool<TAB>wall<TAB>rss<TAB>runs".
# Files named out.* in WORK are removed before each run (outside the timing).
measure() {
  local task=$1 tool=$2; shift 2
  local walls="" rsss="" r tf="$WORK/time.txt" lf="$WORK/cmd.log"
  log "$task | $tool"
  for ((r = 1; r <= REPS; r++)); do
    rm -rf "$WORK"/out.*
    sync  # earlier runs' dirty pages must not be written back during this one
    if ! /usr/bin/time -v -o "$tf" "$@" > "$lf" 2>&1; then
      log "  run $r FAILED: $*"; tail -n 5 "$lf" | sed 's/^/    /' >&2
      printf '%s\t%s\tfailed\t-\t%s\n' "$task" "$tool" "$(tail -n 1 "$lf" | tr '\t' ' ' | cut -c1-120)" >> "$RESULTS"
      return 0
    fi
    walls+="$(wall_seconds "$tf") "; rsss+="$(rss_mib "$tf") "
  done
  log "  wall: $walls s; peak RSS: $rsss MiB"
  printf '%s\t%s\t%s\t%s\t%s\n' "$task" "$tool" "$(echo "$walls" | median)" "$(echo "$rsss" | median)" \
    "$(echo "$walls" | xargs | tr ' ' '/')" >> "$RESULTS"
}

PY_CONVERT='import sys, anndata
a = anndata.read_h5ad(sys.argv[1])
a.write_h5ad(sys.argv[2])'

PY_READ_H5AD='import sys, anndata
a = anndata.read_h5ad(sys.argv[1])
print(a.n_obs, a.n_vars, a.X.nnz, float(a.X.sum(dtype="float64")))'

# scanpy.read_10x_h5 (v3, gex_only=True) without scanpy, which Debian does not package
PY_READ_10X='import sys, h5py, numpy as np, pandas as pd, scipy.sparse as sp, anndata
with h5py.File(sys.argv[1], "r") as f:
    g = f["matrix"]
    n_feat, n_bc = (int(v) for v in g["shape"][()])
    X = sp.csr_matrix((g["data"][()].astype(np.float32), g["indices"][()], g["indptr"][()]), shape=(n_bc, n_feat))
    feats = g["features"]
    var = pd.DataFrame({"gene_ids": feats["id"][()].astype(str), "feature_types": feats["feature_type"][()].astype(str)},
                       index=feats["name"][()].astype(str))
    obs = pd.DataFrame(index=g["barcodes"][()].astype(str))
keep = (var["feature_types"] == "Gene Expression").to_numpy()
a = anndata.AnnData(X=X[:, keep], obs=obs, var=var[keep], dtype=np.float32)
print(a.n_obs, a.n_vars, a.X.nnz, float(a.X.sum(dtype="float64")))'

PY_READ_LOOM='import sys, anndata
a = anndata.read_loom(sys.argv[1])
print(a.n_obs, a.n_vars, a.X.nnz, float(a.X.sum(dtype="float64")))'

H5AD="$DATA/big.h5ad"; TENX="$DATA/big_10x.h5"; LOOM="$DATA/big.loom"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

measure "python baseline: import anndata" "python3 + anndata 0.8" $PY -c 'import anndata'
measure "convert h5ad -> h5ad" "genomap-cli convert" "$CLI" convert "$H5AD" -o "$WORK/out.h5ad"
measure "convert h5ad -> h5ad" "anndata read_h5ad + write_h5ad" $PY -c "$PY_CONVERT" "$H5AD" "$WORK/out.py.h5ad"
measure "read h5ad" "genomap-cli info" "$CLI" info "$H5AD"
measure "read h5ad" "anndata.read_h5ad" $PY -c "$PY_READ_H5AD" "$H5AD"
measure "read 10x h5" "genomap-cli info" "$CLI" info "$TENX"
measure "read 10x h5" "h5py + scipy + AnnData (read_10x_h5 logic)" $PY -c "$PY_READ_10X" "$TENX"
measure "read loom ($LOOM_CELLS cells)" "genomap-cli info" "$CLI" info "$LOOM"
measure "read loom ($LOOM_CELLS cells)" "anndata.read_loom" $PY -c "$PY_READ_LOOM" "$LOOM"

# Sanity: both conversions keep nnz and the total (not timed).
rm -rf "$WORK"/out.*
"$CLI" convert "$H5AD" -o "$WORK/out.h5ad" 2>/dev/null || true
SANITY=$($PY - "$H5AD" "$WORK/out.h5ad" <<'EOF' 2>&1 || true
import sys, warnings
import anndata
warnings.simplefilter("ignore")
stats = []
for p in sys.argv[1:]:
    try:
        a = anndata.read_h5ad(p)
        stats.append((a.shape, int(a.X.nnz), float(a.X.sum(dtype="float64"))))
    except Exception as e:
        stats.append(f"unreadable ({type(e).__name__}: {e})")
same = "identical" if stats[0] == stats[1] else "DIFFERENT"
print(f"input {stats[0]}; genomap-cli output read by anndata {stats[1]}: {same}")
EOF
)

# ---------------------------------------------------------------------------
# 4. report

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
version=$("$CLI" --version 2>&1 || true)
blas=$(printf '%s\n' "$version" | grep -i 'blas' | head -n 1 | sed 's/^BLAS:[[:space:]]*//' || true)
pyver=$($PY -c 'import sys, anndata, h5py, numpy, scipy; print(f"Python {sys.version.split()[0]}, anndata {anndata.__version__}, h5py {h5py.__version__} (HDF5 {h5py.version.hdf5_version}), numpy {numpy.__version__}, scipy {scipy.__version__}")' 2>/dev/null)
manifest=$($PY - "$DATA/manifest.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
sizes = ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in m["files"].items())
print(f"{m['cells']} cells x {m['genes']} genes, nnz {m['nnz']}, total {m['total']}, "
      f"loom {m['loom_cells']} cells; sizes: {sizes}; generated in {m['seconds']} s")
EOF
)

{
  echo "### Dataset I/O benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- command: \`scripts/bench-io.sh --cells $CELLS --genes $GENES --loom-cells $LOOM_CELLS --reps $REPS\`"
  echo "- data: $manifest"
  echo "- machine: $(nproc) CPUs ($cpu), $mem RAM, Linux $(uname -r); load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- genomap-cli: $(printf '%s\n' "$version" | head -n 1) ($CLI)"
  echo "- genomap-cli --version: $(printf '%s\n' "$version" | sed 1d | sed 's/[[:space:]]\{2,\}/ /g' | paste -sd ';' | sed 's/;/; /g')"
  echo "- BLAS: ${blas:-(no BLAS line in genomap-cli --version)}"
  echo "- reference: $pyver"
  echo "- sanity: $SANITY"
  echo
  echo "| step | tool | wall s (median of $REPS) | peak RSS MiB (median) | wall s, each run |"
  echo "|---|---|---:|---:|---|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$RESULTS"
  echo
  awk -F'\t' '
    $2 ~ /^genomap-cli/ && $3 != "failed" { ours[$1] = $3; rss[$1] = $4 }
    $2 !~ /^genomap-cli/ && $3 != "failed" && ($1 in ours) {
      printf "- %s: Python / genomap-cli = %.2f (wall time), %.2f (peak RSS)\n",
             $1, $3 / (ours[$1] > 0 ? ours[$1] : 0.01), $4 / (rss[$1] > 0 ? rss[$1] : 1) }' "$RESULTS"
} | tee "$OUT_MD"
log "table written to $OUT_MD"
