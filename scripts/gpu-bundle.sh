#!/usr/bin/env bash
# gpu-bundle.sh — pack what the GPU machine needs to run the CUDA parity tests and benchmarks
# (scripts/gpu-check.sh) into one compressed file, built here on Debian 12.
#
#   scripts/gpu-bundle.sh [BUILD_DIR] [OUT_DIR]       defaults: /tmp/build-gpu  build-gpu-bundle
#
# BUILD_DIR must be configured with the CUDA module, e.g.
#   meson setup /tmp/build-gpu -Dcuda=enabled -Dgui=disabled -Dbuildtype=release
#   ninja -C /tmp/build-gpu -j2 && ninja -C /tmp/build-gpu -j2 tests/bench-ernet
# The GPU machine has nvcc, a driver and PyTorch's CUDA/cuDNN wheels but not Debian's libraries,
# so the bundle holds:
#   bin/       genomap-cli, test-nn-cuda, bench-ernet
#   module/    libgm-nn-cuda.so (links libcudart.so.13, libcublas.so.13, libcudnn.so.9: taken
#              from the GPU machine, never carried — cuBLAS and cuDNN are hundreds of MiB)
#   lib/       every other shared library the binaries need (GLib, HDF5, OpenBLAS, cairo, …)
#   glibc/     Debian's glibc and its loader, for machines whose glibc is older than 2.36
#   src/       the module's sources, headers, config.h and GLib's headers, to rebuild the module
#              with the GPU machine's nvcc when its CUDA major version is not 13
# OUT_DIR/gpu-bundle.tar.xz (about 20 MB) fits run's 64 MiB carry limit; OUT_DIR is ignored by git
# (/build*/).  Then, from the lead's session:
#   run(command: "bash scripts/gpu-check.sh build-gpu-bundle/gpu-bundle.tar.xz",
#       carry: ["build-gpu-bundle"], timeout_s: 600)
set -euo pipefail
build=${1:-/tmp/build-gpu}
out=${2:-build-gpu-bundle}
src=$(cd "$(dirname "$0")/.." && pwd)
module="$build/core/cuda/libgm-nn-cuda.so"
bins=("$build/app/genomap-cli" "$build/tests/test-nn-cuda" "$build/tests/bench-ernet")

[ -f "$module" ] || { echo "no $module: configure $build with -Dcuda=enabled" >&2; exit 1; }
for b in "${bins[@]}"; do
  [ -x "$b" ] || { echo "no $b: run ninja -C $build (and ninja -C $build tests/bench-ernet)" >&2; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/gpu-bundle"
mkdir -p "$root"/{bin,module,lib,glibc,src/core/cuda,src/include}
cp "${bins[@]}" "$root/bin/"
cp "$module" "$root/module/"

# shared libraries of the binaries and the module, minus CUDA's (from the GPU machine)
is_cuda () { case "$(basename "$1")" in libcuda*|libcudart*|libcublas*|libcudnn*|libnv*) return 0;; esac; return 1; }
is_glibc () {
  case "$(basename "$1")" in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*|libresolv.so.*|libutil.so.*) return 0;;
  esac
  return 1
}
for f in "${bins[@]}" "$module"; do
  ldd "$f" | awk '/=> \// {print $3} /^\t\/lib64\/ld-linux/ {print $1}'
done | sort -u | while read -r lib; do
  is_cuda "$lib" && continue
  if is_glibc "$lib"; then cp -L "$lib" "$root/glibc/"; else cp -L "$lib" "$root/lib/"; fi
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/glibc/"

# to rebuild the module on the GPU machine (its nvcc, its CUDA major version)
cp "$src"/core/cuda/*.c "$src"/core/cuda/*.cu "$src"/core/cuda/*.h "$root/src/core/cuda/"
cp "$src"/core/gm-nn.h "$src"/core/gm-nn-device.h "$root/src/core/"
cp "$build/config.h" "$root/src/"
cp -r /usr/include/glib-2.0 "$root/src/include/"
cp -r /usr/lib/x86_64-linux-gnu/glib-2.0/include/glibconfig.h "$root/src/include/"
{
  echo "built: $(date -u +%FT%TZ) on $(uname -n), $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "nvcc:  $(nvcc --version | tail -n 1)"
  "$root/bin/genomap-cli" --version 2>&1 || true
} >"$root/BUILD-INFO"

mkdir -p "$out"
tar -C "$stage" -cJf "$out/gpu-bundle.tar.xz" gpu-bundle
ls -la "$out/gpu-bundle.tar.xz"
du -sh "$root"
