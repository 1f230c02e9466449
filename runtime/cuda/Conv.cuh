//===- Conv.cuh - Convolutions: generated, cuBLAS and cuDNN variants ------===//
//
// Each convolution has three variants: the generated implicit GEMM (or,
// for inputs of few channels, a direct convolution), cuBLAS on explicit
// im2col columns, and cuDNN; the epilogue follows as a map where the
// library wrote the output.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_CONV_CUH
#define ALEXC_RUNTIME_CUDA_CONV_CUH

#include "runtime/cuda/Elementwise.cuh"
#include "runtime/cuda/Gemm.cuh"
#include "runtime/cuda/Reduce.cuh"

#ifdef __CUDACC__
#include "runtime/gpu/TuningCache.h"

#include <map>
#include <string>
#endif

namespace alexc::cuda {

// Direct convolution for inputs of few channels (conv1: one channel, 11x11
// windows, stride 4), the generated forward variant where it suits: as a
// GEMM, conv1 has K = C*KH*KW = 121 only, too short for the tiled kernel.
// A block copies the input rows its outputs need into shared memory once
// per input channel, and each thread keeps 8 channels x 4 rows of outputs
// in registers: 32 FMAs for 4 input and 2 (float4, broadcast) weight loads
// from shared memory. `--gemm auto` keeps whichever variant its start-up
// timing finds fastest (cuDNN's, for instance).

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

// Sized for three blocks per SM (its registers and 46 KB of shared memory);
// a register cap that would fit a fourth makes it spill.
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

#ifdef __CUDACC__

/// Scratch bytes the cuBLAS variants of a convolution need.
inline int64_t convScratchFloats(const ConvGeom &g) {
  int64_t ckk = g.C * g.KH * g.KW, cols = g.N * g.OH * g.OW;
  return ckk * cols + g.O * cols;
}

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
/// both are kept and set before the call, as PyTorch does.
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
  std::vector<int64_t> key = {
      direction, g.N,  g.C,  g.H,  g.W,  g.O,         g.KH,
      g.KW,      g.SH, g.SW, g.PH, g.PW, f.precision, f.deterministic};
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
  // Algorithm 1 of every direction is deterministic (implicit precomputed
  // GEMM forward; ALGO_1 of both gradients).
  Choice best{f.deterministic ? Algo(1) : perf[0].algo,
              fmaOnly ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH};
  for (int i = 0; i < count; ++i) {
    if (perf[i].status == CUDNN_STATUS_SUCCESS && fits(perf[i].algo) &&
        allowed(int(perf[i].mathType)) &&
        (!f.deterministic || perf[i].determinism == CUDNN_DETERMINISTIC)) {
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
    // Slices add up by atomics, in no fixed order.
    if (f.deterministic)
      splits = 1;
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

#endif // __CUDACC__

} // namespace alexc::cuda

#endif
