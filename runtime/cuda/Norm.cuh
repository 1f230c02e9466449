//===- Norm.cuh - Batch normalization: statistics, normalize, gradient ----===//
//
// One block per channel sums in double and reduces in a fixed tree, so a
// run repeats bit for bit; a map over the tensor then applies each
// channel's y = a * p + k * q + b (coefficients in the frame's scratch)
// and hands every value to the fused epilogue. The statistics and
// gradients cover the images that hold examples (the step scalars' `rows`,
// read on the device because the step is replayed as a CUDA graph).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_NORM_CUH
#define ALEXC_RUNTIME_CUDA_NORM_CUH

#include "runtime/cuda/Elementwise.cuh"

namespace alexc::cuda {

using abi::NormGeom;

constexpr int kNormThreads = 256;

/// The sum of every thread's `v` in the block, on every thread.
__device__ inline double blockSum(double v) {
  __shared__ double partial[kNormThreads];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int half = kNormThreads / 2; half > 0; half /= 2) {
    if (int(threadIdx.x) < half)
      partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  double total = partial[0];
  __syncthreads();
  return total;
}

/// The step's rows holding examples (null scalars: all).
__device__ inline int64_t rowsOf(const rt::StepScalars *sc) {
  return sc ? sc->rows : 0;
}

/// This thread's share of f(flat index) over channel c in the first
/// `rows` images.
template <class F>
__device__ inline double channelPartial(const NormGeom &g, int64_t rows,
                                        int64_t c, F f) {
  double s = 0;
  for (int64_t j = threadIdx.x; j < g.count(rows); j += kNormThreads) {
    int64_t n = j / g.inner, i = j % g.inner;
    s += f((n * g.C + c) * g.inner + i);
  }
  return s;
}

/// Block c: the statistics of channel c; coef = [scale | shift].
__global__ void __launch_bounds__(kNormThreads)
    batchNormStatsKernel(NormGeom g, const float *x, const float *runMean,
                         const float *runVar, const float *gamma,
                         const float *beta, double momentum, double eps,
                         float *mean, float *invstd, float *newMean,
                         float *newVar, float *coef,
                         const rt::StepScalars *sc) {
  int64_t c = blockIdx.x, rows = rowsOf(sc);
  double count = double(g.count(rows));
  double m = blockSum(channelPartial(g, rows, c,
                                     [&](int64_t i) { return double(x[i]); })) /
             count;
  double sq = blockSum(channelPartial(g, rows, c, [&](int64_t i) {
    double d = x[i] - m;
    return d * d;
  }));
  if (threadIdx.x != 0)
    return;
  abi::NormStatistics stats{gamma, beta, runMean, runVar,  momentum,
                            eps,   mean, invstd,  newMean, newVar};
  abi::finishNormStatistics(stats, c, m, sq, count, coef[c], coef[g.C + c]);
}

/// Block c: dgamma, dbeta and dx's coefficients coef = [a | b | k].
__global__ void __launch_bounds__(kNormThreads)
    batchNormGradStatsKernel(NormGeom g, const float *x, const float *dy,
                             const float *mean, const float *invstd,
                             const float *gamma, float *dgamma, float *dbeta,
                             float *coef, const rt::StepScalars *sc) {
  int64_t c = blockIdx.x, rows = rowsOf(sc);
  double m = mean[c], is = invstd[c], count = double(g.count(rows));
  double db = blockSum(
      channelPartial(g, rows, c, [&](int64_t i) { return double(dy[i]); }));
  double dg = blockSum(channelPartial(
      g, rows, c, [&](int64_t i) { return double(dy[i]) * (x[i] - m) * is; }));
  if (threadIdx.x != 0)
    return;
  if (dgamma)
    dgamma[c] = float(dg);
  if (dbeta)
    dbeta[c] = float(db);
  double gi = (gamma ? gamma[c] : 1.0) * is, kc = -gi * is * dg / count;
  coef[c] = float(gi);
  coef[g.C + c] = float(-gi * db / count - kc * m);
  coef[2 * g.C + c] = float(kc);
}

/// Thread c: scale and shift of channel c from the running statistics.
__global__ void batchNormInferenceCoefKernel(NormGeom g, const float *mean,
                                             const float *var,
                                             const float *gamma,
                                             const float *beta, double eps,
                                             float *coef) {
  int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c < g.C)
    abi::normAffine(mean[c], float(1.0 / sqrt(double(var[c]) + eps)), gamma,
                    beta, c, coef[c], coef[g.C + c]);
}

/// Element i: coef[c] * p[i] + coef[C + c] (+ coef[2C + c] * q[i]); with
/// q (the gradient), 0 in the padding images.
template <class Epi>
__global__ void channelMapKernel(NormGeom g, const float *p, const float *q,
                                 const float *coef, Epi epi,
                                 const rt::StepScalars *sc) {
  int64_t n = g.N * g.C * g.inner;
  int64_t zeroFrom = q ? g.statRows(rowsOf(sc)) * g.C * g.inner : n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t c = g.channelOf(i);
    float v = coef[c] * p[i] + coef[g.C + c];
    if (q)
      v += coef[2 * g.C + c] * q[i];
    epi(i, i < zeroFrom ? v : 0.f);
  }
}

#ifdef __CUDACC__

template <class Epi>
void batchNormTrain(const NormGeom &g, const float *x, const float *runMean,
                    const float *runVar, const float *gamma, const float *beta,
                    double momentum, double eps, float *mean, float *invstd,
                    float *newMean, float *newVar, Epi epi,
                    const CudaFrame &f) {
  batchNormStatsKernel<<<unsigned(g.C), kNormThreads, 0, streamOf(f)>>>(
      g, x, runMean, runVar, gamma, beta, momentum, eps, mean, invstd, newMean,
      newVar, f.scratch, f.sc);
  ALEXC_CUDA_CHECK(cudaGetLastError());
  int64_t n = g.N * g.C * g.inner;
  channelMapKernel<<<gridFor(n), 256, 0, streamOf(f)>>>(g, x, nullptr,
                                                        f.scratch, epi, f.sc);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

template <class Epi>
void batchNormInference(const NormGeom &g, const float *x, const float *mean,
                        const float *var, const float *gamma, const float *beta,
                        double eps, Epi epi, const CudaFrame &f) {
  // The running statistics as a batch of one pass: scale and shift.
  batchNormInferenceCoefKernel<<<gridFor(g.C), 256, 0, streamOf(f)>>>(
      g, mean, var, gamma, beta, eps, f.scratch);
  ALEXC_CUDA_CHECK(cudaGetLastError());
  int64_t n = g.N * g.C * g.inner;
  channelMapKernel<<<gridFor(n), 256, 0, streamOf(f)>>>(g, x, nullptr,
                                                        f.scratch, epi, f.sc);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

template <class Epi>
void batchNormGrad(const NormGeom &g, const float *x, const float *dy,
                   const float *mean, const float *invstd, const float *gamma,
                   float *dgamma, float *dbeta, Epi epi, const CudaFrame &f) {
  batchNormGradStatsKernel<<<unsigned(g.C), kNormThreads, 0, streamOf(f)>>>(
      g, x, dy, mean, invstd, gamma, dgamma, dbeta, f.scratch, f.sc);
  ALEXC_CUDA_CHECK(cudaGetLastError());
  int64_t n = g.N * g.C * g.inner;
  channelMapKernel<<<gridFor(n), 256, 0, streamOf(f)>>>(g, dy, x, f.scratch,
                                                        epi, f.sc);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

#endif // __CUDACC__

} // namespace alexc::cuda

#endif
