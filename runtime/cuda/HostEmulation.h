//===- HostEmulation.h - Compile grid-stride CUDA kernels for the host ----===//
//
// Include before DeviceKernels.cuh in a host-only test: the CUDA keywords
// disappear and a kernel called with gridDim = blockDim = 1 runs its whole
// grid-stride loop in one host thread. Only for kernels without shared
// memory or barriers.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_HOSTEMULATION_H
#define ALEXC_RUNTIME_CUDA_HOSTEMULATION_H

#include <cmath>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline

namespace alexc::cuda {
struct EmulatedDim3 {
  unsigned x = 0, y = 0, z = 0;
};
inline EmulatedDim3 threadIdx, blockIdx, blockDim{1, 1, 1}, gridDim{1, 1, 1};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float atomicAdd(float *p, float v) {
  float old = *p;
  *p += v;
  return old;
}
using std::isnan;
} // namespace alexc::cuda

#endif
