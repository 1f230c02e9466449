//===- Init.cuh - Parameter initialization and batch preparation ----------===//
//
// Counter-based initial values (KernelAbi.h's fillValue), and the
// gathering, resizing and scaling of a batch on the GPU.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_INIT_CUH
#define ALEXC_RUNTIME_CUDA_INIT_CUH

#include "runtime/cuda/Elementwise.cuh"

namespace alexc::cuda {

__global__ void fillKernel(float *out, int64_t n, const StepScalars *sc,
                           uint32_t stream, double scale, abi::FillKind kind) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = abi::fillValue(kind, sc->seed, stream, uint64_t(i), scale);
}

/// Gathers the examples `idx` (-1: padding) of a uint8 dataset on the GPU,
/// resizes them with the bilinear tables and scales them to [0, 1].
__global__ void prepareBatchKernel(
    const uint8_t *data, const int32_t *labels, int64_t rows, int64_t cols,
    const int64_t *idx, int64_t batch, int64_t outRows, int64_t outCols,
    const int32_t *y0, const int32_t *dy, const float *wy, const int32_t *x0,
    const int32_t *dx, const float *wx, float *images, int32_t *outLabels) {
  int64_t pixels = outRows * outCols, total = batch * pixels;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t b = t / pixels, p = t % pixels, y = p / outCols, x = p % outCols;
    int64_t e = idx[b];
    if (p == 0)
      outLabels[b] = e < 0 ? -1 : labels[e];
    if (e < 0) {
      images[t] = 0.f;
      continue;
    }
    const uint8_t *in = data + e * rows * cols;
    const uint8_t *r0 = in + y0[y] * cols, *r1 = r0 + dy[y] * cols;
    float h1 = wy[y], h0 = 1.f - h1, w1 = wx[x], w0 = 1.f - w1;
    int32_t c0 = x0[x], c1 = c0 + dx[x];
    images[t] = h0 * (w0 * (r0[c0] / 255.f) + w1 * (r0[c1] / 255.f)) +
                h1 * (w0 * (r1[c0] / 255.f) + w1 * (r1[c1] / 255.f));
  }
}

#ifdef __CUDACC__

inline void fill(abi::FillKind kind, float *out, int64_t n, uint32_t stream,
                 double scale, const CudaFrame &f) {
  fillKernel<<<gridFor(n), 256, 0, streamOf(f)>>>(out, n, f.sc, stream, scale,
                                                  kind);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

#endif // __CUDACC__

} // namespace alexc::cuda

#endif
