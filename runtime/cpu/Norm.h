//===- Norm.h - Batch normalization: statistics, normalize, gradient ------===//
//
// Two passes each: per-channel sums (vectorized within a plane, in double
// across planes, in a fixed order: runs repeat bit for bit), then one
// per-channel map y = scale * x + shift over the flat tensor in chunks, each
// handed to the fused epilogue.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_NORM_H
#define ALEXC_RUNTIME_CPU_NORM_H

#include "runtime/abi/KernelAbi.h"
#include "runtime/cpu/Elementwise.h"
#include "runtime/cpu/Reduce.h"

#include <cmath>
#include <vector>

namespace alexc::cpu {

using abi::NormGeom;

/// out[i] = a[c] * p[i] + b[c] (+ k[c] * q[i] when q is given) over the
/// flat tensor, c the channel of i; the epilogue runs on each chunk. Images
/// from `zeroFrom` on get 0 instead (the gradient of padding rows).
template <typename Epi>
void channelMap(const NormGeom &g, const float *p, const float *q,
                const float *a, const float *b, const float *k, float *out,
                Epi &&epilogue, int64_t zeroFrom) {
  int64_t n = g.N * g.C * g.inner;
  constexpr int64_t chunk = 1 << 14;
#pragma omp parallel for schedule(static)
  for (int64_t begin = 0; begin < n; begin += chunk) {
    int64_t end = std::min(n, begin + chunk);
    for (int64_t i = begin; i < end;) {
      // One run of a single channel: a plane, or part of one.
      int64_t c = g.channelOf(i),
              stop = std::min(end, (i / g.inner + 1) * g.inner);
      float ac = a[c], bc = b[c], kc = k ? k[c] : 0.f;
      if (i / (g.C * g.inner) >= zeroFrom)
        for (; i < stop; ++i)
          out[i] = 0.f;
      else if (q)
        for (; i < stop; ++i)
          out[i] = ac * p[i] + kc * q[i] + bc;
      else
        for (; i < stop; ++i)
          out[i] = ac * p[i] + bc;
    }
    epilogue(begin, end);
  }
}

/// sum over k < n of (p[k] - m) * (q ? q[k] : p[k] - m), in 64 independent
/// partial sums (as sumOf), in a fixed order.
inline float sumCentered(const float *p, const float *q, int64_t n, float m) {
  v16 acc[4] = {}, mv = v16{} + m;
  int64_t k = 0;
  for (; k + 64 <= n; k += 64)
    for (int a = 0; a < 4; ++a) {
      v16 d = loadv(p + k + 16 * a) - mv;
      acc[a] += d * (q ? loadv(q + k + 16 * a) : d);
    }
  v16 total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  float s = 0.f;
  for (int lane = 0; lane < 16; ++lane)
    s += total[lane];
  for (; k < n; ++k)
    s += (p[k] - m) * (q ? q[k] : p[k] - m);
  return s;
}

/// The sum over the planes of channel c in the first `rows` images of
/// plane(offset of the plane), in double, in a fixed order.
template <typename F>
double channelSum(const NormGeom &g, int64_t rows, int64_t c, F plane) {
  double s = 0;
  for (int64_t n = 0; n < rows; ++n)
    s += plane((n * g.C + c) * g.inner);
  return s;
}

/// Training mode: batch statistics of the first `rows` images (mean,
/// invstd, each may be null), the running statistics updated into
/// newMean/newVar (may be null), y = the normalized x into `out` (may be
/// null).
template <typename Epi>
void batchNormTrain(const NormGeom &g, const float *x, const float *runMean,
                    const float *runVar, const float *gamma, const float *beta,
                    double momentum, double eps, float *mean, float *invstd,
                    float *newMean, float *newVar, float *out, Epi &&epilogue,
                    int64_t rows) {
  std::vector<float> scale(g.C), shift(g.C);
  const abi::NormStatistics stats{gamma, beta, runMean, runVar,  momentum,
                                  eps,   mean, invstd,  newMean, newVar};
  const int64_t R = g.statRows(rows);
  double count = double(g.count(rows));
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < g.C; ++c) {
    double m =
        channelSum(g, R, c, [&](int64_t i) { return sumOf(x + i, g.inner); }) /
        count;
    double sq = channelSum(g, R, c, [&](int64_t i) {
      return sumCentered(x + i, nullptr, g.inner, float(m));
    });
    abi::finishNormStatistics(stats, c, m, sq, count, scale[c], shift[c]);
  }
  if (out)
    channelMap(g, x, nullptr, scale.data(), shift.data(), nullptr, out,
               epilogue, g.N);
}

/// Evaluation mode: the running statistics.
template <typename Epi>
void batchNormInference(const NormGeom &g, const float *x, const float *mean,
                        const float *var, const float *gamma, const float *beta,
                        double eps, float *out, Epi &&epilogue) {
  std::vector<float> scale(g.C), shift(g.C);
  for (int64_t c = 0; c < g.C; ++c)
    abi::normAffine(mean[c], float(1.0 / std::sqrt(double(var[c]) + eps)),
                    gamma, beta, c, scale[c], shift[c]);
  channelMap(g, x, nullptr, scale.data(), shift.data(), nullptr, out, epilogue,
             g.N);
}

/// dgamma, dbeta (each may be null) and dx = a * dy + k * x + b per
/// channel: the gradient of batchNormTrain's output (NNOps.td) over the
/// first `rows` images; the padding images' dx is 0.
template <typename Epi>
void batchNormGrad(const NormGeom &g, const float *x, const float *dy,
                   const float *mean, const float *invstd, const float *gamma,
                   float *dgamma, float *dbeta, float *out, Epi &&epilogue,
                   int64_t rows) {
  std::vector<float> a(g.C), b(g.C), k(g.C);
  const int64_t R = g.statRows(rows);
  double count = double(g.count(rows));
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < g.C; ++c) {
    double m = mean[c], is = invstd[c];
    double db =
        channelSum(g, R, c, [&](int64_t i) { return sumOf(dy + i, g.inner); });
    double dg = is * channelSum(g, R, c, [&](int64_t i) {
                  return sumCentered(x + i, dy + i, g.inner, float(m));
                });
    if (dgamma)
      dgamma[c] = float(dg);
    if (dbeta)
      dbeta[c] = float(db);
    double gi = (gamma ? gamma[c] : 1.0) * is;
    double kc = -gi * is * dg / count;
    a[c] = float(gi);
    k[c] = float(kc);
    b[c] = float(-gi * db / count - kc * m);
  }
  if (out)
    channelMap(g, dy, x, a.data(), b.data(), k.data(), out, epilogue, R);
}

} // namespace alexc::cpu

#endif
