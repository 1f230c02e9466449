//===- Elementwise.cuh - The map kernel and what every launcher uses ------===//
//
// The device code of every family compiles with nvcc, and with a host
// compiler through HostEmulation.h, so that the tests run it without a
// GPU; the launchers (after `#ifdef __CUDACC__`) need nvcc and the CUDA
// libraries. `elementwise` runs a standalone fused chain.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_ELEMENTWISE_CUH
#define ALEXC_RUNTIME_CUDA_ELEMENTWISE_CUH

#include "runtime/abi/KernelAbi.h"
#include "runtime/abi/Philox.h"
#include "runtime/abi/Select.h"
#include "runtime/cuda/CudaModel.h"

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#include "runtime/cuda/CudaCheck.h"
#endif

namespace alexc::cuda {

using rt::StepScalars;

using abi::ConvGeom;

struct NoBias {};

template <class Epi>
__global__ void mapKernel(int64_t n, const float *in, Epi epi) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    epi(i, in[i]);
}

#ifdef __CUDACC__

using rt::CudaFrame;
using rt::StepScalars;

inline cudaStream_t streamOf(const CudaFrame &f) {
  return static_cast<cudaStream_t>(f.stream);
}

inline unsigned gridFor(int64_t n, int threads = 256) {
  int64_t blocks = (n + threads - 1) / threads;
  return unsigned(blocks < 65535 * 16 ? (blocks > 0 ? blocks : 1) : 65535 * 16);
}

template <class Epi>
void elementwise(int64_t n, const float *in, Epi epi, const CudaFrame &f) {
  mapKernel<<<gridFor(n), 256, 0, streamOf(f)>>>(n, in, epi);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

#endif // __CUDACC__

} // namespace alexc::cuda

#endif
