//===- Pool.cuh - Max and average pooling ---------------------------------===//
//
// One thread per output, or per input for the gradients (max pooling's
// gradient by scatter into zeroed scratch).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_POOL_CUH
#define ALEXC_RUNTIME_CUDA_POOL_CUH

#include "runtime/cuda/Elementwise.cuh"

namespace alexc::cuda {

using abi::PoolGeom;
using abi::PoolKind;

/// Calls visit(iy * W + ix) for every input position of output (oy, ox)'s
/// window that lies inside the image, in row-major order.
template <class Visit>
__device__ inline void forWindow(const PoolGeom &g, int64_t oy, int64_t ox,
                                 Visit &&visit) {
  for (int64_t i = 0; i < g.KH; ++i) {
    int64_t iy = oy * g.SH + i - g.PH;
    if (iy < 0 || iy >= g.H)
      continue;
    for (int64_t j = 0; j < g.KW; ++j) {
      int64_t ix = ox * g.SW + j - g.PW;
      if (ix >= 0 && ix < g.W)
        visit(iy * g.W + ix);
    }
  }
}

template <bool Max, class Epi>
__global__ void poolForwardKernel(PoolGeom g, const float *x, Epi epi) {
  int64_t total = g.N * g.C * g.OH * g.OW;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t ox = t % g.OW, oy = (t / g.OW) % g.OH, nc = t / (g.OW * g.OH);
    const float *xc = x + nc * g.H * g.W;
    float r = Max ? -INFINITY : 0.f;
    forWindow(g, oy, ox, [&](int64_t at) {
      float v = xc[at];
      // Max: v when greater or NaN, as in the reference (fmaxf skips NaN).
      r = Max ? (v > r || isnan(v) ? v : r) : r + v;
    });
    epi(t, Max ? r : r / float(g.KH * g.KW));
  }
}

/// The flat index in channel plane xc of the first maximum of output
/// (oy, ox)'s window, in row-major order (NaN counts as a maximum, as in
/// the reference); -1 for a window with no input position.
__device__ inline int64_t windowArgmax(const PoolGeom &g, const float *xc,
                                       int64_t oy, int64_t ox) {
  float best = 0.f;
  int64_t where = -1;
  forWindow(g, oy, ox, [&](int64_t at) {
    float v = xc[at];
    if (where < 0 || v > best || isnan(v))
      best = v, where = at;
  });
  return where;
}

/// Each input position sums the gradients of the windows that chose it
/// (max: the window's first maximum is this position).
template <bool Max, class Epi>
__global__ void poolGradKernel(PoolGeom g, const float *x, const float *dy,
                               Epi epi) {
  int64_t total = g.N * g.C * g.H * g.W;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t w = t % g.W, h = (t / g.W) % g.H, nc = t / (g.W * g.H);
    const float *xc = Max ? x + nc * g.H * g.W : nullptr;
    const float *dyc = dy + nc * g.OH * g.OW;
    float s = 0.f;
    for (int64_t i = 0; i < g.KH; ++i) {
      int64_t ty = h + g.PH - i;
      if (ty < 0 || ty % g.SH || ty / g.SH >= g.OH)
        continue;
      int64_t oy = ty / g.SH;
      for (int64_t j = 0; j < g.KW; ++j) {
        int64_t tx = w + g.PW - j;
        if (tx < 0 || tx % g.SW || tx / g.SW >= g.OW)
          continue;
        int64_t ox = tx / g.SW;
        if (!Max) {
          s += dyc[oy * g.OW + ox] / float(g.KH * g.KW);
          continue;
        }
        if (windowArgmax(g, xc, oy, ox) == h * g.W + w)
          s += dyc[oy * g.OW + ox];
      }
    }
    epi(t, s);
  }
}

/// Max pooling's gradient by scatter: one thread per window finds its
/// first maximum and adds its gradient there (into zeroed scratch).
__global__ void maxPoolScatterKernel(PoolGeom g, const float *x,
                                     const float *dy, float *dx) {
  int64_t total = g.N * g.C * g.OH * g.OW;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t ox = t % g.OW, oy = (t / g.OW) % g.OH, nc = t / (g.OW * g.OH);
    const float *xc = x + nc * g.H * g.W;
    atomicAdd(&dx[nc * g.H * g.W + windowArgmax(g, xc, oy, ox)], dy[t]);
  }
}

#ifdef __CUDACC__

template <PoolKind K, class Epi>
void poolForward(const PoolGeom &g, const float *x, Epi epi,
                 const CudaFrame &f) {
  poolForwardKernel<K == PoolKind::Max>
      <<<gridFor(g.N * g.C * g.OH * g.OW), 256, 0, streamOf(f)>>>(g, x, epi);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

/// dx from dy; x (the forward input) is read by max pooling only.
template <PoolKind K, class Epi>
void poolInputGrad(const PoolGeom &g, const float *x, const float *dy, Epi epi,
                   const CudaFrame &f) {
  int64_t n = g.N * g.C * g.H * g.W;
  if (K == PoolKind::Max && f.deterministic) {
    // Each input position gathers the gradients of the windows that chose
    // it, in a fixed order.
    poolGradKernel<true><<<gridFor(n), 256, 0, streamOf(f)>>>(g, x, dy, epi);
  } else if (K == PoolKind::Max) {
    ALEXC_CUDA_CHECK(
        cudaMemsetAsync(f.scratch, 0, n * sizeof(float), streamOf(f)));
    maxPoolScatterKernel<<<gridFor(g.N * g.C * g.OH * g.OW), 256, 0,
                           streamOf(f)>>>(g, x, dy, f.scratch);
    mapKernel<<<gridFor(n), 256, 0, streamOf(f)>>>(n, f.scratch, epi);
  } else {
    poolGradKernel<false><<<gridFor(n), 256, 0, streamOf(f)>>>(g, x, dy, epi);
  }
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

#endif // __CUDACC__

} // namespace alexc::cuda

#endif
