//===- Reduce.h - Sums over channels (bias gradients) ---------------------===//
//
// The bias gradient, the sum of dy over every dimension but the channel,
// in a fixed order so that runs repeat bit for bit.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_REDUCE_H
#define ALEXC_RUNTIME_CPU_REDUCE_H

#include "runtime/cpu/Gemm.h"

#include <cstdint>

namespace alexc::cpu {

/// p[0] + ... + p[n - 1] in 64 independent partial sums (a single running
/// sum is bound by the add latency). The order is fixed, so the result is
/// reproducible.
inline float sumOf(const float *p, int64_t n) {
  v16 acc[4] = {};
  int64_t k = 0;
  for (; k + 64 <= n; k += 64)
    for (int a = 0; a < 4; ++a)
      acc[a] += loadv(p + k + 16 * a);
  v16 total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  float s = 0.f;
  for (int lane = 0; lane < 16; ++lane)
    s += total[lane];
  for (; k < n; ++k)
    s += p[k];
  return s;
}

/// dw = the sum over threads of each thread's partial weight gradient, and
/// db (when set) of its O bias sums stored after them; thread t's block
/// starts at partial[t * stride]. Added in thread order: runs repeat.
inline void addThreadPartials(const float *partial, int threads, size_t stride,
                              int64_t wsize, int64_t O, float *dw, float *db) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < wsize; ++i) {
    float s = 0.f;
    for (int t = 0; t < threads; ++t)
      s += partial[t * stride + i];
    dw[i] = s;
  }
  if (db)
    for (int64_t o = 0; o < O; ++o) {
      float s = 0.f;
      for (int t = 0; t < threads; ++t)
        s += partial[t * stride + wsize + o];
      db[o] = s;
    }
}

/// Column sums for a standalone bias gradient: [N, O, inner] -> [O].
inline void biasGrad(int64_t N, int64_t O, int64_t inner, const float *dy,
                     float *db) {
  for (int64_t o = 0; o < O; ++o) {
    float s = 0.f;
    for (int64_t n = 0; n < N; ++n)
      s += sumOf(dy + (n * O + o) * inner, inner);
    db[o] = s;
  }
}

} // namespace alexc::cpu

#endif
