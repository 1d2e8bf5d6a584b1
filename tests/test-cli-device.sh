#!/usr/bin/env bash
# test-cli-device.sh — choosing the compute backend: --device auto|cpu|cuda|cuda:N and --version,
# on machines without the CUDA module, without a driver, or with a GPU.
#
# GENOMAP_BACKEND_DIR, when set, is the only place the CUDA module is looked for: pointing it at
# an empty folder is "module not installed" on every machine.  With the module this build made
# (GM_CUDA_MODULE_DIR, set by meson only when it built one) the outcome depends on the machine:
# the test reads `--version` and expects --device cuda to succeed exactly when it says available.
. "$(dirname "$0")/cli-lib.sh"
fix="$data/csr_counts.h5ad"
mkdir -p "$tmp/none"
nomod=(env GENOMAP_BACKEND_DIR="$tmp/none")
tiny=(impute "$fix" --method ernet --model tiny --steps 3 --batch 8 --seed 1 --threads 1)

# --version lists the backends, each with a reason when it is not available
check "version" 0 "$cli" --version
expect "version lists the cpu backend" "$tmp/out" "^Backends: cpu: available"
expect "version lists the cuda backend" "$tmp/out" "cuda: "
check "version without the module" 0 "${nomod[@]}" "$cli" --version
expect "version says the module is missing" "$tmp/out" "cuda: not available: .*libgm-nn-cuda.so"
expect "version names where it looked" "$tmp/out" "$tmp/none"

# without the module: cpu and auto work, cuda fails clearly and writes nothing
check "device cpu without the module" 0 "${nomod[@]}" "$cli" "${tiny[@]}" --device cpu -o "$tmp/cpu.h5ad"
if grep -q "using the CPU" "$tmp/err"; then
  fail=$((fail + 1)); echo "FAIL - --device cpu printed a fallback notice"
else
  pass=$((pass + 1)); echo "ok - --device cpu prints no fallback notice"
fi
check "device auto without the module" 0 "${nomod[@]}" "$cli" "${tiny[@]}" --device auto -o "$tmp/auto.h5ad"
expect "auto says it uses the CPU" "$tmp/err" "--device auto: using the CPU: the CUDA backend is not available"
expect "auto says why" "$tmp/err" "libgm-nn-cuda.so"
check "device auto (default) without the module" 0 "${nomod[@]}" "$cli" "${tiny[@]}" -o "$tmp/auto2.h5ad"
expect "default device is auto" "$tmp/err" "--device auto: using the CPU"
check "auto = cpu on the CPU" 0 "$cli" evaluate --json --scale raw --reference "$tmp/cpu.h5ad" \
  --imputed "$tmp/auto.h5ad"
expect "auto and cpu give the same values" "$tmp/out" '"mean_mse": 0,'
check "device cuda without the module" 3 "${nomod[@]}" "$cli" "${tiny[@]}" --device cuda -o "$tmp/cuda.h5ad"
expect "cuda failure is explained" "$tmp/err" "device cuda is not available: .*libgm-nn-cuda.so"
check "device cuda:1 without the module" 3 "${nomod[@]}" "$cli" "${tiny[@]}" --device cuda:1 -o "$tmp/cuda.h5ad"
expect "cuda:1 failure is explained" "$tmp/err" "device cuda:1 is not available"
[ -e "$tmp/cuda.h5ad" ] && { fail=$((fail + 1)); echo "FAIL - a failed --device cuda wrote an output"; } \
  || { pass=$((pass + 1)); echo "ok - a failed --device cuda writes nothing"; }
check "device cuda with a checkpoint, without the module" 3 "${nomod[@]}" "$cli" impute "$fix" --method ernet \
  --checkpoint "$tmp/none/x.gmernet" --device cuda -o "$tmp/cuda.h5ad"
expect "the device is checked before the checkpoint" "$tmp/err" "device cuda is not available"

# a module that loads but has no device (tests/fake-backend), and a file that is no module
if [ -n "${GM_FAKE_MODULE_DIR:-}" ]; then
  fake=(env GENOMAP_BACKEND_DIR="$GM_FAKE_MODULE_DIR")
  check "version with a module without device" 0 "${fake[@]}" "$cli" --version
  expect "version gives the module's reason" "$tmp/out" "cuda: not available: fake test module: no device here"
  check "device cuda:2 with a module without device" 3 "${fake[@]}" "$cli" "${tiny[@]}" --device cuda:2 \
    -o "$tmp/cuda.h5ad"
  expect "the module's reason reaches the user" "$tmp/err" "device cuda:2 is not available: fake test module: no device 2 here"
  check "device auto with a module without device" 0 "${fake[@]}" "$cli" "${tiny[@]}" -o "$tmp/auto4.h5ad"
  expect "auto gives the module's reason" "$tmp/err" "using the CPU: .*fake test module"
else
  echo "# GM_FAKE_MODULE_DIR not set (meson test sets it): the fake-module cases were not run"
fi
mkdir -p "$tmp/junk"
printf 'not an ELF file' >"$tmp/junk/libgm-nn-cuda.so"
check "version with a broken module file" 0 env GENOMAP_BACKEND_DIR="$tmp/junk" "$cli" --version
expect "a broken module cannot be loaded" "$tmp/out" "cuda: not available: .*libgm-nn-cuda.so cannot be loaded"
check "device cuda with a broken module file" 3 env GENOMAP_BACKEND_DIR="$tmp/junk" "$cli" "${tiny[@]}" \
  --device cuda -o "$tmp/cuda.h5ad"
expect "the load error reaches the user" "$tmp/err" "cannot be loaded"

# bad device strings are usage errors
for bad in gpu cuda: cuda:x cuda:-1 CUDA "cuda:0 "; do
  check "device '$bad' is a usage error" 2 "$cli" "${tiny[@]}" --device "$bad" -o "$tmp/bad.h5ad"
done
expect "usage error lists the choices" "$tmp/err" "auto, cpu, cuda or cuda:N"

# layout --device: the default (auto) is quiet and gives the CPU's layout where there is no GPU;
# cuda fails clearly before any work; a bad name is a usage error
check "layout, default device, without the module" 0 "${nomod[@]}" "$cli" layout "$fix" -o "$tmp/lay-auto.tsv"
if grep -q "using the CPU" "$tmp/err"; then
  fail=$((fail + 1)); echo "FAIL - layout's default device printed a fallback notice"
else
  pass=$((pass + 1)); echo "ok - layout's default device is quiet"
fi
check "layout --device cpu" 0 "$cli" layout "$fix" --device cpu -o "$tmp/lay-cpu.tsv"
same "layout auto without a GPU = cpu" "$tmp/lay-auto.tsv" "$tmp/lay-cpu.tsv"
check "layout --device auto (explicit) without the module" 0 "${nomod[@]}" "$cli" layout "$fix" --device auto \
  -o "$tmp/lay-auto2.tsv"
expect "layout --device auto says why it uses the CPU" "$tmp/err" "--device auto: using the CPU"
check "layout --device cuda without the module" 3 "${nomod[@]}" "$cli" layout "$fix" --device cuda -o "$tmp/lay-cuda.tsv"
expect "layout --device cuda failure is explained" "$tmp/err" "device cuda is not available"
[ -e "$tmp/lay-cuda.tsv" ] && { fail=$((fail + 1)); echo "FAIL - a failed layout wrote an output"; } \
  || { pass=$((pass + 1)); echo "ok - a failed layout writes nothing"; }
check "layout --device gpu is a usage error" 2 "$cli" layout "$fix" --device gpu -o "$tmp/lay-bad.tsv"

# with the module this build made (if any): whatever --version says decides
if [ -n "${GM_CUDA_MODULE_DIR:-}" ] && [ -e "$GM_CUDA_MODULE_DIR/libgm-nn-cuda.so" ]; then
  withmod=(env GENOMAP_BACKEND_DIR="$GM_CUDA_MODULE_DIR")
  check "version with the built module" 0 "${withmod[@]}" "$cli" --version
  if grep -q "^ *cuda: available" "$tmp/out"; then
    check "device cuda on a GPU" 0 "${withmod[@]}" "$cli" "${tiny[@]}" --device cuda -o "$tmp/gpu.h5ad"
    check "device auto on a GPU" 0 "${withmod[@]}" "$cli" "${tiny[@]}" --device auto -o "$tmp/gpu2.h5ad"
    if grep -q "using the CPU" "$tmp/err"; then
      fail=$((fail + 1)); echo "FAIL - --device auto fell back to the CPU on a GPU machine"
    else
      pass=$((pass + 1)); echo "ok - --device auto uses the GPU"
    fi
  else
    reason=$(sed -n 's/^ *cuda: not available: //p' "$tmp/out" | head -n 1)
    echo "# built module present, CUDA not usable here: $reason"
    check "device cuda with the module but no GPU" 3 "${withmod[@]}" "$cli" "${tiny[@]}" --device cuda \
      -o "$tmp/cuda.h5ad"
    expect "cuda failure gives the runtime's reason" "$tmp/err" "device cuda is not available"
    check "device auto with the module but no GPU" 0 "${withmod[@]}" "$cli" "${tiny[@]}" --device auto \
      -o "$tmp/auto3.h5ad"
    expect "auto falls back with the runtime's reason" "$tmp/err" "using the CPU"
    check "module fallback = cpu" 0 "$cli" evaluate --json --scale raw --reference "$tmp/cpu.h5ad" \
      --imputed "$tmp/auto3.h5ad"
    expect "module fallback gives the CPU's values" "$tmp/out" '"mean_mse": 0,'
  fi
else
  echo "# this build made no CUDA module: only the missing-module paths were tested"
fi

echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
