//===- Elementwise.h - The epilogue contract of the CPU kernels -----------===//
//
// Every CPU kernel with an output calls `epilogue(begin, end)` on each
// finished range of its flat output: the generated code applies the fused
// elementwise ops there while the data is still in cache.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_ELEMENTWISE_H
#define ALEXC_RUNTIME_CPU_ELEMENTWISE_H

#include "runtime/cpu/Gemm.h"

#include <algorithm>
#include <cstdint>

namespace alexc::cpu {

inline int threadId() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

struct NoEpilogue {
  void operator()(int64_t, int64_t) const {}
};

/// A standalone elementwise kernel, and the epilogue pass of kernels that
/// finish their output first: `epilogue(begin, end)` on [0, n) in parallel
/// chunks.
template <typename Epi> void elementwise(int64_t n, Epi &&epilogue) {
  constexpr int64_t chunk = 1 << 14;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < n; b += chunk)
    epilogue(b, std::min(n, b + chunk));
}

} // namespace alexc::cpu

#endif
