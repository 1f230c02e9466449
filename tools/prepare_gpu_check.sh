#!/usr/bin/env bash
# Builds what tools/gpu_check.sh runs on a GPU machine into .device/: the
# AlexNet executable with CUDA code (batch 128 and, for the kernel check,
# batch 2) and a copy of the Fashion-MNIST files. Then carry .device.
#
# BASELINE=REV (a git revision) also builds .device/baseline_train: the
# same generated code, compiled against the kernel headers (runtime/cpu,
# runtime/cuda) of REV, so that gpu_check.sh can time a kernel change
# against what came before on the same machine (its section 4). Only those
# headers come from REV; the rest of the runtime is today's.
set -eu
cd "$(dirname "$0")/.."
alexc=${ALEXC:-build/bin/alexc}
mkdir -p .device/data
cp /usr/share/datasets/fashion-mnist/*.gz .device/data/
"$alexc" models/alexnet.json --target all -o .device/alexnet_train
"$alexc" models/alexnet.json --target all --batch-size 2 -o .device/alexnet_check
rm -f .device/baseline_train .device/baseline_rev
if [[ -n "${BASELINE:-}" ]]; then
  rev=$(git rev-parse --short "$BASELINE")
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/include" "$tmp/cuda/bin"
  git archive "$rev" runtime/cpu runtime/cuda | tar -x -C "$tmp/include"
  # nvcc has no flags option in alexc: a wrapper puts REV's headers first.
  # It sits in a cuda/bin of its own whose lib64 is the real one, since
  # alexc finds the CUDA libraries next to nvcc.
  nvcc=$(readlink -f "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")
  printf '#!/bin/sh\nexec %s -I%s "$@"\n' "$nvcc" "$tmp/include" >"$tmp/cuda/bin/nvcc"
  chmod +x "$tmp/cuda/bin/nvcc"
  ln -s "$(dirname "$(dirname "$nvcc")")/lib64" "$tmp/cuda/lib64"
  "$alexc" models/alexnet.json --target all --nvcc "$tmp/cuda/bin/nvcc" \
    --cxxflags "-O3 -march=native -fopenmp -I$tmp/include" -o .device/baseline_train
  echo "$rev" >.device/baseline_rev
fi
du -sh .device
