//===- CudaKernels.cuh - CUDA kernel templates the generated code calls ---===//
//
// Convolutions and GEMMs in two variants: generated tiled kernels (an
// implicit GEMM whose operand loaders compute im2col addresses on the fly
// and whose epilogue functor applies the fused ops as each output is
// written), and cuBLAS on explicit im2col columns followed by an epilogue
// kernel; cuDNN convolutions; the launches of pooling, loss, optimizer,
// initialization and data-preparation kernels. The device code itself is
// in DeviceKernels.cuh. Included by the generated .cu file.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_CUDAKERNELS_CUH
#define ALEXC_RUNTIME_CUDA_CUDAKERNELS_CUH

#include "runtime/Philox.h"
#include "runtime/TuningCache.h"
#include "runtime/cuda/CudaCheck.h"
#include "runtime/cuda/CudaModel.h"
#include "runtime/cuda/DeviceKernels.cuh"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace alexc::cuda {

using rt::CudaFrame;
using rt::StepScalars;

inline cudaStream_t streamOf(const CudaFrame &f) {
  return static_cast<cudaStream_t>(f.stream);
}

inline unsigned gridFor(int64_t n, int threads = 256) {
  int64_t blocks = (n + threads - 1) / threads;
  return unsigned(blocks < 65535 * 16 ? (blocks > 0 ? blocks : 1) : 65535 * 16);
}

//===----------------------------------------------------------------------===//
// Generated tiled GEMM (tiledGemm in DeviceKernels.cuh).
//===----------------------------------------------------------------------===//

template <class P>
void launchGemm(const P &p, const CudaFrame &f, unsigned splits = 1) {
  if (p.K > INT32_MAX) { // the problems take k apart in 32 bits
    std::fprintf(stderr,
                 "error: the generated GEMM sums at most 2^31 - 1 products, "
                 "this one %lld; use --gemm cublas\n",
                 (long long)p.K);
    std::exit(2);
  }
  dim3 grid(unsigned((p.N + kBN - 1) / kBN), unsigned((p.M + kBM - 1) / kBM),
            splits);
  tiledGemm<<<grid, 256, 0, streamOf(f)>>>(p);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

//===----------------------------------------------------------------------===//
// cuBLAS variants: row-major GEMM on explicit columns.
//===----------------------------------------------------------------------===//

/// Row-major C[M x N] = op(A) op(B) (+ beta C) through column-major cuBLAS
/// (C^T = op(B)^T op(A)^T).
inline void rowMajorGemm(const CudaFrame &f, bool transA, bool transB,
                         int64_t M, int64_t N, int64_t K, const float *A,
                         int64_t lda, const float *B, int64_t ldb, float *C,
                         int64_t ldc, float beta = 0.f) {
  float alpha = 1.f;
  cublasComputeType_t compute =
      f.precision == rt::kMathBf16   ? CUBLAS_COMPUTE_32F_FAST_16BF
      : f.precision == rt::kMathTf32 ? CUBLAS_COMPUTE_32F_FAST_TF32
                                     : CUBLAS_COMPUTE_32F_PEDANTIC;
  ALEXC_CUBLAS_CHECK(cublasGemmEx(
      static_cast<cublasHandle_t>(f.cublas), transB ? CUBLAS_OP_T : CUBLAS_OP_N,
      transA ? CUBLAS_OP_T : CUBLAS_OP_N, int(N), int(M), int(K), &alpha, B,
      CUDA_R_32F, int(ldb), A, CUDA_R_32F, int(lda), &beta, C, CUDA_R_32F,
      int(ldc), compute, CUBLAS_GEMM_DEFAULT));
}

/// Scratch bytes the cuBLAS variants of a convolution need.
inline int64_t convScratchFloats(const ConvGeom &g) {
  int64_t ckk = g.C * g.KH * g.KW, cols = g.N * g.OH * g.OW;
  return ckk * cols + g.O * cols;
}

//===----------------------------------------------------------------------===//
// cuDNN variants: the library's convolution, then the epilogue as a map.
//===----------------------------------------------------------------------===//

/// Descriptors of one convolution, created per call (cheap; the calls are
/// recorded once into the step's CUDA graph).
struct CudnnConv {
  cudnnTensorDescriptor_t x, y;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
  CudnnConv(const ConvGeom &g, bool tf32) {
    ALEXC_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    ALEXC_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    ALEXC_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    ALEXC_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    ALEXC_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW,
                                                 CUDNN_DATA_FLOAT, int(g.N),
                                                 int(g.C), int(g.H), int(g.W)));
    ALEXC_CUDNN_CHECK(
        cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                   int(g.N), int(g.O), int(g.OH), int(g.OW)));
    ALEXC_CUDNN_CHECK(
        cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                   int(g.O), int(g.C), int(g.KH), int(g.KW)));
    ALEXC_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        conv, int(g.PH), int(g.PW), int(g.SH), int(g.SW), 1, 1,
        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    ALEXC_CUDNN_CHECK(cudnnSetConvolutionMathType(
        conv, tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
  }
  ~CudnnConv() {
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyConvolutionDescriptor(conv);
  }
};

inline cudnnHandle_t cudnnOf(const CudaFrame &f) {
  return static_cast<cudnnHandle_t>(f.cudnn);
}

/// The GPU's name (asked once per process: a process uses one device).
inline const std::string &deviceName() {
  static const std::string name = [] {
    int device = 0;
    cudaDeviceProp prop;
    ALEXC_CUDA_CHECK(cudaGetDevice(&device));
    ALEXC_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    return std::string(prop.name);
  }();
  return name;
}

/// A convolution algorithm together with the math type cuDNN measured it
/// with. The same algorithm under another math type is another kernel, so
/// both are kept and set before the call, as PyTorch does. (For AlexNet on
/// an H200 this changed no time: the algorithms cuDNN found fastest were
/// already tensor-op ones.)
template <typename Algo> struct CudnnChoice {
  Algo algo;
  cudnnMathType_t math;
};

/// The best algorithm whose workspace fits: measured by cuDNN on the real
/// buffers the first time a convolution runs outside graph capture (like
/// PyTorch's cudnn.benchmark), from the heuristics otherwise; cached per
/// shape and direction, and in the tuning cache (keyed by GPU, cuDNN
/// version, precision and shape) for later runs. At fp32 precision only
/// FMA math is accepted, and never the conversion to fp16.
template <typename Perf, typename Find, typename Get, typename Size>
auto pickAlgorithm(const CudaFrame &f, const ConvGeom &g, int direction,
                   Find find, Get get, Size size) {
  using Algo = decltype(Perf{}.algo);
  using Choice = CudnnChoice<Algo>;
  static std::map<std::vector<int64_t>, Choice> cache;
  std::vector<int64_t> key = {direction, g.N,  g.C,        g.H,  g.W,
                              g.O,       g.KH, g.KW,       g.SH, g.SW,
                              g.PH,      g.PW, f.precision};
  if (auto it = cache.find(key); it != cache.end())
    return it->second;
  bool fmaOnly = f.precision == rt::kMathFp32;
  auto allowed = [&](int m) {
    return fmaOnly
               ? m == int(CUDNN_FMA_MATH)
               : m == int(CUDNN_DEFAULT_MATH) ||
                     m == int(CUDNN_TENSOR_OP_MATH) || m == int(CUDNN_FMA_MATH);
  };
  auto fits = [&](Algo a) {
    size_t bytes = 0;
    return size(a, &bytes) == CUDNN_STATUS_SUCCESS && bytes <= f.workspaceBytes;
  };
  auto *tuning = static_cast<rt::TuningCache *>(f.tuning);
  std::string tuningKey = "cudnn-algorithm " + deviceName() + " cudnn " +
                          std::to_string(cudnnGetVersion());
  for (int64_t v : key)
    tuningKey += " " + std::to_string(v);
  // The cached value is "ALGO MATH"; anything else (an older cache held
  // the algorithm alone) is measured again.
  if (tuning)
    if (const std::string *v = tuning->find(tuningKey)) {
      int a = -1, m = -1;
      char extra = 0;
      if (std::sscanf(v->c_str(), "%d %d %c", &a, &m, &extra) == 2 && a >= 0 &&
          allowed(m) && fits(Algo(a)))
        return cache[key] = Choice{Algo(a), cudnnMathType_t(m)};
    }
  cudaStreamCaptureStatus capturing;
  ALEXC_CUDA_CHECK(cudaStreamIsCapturing(streamOf(f), &capturing));
  Perf perf[8];
  int count = 0;
  bool measured = capturing == cudaStreamCaptureStatusNone;
  if (measured)
    ALEXC_CUDNN_CHECK(find(8, &count, perf));
  else
    ALEXC_CUDNN_CHECK(get(8, &count, perf));
  Choice best{perf[0].algo, fmaOnly ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH};
  for (int i = 0; i < count; ++i) {
    if (perf[i].status == CUDNN_STATUS_SUCCESS && fits(perf[i].algo) &&
        allowed(int(perf[i].mathType))) {
      best = Choice{perf[i].algo, perf[i].mathType};
      break;
    }
  }
  if (measured) {
    cache[key] = best;
    if (tuning)
      tuning->put(tuningKey, std::to_string(int(best.algo)) + " " +
                                 std::to_string(int(best.math)));
  }
  return best;
}

template <class Epi>
void cudnnConvForward(const ConvGeom &g, const float *x, const float *w,
                      const float *b, Epi epi, const CudaFrame &f) {
  CudnnConv d(g, f.precision != rt::kMathFp32);
  cudnnHandle_t h = cudnnOf(f);
  auto algo = pickAlgorithm<cudnnConvolutionFwdAlgoPerf_t>(
      f, g, 0,
      [&](int n, int *c, cudnnConvolutionFwdAlgoPerf_t *p) {
        return cudnnFindConvolutionForwardAlgorithmEx(
            h, d.x, x, d.w, w, d.conv, d.y, f.scratch, n, c, p, f.workspace,
            f.workspaceBytes);
      },
      [&](int n, int *c, cudnnConvolutionFwdAlgoPerf_t *p) {
        return cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y,
                                                      n, c, p);
      },
      [&](cudnnConvolutionFwdAlgo_t a, size_t *bytes) {
        return cudnnGetConvolutionForwardWorkspaceSize(h, d.x, d.w, d.conv, d.y,
                                                       a, bytes);
      });
  ALEXC_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, algo.math));
  float one = 1.f, zero = 0.f;
  ALEXC_CUDNN_CHECK(cudnnConvolutionForward(
      h, &one, d.x, x, d.w, w, d.conv, algo.algo, f.workspace, f.workspaceBytes,
      &zero, d.y, f.scratch));
  int64_t hw = g.OH * g.OW, n = g.N * g.O * hw;
  mapKernel<<<gridFor(n), 256, 0, streamOf(f)>>>(
      n, f.scratch, ChannelBiasEpi<Epi>{b, g.O, hw, epi});
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

template <class Epi>
void cudnnConvInputGrad(const ConvGeom &g, const float *dy, const float *w,
                        Epi epi, const CudaFrame &f) {
  CudnnConv d(g, f.precision != rt::kMathFp32);
  cudnnHandle_t h = cudnnOf(f);
  auto algo = pickAlgorithm<cudnnConvolutionBwdDataAlgoPerf_t>(
      f, g, 1,
      [&](int n, int *c, cudnnConvolutionBwdDataAlgoPerf_t *p) {
        return cudnnFindConvolutionBackwardDataAlgorithmEx(
            h, d.w, w, d.y, dy, d.conv, d.x, f.scratch, n, c, p, f.workspace,
            f.workspaceBytes);
      },
      [&](int n, int *c, cudnnConvolutionBwdDataAlgoPerf_t *p) {
        return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv,
                                                           d.x, n, c, p);
      },
      [&](cudnnConvolutionBwdDataAlgo_t a, size_t *bytes) {
        return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w, d.y, d.conv,
                                                            d.x, a, bytes);
      });
  ALEXC_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, algo.math));
  float one = 1.f, zero = 0.f;
  ALEXC_CUDNN_CHECK(cudnnConvolutionBackwardData(
      h, &one, d.w, w, d.y, dy, d.conv, algo.algo, f.workspace,
      f.workspaceBytes, &zero, d.x, f.scratch));
  int64_t n = g.N * g.C * g.H * g.W;
  mapKernel<<<gridFor(n), 256, 0, streamOf(f)>>>(n, f.scratch, epi);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

inline void cudnnConvWeightGrad(const ConvGeom &g, const float *x,
                                const float *dy, float *dw,
                                const CudaFrame &f) {
  CudnnConv d(g, f.precision != rt::kMathFp32);
  cudnnHandle_t h = cudnnOf(f);
  auto algo = pickAlgorithm<cudnnConvolutionBwdFilterAlgoPerf_t>(
      f, g, 2,
      [&](int n, int *c, cudnnConvolutionBwdFilterAlgoPerf_t *p) {
        return cudnnFindConvolutionBackwardFilterAlgorithmEx(
            h, d.x, x, d.y, dy, d.conv, d.w, dw, n, c, p, f.workspace,
            f.workspaceBytes);
      },
      [&](int n, int *c, cudnnConvolutionBwdFilterAlgoPerf_t *p) {
        return cudnnGetConvolutionBackwardFilterAlgorithm_v7(
            h, d.x, d.y, d.conv, d.w, n, c, p);
      },
      [&](cudnnConvolutionBwdFilterAlgo_t a, size_t *bytes) {
        return cudnnGetConvolutionBackwardFilterWorkspaceSize(
            h, d.x, d.y, d.conv, d.w, a, bytes);
      });
  ALEXC_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, algo.math));
  float one = 1.f, zero = 0.f;
  ALEXC_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      h, &one, d.x, x, d.y, dy, d.conv, algo.algo, f.workspace,
      f.workspaceBytes, &zero, d.w, dw));
}

template <class Epi>
void convForward(const ConvGeom &g, const float *x, const float *w,
                 const float *b, Epi epi, const CudaFrame &f, int variant) {
  if (variant == 2)
    return cudnnConvForward(g, x, w, b, epi, f);
  int64_t ckk = g.C * g.KH * g.KW, cols = g.N * g.OH * g.OW;
  if (variant == 0 && directConvSuits(g)) {
    directConvForwardKernel<<<unsigned(directConvBlocks(g)), kDirectThreads, 0,
                              streamOf(f)>>>(g, x, w, b, epi);
    ALEXC_CUDA_CHECK(cudaGetLastError());
    return;
  }
  if (variant == 0) {
    launchGemm(ConvForwardProblem<Epi>{g, x, w, b, epi, g.O, cols, ckk}, f);
    return;
  }
  float *col = f.scratch, *y = f.scratch + ckk * cols;
  im2colKernel<<<gridFor(ckk * cols), 256, 0, streamOf(f)>>>(g, x, col);
  rowMajorGemm(f, false, false, g.O, cols, ckk, w, ckk, col, cols, y, cols);
  fromChannelMajor<<<gridFor(g.O * cols), 256, 0, streamOf(f)>>>(
      g.N, g.O, g.OH * g.OW, y, b, epi);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

template <class Epi>
void convInputGrad(const ConvGeom &g, const float *dy, const float *w, Epi epi,
                   const CudaFrame &f, int variant) {
  if (variant == 2)
    return cudnnConvInputGrad(g, dy, w, epi, f);
  int64_t ckk = g.C * g.KH * g.KW, cols = g.N * g.OH * g.OW;
  if (variant == 0) {
    launchGemm(ConvInputGradProblem<Epi>{g, dy, w, epi, g.C, g.N * g.H * g.W,
                                         g.O * g.KH * g.KW},
               f);
    return;
  }
  float *col = f.scratch, *dyc = f.scratch + ckk * cols;
  toChannelMajor<<<gridFor(g.O * cols), 256, 0, streamOf(f)>>>(
      g.N, g.O, g.OH * g.OW, dy, dyc);
  rowMajorGemm(f, true, false, ckk, cols, g.O, w, ckk, dyc, cols, col, cols);
  col2imKernel<<<gridFor(g.N * g.C * g.H * g.W), 256, 0, streamOf(f)>>>(g, col,
                                                                        epi);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

inline void biasGrad(int64_t N, int64_t O, int64_t inner, const float *dy,
                     float *db, const CudaFrame &f) {
  if (inner >= 32)
    channelRowSumKernel<<<unsigned(O), kRowSumWarps * 32, 0, streamOf(f)>>>(
        N, O, inner, dy, db);
  else
    channelColumnSumKernel<<<unsigned((O + 31) / 32), 256, 0, streamOf(f)>>>(
        N, O, inner, dy, db);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

inline void convWeightGrad(const ConvGeom &g, const float *x, const float *dy,
                           float *dw, float *db, const CudaFrame &f,
                           int variant) {
  int64_t ckk = g.C * g.KH * g.KW, cols = g.N * g.OH * g.OW;
  if (variant == 2) {
    cudnnConvWeightGrad(g, x, dy, dw, f);
  } else if (variant == 0) {
    // Few output tiles and a long reduction: split K over about 4 blocks
    // per multiprocessor.
    int64_t tiles = ((ckk + kBN - 1) / kBN) * ((g.O + kBM - 1) / kBM);
    int64_t splits = (528 + tiles - 1) / tiles;
    splits =
        splits < 1 ? 1 : (splits > cols / 256 + 1 ? cols / 256 + 1 : splits);
    ALEXC_CUDA_CHECK(
        cudaMemsetAsync(dw, 0, g.O * ckk * sizeof(float), streamOf(f)));
    launchGemm(ConvWeightGradProblem{g, x, dy, dw, g.O, ckk, cols}, f,
               unsigned(splits));
  } else {
    float *col = f.scratch, *dyc = f.scratch + ckk * cols;
    im2colKernel<<<gridFor(ckk * cols), 256, 0, streamOf(f)>>>(g, x, col);
    toChannelMajor<<<gridFor(g.O * cols), 256, 0, streamOf(f)>>>(
        g.N, g.O, g.OH * g.OW, dy, dyc);
    rowMajorGemm(f, false, true, g.O, ckk, cols, dyc, cols, col, cols, dw, ckk);
  }
  if (db)
    biasGrad(g.N, g.O, g.OH * g.OW, dy, db, f);
}

//===----------------------------------------------------------------------===//
// Dense
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Pooling (one thread per output, or per input for the gradients)
//===----------------------------------------------------------------------===//

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
  if (K == PoolKind::Max) {
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

template <class Epi>
void elementwise(int64_t n, const float *in, Epi epi, const CudaFrame &f) {
  mapKernel<<<gridFor(n), 256, 0, streamOf(f)>>>(n, in, epi);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

//===----------------------------------------------------------------------===//
// Loss (softmaxCrossEntropyKernel in DeviceKernels.cuh).
//===----------------------------------------------------------------------===//

inline void softmaxCrossEntropy(int64_t N, int64_t K, const float *logits,
                                const int32_t *labels, float *loss,
                                int32_t *correct, float *dlogits,
                                const CudaFrame &f) {
  softmaxCrossEntropyKernel<<<1, 256, 0, streamOf(f)>>>(N, K, logits, labels,
                                                        loss, correct, dlogits);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

//===----------------------------------------------------------------------===//
// Optimizer: one launch over every tensor (the table is a kernel argument).
//===----------------------------------------------------------------------===//

inline void applyUpdates(const Update *updates, int count, const CudaFrame &f) {
  for (int first = 0; first < count; first += kMaxUpdates) {
    UpdateTable t =
        updateTable(updates + first,
                    count - first < kMaxUpdates ? count - first : kMaxUpdates);
    if (t.firstBlock[t.count] == 0)
      continue;
    applyUpdatesKernel<<<unsigned(t.firstBlock[t.count]), 256, 0,
                         streamOf(f)>>>(t, f.sc);
    ALEXC_CUDA_CHECK(cudaGetLastError());
  }
}

//===----------------------------------------------------------------------===//
// Initialization and data preparation
//===----------------------------------------------------------------------===//

inline void fill(abi::FillKind kind, float *out, int64_t n, uint32_t stream,
                 double scale, const CudaFrame &f) {
  fillKernel<<<gridFor(n), 256, 0, streamOf(f)>>>(out, n, f.sc, stream, scale,
                                                  kind);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

} // namespace alexc::cuda

#endif
