#!/usr/bin/env bash
# The CUDA target: generated CUDA for LeNet, AlexNet and graphs (GRAPH...:
# specs with concat, add, padded pooling, batch norm) goes through nvcc and
# links with cuBLAS and cuDNN into a library inside each executable; on a
# machine without a usable GPU, or where that library cannot be loaded, the
# executable says so and trains on the CPU. Skipped (77) without nvcc.
# usage: cuda_build.sh ALEXC MODELS_DIR WORKDIR GRAPH...
set -u
alexc=$1 models=$2 work=$3
shift 3
graphs=("$@")
nvcc=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
[[ -z "$nvcc" ]] && { echo "no nvcc: skipped"; exit 77; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
set -e
"$alexc" "$models/lenet.json" --target all -o lenet_all --keep-sources src 2> lenet_build.err
cat lenet_build.err
# The tuning cache keys kernel variants by the kernels' code: the same for
# the same code (whatever the architectures), another for other code.
code_hash() { grep -o "kernel code [0-9a-f]\{16\}" "$1"; }
"$alexc" "$models/lenet.json" --target all --cuda-arch sm_90 -o lenet_sm90 2> sm90.err
"$alexc" "$models/lenet.json" --target all --cuda-arch sm_90 --batch-size 32 -o lenet_b32 2> b32.err
[[ -n "$(code_hash lenet_build.err)" && "$(code_hash lenet_build.err)" == "$(code_hash sm90.err)" &&
   "$(code_hash lenet_build.err)" != "$(code_hash b32.err)" ]] ||
  { echo "FAIL: kernel code hashes $(code_hash lenet_build.err), $(code_hash sm90.err), $(code_hash b32.err)"; exit 1; }
"$alexc" "$models/alexnet.json" --target all -o alexnet_all
grep -q "__device__ __forceinline__ void operator()" src/lenet_cuda.cu
for graph in "${graphs[@]}"; do
  name=$(basename "$graph" .json)
  "$alexc" "$graph" --target all -o "${name}_all" --keep-sources "${name}_src"
done
grep -q "copyBlocks(BlockCopy" inception_src/inception_cuda.cu
grep -q "batchNormGrad(NormGeom" batchnorm_src/batchnorm_cuda.cu
# The CUDA code is a library inside the executable, opened when a run asks
# for the GPU: the executable itself needs no CUDA library to start (and
# data-parallel GPU runs open NCCL only when ranks join). With nccl.h in
# the toolkit, the NCCL code is compiled in.
if ldd lenet_all | grep -E "libcudart|libcublas|libcudnn|libnccl"; then
  echo "FAIL: lenet_all needs CUDA libraries to start"; exit 1
fi
if [[ -e "$(dirname "$(dirname "$nvcc")")/include/nccl.h" ]]; then
  grep -q "NcclGradientSync" lenet_all
fi
if nvidia-smi >/dev/null 2>&1; then
  echo "a GPU is present: tools/gpu_check.sh is the GPU test"; exit 0
fi
# A cuDNN that cannot be loaded (an empty file first on the library path):
# the run says why and trains on the CPU; --device cuda is an error.
mkdir -p broken && : > broken/libcudnn.so.9
set +e
LD_LIBRARY_PATH=$PWD/broken ./lenet_all --steps 1 --limit-test 64 > broken.out 2>&1; rc_broken=$?
LD_LIBRARY_PATH=$PWD/broken ./lenet_all --device cuda --steps 1 > broken_cuda.out 2>&1; rc_broken_cuda=$?
set -e
[[ $rc_broken -eq 0 ]] && grep -q "note: the CUDA code cannot be loaded: .*libcudnn.so.9.*; training on the CPU" broken.out ||
  { echo "FAIL: a broken cuDNN (exit $rc_broken)"; cat broken.out; exit 1; }
[[ $rc_broken_cuda -eq 1 ]] && grep -q "error: --device cuda: the CUDA code cannot be loaded" broken_cuda.out ||
  { echo "FAIL: --device cuda with a broken cuDNN (exit $rc_broken_cuda)"; cat broken_cuda.out; exit 1; }
out=$(./lenet_all --steps 2 --limit-test 64 2>&1)
echo "$out" | grep -E "note: no usable CUDA device|note: no CUDA device" 
echo "$out" | grep -q "training 'lenet' on cpu"
set +e
./lenet_all --device cuda --steps 1 > cuda.out 2>&1
rc=$?
set -e
[[ $rc -eq 1 ]] && grep -E "error: --device cuda: no (usable )?CUDA device" cuda.out
# The same on the data-parallel path, which stops before NCCL is needed.
set +e
ALEXC_DATA_PARALLEL=1 ./lenet_all --device cuda --steps 1 > dp_cuda.out 2>&1
rc=$?
set -e
[[ $rc -eq 1 ]] && grep -E "error: --device cuda: no (usable )?CUDA device" dp_cuda.out
# --precision fp32 and --deterministic are accepted (and have no effect on
# the CPU); the kernel check takes --precision too, and needs a GPU.
set +e
./lenet_all --precision fp32 --steps 1 --limit-test 64 > fp32.out 2>&1; rc_fp32=$?
./lenet_all --deterministic --steps 1 --limit-test 64 > det.out 2>&1; rc_det=$?
./lenet_all --check-kernels --precision fp32 > check.out 2>&1; rc_check=$?
./lenet_all --check-kernels --precision fp16 > usage.out 2>&1; rc_usage=$?
set -e
fail() { echo "FAIL: $1"; cat "$2"; exit 1; }
[[ $rc_fp32 -eq 0 ]] && grep -q "training 'lenet' on cpu" fp32.out ||
  fail "--precision fp32 on the CPU (exit $rc_fp32)" fp32.out
[[ $rc_det -eq 0 ]] && grep -q "training 'lenet' on cpu" det.out ||
  fail "--deterministic on the CPU (exit $rc_det)" det.out
[[ $rc_check -eq 1 ]] && grep -q "error: --check-kernels needs a CUDA device" check.out ||
  fail "--check-kernels without a GPU (exit $rc_check)" check.out
[[ $rc_usage -eq 2 ]] && grep -q "usage: .* --check-kernels \[--precision fp32|tf32\]" usage.out ||
  fail "--check-kernels --precision fp16 (exit $rc_usage)" usage.out
# nvcc runs beside the host compiler: a failure of either is reported with
# the command and its output, and no executable is written.
printf '#!/bin/sh\necho "fake nvcc: broken" >&2\nexit 3\n' > fake_nvcc
chmod +x fake_nvcc
set +e
"$alexc" "$models/lenet.json" --target all --nvcc ./fake_nvcc -o bad_nvcc > nvcc_err.out 2>&1
rc_nvcc=$?
"$alexc" "$models/lenet.json" --target all --cxxflags="-O1 -fno-such-flag" -o bad_cxx > cxx_err.out 2>&1
rc_cxx=$?
set -e
[[ $rc_nvcc -ne 0 && ! -e bad_nvcc ]] && grep -q "fake_nvcc failed (exit 3)" nvcc_err.out &&
  grep -q "fake nvcc: broken" nvcc_err.out ||
  fail "a failing nvcc (exit $rc_nvcc)" nvcc_err.out
[[ $rc_cxx -ne 0 && ! -e bad_cxx ]] && grep -q "c++ failed" cxx_err.out &&
  grep -q "fno-such-flag" cxx_err.out ||
  fail "a failing host compiler beside nvcc (exit $rc_cxx)" cxx_err.out
echo "CUDA target built for LeNet and AlexNet; CPU fallback works; build errors reported"
