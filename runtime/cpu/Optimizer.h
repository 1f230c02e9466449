//===- Optimizer.h - CPU multi-tensor optimizer update --------------------===//
//
// One parallel loop over every parameter of the model; the per-element
// formulas are the CUDA ones (KernelAbi.h).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_OPTIMIZER_H
#define ALEXC_RUNTIME_CPU_OPTIMIZER_H

#include "runtime/abi/KernelAbi.h"

#include <algorithm>
#include <cstdint>

namespace alexc::cpu {

using abi::Update;
using abi::UpdateKind;

/// Elements [begin, end) of one update; one loop per kind, so that each
/// vectorizes.
inline void applyUpdate(const Update &up, int64_t begin, int64_t end, float lr,
                        uint64_t step) {
  float *__restrict param = up.param;
  const float *__restrict grad = up.grad;
  float *__restrict s1 = up.s1;
  float *__restrict s2 = up.s2;
  switch (up.kind) {
  case UpdateKind::SGD:
    for (int64_t k = begin; k < end; ++k)
      param[k] = abi::sgdStep(up, param[k], grad[k], lr);
    break;
  case UpdateKind::Momentum:
    for (int64_t k = begin; k < end; ++k)
      param[k] = abi::momentumStep(up, param[k], grad[k], s1[k], lr);
    break;
  case UpdateKind::Adam: {
    abi::AdamCorrection c = abi::adamCorrection(up, double(step + 1));
    for (int64_t k = begin; k < end; ++k)
      param[k] = abi::adamStep(up, c, param[k], grad[k], s1[k], s2[k], lr);
    break;
  }
  }
}

/// Applies every update, splitting all elements of all tensors evenly
/// between the threads. `step` counts from 0 (Adam's t is step + 1).
inline void applyUpdates(const Update *updates, int count, float lr,
                         uint64_t step) {
  int64_t total = 0;
  for (int u = 0; u < count; ++u)
    total += updates[u].n;
  constexpr int64_t chunk = 1 << 14;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < total; b += chunk) {
    int64_t e = std::min(total, b + chunk), base = 0;
    for (int u = 0; u < count; ++u) {
      const Update &up = updates[u];
      int64_t lo = std::max(b, base), hi = std::min(e, base + up.n);
      if (lo < hi)
        applyUpdate(up, lo - base, hi - base, lr, step);
      base += up.n;
    }
  }
}

} // namespace alexc::cpu

#endif
