//===- Dense.cuh - Dense layers: generated and cuBLAS variants ------------===//
//
// The layer's GEMMs by the tiled kernel (bias and epilogue in its store)
// or by cuBLAS followed by a map that adds the bias and runs the epilogue.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_DENSE_CUH
#define ALEXC_RUNTIME_CUDA_DENSE_CUH

#include "runtime/cuda/Elementwise.cuh"
#include "runtime/cuda/Gemm.cuh"
#include "runtime/cuda/Reduce.cuh"

namespace alexc::cuda {

template <class Epi> struct BiasEpi {
  const float *bias;
  int64_t U;
  Epi epi;
  __device__ void operator()(int64_t i, float v) const {
    epi(i, v + (bias ? bias[i % U] : 0.f));
  }
};

#ifdef __CUDACC__

template <class Epi>
void launchMapWithBias(int64_t N, int64_t U, const float *in, const float *bias,
                       Epi epi, const CudaFrame &f) {
  mapKernel<<<gridFor(N * U), 256, 0, streamOf(f)>>>(
      N * U, in, BiasEpi<Epi>{bias, U, epi});
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

template <class Epi>
void denseForward(int64_t N, int64_t F, int64_t U, const float *x,
                  const float *w, const float *b, Epi epi, const CudaFrame &f,
                  int variant) {
  if (variant == 0) {
    launchGemm(MatrixProblem<Epi>{x, w, b, F, 1, 1, F, epi, N, U, F}, f);
    return;
  }
  rowMajorGemm(f, false, true, N, U, F, x, F, w, F, f.scratch, U);
  launchMapWithBias(N, U, f.scratch, b, epi, f);
}

template <class Epi>
void denseInputGrad(int64_t N, int64_t F, int64_t U, const float *dy,
                    const float *w, Epi epi, const CudaFrame &f, int variant) {
  if (variant == 0) {
    launchGemm(MatrixProblem<Epi>{dy, w, nullptr, U, 1, F, 1, epi, N, F, U}, f);
    return;
  }
  rowMajorGemm(f, false, false, N, F, U, dy, U, w, F, f.scratch, F);
  launchMapWithBias(N, F, f.scratch, nullptr, epi, f);
}

inline void denseWeightGrad(int64_t N, int64_t F, int64_t U, const float *x,
                            const float *dy, float *dw, float *db,
                            const CudaFrame &f, int variant) {
  if (variant == 0)
    launchGemm(MatrixProblem<StoreTo>{dy, x, nullptr, 1, U, F, 1, StoreTo{dw},
                                      U, F, N},
               f);
  else
    rowMajorGemm(f, true, false, U, F, N, dy, U, x, F, dw, F);
  if (db)
    biasGrad(N, U, 1, dy, db, f);
}

#endif // __CUDACC__

} // namespace alexc::cuda

#endif
