#!/usr/bin/env bash
# ThreadSanitizer over the OpenMP CPU kernels:
#   tools/tsan.sh
# Builds in build-tsan with clang 19, -fsanitize=thread and LLVM's OpenMP
# runtime, whose Archer tool (libarcher) tells TSan about OpenMP's barriers
# and reductions (with GCC's libgomp, TSan reports every parallel loop).
# Runs the CPU kernel unit tests (every GEMM tile and convolution packing
# path, Winograd, pooling, dropout masks), then builds LeNet with batch
# norm, ResNet-18 and GoogLeNet at batch 8 (grouped convolutions of small
# planes, batch norm's sums, concat copies, the per-thread weight-gradient
# partials) and trains each for 3 steps.
# Any report fails the run. Installs clang-19, libclang-rt-19-dev and
# libomp-19-dev when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/clang19.sh

BUILD=build-tsan
cmake -G Ninja -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DALEXC_SANITIZE=thread >/dev/null
cmake --build "$BUILD" --target alexc alexc-cpu-kernel-tests

export OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}
export OMP_TOOL_LIBRARIES=/usr/lib/llvm-19/lib/libarcher.so
export TSAN_OPTIONS="ignore_noninstrumented_modules=1 exitcode=66"
status=0
run() {
  local what=$1
  shift
  if "$@" >"$BUILD/tsan-$what.log" 2>&1; then
    echo "ok: $what"
  else
    status=1
    echo "FAIL: $what: $(grep -c 'WARNING: ThreadSanitizer' "$BUILD/tsan-$what.log") reports, see $BUILD/tsan-$what.log"
  fi
}
run cpu-kernel-tests "$BUILD/tests/unit/alexc-cpu-kernel-tests"
work=$BUILD/tsan-models
mkdir -p "$work"
for spec in models/lenet_bn.json models/resnet18.json models/googlenet.json; do
  name=$(basename "$spec" .json)
  "$BUILD/bin/alexc" "$spec" -o "$work/$name" --target cpu --cxx clang++-19 \
    --batch-size 8 >/dev/null
  run "$name" "$work/$name" --data fashion-mnist --steps 3 --limit-test 64 --quiet
done
exit $status
