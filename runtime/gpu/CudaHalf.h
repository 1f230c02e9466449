//===- CudaHalf.h - The CUDA half of an executable -------------*- C++ -*-===//
//
// An executable built with CUDA code carries that code as a shared library
// inside itself (alexc embeds it). It is opened only when a run asks for
// the GPU, so that the executable starts, and trains on the CPU, on a
// machine without the CUDA driver, cuBLAS or cuDNN; what is missing is
// then the reason given.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDAHALF_H
#define ALEXC_RUNTIME_CUDAHALF_H

#include "runtime/train/Executor.h"

#include <string>

namespace alexc::rt {

/// The entry points of the CUDA half (runtime/gpu/CudaExecutor.cuh).
struct CudaHalf {
  Executor *(*createExecutor)(const char *gemm, const char *variants,
                              const char *precision, const char *tuningCache,
                              int deterministic, const char **error);
  int (*checkKernels)(const char *precision);
};

/// Whether this executable carries CUDA code.
bool hasCudaHalf();

/// Opens the CUDA half (once); null, with `error` naming what is missing,
/// when there is none or it cannot be loaded.
const CudaHalf *openCudaHalf(std::string &error);

} // namespace alexc::rt

#endif
