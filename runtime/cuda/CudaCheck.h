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

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace alexc::cuda {

/// Stops with the failing call, its library's message and where it was
/// made.
[[noreturn]] inline void failedCall(const char *library, const char *call,
                                    const std::string &message,
                                    const char *file, int line) {
  std::fprintf(stderr, "error: %s call %s failed: %s (%s:%d)\n", library, call,
               message.c_str(), file, line);
  std::exit(2);
}

inline std::string statusMessage(cudaError_t e) {
  return cudaGetErrorString(e);
}
inline std::string statusMessage(cublasStatus_t s) {
  return "status " + std::to_string(int(s));
}
inline std::string statusMessage(cudnnStatus_t s) {
  return cudnnGetErrorString(s);
}

} // namespace alexc::cuda

/// Checks a CUDA runtime, cuBLAS or cuDNN call against its success value;
/// `text` is the call as written (stringized before macro expansion).
#define ALEXC_CHECK_CALL(library, text, call, success)                         \
  do {                                                                         \
    auto status_ = (call);                                                     \
    if (status_ != (success))                                                  \
      alexc::cuda::failedCall(library, text,                                   \
                              alexc::cuda::statusMessage(status_), __FILE__,   \
                              __LINE__);                                       \
  } while (0)
#define ALEXC_CUDA_CHECK(call)                                                 \
  ALEXC_CHECK_CALL("CUDA", #call, call, cudaSuccess)
#define ALEXC_CUBLAS_CHECK(call)                                               \
  ALEXC_CHECK_CALL("cuBLAS", #call, call, CUBLAS_STATUS_SUCCESS)
#define ALEXC_CUDNN_CHECK(call)                                                \
  ALEXC_CHECK_CALL("cuDNN", #call, call, CUDNN_STATUS_SUCCESS)

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

/// The cuDNN workspace of a training run (and of --check-kernels, so that
/// it checks the algorithms training chooses): cuDNN's fastest algorithms
/// may need much scratch (FFT, Winograd), and PyTorch lets them have what
/// memory is free: an eighth of the free memory, between 256 MiB and 2 GiB.
inline size_t cudnnWorkspaceBytesForTraining() {
  size_t freeBytes = 0, totalBytes = 0;
  ALEXC_CUDA_CHECK(cudaMemGetInfo(&freeBytes, &totalBytes));
  return std::clamp(freeBytes / 8, size_t(256) << 20, size_t(2) << 30);
}

/// cuBLAS's math mode for a precision: each GEMM names its compute type
/// (rowMajorGemm); pedantic math keeps cuBLAS from lowering fp32 on its own.
inline cublasMath_t cublasMathFor(int32_t precision) {
  return precision == rt::kMathFp32 ? CUBLAS_PEDANTIC_MATH
                                    : CUBLAS_DEFAULT_MATH;
}

} // namespace alexc::cuda

#endif
