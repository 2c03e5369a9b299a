#!/usr/bin/env bash
# The first checks on a GPU machine that has CUDA, CMake and Python but no Node, in one
# run with logs: build the addon with CUDA (and NCCL where the nvidia-nccl wheel or
# NCCL_HOME provides it), run the test files with CUDA variants, the GPU benchmark rows,
# then the whole suite while time is left.
#
#   scripts/device-check.sh --pack     here: Node and node_modules into .device/ (~35 MB)
#   scripts/device-check.sh            there: with .device/ carried, logs under $OUT
#
# Through the device tool: carry [".device/node.xz", ".device/node_modules.tar.xz"], run
# `scripts/device-check.sh` with a timeout a minute above DEVICE_CHECK_BUDGET. On this
# project's 2-core CPU machine (no GPU) the build takes about 50 s and the CUDA test files
# 20 s, every CUDA variant skipping with the reason.
#
# .device/ must be git-ignored (it is, in .gitignore). Each step has its own time limit
# (seconds; DEVICE_CHECK_BUDGET, default 540, bounds the whole run), so a hang in one step
# still leaves the logs of the others.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = --pack ]; then
  mkdir -p .device
  xz -T0 -c "$(command -v node)" > .device/node.xz
  tar -cf - --exclude=node_modules/.cache node_modules | xz -T0 -6 > .device/node_modules.tar.xz
  du -sh .device/*
  exit 0
fi

OUT=${OUT:-$PWD/.device/out}
mkdir -p "$OUT"
started=$(date +%s)
budget=${DEVICE_CHECK_BUDGET:-540}
left() { echo $((budget - ($(date +%s) - started))); }
step() {  # step <name> <seconds> <command...>: runs it under a limit, logs to $OUT/<name>.log
  local name=$1 limit=$2
  shift 2
  local l
  l=$(left)
  [ "$limit" -gt "$l" ] && limit=$l
  if [ "$limit" -lt 20 ]; then
    echo "== $name: skipped, $l s left" | tee -a "$OUT/summary.txt"
    return 1
  fi
  local t0=$(date +%s)
  timeout -k 5 "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  echo "== $name: exit $rc after $(($(date +%s) - t0)) s (limit $limit s)" | tee -a "$OUT/summary.txt"
  tail -n 25 "$OUT/$name.log"
  return $rc
}

{ nvidia-smi; echo; lscpu; echo; nvcc --version; cmake --version; python3 --version; } > "$OUT/machine.txt" 2>&1
grep -E "Model name|^Flags" "$OUT/machine.txt" | sed 's/^Flags:.*\(avx512f\).*/Flags: has avx512f/;s/^Flags:.*avx2.*/Flags: avx2, no avx512f/' | head -3
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -2

# Node and the packages, carried compressed.
python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.device/node.xz'), open('.device/node','wb'))" && chmod +x .device/node
export PATH=$PWD/.device:$PATH
[ -d node_modules ] || tar -xJf .device/node_modules.tar.xz
node --version || { echo "no node: run scripts/device-check.sh --pack here first, carry .device"; exit 1; }

# NCCL from the Python wheel when NCCL_HOME is not set.
if [ -z "${NCCL_HOME:-}" ]; then
  NCCL_HOME=$(python3 -c "import nvidia.nccl as m; print(list(m.__path__)[0])" 2>/dev/null) && export NCCL_HOME
fi
echo "NCCL_HOME=${NCCL_HOME:-none}; mpirun: $(command -v mpirun || echo none)"

step build 300 node node_modules/cmake-js/bin/cmake-js compile -O build-cmake --parallel "$(nproc)" || exit 1
# dist/: the CLI tests and the examples run the compiled package.
step tsc 120 node node_modules/typescript/bin/tsc -p tsconfig.json
grep "trunkline:" "$OUT/build.log"
export TRUNKLINE_ADDON=$PWD/build-cmake/Release/trunkline.node
node --import tsx -e "import('./src/index.ts').then((tl) => console.log('cuda:', tl.cuda.isAvailable() ? tl.cuda.deviceName() : tl.cuda.unavailableReason(), '| isa:', tl.getIsa().active))"

# The files with CUDA variants first: what a first GPU run is for.
step cuda-tests 240 node node_modules/ava/entrypoints/cli.mjs --timeout=2m \
  test/cuda.test.ts test/devices.test.ts test/elementwise.test.ts test/shape.test.ts test/errors.test.ts test/distributed.test.ts
step gpu-bench 90 node --import tsx bench/gpu.bench.ts
step all-tests 400 node node_modules/ava/entrypoints/cli.mjs --timeout=2m
echo "logs in $OUT"; cat "$OUT/summary.txt"
