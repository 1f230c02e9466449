//===- Kernels.cuh - Every CUDA kernel the generated code calls -----------===//
//
// The CUDA runtime by op family, one file each with its device code,
// kernels and launchers; the entry points have the names and leading
// arguments of the CPU ones (runtime/abi/KernelAbi.h). Included by the
// generated .cu file (through CudaExecutor.cuh), and by the host tests,
// which see only the device code.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_KERNELS_CUH
#define ALEXC_RUNTIME_CUDA_KERNELS_CUH

#include "runtime/cuda/Conv.cuh"
#include "runtime/cuda/Copy.cuh"
#include "runtime/cuda/Dense.cuh"
#include "runtime/cuda/Elementwise.cuh"
#include "runtime/cuda/Gemm.cuh"
#include "runtime/cuda/Init.cuh"
#include "runtime/cuda/Loss.cuh"
#include "runtime/cuda/Norm.cuh"
#include "runtime/cuda/Optimizer.cuh"
#include "runtime/cuda/Pool.cuh"
#include "runtime/cuda/Reduce.cuh"

#endif
