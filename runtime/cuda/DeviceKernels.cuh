//===- DeviceKernels.cuh - Device code of the CUDA back end ---------------===//
//
// The kernels, problems and functors: grid-stride loops, and the kernels
// whose threads cooperate through shared memory and barriers (the tiled
// GEMM, the bias-gradient sums, the loss). They compile with nvcc, and with
// a host compiler through HostEmulation.h, so that tests without a GPU run
// every one of them against the reference kernels.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_DEVICEKERNELS_CUH
#define ALEXC_RUNTIME_CUDA_DEVICEKERNELS_CUH

#include "runtime/KernelAbi.h"
#include "runtime/Philox.h"
#include "runtime/Select.h"
#include "runtime/SoftmaxCrossEntropy.h"
#include "runtime/cuda/CudaModel.h"

#include <cmath>
#include <cstdint>

namespace alexc::cuda {

using rt::StepScalars;

using abi::ConvGeom;

struct NoBias {};

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

//===----------------------------------------------------------------------===//
// Direct convolution for inputs of few channels (conv1: one channel, 11x11
// windows, stride 4), the generated forward variant where it suits. As a
// GEMM, conv1 has K = C*KH*KW = 121 only, and the tiled kernel took 0.84
// ms for it on an H200, against 0.64 for cuDNN. Here a block copies the
// input rows its outputs need into shared memory once per input channel,
// and each thread keeps 8 channels x 4 rows of outputs in registers: 32
// FMAs for 4 input and 2 (float4, broadcast) weight loads from shared
// memory. `--gemm auto` keeps whichever variant its start-up timing finds
// fastest.
//===----------------------------------------------------------------------===//

// A block: 8 warps, 32 output columns (one per lane) x 16 rows (4 row
// groups of 4) x 16 output channels (2 groups of 8). A warp is one row
// group and one channel group, so its weight loads are broadcasts.
constexpr int kDirectRows = 4, kDirectRowGroups = 4;
constexpr int kDirectChannels = 8, kDirectChannelGroups = 2;
constexpr int kDirectTW = 32, kDirectTH = kDirectRows * kDirectRowGroups;
constexpr int kDirectTO = kDirectChannels * kDirectChannelGroups;
constexpr int kDirectInputFloats = 9728, kDirectWeightFloats = 2048;
constexpr int kDirectThreads = kDirectRowGroups * kDirectChannelGroups * 32;

/// The shared input tile of one channel: `rows` input rows, each split by
/// column phase (column mod SW) into SW runs of `phaseWidth`, so that the
/// 32 lanes (consecutive output columns) read consecutive words.
struct DirectTile {
  int32_t rows, cols, phaseWidth, pitch;
};

__host__ __device__ inline DirectTile directTile(const ConvGeom &g) {
  int32_t rows = int32_t((kDirectTH - 1) * g.SH + g.KH);
  int32_t cols = int32_t((kDirectTW - 1) * g.SW + g.KW);
  int32_t phaseWidth = int32_t((cols + g.SW - 1) / g.SW);
  return {rows, cols, phaseWidth, phaseWidth * int32_t(g.SW)};
}

/// Blocks of directConvForwardKernel: (image, channel tile, row tile,
/// column tile), the column tile fastest.
inline int64_t directConvBlocks(const ConvGeom &g) {
  return g.N * ((g.O + kDirectTO - 1) / kDirectTO) *
         ((g.OH + kDirectTH - 1) / kDirectTH) *
         ((g.OW + kDirectTW - 1) / kDirectTW);
}

/// Whether the forward convolution goes to directConvForwardKernel: few
/// input channels (where the tiled GEMM's K is short), and the tiles fit.
inline bool directConvSuits(const ConvGeom &g) {
  if (g.C > 4 || g.SH < 1 || g.SW < 1 || g.KH > 32 || g.KW > 32)
    return false;
  DirectTile t = directTile(g);
  return int64_t(t.rows) * t.pitch <= kDirectInputFloats &&
         kDirectTO * g.KH * g.KW <= kDirectWeightFloats &&
         directConvBlocks(g) <= 0x7fffffff;
}

// ptxas -v (sm_90): 72 registers, no spills, 46 KB of shared memory, so
// three blocks per SM. Capped at 64 registers for a fourth, it spilled.
template <class Epi>
__global__ void __launch_bounds__(kDirectThreads)
    directConvForwardKernel(ConvGeom g, const float *x, const float *w,
                            const float *b, Epi epi) {
  __shared__ float xs[kDirectInputFloats];
  __shared__ float4 ws4[kDirectWeightFloats / 4];
  float *ws = reinterpret_cast<float *>(ws4);
  const DirectTile t = directTile(g);
  const int32_t H = int32_t(g.H), W = int32_t(g.W), O = int32_t(g.O);
  const int32_t KH = int32_t(g.KH), KW = int32_t(g.KW), taps = KH * KW;
  const int32_t SH = int32_t(g.SH), SW = int32_t(g.SW);
  const int32_t OH = int32_t(g.OH), OW = int32_t(g.OW);
  const int32_t tilesX = (OW + kDirectTW - 1) / kDirectTW;
  const int32_t tilesY = (OH + kDirectTH - 1) / kDirectTH;
  const int32_t tilesO = (O + kDirectTO - 1) / kDirectTO;
  int64_t blk = blockIdx.x;
  const int32_t ox0 = int32_t(blk % tilesX) * kDirectTW;
  blk /= tilesX;
  const int32_t oy0 = int32_t(blk % tilesY) * kDirectTH;
  blk /= tilesY;
  const int32_t o0 = int32_t(blk % tilesO) * kDirectTO;
  const int64_t n = blk / tilesO;
  const int32_t lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int32_t rowGroup = warp % kDirectRowGroups;
  const int32_t channelGroup = warp / kDirectRowGroups;
  const int32_t iy0 = oy0 * SH - int32_t(g.PH), ix0 = ox0 * SW - int32_t(g.PW);
  float acc[kDirectChannels][kDirectRows] = {};
  for (int32_t c = 0; c < int32_t(g.C); ++c) {
    const float *xc = x + (n * g.C + c) * g.H * g.W;
    // Lanes take consecutive columns (coalesced reads), warps take rows;
    // a column's place in the phase-split row is worked out once.
    for (int32_t cx = lane; cx < t.cols; cx += 32) {
      int32_t ix = ix0 + cx, to = (cx % SW) * t.phaseWidth + cx / SW;
      bool inside = ix >= 0 && ix < W;
#pragma unroll 4
      for (int32_t r = warp; r < t.rows; r += kDirectThreads / 32) {
        int32_t iy = iy0 + r;
        xs[r * t.pitch + to] =
            inside && iy >= 0 && iy < H ? xc[int64_t(iy) * W + ix] : 0.f;
      }
    }
    // Weights of this channel, tap-major: a tap's 16 output channels are
    // contiguous, so a thread takes its 8 with two float4 loads.
    for (int32_t i = threadIdx.x; i < kDirectTO * taps; i += blockDim.x) {
      int32_t ol = i / taps, tap = i - ol * taps;
      ws[tap * kDirectTO + ol] =
          o0 + ol < O ? w[(int64_t(o0 + ol) * g.C + c) * taps + tap] : 0.f;
    }
    __syncthreads();
    // Column kx of an output is input column ox*SW + kx: phase kx mod SW,
    // word ox + kx / SW of that phase's run. Pointers advance instead of
    // being recomputed, so the loop is mostly loads and FMAs.
    const int32_t rowStride = SH * t.pitch;
    const int32_t wrap = 1 - (SW - 1) * t.phaseWidth; // last phase -> next word
    const float *rows = xs + rowGroup * kDirectRows * rowStride + lane;
    const float4 *wk = ws4 + channelGroup * kDirectChannels / 4;
    for (int32_t ky = 0; ky < KH; ++ky) {
      const float *in = rows + ky * t.pitch;
      int32_t phase = 0;
      for (int32_t kx = 0; kx < KW; ++kx) {
        float v[kDirectRows];
#pragma unroll
        for (int r = 0; r < kDirectRows; ++r)
          v[r] = in[r * rowStride];
        float4 lo = wk[0], hi = wk[1];
        wk += kDirectTO / 4;
        const float wv[kDirectChannels] = {lo.x, lo.y, lo.z, lo.w,
                                           hi.x, hi.y, hi.z, hi.w};
#pragma unroll
        for (int j = 0; j < kDirectChannels; ++j)
#pragma unroll
          for (int r = 0; r < kDirectRows; ++r)
            acc[j][r] += wv[j] * v[r];
        bool wraps = ++phase == SW;
        in += wraps ? wrap : t.phaseWidth;
        phase = wraps ? 0 : phase;
      }
    }
    __syncthreads();
  }
  const int32_t ox = ox0 + lane;
  if (ox >= OW)
    return;
#pragma unroll
  for (int j = 0; j < kDirectChannels; ++j) {
    int32_t o = o0 + channelGroup * kDirectChannels + j;
    if (o >= O)
      break;
    float bias = b ? b[o] : 0.f;
#pragma unroll
    for (int r = 0; r < kDirectRows; ++r) {
      int32_t oy = oy0 + rowGroup * kDirectRows + r;
      if (oy < OH)
        epi(((n * O + o) * OH + oy) * OW + ox, acc[j][r] + bias);
    }
  }
}

//===----------------------------------------------------------------------===//
// Generated tiled GEMM: C(m, n) = sum_k A(m, k) B(k, n), written through
// the problem's store(m, n, acc).
//===----------------------------------------------------------------------===//

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

/// col[(c, i, j)][b * OHW + p] for all images.
__global__ void im2colKernel(ConvGeom g, const float *x, float *col) {
  int64_t ohw = g.OH * g.OW, cols = g.N * ohw;
  int64_t total = g.C * g.KH * g.KW * cols;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = t / cols, q = t % cols, bn = q / ohw, p = q % ohw;
    int64_t j = r % g.KW, u = r / g.KW, i = u % g.KH, c = u / g.KH;
    int64_t iy = (p / g.OW) * g.SH + i - g.PH,
            ix = (p % g.OW) * g.SW + j - g.PW;
    col[t] = (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W)
                 ? 0.f
                 : x[((bn * g.C + c) * g.H + iy) * g.W + ix];
  }
}

/// NCHW [b][o][p] -> [o][b * OHW + p].
__global__ void toChannelMajor(int64_t N, int64_t O, int64_t HW,
                               const float *in, float *out) {
  int64_t total = N * O * HW;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t p = t % HW, o = (t / HW) % O, b = t / (HW * O);
    out[(o * N + b) * HW + p] = in[t];
  }
}

/// [o][b * OHW + p] + bias -> NCHW through the epilogue.
template <class Epi>
__global__ void fromChannelMajor(int64_t N, int64_t O, int64_t HW,
                                 const float *in, const float *bias, Epi epi) {
  int64_t total = N * O * HW;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t p = t % HW, o = (t / HW) % O, b = t / (HW * O);
    epi(t, in[(o * N + b) * HW + p] + (bias ? bias[o] : 0.f));
  }
}

/// dx[b][c][h][w] = sum of col entries that im2col took from there.
template <class Epi>
__global__ void col2imKernel(ConvGeom g, const float *col, Epi epi) {
  int64_t ohw = g.OH * g.OW, cols = g.N * ohw;
  int64_t total = g.N * g.C * g.H * g.W;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t x = t % g.W, h = (t / g.W) % g.H, c = (t / (g.W * g.H)) % g.C,
            bn = t / (g.W * g.H * g.C);
    float s = 0.f;
    for (int64_t i = 0; i < g.KH; ++i) {
      int64_t ty = h + g.PH - i;
      if (ty < 0 || ty % g.SH)
        continue;
      int64_t oy = ty / g.SH;
      if (oy >= g.OH)
        continue;
      for (int64_t j = 0; j < g.KW; ++j) {
        int64_t tx = x + g.PW - j;
        if (tx < 0 || tx % g.SW)
          continue;
        int64_t ox = tx / g.SW;
        if (ox >= g.OW)
          continue;
        s +=
            col[((c * g.KH + i) * g.KW + j) * cols + bn * ohw + oy * g.OW + ox];
      }
    }
    epi(t, s);
  }
}

template <class Epi>
__global__ void mapKernel(int64_t n, const float *in, Epi epi) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    epi(i, in[i]);
}

template <class Epi> struct BiasEpi {
  const float *bias;
  int64_t U;
  Epi epi;
  __device__ void operator()(int64_t i, float v) const {
    epi(i, v + (bias ? bias[i % U] : 0.f));
  }
};

/// One warp lane's share of a bias gradient, the sum over n, k of
/// dy[n][o][k]: rows n = warp, warp + warps, ...; elements k = lane,
/// lane + 32, ..., as 16-byte loads when rows are 16-byte aligned (each
/// warp load then reads 512 contiguous bytes).
__device__ inline float channelRowPartial(int64_t N, int64_t O, int64_t inner,
                                          const float *dy, int64_t o, int warp,
                                          int warps, int lane) {
  bool aligned = inner % 4 == 0 && reinterpret_cast<uintptr_t>(dy) % 16 == 0;
  int64_t quads = aligned ? inner / 4 : 0;
  float s = 0.f;
  for (int64_t n = warp; n < N; n += warps) {
    const float *row = dy + (n * O + o) * inner;
    const float4 *row4 = reinterpret_cast<const float4 *>(row);
    for (int64_t k = lane; k < quads; k += 32) {
      float4 v = row4[k];
      s += (v.x + v.y) + (v.z + v.w);
    }
    for (int64_t k = 4 * quads + lane; k < inner; k += 32)
      s += row[k];
  }
  return s;
}

/// One thread's share of a bias gradient for short rows: channel o, images
/// n = slice, slice + slices, ... (consecutive threads on consecutive
/// channels read consecutive addresses when inner = 1).
__device__ inline float channelColumnPartial(int64_t N, int64_t O,
                                             int64_t inner, const float *dy,
                                             int64_t o, int slice, int slices) {
  float s = 0.f;
  for (int64_t n = slice; n < N; n += slices)
    for (int64_t k = 0; k < inner; ++k)
      s += dy[(n * O + o) * inner + k];
  return s;
}

/// The bias gradient db[o] = sum over n, k of dy[n][o][k] (inner = OH * OW
/// for convolutions): one block per channel, each warp on whole rows with
/// its lanes on consecutive elements (channelRowPartial), then the lanes'
/// and warps' sums in a fixed order, so every run gives the same bits.
constexpr int kRowSumWarps = 16;
__global__ void __launch_bounds__(kRowSumWarps * 32)
    channelRowSumKernel(int64_t N, int64_t O, int64_t inner, const float *dy,
                        float *db) {
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float s =
      channelRowPartial(N, O, inner, dy, blockIdx.x, warp, kRowSumWarps, lane);
  for (int offset = 16; offset > 0; offset /= 2)
    s += __shfl_down_sync(0xffffffffu, s, offset);
  __shared__ float part[kRowSumWarps];
  if (lane == 0)
    part[warp] = s;
  __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0.f;
    for (int w = 0; w < kRowSumWarps; ++w)
      total += part[w];
    db[blockIdx.x] = total;
  }
}

/// The same for short rows (dense layers, inner = 1): 32 channels x 8
/// slices of the batch per block (channelColumnPartial).
__global__ void __launch_bounds__(256)
    channelColumnSumKernel(int64_t N, int64_t O, int64_t inner, const float *dy,
                           float *db) {
  int c = threadIdx.x % 32, slice = threadIdx.x / 32;
  int64_t o = int64_t(blockIdx.x) * 32 + c;
  __shared__ float part[8][32];
  part[slice][c] =
      o < O ? channelColumnPartial(N, O, inner, dy, o, slice, 8) : 0.f;
  __syncthreads();
  if (slice == 0 && o < O) {
    float total = 0.f;
    for (int i = 0; i < 8; ++i)
      total += part[i][c];
    db[o] = total;
  }
}

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

//===----------------------------------------------------------------------===//
// Loss: one block; rows spread over its threads.
//===----------------------------------------------------------------------===//

__global__ void softmaxCrossEntropyKernel(int64_t N, int64_t K,
                                          const float *logits,
                                          const int32_t *labels, float *loss,
                                          int32_t *correct, float *dlogits) {
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
  int count = countPart[0];
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

using abi::Update;
using abi::UpdateKind;

constexpr int kMaxUpdates = 40; // per launch; the table must fit in 4 KB
/// Elements one block of applyUpdatesKernel updates: 256 threads, 4 float4
/// each, so every thread has four independent loads of each operand in
/// flight.
constexpr int64_t kUpdateChunk = 4096;

struct UpdateTable {
  int32_t count;
  int32_t firstBlock[kMaxUpdates + 1]; // blocks of tensor e: [e], [e + 1])
  Update u[kMaxUpdates];
};

/// The table for `count` updates from `updates` (at most kMaxUpdates): each
/// tensor gets its own blocks, kUpdateChunk elements each.
inline UpdateTable updateTable(const Update *updates, int count) {
  UpdateTable t{};
  t.count = count;
  t.firstBlock[0] = 0;
  for (int i = 0; i < count; ++i) {
    t.u[i] = updates[i];
    t.firstBlock[i + 1] =
        t.firstBlock[i] +
        int32_t((updates[i].n + kUpdateChunk - 1) / kUpdateChunk);
  }
  return t;
}

/// Every tensor of the table in one launch (grid: t.firstBlock[t.count]).
/// A block finds its tensor once and updates one contiguous chunk of it,
/// by float4 where the tensor's arrays are 16-byte aligned.
__global__ void applyUpdatesKernel(UpdateTable t, const StepScalars *sc) {
  int e = 0;
  while (e + 1 < t.count && t.firstBlock[e + 1] <= int32_t(blockIdx.x))
    ++e;
  const Update &up = t.u[e];
  int64_t begin = int64_t(int32_t(blockIdx.x) - t.firstBlock[e]) * kUpdateChunk;
  int64_t end = begin + kUpdateChunk < up.n ? begin + kUpdateChunk : up.n;
  float lr = sc->lr;
  abi::AdamCorrection c = abi::adamCorrection(up, double(sc->step + 1));
  bool s1Used = up.kind != UpdateKind::SGD,
       s2Used = up.kind == UpdateKind::Adam;
  auto aligned = [](const float *p) {
    return reinterpret_cast<uintptr_t>(p) % 16 == 0;
  };
  int64_t vectorEnd = begin;
  if (aligned(up.param) && aligned(up.grad) && (!s1Used || aligned(up.s1)) &&
      (!s2Used || aligned(up.s2))) {
    vectorEnd = begin + ((end - begin) & ~int64_t(3));
    for (int64_t k = begin + 4 * int64_t(threadIdx.x); k < vectorEnd;
         k += 4 * int64_t(blockDim.x)) {
      float4 w = *reinterpret_cast<const float4 *>(up.param + k);
      float4 g = *reinterpret_cast<const float4 *>(up.grad + k);
      float4 a =
          s1Used ? *reinterpret_cast<const float4 *>(up.s1 + k) : float4{};
      float4 b =
          s2Used ? *reinterpret_cast<const float4 *>(up.s2 + k) : float4{};
      w.x = abi::updatedWeight(up, c, w.x, g.x, a.x, b.x, lr);
      w.y = abi::updatedWeight(up, c, w.y, g.y, a.y, b.y, lr);
      w.z = abi::updatedWeight(up, c, w.z, g.z, a.z, b.z, lr);
      w.w = abi::updatedWeight(up, c, w.w, g.w, a.w, b.w, lr);
      *reinterpret_cast<float4 *>(up.param + k) = w;
      if (s1Used)
        *reinterpret_cast<float4 *>(up.s1 + k) = a;
      if (s2Used)
        *reinterpret_cast<float4 *>(up.s2 + k) = b;
    }
  }
  for (int64_t k = vectorEnd + threadIdx.x; k < end; k += blockDim.x) {
    float a = s1Used ? up.s1[k] : 0.f, b = s2Used ? up.s2[k] : 0.f;
    up.param[k] = abi::updatedWeight(up, c, up.param[k], up.grad[k], a, b, lr);
    if (s1Used)
      up.s1[k] = a;
    if (s2Used)
      up.s2[k] = b;
  }
}

__global__ void fillKernel(float *out, int64_t n, const StepScalars *sc,
                           uint32_t stream, double scale, abi::FillKind kind) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = abi::fillValue(kind, sc->seed, stream, uint64_t(i), scale);
}

/// Gathers the examples `idx` (-1: padding) of a uint8 dataset on the GPU,
/// resizes them with the bilinear tables and scales them to [0, 1].
__global__ void prepareBatchKernel(
    const uint8_t *data, const uint8_t *labels, int64_t rows, int64_t cols,
    const int64_t *idx, int64_t batch, int64_t outRows, int64_t outCols,
    const int32_t *y0, const int32_t *dy, const float *wy, const int32_t *x0,
    const int32_t *dx, const float *wx, float *images, int32_t *outLabels) {
  int64_t pixels = outRows * outCols, total = batch * pixels;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t b = t / pixels, p = t % pixels, y = p / outCols, x = p % outCols;
    int64_t e = idx[b];
    if (p == 0)
      outLabels[b] = e < 0 ? -1 : int32_t(labels[e]);
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

} // namespace alexc::cuda

#endif
