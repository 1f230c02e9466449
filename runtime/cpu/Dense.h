//===- Dense.h - CPU dense layers (forward and gradients) -----------------===//
//
// Dense layers as GEMMs over the whole batch, the bias and the epilogue
// in one pass over the output.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_DENSE_H
#define ALEXC_RUNTIME_CPU_DENSE_H

#include "runtime/cpu/Elementwise.h"
#include "runtime/cpu/Gemm.h"

#include <cstdint>

namespace alexc::cpu {

/// y[N x U] = x[N x F] * w[U x F]^T + b.
template <typename Epi>
void denseForward(int64_t N, int64_t F, int64_t U, const float *x,
                  const float *w, const float *b, float *y, Epi &&epilogue) {
  gemmParallel(N, U, F, MatView{x, F, 1}, MatView{w, 1, F}, y, U, false);
  elementwise(N * U, [&](int64_t begin, int64_t end) {
    if (b)
      for (int64_t i = begin; i < end; ++i)
        y[i] += b[i % U];
    epilogue(begin, end);
  });
}

/// dx[N x F] = dy[N x U] * w[U x F].
template <typename Epi>
void denseInputGrad(int64_t N, int64_t F, int64_t U, const float *dy,
                    const float *w, float *dx, Epi &&epilogue) {
  gemmParallel(N, F, U, MatView{dy, U, 1}, MatView{w, F, 1}, dx, F, false);
  elementwise(N * F, epilogue);
}

/// dw[U x F] = dy^T * x; db = column sums of dy.
inline void denseWeightGrad(int64_t N, int64_t F, int64_t U, const float *x,
                            const float *dy, float *dw, float *db) {
  gemmParallel(U, F, N, MatView{dy, 1, U}, MatView{x, F, 1}, dw, F, false);
  if (db)
    for (int64_t u = 0; u < U; ++u) {
      float s = 0.f;
      for (int64_t n = 0; n < N; ++n)
        s += dy[n * U + u];
      db[u] = s;
    }
}

} // namespace alexc::cpu

#endif
