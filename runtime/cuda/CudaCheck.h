//===- CudaCheck.h - Every CUDA and cuBLAS call checked -------------------===//
#ifndef ALEXC_RUNTIME_CUDA_CUDACHECK_H
#define ALEXC_RUNTIME_CUDA_CUDACHECK_H

#include <cstdio>
#include <cstdlib>

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

#endif
