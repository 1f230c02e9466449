#!/usr/bin/env bash
# Builds what tools/gpu_check.sh runs on a GPU machine into gpu-check/: the
# AlexNet executable with CUDA code (batch 128 and, for the kernel check,
# batch 2), a small graph for the kernel check (every graph op: concats
# written in place, batch norm, residual adds, global pooling) and a copy
# of the Fashion-MNIST files. Build on a machine with
# Debian's MLIR, then copy the repository with gpu-check/ to the GPU machine
# (about 50 MB), which needs only the CUDA libraries and, for section 3,
# PyTorch. The other shared libraries the executables use (Open MPI's,
# libgomp, ...) are copied into gpu-check/lib, for a machine without
# Debian's packages.
#
# BASELINE=REV (a git revision) also builds gpu-check/baseline_train: the
# same generated code, compiled against the kernel headers (runtime/cpu,
# runtime/cuda, runtime/abi) of REV, so that gpu_check.sh can time a kernel change
# against what came before on the same machine (its section 4). Only those
# headers come from REV; the rest of the runtime is today's.
set -eu
cd "$(dirname "$0")/.."
alexc=${ALEXC:-build/bin/alexc}
mkdir -p gpu-check/data
cp /usr/share/datasets/fashion-mnist/*.gz gpu-check/data/
"$alexc" models/alexnet.json --target all -o gpu-check/alexnet_train
"$alexc" models/alexnet.json --target all --batch-size 2 -o gpu-check/alexnet_check
"$alexc" tests/e2e/Inputs/onnx_graph.json --target all -o gpu-check/graph_check
rm -rf gpu-check/lib && mkdir -p gpu-check/lib
ldd gpu-check/alexnet_train | awk '$3 ~ /^\// {print $3}' | while read -r lib; do
  case $(basename "$lib") in
    # glibc's own, and the CUDA toolkit's, are the GPU machine's.
    libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*) ;;
    *) [[ $lib == /usr/local/cuda* ]] || cp -L "$lib" gpu-check/lib/ ;;
  esac
done
rm -f gpu-check/baseline_train gpu-check/baseline_rev
if [[ -n "${BASELINE:-}" ]]; then
  rev=$(git rev-parse --short "$BASELINE")
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/include" "$tmp/cuda/bin"
  kernels=()
  for p in runtime/cpu runtime/cuda runtime/abi; do
    git cat-file -e "$rev:$p" 2>/dev/null && kernels+=("$p")
  done
  git archive "$rev" "${kernels[@]}" | tar -x -C "$tmp/include"
  # nvcc has no flags option in alexc: a wrapper puts REV's headers first.
  # It sits in a cuda/bin of its own whose lib64 is the real one, since
  # alexc finds the CUDA libraries next to nvcc.
  nvcc=$(readlink -f "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")
  printf '#!/bin/sh\nexec %s -I%s "$@"\n' "$nvcc" "$tmp/include" >"$tmp/cuda/bin/nvcc"
  chmod +x "$tmp/cuda/bin/nvcc"
  ln -s "$(dirname "$(dirname "$nvcc")")/lib64" "$tmp/cuda/lib64"
  "$alexc" models/alexnet.json --target all --nvcc "$tmp/cuda/bin/nvcc" \
    --cxxflags "-O3 -march=native -fopenmp -I$tmp/include" -o gpu-check/baseline_train
  echo "$rev" >gpu-check/baseline_rev
fi
# The commit the executables were built from (gpu_check.sh prints it with
# its verdicts; "+" when the working tree had changes).
echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!gpu-check' || echo +)" > gpu-check/commit
du -sh gpu-check
