//===- Loss.cuh - Softmax cross-entropy -----------------------------------===//
//
// One block; rows spread over its threads (rows computed by
// SoftmaxCrossEntropy.h, as on the CPU).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_LOSS_CUH
#define ALEXC_RUNTIME_CUDA_LOSS_CUH

#include "runtime/abi/SoftmaxCrossEntropy.h"
#include "runtime/cuda/Elementwise.cuh"

namespace alexc::cuda {

/// The mean over the labelled rows, or over `sc->lossRows` when set (a
/// data-parallel rank divides by the global batch's rows, as on the CPU).
__global__ void softmaxCrossEntropyKernel(int64_t N, int64_t K,
                                          const float *logits,
                                          const int32_t *labels, float *loss,
                                          int32_t *correct, float *dlogits,
                                          const StepScalars *sc) {
  __shared__ float lossPart[256];
  __shared__ int countPart[256], rightPart[256];
  float ls = 0.f;
  int cnt = 0, right = 0;
  for (int64_t n = threadIdx.x; n < N; n += blockDim.x)
    cnt += labels[n] >= 0;
  countPart[threadIdx.x] = cnt;
  __syncthreads();
  for (unsigned w = blockDim.x / 2; w > 0; w /= 2) {
    if (threadIdx.x < w)
      countPart[threadIdx.x] += countPart[threadIdx.x + w];
    __syncthreads();
  }
  int64_t count = sc && sc->lossRows > 0 ? sc->lossRows : countPart[0];
  __syncthreads();
  for (int64_t n = threadIdx.x; n < N; n += blockDim.x) {
    rt::LossRow r =
        rt::softmaxCrossEntropyRow(logits + n * K, K, labels[n], count,
                                   dlogits ? dlogits + n * K : nullptr);
    ls += r.loss;
    right += r.right;
  }
  lossPart[threadIdx.x] = ls;
  rightPart[threadIdx.x] = right;
  __syncthreads();
  for (unsigned w = blockDim.x / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) {
      lossPart[threadIdx.x] += lossPart[threadIdx.x + w];
      rightPart[threadIdx.x] += rightPart[threadIdx.x + w];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    if (loss)
      *loss = count ? lossPart[0] / float(count) : 0.f;
    if (correct)
      *correct = rightPart[0];
  }
}

#ifdef __CUDACC__

inline void softmaxCrossEntropy(int64_t N, int64_t K, const float *logits,
                                const int32_t *labels, float *loss,
                                int32_t *correct, float *dlogits,
                                const CudaFrame &f) {
  softmaxCrossEntropyKernel<<<1, 256, 0, streamOf(f)>>>(
      N, K, logits, labels, loss, correct, dlogits, f.sc);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

#endif // __CUDACC__

} // namespace alexc::cuda

#endif
