//===- Gemm.cuh - Generated tiled GEMM and the cuBLAS GEMM ----------------===//
//
// C(m, n) = sum_k A(m, k) B(k, n) by a tiled kernel whose operand loaders
// are the implicit-GEMM problems of convolutions and dense layers, and
// the same product on explicit matrices through cuBLAS.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_GEMM_CUH
#define ALEXC_RUNTIME_CUDA_GEMM_CUH

#include "runtime/cuda/Elementwise.cuh"

namespace alexc::cuda {

// The implicit-GEMM problems of the generated kernels. The tiled kernel
// asks each one for row m of A (rowA) and column n of B (columnB) once, and
// then for their elements at every k of its tiles: whatever depends on m or
// n alone (an output pixel's image and window corner, a filter's channel
// and tap) is worked out once per thread, and only k is taken apart in the
// loop, in 32-bit arithmetic (launchGemm checks that K fits). a(m, k),
// b(k, n) and store(m, n, v) give the same elements one at a time.

/// An operand line made of runs of `run` consecutive elements, each run
/// `stride` elements after the previous one: element k is
/// p[(k / run) * stride + k % run].
struct StridedRuns {
  const float *p;
  int run;
  int64_t stride;
  __device__ float operator()(int64_t k) const {
    int r = int(k) / run;
    return p[r * stride + (int(k) - r * run)];
  }
};

/// y = conv(x, w) + b: M = O, N = batch * OH * OW, K = C * KH * KW.
template <class Epi> struct ConvForwardProblem {
  ConvGeom g;
  const float *x, *w, *bias;
  Epi epi;
  int64_t M, N, K;
  /// Filter m's weights.
  struct Row {
    const float *w;
    __device__ float operator()(int64_t k) const { return w[k]; }
  };
  /// Output pixel n's window, k = (c, i, j).
  struct Column {
    const float *image;
    int iy0, ix0, H, W, KH, KW;
    __device__ float operator()(int64_t k) const {
      int t = int(k) / KW, j = int(k) - t * KW, c = t / KH, i = t - c * KH;
      int iy = iy0 + i, ix = ix0 + j;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W)
        return 0.f;
      return image[(int64_t(c) * H + iy) * W + ix];
    }
  };
  __device__ Row rowA(int64_t m) const { return {w + m * K}; }
  __device__ Column columnB(int64_t n) const {
    int64_t ohw = g.OH * g.OW, bn = n / ohw, p = n - bn * ohw;
    int oy = int(p / g.OW), ox = int(p - oy * g.OW);
    return {x + bn * g.C * g.H * g.W,
            int(oy * g.SH - g.PH),
            int(ox * g.SW - g.PW),
            int(g.H),
            int(g.W),
            int(g.KH),
            int(g.KW)};
  }
  __device__ float a(int64_t m, int64_t k) const { return rowA(m)(k); }
  __device__ float b(int64_t k, int64_t n) const { return columnB(n)(k); }
  __device__ void store(int64_t m, int64_t n, float acc) const {
    int64_t ohw = g.OH * g.OW, bn = n / ohw, p = n % ohw;
    epi((bn * g.O + m) * ohw + p, acc + (bias ? bias[m] : 0.f));
  }
};

/// dx = conv^T(dy, w): M = C, N = batch * H * W, K = O * KH * KW.
template <class Epi> struct ConvInputGradProblem {
  ConvGeom g;
  const float *dy, *w;
  Epi epi;
  int64_t M, N, K;
  /// Input channel m's taps of every filter, k = (o, i, j): runs of
  /// KH * KW taps, one filter (C * KH * KW) apart.
  using Row = StridedRuns;
  /// Input pixel n: the outputs whose windows cover it, k = (o, i, j).
  struct Column {
    const float *image; // dy of pixel n's image
    int ty0, tx0, SH, SW, OH, OW, KH, KW;
    __device__ float operator()(int64_t k) const {
      int t = int(k) / KW, j = int(k) - t * KW, o = t / KH, i = t - o * KH;
      int ty = ty0 - i, tx = tx0 - j;
      if (ty < 0 || tx < 0)
        return 0.f;
      int oy = ty, ox = tx;
      if (SH != 1 || SW != 1) { // the same branch for every thread
        oy = ty / SH, ox = tx / SW;
        if (oy * SH != ty || ox * SW != tx)
          return 0.f;
      }
      if (oy >= OH || ox >= OW)
        return 0.f;
      return image[(int64_t(o) * OH + oy) * OW + ox];
    }
  };
  __device__ Row rowA(int64_t m) const {
    return {w + m * g.KH * g.KW, int(g.KH * g.KW), g.C * g.KH * g.KW};
  }
  __device__ Column columnB(int64_t n) const {
    int64_t hw = g.H * g.W, bn = n / hw, p = n - bn * hw;
    int h = int(p / g.W), x = int(p - h * g.W);
    return {dy + bn * g.O * g.OH * g.OW,
            int(h + g.PH),
            int(x + g.PW),
            int(g.SH),
            int(g.SW),
            int(g.OH),
            int(g.OW),
            int(g.KH),
            int(g.KW)};
  }
  __device__ float a(int64_t m, int64_t k) const { return rowA(m)(k); }
  __device__ float b(int64_t k, int64_t n) const { return columnB(n)(k); }
  __device__ void store(int64_t m, int64_t n, float acc) const {
    int64_t hw = g.H * g.W, bn = n / hw, p = n % hw;
    epi((bn * g.C + m) * hw + p, acc);
  }
};

/// dw = sum over batch and space of dy * x: M = O, N = C*KH*KW,
/// K = batch * OH * OW.
struct ConvWeightGradProblem {
  ConvGeom g;
  const float *x, *dy;
  float *dw;
  int64_t M, N, K;
  /// Output channel m of every image, k = (image, output pixel): runs of
  /// OH * OW pixels, one image (O * OH * OW) apart.
  using Row = StridedRuns;
  /// Tap n = (c, i, j) of every output pixel, k = (image, oy, ox).
  struct Column {
    const float *x; // x[0][c]
    int i0, j0;     // i - PH, j - PW
    int plane, OW, SH, SW, H, W;
    int64_t image; // C * H * W
    __device__ float operator()(int64_t k) const {
      int bn = int(k) / plane, p = int(k) - bn * plane;
      int oy = p / OW, ox = p - oy * OW;
      int iy = oy * SH + i0, ix = ox * SW + j0;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W)
        return 0.f;
      return x[bn * image + iy * W + ix];
    }
  };
  __device__ Row rowA(int64_t m) const {
    return {dy + m * g.OH * g.OW, int(g.OH * g.OW), g.O * g.OH * g.OW};
  }
  __device__ Column columnB(int64_t n) const {
    int64_t t = n / g.KW, j = n - t * g.KW, c = t / g.KH, i = t - c * g.KH;
    return {x + c * g.H * g.W, int(i - g.PH),  int(j - g.PW), int(g.OH * g.OW),
            int(g.OW),         int(g.SH),      int(g.SW),     int(g.H),
            int(g.W),          g.C * g.H * g.W};
  }
  __device__ float a(int64_t m, int64_t k) const { return rowA(m)(k); }
  __device__ float b(int64_t k, int64_t n) const { return columnB(n)(k); }
  __device__ void store(int64_t m, int64_t n, float acc) const {
    atomicAdd(&dw[m * N + n], acc); // split-K slices add up
  }
};

/// Row-major A (M x K) and B (K x N) with strides; C through epilogue.
template <class Epi> struct MatrixProblem {
  const float *A, *B, *bias;
  int64_t ars, acs, brs, bcs;
  Epi epi;
  int64_t M, N, K;
  /// A row or column with a stride.
  struct Line {
    const float *p;
    int64_t stride;
    __device__ float operator()(int64_t k) const { return p[k * stride]; }
  };
  __device__ Line rowA(int64_t m) const { return {A + m * ars, acs}; }
  __device__ Line columnB(int64_t n) const { return {B + n * bcs, brs}; }
  __device__ float a(int64_t m, int64_t k) const { return rowA(m)(k); }
  __device__ float b(int64_t k, int64_t n) const { return columnB(n)(k); }
  __device__ void store(int64_t m, int64_t n, float acc) const {
    epi(m * N + n, acc + (bias ? bias[n] : 0.f));
  }
};

/// Stores a value as it is.
struct StoreTo {
  float *out;
  __device__ void operator()(int64_t i, float v) const { out[i] = v; }
};

/// Adds the bias of an NCHW element's channel, then the epilogue.
template <class Epi> struct ChannelBiasEpi {
  const float *bias;
  int64_t C, HW;
  Epi epi;
  __device__ void operator()(int64_t i, float v) const {
    epi(i, v + (bias ? bias[(i / HW) % C] : 0.f));
  }
};

// The generated tiled GEMM: C(m, n) = sum_k A(m, k) B(k, n), written
// through the problem's store(m, n, acc).

constexpr int kBM = 64, kBN = 64, kBK = 16;

/// blockIdx.z picks a slice of K (split-K); with several slices the
/// problem's store adds into a zeroed output.
template <class P> __global__ void __launch_bounds__(256) tiledGemm(P p) {
  __shared__ float As[kBK][kBM + 4];
  __shared__ float Bs[kBK][kBN + 4];
  int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  int64_t m0 = int64_t(blockIdx.y) * kBM, n0 = int64_t(blockIdx.x) * kBN;
  int64_t slice = (p.K + gridDim.z - 1) / gridDim.z;
  slice = (slice + kBK - 1) / kBK * kBK;
  int64_t kBegin = int64_t(blockIdx.z) * slice;
  int64_t kEnd = kBegin + slice < p.K ? kBegin + slice : p.K;
  // Every tile is loaded the same way: this thread's A elements are rows
  // aRow + 16 r at column aK of the tile, its B elements rows bK + 4 r of
  // column bCol; so the rows and the column are set up once.
  static_assert(kBM * kBK == 4 * 256 && kBK * kBN == 4 * 256, "4 per thread");
  int aK = threadIdx.x % kBK, aRow = threadIdx.x / kBK;
  int bCol = threadIdx.x % kBN, bK = threadIdx.x / kBN;
  decltype(p.rowA(0)) rows[4];
  bool rowIn[4];
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    int64_t m = m0 + aRow + 16 * r;
    rowIn[r] = m < p.M;
    rows[r] = p.rowA(rowIn[r] ? m : 0);
  }
  bool columnIn = n0 + bCol < p.N;
  auto column = p.columnB(columnIn ? n0 + bCol : 0);
  float acc[4][4] = {};
  for (int64_t k0 = kBegin; k0 < kEnd; k0 += kBK) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      int64_t k = k0 + aK;
      As[aK][aRow + 16 * r] = rowIn[r] && k < kEnd ? rows[r](k) : 0.f;
    }
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      int64_t k = k0 + bK + 4 * r;
      Bs[bK + 4 * r][bCol] = columnIn && k < kEnd ? column(k) : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i)
        a[i] = As[kk][ty * 4 + i];
#pragma unroll
      for (int j = 0; j < 4; ++j)
        b[j] = Bs[kk][tx * 4 + j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          acc[i][j] += a[i] * b[j];
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      int64_t m = m0 + ty * 4 + i, n = n0 + tx * 4 + j;
      if (m < p.M && n < p.N)
        p.store(m, n, acc[i][j]);
    }
}

#ifdef __CUDACC__

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

/// Row-major C[M x N] = op(A) op(B) (+ beta C) through column-major cuBLAS
/// (C^T = op(B)^T op(A)^T).
inline void rowMajorGemm(const CudaFrame &f, bool transA, bool transB,
                         int64_t M, int64_t N, int64_t K, const float *A,
                         int64_t lda, const float *B, int64_t ldb, float *C,
                         int64_t ldc, float beta = 0.f) {
  float alpha = 1.f;
  cublasComputeType_t compute = f.precision == rt::kMathTf32
                                    ? CUBLAS_COMPUTE_32F_FAST_TF32
                                    : CUBLAS_COMPUTE_32F_PEDANTIC;
  ALEXC_CUBLAS_CHECK(cublasGemmEx(
      static_cast<cublasHandle_t>(f.cublas), transB ? CUBLAS_OP_T : CUBLAS_OP_N,
      transA ? CUBLAS_OP_T : CUBLAS_OP_N, int(N), int(M), int(K), &alpha, B,
      CUDA_R_32F, int(ldb), A, CUDA_R_32F, int(lda), &beta, C, CUDA_R_32F,
      int(ldc), compute, CUBLAS_GEMM_DEFAULT));
}

#endif // __CUDACC__

} // namespace alexc::cuda

#endif
