#!/usr/bin/env bash
# gpu-check.sh — on the GPU machine: the CUDA backend's parity tests, the CLI device tests and the
# training/inference benchmarks, then a summary.  Nothing here has run on a GPU yet (2026-11-21).
#
#   bash scripts/gpu-check.sh [BUNDLE] [--quick]
#
# BUNDLE is what scripts/gpu-bundle.sh made here (build-gpu-bundle/gpu-bundle.tar.xz, default) or
# an unpacked gpu-bundle/ folder.  Run it from the repository root (tests/data and
# tests/reference are used).  --quick skips the paper-model benchmarks.
#
# How the Debian-built binaries run there:
#   1. CUDA's libraries come from the GPU machine: the toolkit next to nvcc and PyTorch's wheels
#      (site-packages/nvidia/*/lib), found below.
#   2. The binaries first run with LD_LIBRARY_PATH=bundle/lib; if the machine's glibc is older
#      than Debian 12's (2.36) they run through the carried loader instead
#      (glibc/ld-linux-x86-64.so.2 --library-path …).  In that mode OPENBLAS_CORETYPE is set so
#      that genomap-cli does not re-execute itself (gm_blas_ensure_fast_kernels).
#   3. If the module cannot load (the machine's CUDA major version is not 13) or the driver is too
#      old for the CUDA 13 runtime, it is rebuilt from
#      bundle/src with the machine's nvcc and gcc, against its cuBLAS and PyTorch's cuDNN headers.
set -uo pipefail
bundle=build-gpu-bundle/gpu-bundle.tar.xz
quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    *) bundle=$a ;;
  esac
done
repo=$(pwd)
work=${TMPDIR:-/tmp}/gm-gpu-check
out=${OUT:-$work/out}
mkdir -p "$work" "$out"
log () { echo "== $*"; }
summary=()
note () { summary+=("$*"); echo "-- $*"; }

if [ -f "$bundle" ]; then
  rm -rf "$work/gpu-bundle"
  tar -C "$work" -xJf "$bundle" || { echo "cannot unpack $bundle" >&2; exit 1; }
  B="$work/gpu-bundle"
elif [ -d "$bundle" ]; then
  B=$(cd "$bundle" && pwd)
else
  echo "no bundle at $bundle (make one here with scripts/gpu-bundle.sh)" >&2
  exit 1
fi
log "bundle: $B"; cat "$B/BUILD-INFO" 2>/dev/null
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null \
  | sed 's/^/GPU: /' || echo "nvidia-smi: not available"

# ---- CUDA libraries of this machine
cudadirs=()
if command -v nvcc >/dev/null; then
  ch=$(dirname "$(dirname "$(command -v nvcc)")")
  for d in "$ch/lib64" "$ch/lib" "$ch/targets/x86_64-linux/lib"; do [ -d "$d" ] && cudadirs+=("$d"); done
  log "nvcc: $(nvcc --version | tail -n 1)"
fi
py=$(command -v python3 || command -v python || true)
if [ -n "$py" ]; then
  while read -r d; do [ -n "$d" ] && cudadirs+=("$d"); done < <("$py" - <<'PY' 2>/dev/null
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
for r in roots:
    for d in sorted(glob.glob(os.path.join(r, "nvidia", "*", "lib"))):
        print(d)
    t = os.path.join(r, "torch", "lib")
    if os.path.isdir(t):
        print(t)
PY
)
fi
cudapath=$(IFS=:; echo "${cudadirs[*]}")
log "CUDA library folders: ${cudapath:-none found}"

# ---- how to run the bundle's binaries
libpath="$B/lib${cudapath:+:$cudapath}"
mode=${GM_GPU_CHECK_MODE:-native}   # GM_GPU_CHECK_MODE=loader forces the carried glibc
if [ "$mode" = native ] && ! LD_LIBRARY_PATH="$libpath" "$B/bin/genomap-cli" --version >/dev/null 2>"$work/native.err"; then
  mode=loader
  head -n 3 "$work/native.err"
fi
if [ "$mode" = loader ]; then
  # no re-execution under the explicit loader: pick the OpenBLAS kernels here
  if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    if grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; else export OPENBLAS_CORETYPE=Haswell; fi
  fi
  runbin () { "$B/glibc/ld-linux-x86-64.so.2" --library-path "$B/glibc:$libpath" "$@"; }
else
  runbin () { LD_LIBRARY_PATH="$libpath" "$@"; }
fi
log "running the binaries in $mode mode"
# a genomap-cli wrapper for the shell tests
cat >"$work/genomap-cli" <<WRAP
#!/usr/bin/env bash
$(declare -f runbin)
B="$B"; libpath="$libpath"
runbin "$B/bin/genomap-cli" "\$@"
WRAP
chmod +x "$work/genomap-cli"

# ---- the module: load it, or rebuild it with this machine's nvcc
moddir="$B/module"
if ! runbin "$B/bin/genomap-cli" --version 2>&1 | tee "$work/version.txt" | grep -q "^ *cuda: available"; then
  # a missing libcudart.so.13/libcublas.so.13 (other CUDA major here), or a driver older than
  # the CUDA 13 runtime the module was linked with: rebuild against this machine's CUDA
  if grep -qE "cannot be loaded|is older than the CUDA runtime" "$work/version.txt" && command -v nvcc >/dev/null; then
    log "the carried module does not load here; rebuilding it with $(command -v nvcc)"
    rb="$work/module-rebuild"; rm -rf "$rb"; mkdir -p "$rb/lib"
    ln -sf "$B/lib/libglib-2.0.so.0" "$rb/lib/libglib-2.0.so"
    cudnn_inc=$("$py" -c 'import nvidia.cudnn, os; print(os.path.join(os.path.dirname(nvidia.cudnn.__file__), "include"))' 2>/dev/null || true)
    incs=(-I"$B/src" -I"$B/src/core" -I"$B/src/core/cuda" -I"$B/src/include/glib-2.0" -I"$B/src/include" -I"$ch/include")
    [ -n "$cudnn_inc" ] && incs+=(-I"$cudnn_inc")
    ldirs=(); for d in "${cudadirs[@]}"; do ldirs+=(-L"$d"); done
    ok=1
    for cu in gm-nn-cuda-kernels gm-nn-cuda-dcn; do
      nvcc -gencode=arch=compute_90,code=[sm_90,compute_90] -O3 -std=c++17 -lineinfo \
        -Xcompiler -fPIC,-fvisibility=hidden,-fno-threadsafe-statics,-fno-exceptions \
        -I"$B/src/core/cuda" -c "$B/src/core/cuda/$cu.cu" -o "$rb/$cu.o" || ok=0
    done
    gcc -std=gnu11 -O2 -fPIC -fvisibility=hidden -D_GNU_SOURCE "${incs[@]}" \
      -c "$B/src/core/cuda/gm-nn-cuda.c" -o "$rb/gm-nn-cuda.o" || ok=0
    # libcudnn.so.9 / libcublas.so.N without the unversioned link name in wheels: link by path
    cudnn_so=$(for d in "${cudadirs[@]}"; do ls "$d"/libcudnn.so.9 2>/dev/null; done | head -n 1)
    cublas_so=$(for d in "${cudadirs[@]}"; do ls "$d"/libcublas.so.[0-9]* 2>/dev/null; done | head -n 1)
    cudart_so=$(for d in "${cudadirs[@]}"; do ls "$d"/libcudart.so.[0-9]* 2>/dev/null; done | head -n 1)
    [ "$ok" = 1 ] && gcc -shared -o "$rb/libgm-nn-cuda.so" "$rb"/*.o -Wl,--no-undefined \
      "${ldirs[@]}" -L"$rb/lib" -lglib-2.0 "$cudart_so" "$cublas_so" "$cudnn_so" -lm || ok=0
    if [ "$ok" = 1 ]; then
      moddir="$rb"; note "module rebuilt on this machine ($(nvcc --version | tail -n 1))"
    else
      note "module rebuild FAILED"
    fi
  fi
fi
export GENOMAP_BACKEND_DIR="$moddir"
runbin "$B/bin/genomap-cli" --version | tee "$out/version.txt"
if ! grep -q "^ *cuda: available" "$out/version.txt"; then
  note "CUDA backend NOT available here: $(sed -n 's/^ *cuda: not available: //p' "$out/version.txt")"
fi

# ---- parity tests
status=0
for tf32 in 0 1; do
  log "test-nn-cuda (GENOMAP_CUDA_TF32=$tf32)"
  GENOMAP_CUDA_TF32=$tf32 NVIDIA_TF32_OVERRIDE=$([ $tf32 = 1 ] && echo 1 || echo 0) \
    runbin "$B/bin/test-nn-cuda" --verbose >"$out/test-nn-cuda-tf32-$tf32.log" 2>&1
  rc=$?
  grep -E "^(ok|not ok)|err |SKIP|loss cpu|gradient err" "$out/test-nn-cuda-tf32-$tf32.log" | tail -n 80
  case $rc in
    0) note "test-nn-cuda TF32=$tf32: PASS" ;;
    77) note "test-nn-cuda TF32=$tf32: SKIPPED ($(grep -m1 SKIP "$out/test-nn-cuda-tf32-$tf32.log"))" ;;
    *) note "test-nn-cuda TF32=$tf32: FAIL (rc $rc; see $out/test-nn-cuda-tf32-$tf32.log)"
       [ $tf32 = 0 ] && status=1 ;;   # the TF32 run is informational: its tolerances are FP32's
  esac
done

log "test-cli-device.sh"
GM_CLI="$work/genomap-cli" GM_TEST_DATA="$repo/tests/data" GM_CUDA_MODULE_DIR="$moddir" \
  bash "$repo/tests/test-cli-device.sh" >"$out/cli-device.log" 2>&1
rc=$?
grep -E "^(FAIL|#)" "$out/cli-device.log"
[ $rc = 0 ] && note "test-cli-device.sh: PASS" || { note "test-cli-device.sh: FAIL (see $out/cli-device.log)"; status=1; }

# ---- benchmarks: training step (batch 64, 52×52) and inference, GPU vs CPU
bench () {  # label, args…
  local label=$1; shift
  log "bench-ernet $*"
  runbin "$B/bin/bench-ernet" "$@" >"$out/bench-$label.log" 2>"$out/bench-$label.err"
  cat "$out/bench-$label.err" >>"$out/bench-$label.log"
  cat "$out/bench-$label.log" | grep -E "backend:|ER-Net|step [0-9]|time per|throughput|inference"
  if grep -q 'training throughput' "$out/bench-$label.log"; then
    note "bench $label: training $(grep -h 'training throughput' "$out/bench-$label.log" | sed 's/training throughput: //'); inference $(grep -h '^inference' "$out/bench-$label.log" | sed 's/.*: //')"
  else
    note "bench $label: FAILED: $(tail -n 1 "$out/bench-$label.err")"
  fi
}
if [ $quick = 0 ]; then
  bench paper-cuda --config paper --batch 64 --size 52 --steps 10 --device cuda --infer-batches 20
  GENOMAP_CUDA_TF32=1 bench paper-cuda-tf32 --config paper --batch 64 --size 52 --steps 10 --device cuda --infer-batches 20
  bench paper-cpu --config paper --batch 64 --size 52 --steps 2 --device cpu --infer-batches 2
fi
bench compact-cuda --config compact --batch 64 --size 52 --steps 20 --device cuda --infer-batches 50

# ---- the layout's products on cuBLAS: a 64 × 64 layout (4 096 genes), GPU vs CPU
log "layout of 4 096 genes, --device cuda and --device cpu"
runbin "$B/bin/genomap-cli" simulate --splat --cells 3000 --genes 6000 --groups 6 --seed 5 \
  -o "$work/lay6k.h5ad" >/dev/null 2>&1
for dev in cuda cpu; do
  runbin "$B/bin/genomap-cli" layout "$work/lay6k.h5ad" --genes 4096 --device $dev \
    -o "$out/layout-$dev.tsv" >"$out/layout-$dev.log" 2>&1
  note "layout 4096 genes --device $dev: $(grep -hE '^(time|energy|device):' "$out/layout-$dev.log" | tr '\n' ' ')"
done

# ---- PyTorch reference (same step, cuDNN), when torch is importable
if [ -n "$py" ] && "$py" -c "import torch" 2>/dev/null && [ $quick = 0 ]; then
  log "PyTorch reference bench (device cuda)"
  "$py" "$repo/tests/reference/ernet_reference.py" --bench --device cuda >"$out/torch-cuda.log" 2>&1
  tail -n 5 "$out/torch-cuda.log"
  note "PyTorch cuda: $(grep -h 'maps/s' "$out/torch-cuda.log" | tail -n 2 | tr '\n' ' ')"
fi

echo
echo "================ GPU check summary ($(date -u +%FT%TZ))"
printf '%s\n' "${summary[@]}"
echo "logs in $out"
exit $status
