//===- CudaCheck.h - Checked CUDA library calls, device memory ------------===//
//
// Host code shared by the executor (compiled with each model by nvcc) and
// the kernel check (in the runtime library, compiled by the host compiler).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_CUDACHECK_H
#define ALEXC_RUNTIME_CUDA_CUDACHECK_H

#include "runtime/cuda/CudaModel.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

/// Stops with the failing call, its error and where it was made.
#define ALEXC_CUDA_CHECK(call)                                                 \
  do {                                                                         \
    cudaError_t err_ = (call);                                                 \
    if (err_ != cudaSuccess) {                                                 \
      std::fprintf(stderr, "error: CUDA call %s failed: %s (%s:%d)\n", #call,  \
                   cudaGetErrorString(err_), __FILE__, __LINE__);              \
      std::exit(2);                                                            \
    }                                                                          \
  } while (0)

#define ALEXC_CUBLAS_CHECK(call)                                               \
  do {                                                                         \
    cublasStatus_t st_ = (call);                                               \
    if (st_ != CUBLAS_STATUS_SUCCESS) {                                        \
      std::fprintf(stderr,                                                     \
                   "error: cuBLAS call %s failed: status %d (%s:%d)\n", #call, \
                   int(st_), __FILE__, __LINE__);                              \
      std::exit(2);                                                            \
    }                                                                          \
  } while (0)

#define ALEXC_CUDNN_CHECK(call)                                                \
  do {                                                                         \
    cudnnStatus_t st_ = (call);                                                \
    if (st_ != CUDNN_STATUS_SUCCESS) {                                         \
      std::fprintf(stderr, "error: cuDNN call %s failed: %s (%s:%d)\n", #call, \
                   cudnnGetErrorString(st_), __FILE__, __LINE__);              \
      std::exit(2);                                                            \
    }                                                                          \
  } while (0)

namespace alexc::cuda {

/// `count` zeroed elements of device memory (null for none).
template <typename T> T *deviceAlloc(size_t count) {
  void *p = nullptr;
  if (count)
    ALEXC_CUDA_CHECK(cudaMalloc(&p, count * sizeof(T)));
  if (count)
    ALEXC_CUDA_CHECK(cudaMemset(p, 0, count * sizeof(T)));
  return static_cast<T *>(p);
}

template <typename T> T *upload(const std::vector<T> &v) {
  T *p = deviceAlloc<T>(v.size());
  if (!v.empty())
    ALEXC_CUDA_CHECK(
        cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return p;
}

/// cuBLAS's math mode for a precision: each GEMM names its compute type
/// (rowMajorGemm); pedantic math keeps cuBLAS from lowering fp32 on its own.
inline cublasMath_t cublasMathFor(int32_t precision) {
  return precision == rt::kMathFp32 ? CUBLAS_PEDANTIC_MATH
                                    : CUBLAS_DEFAULT_MATH;
}

} // namespace alexc::cuda

#endif
