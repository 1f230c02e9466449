//===- Init.h - CPU parameter initialization ------------------------------===//
//
// Counter-based initial values (KernelAbi.h's fillValue): the same on
// every back end and thread count.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_INIT_H
#define ALEXC_RUNTIME_CPU_INIT_H

#include "runtime/abi/KernelAbi.h"

#include <cstdint>
#include <cstring>

namespace alexc::cpu {

using abi::FillKind;

/// out[0, n) = the initial values of `stream` under `seed` (zeros need no
/// counter and are a memset).
inline void fill(FillKind kind, float *out, int64_t n, uint32_t stream,
                 double scale, uint64_t seed) {
  if (kind == FillKind::Zero) {
    std::memset(out, 0, n * sizeof(float));
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    out[i] = abi::fillValue(kind, seed, stream, uint64_t(i), scale);
}

} // namespace alexc::cpu

#endif
