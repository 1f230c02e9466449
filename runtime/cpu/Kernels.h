//===- Kernels.h - CPU kernel templates the generated code calls ----------===//
//
// Convolutions and GEMMs as packed, blocked GEMMs (Gemm.h) over im2col
// columns; pooling, loss, optimizer and initialization loops. Every kernel
// parallelizes with OpenMP (over the batch when it is large enough, inside
// the GEMM otherwise) and calls `epilogue(begin, end)` on each finished range
// of its flat output, where the generated code applies the fused
// elementwise ops while the data is still in cache.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_KERNELS_H
#define ALEXC_RUNTIME_CPU_KERNELS_H

#include "runtime/Philox.h"
#include "runtime/Select.h"
#include "runtime/SoftmaxCrossEntropy.h"
#include "runtime/cpu/DirectConv.h"
#include "runtime/cpu/DropoutMask.h"
#include "runtime/cpu/Gemm.h"
#include "runtime/cpu/Winograd.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <map>
#ifdef __AVX512F__
#include <immintrin.h>
#endif
#include <limits>

namespace alexc::cpu {

inline int threadId() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

struct NoEpilogue {
  void operator()(int64_t, int64_t) const {}
};

/// Applies `epilogue` to [0, n) in parallel chunks.
template <typename Epi> void parallelEpilogue(int64_t n, Epi &&epilogue) {
  constexpr int64_t chunk = 1 << 14;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < n; b += chunk)
    epilogue(b, std::min(n, b + chunk));
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

struct ConvGeom {
  int64_t N, C, H, W, O, KH, KW, SH, SW, PH, PW, OH, OW;
  int64_t ckk() const { return C * KH * KW; }
  int64_t ohw() const { return OH * OW; }
  bool pointwise() const {
    return KH == 1 && KW == 1 && SH == 1 && SW == 1 && PH == 0 && PW == 0;
  }
};

/// A run of consecutive output positions within one output row: positions
/// [p, p + len) are (oy, ox .. ox + len) and land at out[off, off + len).
struct PositionRun {
  int64_t oy, ox, off, len;
};

/// Splits positions [p0, p0 + len) at output-row boundaries; returns the
/// number of runs written to `runs` (at most len / OW + 2).
inline int64_t positionRuns(const ConvGeom &g, int64_t p0, int64_t len,
                            PositionRun *runs) {
  int64_t count = 0, oy = p0 / g.OW, ox = p0 % g.OW, off = 0;
  while (len > 0) {
    int64_t run = std::min(len, g.OW - ox);
    runs[count++] = {oy, ox, off, run};
    off += run;
    len -= run;
    ox = 0;
    ++oy;
  }
  return count;
}

/// out[t] = x_c[oy*SH + i - PH][(ox + t)*SW + j - PW] for t < run.len, 0 in
/// the padding, where x_c is one channel of one image. The valid t are
/// worked out once; with unit stride and AVX-512 the copy is a few masked
/// vector loads (masked-off lanes never touch memory).
inline void copyRun(const ConvGeom &g, const float *xc, int64_t i, int64_t j,
                    const PositionRun &run, float *out) {
  int64_t len = run.len;
  int64_t iy = run.oy * g.SH + i - g.PH;
  if (iy < 0 || iy >= g.H) {
    for (int64_t t = 0; t < len; ++t)
      out[t] = 0.f;
    return;
  }
  const float *in = xc + iy * g.W;
  int64_t ix0 = run.ox * g.SW + j - g.PW;
  // Valid t: 0 <= ix0 + t * SW < W.
  int64_t t0 = ix0 >= 0 ? 0 : (-ix0 + g.SW - 1) / g.SW;
  int64_t t1 = ix0 >= g.W ? 0 : (g.W - 1 - ix0) / g.SW + 1;
  t0 = std::min(t0, len);
  t1 = std::max(t0, std::min(t1, len));
#ifdef __AVX512F__
  if (g.SW == 1) {
    auto base = reinterpret_cast<uintptr_t>(in) + ix0 * int64_t(sizeof(float));
    for (int64_t t = 0; t < len; t += 16) {
      int64_t n = std::min<int64_t>(16, len - t);
      int64_t lo = std::clamp<int64_t>(t0 - t, 0, 16);
      int64_t hi = std::clamp<int64_t>(t1 - t, 0, n);
      uint32_t valid = hi > lo ? ((1u << hi) - 1) & ~((1u << lo) - 1) : 0;
      __m512 v = _mm512_maskz_loadu_ps(
          __mmask16(valid),
          reinterpret_cast<const float *>(base + t * sizeof(float)));
      _mm512_mask_storeu_ps(out + t, __mmask16((1u << n) - 1), v);
    }
    return;
  }
#endif
  for (int64_t t = 0; t < t0; ++t)
    out[t] = 0.f;
  for (int64_t t = t0; t < t1; ++t)
    out[t] = in[ix0 + t * g.SW];
  for (int64_t t = t1; t < len; ++t)
    out[t] = 0.f;
}

/// Which pixels of a channel land at 16 consecutive output positions of an
/// im2col row depends on the kernel position (i, j) and the positions, never
/// on the channel or the image. With AVX-512 that pattern is worked out once
/// per convolution, for every chunk of 16 positions and every (i, j): a few
/// masked loads (one per output row the chunk spans, unit stride) or one
/// masked gather (other strides), at offsets from the channel's first pixel.
/// Loading 16 values of a row is then two or three vector instructions.
/// GEMM blocks start at multiples of 16 positions (NR and KC are multiples
/// of 16), so both packers below index chunks directly.
struct Im2colPlan {
  /// The plan of a convolution (nullptr without AVX-512 or for 1x1
  /// convolutions, which need none). Plans are kept per geometry, so each
  /// layer's is made once per process and reused on every step, which also
  /// pays off for convolutions with few channels (conv1 has one).
  static const Im2colPlan *of(const ConvGeom &g) {
#ifdef __AVX512F__
    if (g.pointwise())
      return nullptr;
    static thread_local std::map<std::array<int64_t, 12>, Im2colPlan> plans;
    // Everything but the batch size shapes the plan.
    std::array<int64_t, 12> key{g.C,  g.H,  g.W,  g.O,  g.KH, g.KW,
                                g.SH, g.SW, g.PH, g.PW, g.OH, g.OW};
    auto [it, inserted] = plans.try_emplace(key);
    if (inserted)
      it->second.build(g);
    return &it->second;
#else
    (void)g;
    return nullptr;
#endif
  }

#ifdef __AVX512F__
  /// Lanes `mask` come from channel offset `offset` + lane (unit stride).
  struct Piece {
    int64_t offset;
    __mmask16 mask;
  };
  /// One chunk of one row: gather offsets and their lanes, and its pieces.
  struct Chunk {
    __m512i index;
    __mmask16 valid;
    int first, count; // pieces[first, first + count)
  };
  std::vector<Piece> pieces;
  std::vector<Chunk> chunks; // [chunk][(i, j)]
  int64_t kk = 0;
  int piecesPerChunk = 0;
  bool unit = false;

  void build(const ConvGeom &g) {
    kk = g.KH * g.KW;
    unit = g.SW == 1;
    // Whole NR-wide slivers: the last one may reach past the positions.
    int64_t count = (g.ohw() + kNR - 1) / kNR * (kNR / 16);
    pieces.clear();
    chunks.resize(size_t(count * kk));
    for (int64_t u = 0; u < count; ++u)
      for (int64_t q = 0; q < kk; ++q) {
        int64_t i = q / g.KW, j = q % g.KW;
        alignas(64) int32_t index[16];
        uint32_t valid = 0;
        for (int lane = 0; lane < 16; ++lane) {
          int64_t p = u * 16 + lane;
          index[lane] = 0;
          if (p >= g.ohw())
            continue;
          int64_t oy = p / g.OW, ox = p % g.OW;
          int64_t iy = oy * g.SH + i - g.PH, ix = ox * g.SW + j - g.PW;
          if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W)
            continue;
          index[lane] = int32_t(iy * g.W + ix);
          valid |= 1u << lane;
        }
        Chunk &chunk = chunks[size_t(u * kk + q)];
        chunk.index = _mm512_load_si512(index);
        chunk.valid = __mmask16(valid);
        chunk.first = int(pieces.size());
        if (unit) { // runs of consecutive offsets, one masked load each
          int lane = 0;
          while (lane < 16) {
            if (!(valid >> lane & 1)) {
              ++lane;
              continue;
            }
            int begin = lane;
            uint32_t mask = 0;
            while (lane < 16 && (valid >> lane & 1) &&
                   index[lane] == index[begin] + (lane - begin))
              mask |= 1u << lane++;
            pieces.push_back({index[begin] - begin, __mmask16(mask)});
          }
        }
        chunk.count = int(pieces.size()) - chunk.first;
      }
    // Every chunk gets the same number of pieces (empty masks load
    // nothing), so the loop in load() runs a fixed count: a data-dependent
    // count of one to three was mispredicted often enough to show.
    piecesPerChunk = 0;
    for (const Chunk &chunk : chunks)
      piecesPerChunk = std::max(piecesPerChunk, chunk.count);
    std::vector<Piece> padded;
    padded.reserve(chunks.size() * size_t(piecesPerChunk));
    for (Chunk &chunk : chunks) {
      int first = int(padded.size());
      for (int e = 0; e < piecesPerChunk; ++e)
        padded.push_back(e < chunk.count ? pieces[size_t(chunk.first + e)]
                                         : Piece{0, __mmask16(0)});
      chunk.first = first;
      chunk.count = piecesPerChunk;
    }
    pieces.swap(padded);
  }

  /// Row (c, (i, j) = q) of the im2col matrix at positions [16u, 16u + 16),
  /// where xc is channel c of the image.
  __m512 load(const float *xc, int64_t u, int64_t q) const {
    const Chunk &chunk = chunks[size_t(u * kk + q)];
    if (!unit)
      return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), chunk.valid,
                                      chunk.index, xc, sizeof(float));
    auto base = reinterpret_cast<uintptr_t>(xc);
    __m512 value = _mm512_setzero_ps();
    const Piece *piece = pieces.data() + chunk.first;
    for (int e = 0; e < piecesPerChunk; ++e)
      value = _mm512_mask_loadu_ps(
          value, piece[e].mask,
          reinterpret_cast<const float *>(base + piece[e].offset *
                                                     int64_t(sizeof(float))));
    return value;
  }
#else
  void build(const ConvGeom &) {}
#endif
};

/// The im2col matrix of one image (rows (c, i, j), columns (oy, ox)) as the
/// GEMM's B operand, packed straight from the image, through `plan` when
/// one was built.
struct Im2colB {
  const ConvGeom &g;
  const float *x;
  const Im2colPlan *plan = nullptr;

  const float *operator()(int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                          float *buffer) const {
#ifdef __AVX512F__
    if (plan)
      return planned(k0, kc, j0, nc, buffer);
#endif
    return byRuns(k0, kc, j0, nc, buffer);
  }

#ifdef __AVX512F__
  const float *planned(int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                       float *buffer) const {
    static_assert(kNR % 16 == 0, "slivers are whole chunks");
    int64_t kk = g.KH * g.KW;
    float *out = buffer;
    for (int64_t jr = 0; jr < nc; jr += kNR) {
      int64_t u0 = (j0 + jr) / 16;
      int64_t c = k0 / kk, q = k0 % kk;
      for (int64_t k = 0; k < kc; ++k) {
        const float *xc = x + c * g.H * g.W;
        for (int64_t v = 0; v < kNR / 16; ++v)
          _mm512_store_ps(out + v * 16, plan->load(xc, u0 + v, q));
        out += kNR;
        if (++q == kk)
          q = 0, ++c;
      }
    }
    return buffer;
  }
#endif

  /// Packing without a plan: each row's pixels copied run by run.
  const float *byRuns(int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                      float *buffer) const {
    int64_t kk = g.KH * g.KW;
    PositionRun runs[kNR + 2];
    float *out = buffer;
    for (int64_t jr = 0; jr < nc; jr += kNR) {
      int64_t nr = std::min(kNR, nc - jr);
      int64_t count = positionRuns(g, j0 + jr, nr, runs);
      int64_t c = k0 / kk, i = k0 % kk / g.KW, j = k0 % g.KW;
      for (int64_t k = 0; k < kc; ++k) {
        const float *xc = x + c * g.H * g.W;
        for (int64_t r = 0; r < count; ++r)
          copyRun(g, xc, i, j, runs[r], out + runs[r].off);
        for (int64_t t = nr; t < kNR; ++t)
          out[t] = 0.f;
        out += kNR;
        if (++j == g.KW) {
          j = 0;
          if (++i == g.KH)
            i = 0, ++c;
        }
      }
    }
    return buffer;
  }
};

/// The transposed im2col matrix of one image as the GEMM's B operand (the
/// weight gradient as dy * col^T): row k is output position k's window,
/// column n its tap (c, i, j). The NR taps of a sliver are a few runs of
/// consecutive j, i.e. of consecutive pixels, so a position's sliver row is
/// filled by one expanding load per run (contiguous pixels into the run's
/// lanes), not element by element. Windows that cross the border are
/// filled one tap at a time.
struct WindowsB {
  const ConvGeom &g;
  const float *x;

  /// Lanes [lane, lane + length) are taps (c, i, j .. j + length).
  struct Run {
    int64_t lane, length, offset, i, j; // offset = (c * H + i) * W + j
  };

  const float *operator()(int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                          float *buffer) const {
    static_assert(kNR == 32, "a sliver row is two vectors");
    int64_t kk = g.KH * g.KW;
    float *out = buffer;
    for (int64_t jr = 0; jr < nc; jr += kNR) {
      int64_t nr = std::min(kNR, nc - jr);
      Run runs[kNR];
      int count = 0;
      for (int64_t l = 0; l < nr;) {
        int64_t tap = j0 + jr + l, c = tap / kk, i = tap % kk / g.KW,
                j = tap % g.KW, length = std::min(g.KW - j, nr - l);
        runs[count++] = {l, length, (c * g.H + i) * g.W + j, i, j};
        l += length;
      }
#ifdef __AVX512F__
      // Each run as one or two expanding loads (lanes below and above 16).
      __mmask16 maskLo[kNR], maskHi[kNR];
      int64_t hiOffset[kNR];
      for (int r = 0; r < count; ++r) {
        int64_t a = runs[r].lane, b = a + runs[r].length;
        auto bits = [](int64_t from, int64_t to) {
          return from >= to ? __mmask16(0)
                            : __mmask16(((1u << (to - from)) - 1) << from);
        };
        maskLo[r] = bits(std::min<int64_t>(a, 16), std::min<int64_t>(b, 16));
        maskHi[r] =
            bits(std::max<int64_t>(a, 16) - 16, std::max<int64_t>(b, 16) - 16);
        hiOffset[r] = runs[r].offset + std::max<int64_t>(0, 16 - a);
      }
#endif
      int64_t oy = k0 / g.OW, ox = k0 % g.OW;
      for (int64_t k = 0; k < kc; ++k, out += kNR) {
        int64_t iy0 = oy * g.SH - g.PH, ix0 = ox * g.SW - g.PW;
        if (++ox == g.OW)
          ox = 0, ++oy;
        bool inside =
            iy0 >= 0 && iy0 + g.KH <= g.H && ix0 >= 0 && ix0 + g.KW <= g.W;
#ifdef __AVX512F__
        if (inside) {
          const float *base = x + iy0 * g.W + ix0;
          __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
          for (int r = 0; r < count; ++r) {
            if (maskLo[r])
              lo = _mm512_mask_expandloadu_ps(lo, maskLo[r],
                                              base + runs[r].offset);
            if (maskHi[r])
              hi =
                  _mm512_mask_expandloadu_ps(hi, maskHi[r], base + hiOffset[r]);
          }
          _mm512_store_ps(out, lo);
          _mm512_store_ps(out + 16, hi);
          continue;
        }
#endif
        for (int64_t l = nr; l < kNR; ++l)
          out[l] = 0.f;
        for (int r = 0; r < count; ++r) {
          int64_t iy = iy0 + runs[r].i;
          for (int64_t e = 0; e < runs[r].length; ++e) {
            int64_t ix = ix0 + runs[r].j + e;
            out[runs[r].lane + e] =
                inside || (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W)
                    ? x[iy0 * g.W + ix0 + runs[r].offset + e]
                    : 0.f;
          }
        }
      }
    }
    return buffer;
  }
};

/// dx[c][iy][ix] += col[(c, i, j)][(oy, ox)] for one image; the valid
/// columns of each output row are worked out once per row.
inline void col2imAdd(const ConvGeom &g, const float *col, float *dx) {
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j) {
        const float *row = col + ((c * g.KH + i) * g.KW + j) * g.ohw();
        int64_t ix0 = j - g.PW; // ix of ox = 0
        int64_t t0 = ix0 >= 0 ? 0 : (-ix0 + g.SW - 1) / g.SW;
        int64_t t1 = ix0 >= g.W ? 0 : (g.W - 1 - ix0) / g.SW + 1;
        t0 = std::min(t0, g.OW);
        t1 = std::max(t0, std::min(t1, g.OW));
        for (int64_t oy = 0; oy < g.OH; ++oy) {
          int64_t iy = oy * g.SH + i - g.PH;
          if (iy < 0 || iy >= g.H)
            continue;
          float *out = dx + (c * g.H + iy) * g.W + ix0;
          const float *in = row + oy * g.OW;
          if (g.SW == 1)
            for (int64_t t = t0; t < t1; ++t)
              out[t] += in[t];
          else
            for (int64_t t = t0; t < t1; ++t)
              out[t * g.SW] += in[t];
        }
      }
}

inline std::vector<float> &flippedWeights() {
  static thread_local std::vector<float> buffer;
  return buffer;
}

/// p[0] + ... + p[n - 1] in 64 independent partial sums (a single running
/// sum is bound by the add latency: it took 14 % of conv1's weight
/// gradient). The order is fixed, so the result is reproducible.
inline float sumOf(const float *p, int64_t n) {
  v16 acc[4] = {};
  int64_t k = 0;
  for (; k + 64 <= n; k += 64)
    for (int a = 0; a < 4; ++a)
      acc[a] += loadv(p + k + 16 * a);
  v16 total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  float s = 0.f;
  for (int lane = 0; lane < 16; ++lane)
    s += total[lane];
  for (; k < n; ++k)
    s += p[k];
  return s;
}

inline float *scratch(size_t n) {
  static thread_local std::vector<float> buffer;
  if (buffer.size() < n)
    buffer.resize(n);
  return buffer.data();
}

/// Runs body(n, gemmIsParallel) for every image: in parallel over images
/// when there are enough of them, else one by one with parallel GEMMs. The
/// static schedule gives each thread the same images on every run, so
/// per-thread partial sums (and the results) are reproducible bit for bit.
template <typename Body> void forEachImage(int64_t N, Body &&body) {
  int threads = maxThreads();
  if (N >= threads) {
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; ++n)
      body(n, false);
  } else {
    for (int64_t n = 0; n < N; ++n)
      body(n, true);
  }
}

/// y[n] = w * im2col(x[n]) + b, an implicit GEMM: the weights are packed
/// once for all images, the image columns straight from x.
template <typename Epi>
void conv2dForwardPacked(const ConvGeom &g, const float *x, const PrepackedA &w,
                         const float *b, float *y, Epi &&epilogue) {
  int64_t ckk = g.ckk(), ohw = g.ohw(), outImage = g.O * ohw;
  int64_t inImage = g.C * g.H * g.W;
  const Im2colPlan *plan = Im2colPlan::of(g); // (workers must not name TLS)
  forEachImage(g.N, [&](int64_t n, bool parallel) {
    const float *xn = x + n * inImage;
    float *yn = y + n * outImage;
    if (g.pointwise())
      gemmWith(parallel, g.O, ohw, ckk, w, StridedB{MatView{xn, ohw, 1}}, yn,
               ohw, false, b);
    else
      gemmWith(parallel, g.O, ohw, ckk, w, Im2colB{g, xn, plan}, yn, ohw, false,
               b);
    epilogue(n * outImage, (n + 1) * outImage);
  });
}

/// Whether the Winograd convolutions (Winograd.h) serve this convolution:
/// 3x3 or 5x5, stride 1, enough channels for the transforms to be cheap
/// next to the GEMMs, and an image per thread at least.
/// ALEXC_NO_WINOGRAD=1 turns them off (for comparisons).
inline bool winogradApplies(const ConvGeom &g) {
#ifdef __AVX512F__
  static const bool disabled = [] {
    const char *v = std::getenv("ALEXC_NO_WINOGRAD");
    return v && *v && *v != '0';
  }();
  // The tile plans address a group of up to 8 images with 32-bit offsets.
  constexpr int64_t kMaxImage = int64_t(1) << 28;
  return !disabled && g.KH == g.KW && (g.KH == 3 || g.KH == 5) && g.SH == 1 &&
         g.SW == 1 && g.PH < g.KH && g.PW < g.KW && g.C >= 64 && g.O >= 64 &&
         g.N >= maxThreads() && g.C * g.H * g.W < kMaxImage &&
         g.O * g.ohw() < kMaxImage;
#else
  (void)g;
  return false;
#endif
}

#ifdef __AVX512F__
/// The tile plan of an RxR geometry for groups of G images, made once per
/// process (called outside parallel regions only).
template <int R>
const WinogradPlan &winogradPlan(const ConvGeom &g, int64_t G) {
  static std::map<std::array<int64_t, 9>, WinogradPlan> plans;
  int64_t inStride = g.C * g.H * g.W, outStride = g.O * g.ohw();
  std::array<int64_t, 9> key{g.H,  g.W, g.PH,     g.PW,     g.OH,
                             g.OW, G,   inStride, outStride};
  auto [it, inserted] = plans.try_emplace(key);
  if (inserted)
    it->second.build(WinogradMatrices<R>::kA, WinogradMatrices<R>::kM, g.H, g.W,
                     g.PH, g.PW, g.OH, g.OW, G, inStride, outStride);
  return it->second;
}

/// Output tiles per image of an RxR Winograd convolution.
template <int R> int64_t winogradTiles(const ConvGeom &g) {
  constexpr int64_t m = WinogradMatrices<R>::kM;
  return ((g.OH + m - 1) / m) * ((g.OW + m - 1) / m);
}

/// One workspace for the large buffers of every Winograd call (the
/// transformed weights of a forward pass, the per-thread sums of a weight
/// gradient), which never live at the same time: its size is the largest
/// single need, not their sum. 64-byte aligned.
inline float *winogradWorkspace(size_t floats) {
  static PackBuffer buffer;
  return buffer.get(floats);
}

/// Each thread takes an equal share of the N images (one contiguous range,
/// ceil or floor of N / threads) and runs body(n0, count) on its groups of
/// up to G images in order: shares split by whole groups would leave one
/// thread up to a group behind (conv3-5: 70 images against 58 with groups
/// of 7). The static schedule keeps each share on the same thread.
template <typename Body>
void forEachGroupShare(int64_t N, int64_t G, Body &&body) {
  int64_t shares = maxThreads();
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < shares; ++s) {
    int64_t end = N * (s + 1) / shares;
    for (int64_t n0 = N * s / shares; n0 < end; n0 += G)
      body(n0, std::min(G, end - n0));
  }
}

/// Images per group: the count (up to 8, no more than each thread's share,
/// and at most about 24 MB of tiles per thread) for which a thread's share
/// of the images takes the fewest GEMM columns, its groups' tiles rounded up
/// to whole 32-column slivers (the smallest such count on a tie).
template <int R> int64_t winogradGroup(const ConvGeom &g, int64_t tiles) {
  int64_t a2 = WinogradMatrices<R>::kA * WinogradMatrices<R>::kA;
  int64_t bytesPerImage = a2 * (g.C + g.O) * tiles * int64_t(sizeof(float));
  int64_t share = (g.N + maxThreads() - 1) / maxThreads();
  int64_t most = std::min<int64_t>(
      {8, share, std::max<int64_t>(1, (int64_t(24) << 20) / bytesPerImage)});
  auto columns = [&](int64_t images) {
    return (images * tiles + kNR - 1) / kNR * kNR;
  };
  int64_t G = 1, best = std::numeric_limits<int64_t>::max();
  for (int64_t k = 1; k <= most; ++k) {
    int64_t cost = share / k * columns(k) + columns(share % k);
    if (cost < best)
      best = cost, G = k;
  }
  return G;
}

/// A stride-1 RxR convolution as Winograd F(mxm, RxR), w in OIHW. Groups
/// of images share the GEMMs.
template <int R, typename Epi>
void conv2dWinograd(const ConvGeom &g, const float *x, const float *w,
                    const float *b, float *y, Epi &&epilogue) {
  constexpr int A2 = WinogradMatrices<R>::kA * WinogradMatrices<R>::kA;
  int64_t T = winogradTiles<R>(g), G = winogradGroup<R>(g, T);
  const WinogradPlan &plan = winogradPlan<R>(g, G);
  static std::vector<PrepackedA> U;
  transformWeights<R>(
      w, g.O, g.C,
      winogradWorkspace(size_t(transformWeightsFloats<R>(g.O, g.C))), U);
  const std::vector<PrepackedA> &weights = U;
  int64_t ld = G * T;
  int64_t inImage = g.C * g.H * g.W, outImage = g.O * g.ohw();
  forEachGroupShare(g.N, G, [&](int64_t n0, int64_t count) {
    float *V = scratch(size_t(A2 * (g.C + g.O) * ld));
    float *M = V + A2 * g.C * ld;
    plan.transformInput<R>(x + n0 * inImage, count, g.C, g.H * g.W, V, ld);
    for (int e = 0; e < A2; ++e)
      gemmWith(false, g.O, count * T, g.C, weights[size_t(e)],
               StridedB{MatView{V + e * g.C * ld, ld, 1}}, M + e * g.O * ld, ld,
               false);
    // A few channels at a time, so that the epilogue finds them in cache.
    constexpr int64_t kChannels = 8;
    int64_t ohw = g.ohw();
    for (int64_t o0 = 0; o0 < g.O; o0 += kChannels) {
      int64_t o1 = std::min(g.O, o0 + kChannels);
      plan.transformOutput<R>(M, count, g.O, o0, o1, ld, b, y + n0 * outImage,
                              ohw);
      for (int64_t i = n0; i < n0 + count; ++i)
        epilogue(i * outImage + o0 * ohw, i * outImage + o1 * ohw);
    }
  });
}

template <typename Epi>
void conv2dWinograd(const ConvGeom &g, const float *x, const float *w,
                    const float *b, float *y, Epi &&epilogue) {
  if (g.KH == 3)
    conv2dWinograd<3>(g, x, w, b, y, epilogue);
  else
    conv2dWinograd<5>(g, x, w, b, y, epilogue);
}
#endif

#ifdef __AVX512F__
/// Whether the direct convolution (DirectConv.h) serves this forward pass:
/// at most 4 input channels, output rows of at most 64 columns.
/// ALEXC_NO_DIRECT_CONV=1 turns it off (for comparisons).
inline bool directConvApplies(const ConvGeom &g) {
  static const bool off = std::getenv("ALEXC_NO_DIRECT_CONV") != nullptr;
  return !off && g.C <= 4 && g.OW >= 1 && g.OW <= 64 && g.OH >= 1 &&
         g.SH >= 1 && g.SW >= 1;
}

/// The forward convolution by directConvBlock: per image, the input split
/// by column phase once (thread-local; its padding stays zero between
/// images of one geometry), then each output row, six channels at a time,
/// bias added as the sums are stored; NB = 16-column vectors per row.
template <int NB, typename Epi>
void conv2dDirect(const ConvGeom &g, const float *x, const float *w,
                  const float *b, float *y, Epi &&epilogue) {
  constexpr int B = kDirectBlockChannels;
  const int64_t taps = g.KH * g.KW, groups = (g.O + B - 1) / B;
  std::vector<float> wt(groups * g.C * taps * B, 0.f); // [group][c][tap][6]
  for (int64_t o = 0; o < g.O; ++o)
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t t = 0; t < taps; ++t)
        wt[((o / B * g.C + c) * taps + t) * B + o % B] =
            w[(o * g.C + c) * taps + t];
  const int64_t rows = (g.OH - 1) * g.SH + g.KH;
  const int64_t run = 16 * NB + (g.KW - 1) / g.SW;
  const int64_t outImage = g.O * g.ohw(), inImage = g.C * g.H * g.W;
  const std::array<int64_t, 8> shape{g.C,  g.H,  g.W,  g.PH,
                                     g.PW, g.SW, rows, run};
  forEachImage(g.N, [&](int64_t n, bool parallel) {
    struct Split {
      std::array<int64_t, 8> shape{};
      std::vector<float> data;
    };
    static thread_local Split split;
    if (split.shape != shape) {
      split.shape = shape;
      split.data.assign(g.C * rows * g.SW * run, 0.f);
    }
    const float *xn = x + n * inImage;
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t iy = 0; iy < g.H; ++iy) {
        int64_t v = iy + g.PH;
        if (v >= rows)
          break;
        float *dst = split.data.data() + (c * rows + v) * g.SW * run;
        const float *src = xn + (c * g.H + iy) * g.W;
        for (int64_t ix = 0; ix < g.W; ++ix) {
          int64_t u = ix + g.PW;
          if (u >= g.SW * run)
            break;
          dst[(u % g.SW) * run + u / g.SW] = src[ix];
        }
      }
    PhaseSplitImage in{split.data.data(), rows, g.SW, run};
    float *yn = y + n * outImage;
    auto outputRow = [&](int64_t oy) {
      for (int64_t grp = 0; grp < groups; ++grp) {
        __m512 acc[B][NB];
        directConvBlock<NB>(in, g.C, g.KH, g.KW, g.SH, oy,
                            wt.data() + grp * g.C * taps * B, acc);
        for (int j = 0; j < B; ++j) {
          int64_t o = grp * B + j;
          if (o >= g.O)
            break;
          __m512 bias = _mm512_set1_ps(b ? b[o] : 0.f);
          float *yo = yn + (o * g.OH + oy) * g.OW;
          for (int v = 0; v < NB; ++v) {
            int64_t cols = std::min<int64_t>(16, g.OW - 16 * v);
            _mm512_mask_storeu_ps(yo + 16 * v, __mmask16((1u << cols) - 1),
                                  _mm512_add_ps(acc[j][v], bias));
          }
        }
      }
    };
    if (parallel) {
#pragma omp parallel for schedule(static)
      for (int64_t oy = 0; oy < g.OH; ++oy)
        outputRow(oy);
    } else {
      for (int64_t oy = 0; oy < g.OH; ++oy)
        outputRow(oy);
    }
    epilogue(n * outImage, (n + 1) * outImage);
  });
}

template <typename Epi>
void conv2dDirect(const ConvGeom &g, const float *x, const float *w,
                  const float *b, float *y, Epi &&epilogue) {
  switch ((g.OW + 15) / 16) {
  case 1:
    return conv2dDirect<1>(g, x, w, b, y, epilogue);
  case 2:
    return conv2dDirect<2>(g, x, w, b, y, epilogue);
  case 3:
    return conv2dDirect<3>(g, x, w, b, y, epilogue);
  default:
    return conv2dDirect<4>(g, x, w, b, y, epilogue);
  }
}
#endif

template <typename Epi>
void conv2dForward(const ConvGeom &g, const float *x, const float *w,
                   const float *b, float *y, Epi &&epilogue) {
#ifdef __AVX512F__
  if (directConvApplies(g))
    return conv2dDirect(g, x, w, b, y, epilogue);
  if (winogradApplies(g))
    return conv2dWinograd(g, x, w, b, y, epilogue);
#endif
  static thread_local PrepackedA packed;
  packed.pack(g.O, g.ckk(), MatView{w, g.ckk(), 1});
  conv2dForwardPacked(g, x, packed, b, y, epilogue);
}

/// dx[n] = col2im(w^T * dy[n]). With stride 1 this is also the convolution
/// of dy (padded by K - 1 - P) with the flipped, transposed weights, which
/// writes dx directly. That way packs O*KH*KW x H*W values of dy per image
/// and uses each for 2*C FLOPs; the column way packs only dy (O x OH*OW) but
/// scatters C*KH*KW x OH*OW column values back, each worth 2*O FLOPs. The
/// convolution is taken when C >= O (measured on AlexNet's layers: it wins
/// there, and loses badly for 96 -> 256 channels), and whenever it can be a
/// Winograd convolution (3x3: 4x fewer multiplications).
template <typename Epi>
void conv2dInputGrad(const ConvGeom &g, const float *dy, const float *w,
                     float *dx, Epi &&epilogue) {
  int64_t ckk = g.ckk(), ohw = g.ohw(), inImage = g.C * g.H * g.W;
  // thread_local: worker threads must not name it (they would see their
  // own, empty copy), so the lambda below uses the reference `weights`.
  static thread_local PrepackedA packed;
  const PrepackedA &weights = packed;
  // The flipped convolution, as a plain one.
  ConvGeom t{g.N,
             g.O,
             g.OH,
             g.OW,
             g.C,
             g.KH,
             g.KW,
             1,
             1,
             g.KH - 1 - g.PH,
             g.KW - 1 - g.PW,
             g.H,
             g.W};
  if (g.SH == 1 && g.SW == 1 && g.PH < g.KH && g.PW < g.KW && !g.pointwise() &&
      (g.C >= g.O || winogradApplies(t))) {
    // wt[c][(o, i, j)] = w[o][c][KH-1-i][KW-1-j]
    int64_t kk = g.KH * g.KW, tk = t.ckk();
    std::vector<float> &wt = flippedWeights();
    wt.resize(size_t(g.C * tk));
    for (int64_t o = 0; o < g.O; ++o)
      for (int64_t c = 0; c < g.C; ++c)
        for (int64_t q = 0; q < kk; ++q)
          wt[c * tk + o * kk + (kk - 1 - q)] = w[(o * g.C + c) * kk + q];
#ifdef __AVX512F__
    if (winogradApplies(t))
      return conv2dWinograd(t, dy, wt.data(), nullptr, dx, epilogue);
#endif
    packed.pack(g.C, tk, MatView{wt.data(), tk, 1});
    conv2dForwardPacked(t, dy, packed, nullptr, dx, epilogue);
    return;
  }
  packed.pack(ckk, g.O, MatView{w, 1, ckk});
  forEachImage(g.N, [&](int64_t n, bool parallel) {
    float *dxn = dx + n * inImage;
    const float *dyn = dy + n * g.O * ohw;
    if (g.pointwise()) {
      gemmWith(parallel, ckk, ohw, g.O, weights, StridedB{MatView{dyn, ohw, 1}},
               dxn, ohw, false);
    } else {
      float *col = scratch(ckk * ohw);
      gemmWith(parallel, ckk, ohw, g.O, weights, StridedB{MatView{dyn, ohw, 1}},
               col, ohw, false);
      std::memset(dxn, 0, inImage * sizeof(float));
      col2imAdd(g, col, dxn);
    }
    epilogue(n * inImage, (n + 1) * inImage);
  });
}

#ifdef __AVX512F__
/// The weight gradient of a Winograd convolution: per group of images, the
/// input tiles V (as in the forward pass) and the output gradient's tiles Z
/// give P[e] += Z[e] * V[e]^T (a*a GEMMs, O x C, summed over the tiles);
/// each thread keeps its own P, and dw = G^T P G at the end.
template <int R>
void conv2dWeightGradWinograd(const ConvGeom &g, const float *x,
                              const float *dy, float *dw, float *db) {
  constexpr int A2 = WinogradMatrices<R>::kA * WinogradMatrices<R>::kA;
  int64_t T = winogradTiles<R>(g), G = winogradGroup<R>(g, T);
  const WinogradPlan &plan = winogradPlan<R>(g, G);
  int64_t ld = G * T;
  int64_t inImage = g.C * g.H * g.W, ohw = g.ohw(), outImage = g.O * ohw;
  int threads = maxThreads();
  size_t stride = size_t(A2 * g.O * g.C + g.O);
  float *partial = winogradWorkspace(size_t(threads) * stride);
  std::fill(partial, partial + size_t(threads) * stride, 0.f);
  forEachGroupShare(g.N, G, [&](int64_t n0, int64_t count) {
    float *P = partial + size_t(threadId()) * stride;
    float *V = scratch(size_t(A2 * (g.C + g.O) * ld));
    float *Z = V + A2 * g.C * ld;
    plan.transformInput<R>(x + n0 * inImage, count, g.C, g.H * g.W, V, ld);
    plan.transformOutputGrad<R>(dy + n0 * outImage, count, g.O, ohw, Z, ld);
    for (int e = 0; e < A2; ++e)
      gemmWith(false, g.O, g.C, count * T,
               StridedA{MatView{Z + e * g.O * ld, ld, 1}},
               StridedB{MatView{V + e * g.C * ld, 1, ld}}, P + e * g.O * g.C,
               g.C, true);
    float *pb = P + A2 * g.O * g.C;
    for (int64_t i = 0; i < count; ++i)
      for (int64_t o = 0; o < g.O; ++o)
        pb[o] += sumOf(dy + (n0 + i) * outImage + o * ohw, ohw);
  });
  untransformWeightGrad<R>(partial, threads, stride, g.O, g.C, dw);
  if (db)
    for (int64_t o = 0; o < g.O; ++o) {
      float s = 0.f;
      for (int t = 0; t < threads; ++t)
        s += partial[size_t(t) * stride + size_t(A2 * g.O * g.C + o)];
      db[o] = s;
    }
}
#endif

/// dw = sum_n dy[n] * im2col(x[n])^T, db = sum of dy over batch and space.
/// dy[n] is the A operand (its rows transposed into slivers as they stream
/// from memory) and the windows of x[n] the B operand, packed from runs of
/// pixels (WindowsB). Each thread accumulates its own partial sums, added
/// at the end in a fixed order.
inline void conv2dWeightGrad(const ConvGeom &g, const float *x, const float *dy,
                             float *dw, float *db) {
#ifdef __AVX512F__
  if (winogradApplies(g))
    return g.KH == 3 ? conv2dWeightGradWinograd<3>(g, x, dy, dw, db)
                     : conv2dWeightGradWinograd<5>(g, x, dy, dw, db);
#endif
  int64_t ckk = g.ckk(), ohw = g.ohw(), wsize = g.O * ckk;
  int threads = g.N >= maxThreads() ? maxThreads() : 1;
  static thread_local std::vector<float> partialStorage;
  partialStorage.assign(size_t(threads) * (wsize + g.O), 0.f);
  float *partial = partialStorage.data(); // (workers must not name the TLS)
  std::vector<char> started(threads, 0);
  forEachImage(g.N, [&](int64_t n, bool parallel) {
    int t = parallel ? 0 : threadId();
    float *pw = partial + size_t(t) * (wsize + g.O);
    const float *xn = x + n * g.C * g.H * g.W;
    const float *dyn = dy + n * g.O * ohw;
    StridedA rows{MatView{dyn, ohw, 1}};
    if (g.pointwise())
      gemmWith(parallel, g.O, ckk, ohw, rows, StridedB{MatView{xn, 1, ohw}}, pw,
               ckk, started[t]);
    else
      gemmWith(parallel, g.O, ckk, ohw, rows, WindowsB{g, xn}, pw, ckk,
               started[t]);
    started[t] = 1;
    float *pb = pw + wsize;
    for (int64_t o = 0; o < g.O; ++o)
      pb[o] += sumOf(dyn + o * ohw, ohw);
  });
  const float *base = partial;
  size_t stride = size_t(wsize + g.O);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < wsize; ++i) {
    float s = 0.f;
    for (int t = 0; t < threads; ++t)
      s += base[t * stride + i];
    dw[i] = s;
  }
  if (db)
    for (int64_t o = 0; o < g.O; ++o) {
      float s = 0.f;
      for (int t = 0; t < threads; ++t)
        s += base[t * stride + wsize + o];
      db[o] = s;
    }
}

//===----------------------------------------------------------------------===//
// Dense
//===----------------------------------------------------------------------===//

/// y[N x U] = x[N x F] * w[U x F]^T + b.
template <typename Epi>
void denseForward(int64_t N, int64_t F, int64_t U, const float *x,
                  const float *w, const float *b, float *y, Epi &&epilogue) {
  gemmParallel(N, U, F, MatView{x, F, 1}, MatView{w, 1, F}, y, U, false);
  parallelEpilogue(N * U, [&](int64_t begin, int64_t end) {
    if (b)
      for (int64_t i = begin; i < end; ++i)
        y[i] += b[i % U];
    epilogue(begin, end);
  });
}

/// dx[N x F] = dy[N x U] * w[U x F].
template <typename Epi>
void denseInputGrad(int64_t N, int64_t F, int64_t U, const float *dy,
                    const float *w, float *dx, Epi &&epilogue) {
  gemmParallel(N, F, U, MatView{dy, U, 1}, MatView{w, F, 1}, dx, F, false);
  parallelEpilogue(N * F, epilogue);
}

/// dw[U x F] = dy^T * x; db = column sums of dy.
inline void denseWeightGrad(int64_t N, int64_t F, int64_t U, const float *x,
                            const float *dy, float *dw, float *db) {
  gemmParallel(U, F, N, MatView{dy, 1, U}, MatView{x, F, 1}, dw, F, false);
  if (db)
    for (int64_t u = 0; u < U; ++u) {
      float s = 0.f;
      for (int64_t n = 0; n < N; ++n)
        s += dy[n * U + u];
      db[u] = s;
    }
}

/// Column sums for a standalone bias gradient: [N, O, inner] -> [O].
inline void biasGrad(int64_t N, int64_t O, int64_t inner, const float *dy,
                     float *db) {
  for (int64_t o = 0; o < O; ++o) {
    float s = 0.f;
    for (int64_t n = 0; n < N; ++n)
      s += sumOf(dy + (n * O + o) * inner, inner);
    db[o] = s;
  }
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

struct PoolGeom {
  int64_t N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW;
};

/// The window rows (or columns) [lo, hi) of output position `o` that fall
/// inside the input: the loops below then need no bounds checks.
inline void windowRange(int64_t o, int64_t stride, int64_t pad, int64_t k,
                        int64_t in, int64_t &lo, int64_t &hi) {
  int64_t start = o * stride - pad;
  lo = start < 0 ? -start : 0;
  hi = std::min(k, in - start);
}

#ifdef __AVX512F__
/// Sixteen pooling windows side by side: output positions ox0 .. ox0 + 15
/// of output row oy of one channel. Calls visit(i, j, iy, valid, index,
/// values) for every window element in row-major order, with the lanes
/// whose element lies inside the input, their flat input indices and the
/// gathered values. Each step is the same for all 16 windows, so the
/// compare-and-select chain of a window no longer limits the speed.
template <typename Visit>
inline void forSixteenWindows(const PoolGeom &g, const float *xc, int64_t oy,
                              int64_t ox0, __mmask16 lanes, Visit &&visit) {
  const __m512i laneIds =
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512i ixBase = _mm512_add_epi32(
      _mm512_mullo_epi32(
          _mm512_add_epi32(_mm512_set1_epi32(int32_t(ox0)), laneIds),
          _mm512_set1_epi32(int32_t(g.SW))),
      _mm512_set1_epi32(int32_t(-g.PW)));
  int64_t i0, i1;
  windowRange(oy, g.SH, g.PH, g.KH, g.H, i0, i1);
  for (int64_t i = i0; i < i1; ++i) {
    int64_t iy = oy * g.SH - g.PH + i;
    const float *row = xc + iy * g.W;
    for (int64_t j = 0; j < g.KW; ++j) {
      __m512i ix = _mm512_add_epi32(ixBase, _mm512_set1_epi32(int32_t(j)));
      __mmask16 valid =
          lanes & _mm512_cmpge_epi32_mask(ix, _mm512_setzero_si512()) &
          _mm512_cmplt_epi32_mask(ix, _mm512_set1_epi32(int32_t(g.W)));
      __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, ix, row,
                                          sizeof(float));
      __m512i index =
          _mm512_add_epi32(ix, _mm512_set1_epi32(int32_t(iy * g.W)));
      visit(valid, index, v);
    }
  }
}
#endif

/// The running maximum of a pooling window: v when it is greater or NaN,
/// as in the reference (a NaN, once taken, stays).
inline float pooledMax(float best, float v) {
  return v > best || v != v ? v : best;
}

#ifdef __AVX512F__
/// Whether a max pooling takes the by-rows planes (maxPoolPlane3x3Stride2 and
/// its gradient): 3x3 windows, stride 2, no padding (AlexNet's three pools).
inline bool maxPoolByRows(const PoolGeom &g) {
  return g.KH == 3 && g.KW == 3 && g.SH == 2 && g.SW == 2 && g.PH == 0 &&
         g.PW == 0 && g.OH >= 1 && g.OW >= 1;
}

/// Columns 2ox, 2ox + 1 and 2ox + 2 of an input row of W floats, for
/// ox = ox0 .. ox0 + 15: the three columns of 16 stride-2 windows, from
/// contiguous loads (masked at the row's end, those lanes 0) whose even and
/// odd columns two permutes split.
struct WindowColumns {
  __m512 left, middle, right;
};

inline WindowColumns windowColumns3Stride2(const float *row, int64_t W,
                                           int64_t ox0) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
                                         22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  auto load = [&](int64_t at) {
    int64_t n = std::clamp<int64_t>(W - at, 0, 16);
    return _mm512_maskz_loadu_ps(__mmask16((1u << n) - 1), row + at);
  };
  int64_t s = 2 * ox0;
  __m512 a = load(s), b = load(s + 16), a2 = load(s + 2), b2 = load(s + 18);
  return {_mm512_permutex2var_ps(a, even, b), _mm512_permutex2var_ps(a, odd, b),
          _mm512_permutex2var_ps(a2, even, b2)};
}

/// One plane of max pooling with 3x3 windows, stride 2 and no padding
/// (AlexNet's three pools), by rows: the three-wide maxima of an input row
/// first, 16 at a time (windowColumns3Stride2), then the maximum of three
/// such rows, a row's maxima
/// serving two output rows. As in the reference, a window holding a NaN
/// gives NaN and a tie keeps the first in window order: the maxima skip
/// NaN (vmaxps(v, m) gives m when v is NaN or equal, and m never holds a
/// NaN) and a mask carries the NaN through.
inline void maxPoolPlane3x3Stride2(const float *xc, int64_t W, int64_t OH,
                                   int64_t OW, float *yc) {
  const __m512 none = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  const __m512 nan = _mm512_set1_ps(std::numeric_limits<float>::quiet_NaN());
  // The maskz form with every lane set: GCC 12 warns about the plain
  // intrinsic's undefined operand.
  auto maxNotNaN = [](__m512 v, __m512 m) {
    return _mm512_maskz_max_ps(0xFFFF, v, m);
  };
  auto isNaN = [](__m512 v) { return _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q); };
  // max(x[2ox], x[2ox + 1], x[2ox + 2]) for ox = ox0 .. ox0 + 15, and which
  // of these windows hold a NaN.
  struct RowMaxima {
    __m512 max;
    __mmask16 nan;
  };
  auto rowMaxima = [&](int64_t iy, int64_t ox0) {
    WindowColumns w = windowColumns3Stride2(xc + iy * W, W, ox0);
    __m512 m = maxNotNaN(w.right, maxNotNaN(w.middle, maxNotNaN(w.left, none)));
    return RowMaxima{
        m, __mmask16(isNaN(w.left) | isNaN(w.middle) | isNaN(w.right))};
  };
  for (int64_t ox0 = 0; ox0 < OW; ox0 += 16) {
    auto lanes = __mmask16((1u << std::min<int64_t>(16, OW - ox0)) - 1);
    RowMaxima top = rowMaxima(0, ox0);
    for (int64_t oy = 0; oy < OH; ++oy) {
      RowMaxima middle = rowMaxima(2 * oy + 1, ox0);
      RowMaxima bottom = rowMaxima(2 * oy + 2, ox0);
      __m512 m = maxNotNaN(bottom.max, maxNotNaN(middle.max, top.max));
      m = _mm512_mask_mov_ps(m, top.nan | middle.nan | bottom.nan, nan);
      _mm512_mask_storeu_ps(yc + oy * OW + ox0, lanes, m);
      top = bottom;
    }
  }
}
#endif

template <typename Epi>
void maxPoolForward(const PoolGeom &g, const float *x, float *y,
                    Epi &&epilogue) {
  int64_t outImage = g.C * g.OH * g.OW;
#ifdef __AVX512F__
  const bool byRows = maxPoolByRows(g);
#endif
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < g.N; ++n) {
    for (int64_t c = 0; c < g.C; ++c) {
      const float *xc = x + (n * g.C + c) * g.H * g.W;
      float *yc = y + (n * g.C + c) * g.OH * g.OW;
#ifdef __AVX512F__
      if (byRows) {
        maxPoolPlane3x3Stride2(xc, g.W, g.OH, g.OW, yc);
        continue;
      }
#endif
      for (int64_t oy = 0; oy < g.OH; ++oy) {
        int64_t i0, i1;
        windowRange(oy, g.SH, g.PH, g.KH, g.H, i0, i1);
        int64_t ox = 0;
#ifdef __AVX512F__
        for (; ox < g.OW; ox += 16) {
          int64_t count = std::min<int64_t>(16, g.OW - ox);
          auto lanes = __mmask16((1u << count) - 1);
          __m512 best = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
          forSixteenWindows(
              g, xc, oy, ox, lanes, [&](__mmask16 valid, __m512i, __m512 v) {
                // v when it is greater or NaN, as in the reference (a
                // NaN, once taken, stays).
                __mmask16 take =
                    valid & (_mm512_cmp_ps_mask(best, v, _CMP_LT_OQ) |
                             _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q));
                best = _mm512_mask_mov_ps(best, take, v);
              });
          _mm512_mask_storeu_ps(yc + oy * g.OW + ox, lanes, best);
        }
#endif
        for (; ox < g.OW; ++ox) {
          int64_t j0, j1;
          windowRange(ox, g.SW, g.PW, g.KW, g.W, j0, j1);
          const float *base = xc + (oy * g.SH - g.PH) * g.W + ox * g.SW - g.PW;
          float best = -std::numeric_limits<float>::infinity();
          for (int64_t i = i0; i < i1; ++i)
            for (int64_t j = j0; j < j1; ++j)
              best = pooledMax(best, base[i * g.W + j]);
          yc[oy * g.OW + ox] = best;
        }
      }
    }
    epilogue(n * outImage, (n + 1) * outImage);
  }
}

#ifdef __AVX512F__
/// The gradient of one plane of maxPoolPlane3x3Stride2's pooling, into a
/// zeroed dx plane: each window's first maximum (a NaN counting as one,
/// the last NaN winning, as in the reference) found by rows, three-wide
/// from contiguous loads, then across the three rows with the same rule,
/// which gives the same element as walking the window in order. Output
/// rows in order and lanes in order, so each dx element adds its window
/// gradients in the reference's order.
inline void maxPoolGradPlane3x3Stride2(const float *xc, const float *dyc,
                                       float *dxc, int64_t W, int64_t OH,
                                       int64_t OW) {
  const __m512i twice = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
                                          22, 24, 26, 28, 30);
  const __m512i one = _mm512_set1_epi32(1);
  // Whether v replaces the maximum so far: greater, or NaN.
  auto takes = [](__m512 v, __m512 best) {
    return __mmask16(_mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) |
                     _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q));
  };
  struct Choice {
    __m512 best;
    __m512i at; // flat index in the plane
  };
  auto rowChoice = [&](int64_t iy, int64_t ox0) {
    WindowColumns w = windowColumns3Stride2(xc + iy * W, W, ox0);
    __m512i first = _mm512_add_epi32(
        _mm512_set1_epi32(int32_t(iy * W + 2 * ox0)), twice); // column 2ox
    Choice c{w.left, first};
    __mmask16 t = takes(w.middle, c.best);
    c.best = _mm512_mask_mov_ps(c.best, t, w.middle);
    c.at = _mm512_mask_mov_epi32(c.at, t, _mm512_add_epi32(first, one));
    t = takes(w.right, c.best);
    c.best = _mm512_mask_mov_ps(c.best, t, w.right);
    c.at = _mm512_mask_mov_epi32(
        c.at, t, _mm512_add_epi32(first, _mm512_add_epi32(one, one)));
    return c;
  };
  alignas(64) int32_t at[16];
  for (int64_t oy = 0; oy < OH; ++oy)
    for (int64_t ox0 = 0; ox0 < OW; ox0 += 16) {
      Choice c = rowChoice(2 * oy, ox0);
      for (int64_t k = 1; k < 3; ++k) {
        Choice r = rowChoice(2 * oy + k, ox0);
        __mmask16 t = takes(r.best, c.best);
        c.best = _mm512_mask_mov_ps(c.best, t, r.best);
        c.at = _mm512_mask_mov_epi32(c.at, t, r.at);
      }
      _mm512_store_si512(at, c.at);
      const float *d = dyc + oy * OW + ox0;
      int64_t count = std::min<int64_t>(16, OW - ox0);
      for (int64_t lane = 0; lane < count; ++lane)
        dxc[at[lane]] += d[lane];
    }
}
#endif

/// Routes each output gradient to the first maximum of its window.
template <typename Epi>
void maxPoolGrad(const PoolGeom &g, const float *x, const float *dy, float *dx,
                 Epi &&epilogue) {
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < g.N; ++n) {
    for (int64_t c = 0; c < g.C; ++c) {
      const float *xc = x + (n * g.C + c) * g.H * g.W;
      const float *dyc = dy + (n * g.C + c) * g.OH * g.OW;
      float *dxc = dx + (n * g.C + c) * g.H * g.W;
      std::memset(dxc, 0, g.H * g.W * sizeof(float));
#ifdef __AVX512F__
      if (maxPoolByRows(g)) {
        maxPoolGradPlane3x3Stride2(xc, dyc, dxc, g.W, g.OH, g.OW);
        int64_t plane = (n * g.C + c) * g.H * g.W;
        epilogue(plane, plane + g.H * g.W);
        continue;
      }
#endif
      for (int64_t oy = 0; oy < g.OH; ++oy) {
        int64_t i0, i1;
        windowRange(oy, g.SH, g.PH, g.KH, g.H, i0, i1);
        int64_t ox = 0;
#ifdef __AVX512F__
        for (; ox < g.OW; ox += 16) {
          int64_t count = std::min<int64_t>(16, g.OW - ox);
          auto lanes = __mmask16((1u << count) - 1);
          __m512 best = _mm512_setzero_ps();
          __m512i where = _mm512_setzero_si512();
          __mmask16 started = 0;
          // The scalar rule below, lane by lane: the first element, then
          // any later one that is greater or NaN.
          forSixteenWindows(g, xc, oy, ox, lanes,
                            [&](__mmask16 valid, __m512i index, __m512 v) {
                              __mmask16 take =
                                  valid &
                                  (__mmask16(~started) |
                                   _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) |
                                   _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q));
                              best = _mm512_mask_mov_ps(best, take, v);
                              where = _mm512_mask_mov_epi32(where, take, index);
                              started |= valid;
                            });
          alignas(64) int32_t at[16];
          _mm512_store_si512(at, where);
          const float *d = dyc + oy * g.OW + ox;
          for (int64_t lane = 0; lane < count; ++lane) // in order, as below
            if (started >> lane & 1)
              dxc[at[lane]] += d[lane];
        }
#endif
        for (; ox < g.OW; ++ox) {
          int64_t j0, j1;
          windowRange(ox, g.SW, g.PW, g.KW, g.W, j0, j1);
          int64_t start = (oy * g.SH - g.PH) * g.W + ox * g.SW - g.PW;
          int64_t where = start + i0 * g.W + j0;
          float best = xc[where];
          // Branch-free: which element wins is data-dependent, and
          // mispredicted branches cost more than the loads.
          for (int64_t i = i0; i < i1; ++i)
            for (int64_t j = j0; j < j1; ++j) {
              int64_t at = start + i * g.W + j;
              float v = xc[at];
              bool take = (v > best) | (v != v);
              best = take ? v : best;
              where = take ? at : where;
            }
          dxc[where] += dyc[oy * g.OW + ox];
        }
      }
      // One channel at a time: its x and dx are still in L1 here.
      int64_t plane = (n * g.C + c) * g.H * g.W;
      epilogue(plane, plane + g.H * g.W);
    }
  }
}

template <typename Epi>
void avgPoolForward(const PoolGeom &g, const float *x, float *y,
                    Epi &&epilogue) {
  int64_t outImage = g.C * g.OH * g.OW;
  float scale = 1.f / float(g.KH * g.KW);
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < g.N; ++n) {
    for (int64_t c = 0; c < g.C; ++c) {
      const float *xc = x + (n * g.C + c) * g.H * g.W;
      float *yc = y + (n * g.C + c) * g.OH * g.OW;
      for (int64_t oy = 0; oy < g.OH; ++oy)
        for (int64_t ox = 0; ox < g.OW; ++ox) {
          float s = 0.f;
          for (int64_t i = 0; i < g.KH; ++i)
            for (int64_t j = 0; j < g.KW; ++j) {
              int64_t iy = oy * g.SH + i - g.PH, ix = ox * g.SW + j - g.PW;
              if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W)
                s += xc[iy * g.W + ix];
            }
          yc[oy * g.OW + ox] = s * scale;
        }
    }
    epilogue(n * outImage, (n + 1) * outImage);
  }
}

template <typename Epi>
void avgPoolGrad(const PoolGeom &g, const float *dy, float *dx,
                 Epi &&epilogue) {
  int64_t inImage = g.C * g.H * g.W;
  float scale = 1.f / float(g.KH * g.KW);
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < g.N; ++n) {
    std::memset(dx + n * inImage, 0, inImage * sizeof(float));
    for (int64_t c = 0; c < g.C; ++c) {
      const float *dyc = dy + (n * g.C + c) * g.OH * g.OW;
      float *dxc = dx + (n * g.C + c) * g.H * g.W;
      for (int64_t oy = 0; oy < g.OH; ++oy)
        for (int64_t ox = 0; ox < g.OW; ++ox) {
          float v = dyc[oy * g.OW + ox] * scale;
          for (int64_t i = 0; i < g.KH; ++i)
            for (int64_t j = 0; j < g.KW; ++j) {
              int64_t iy = oy * g.SH + i - g.PH, ix = ox * g.SW + j - g.PW;
              if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W)
                dxc[iy * g.W + ix] += v;
            }
        }
    }
    epilogue(n * inImage, (n + 1) * inImage);
  }
}

//===----------------------------------------------------------------------===//
// Loss
//===----------------------------------------------------------------------===//

/// Mean softmax cross-entropy over rows with a label >= 0, the number of
/// correct argmaxes, and (when dlogits is set) the gradient of the mean.
inline void softmaxCrossEntropy(int64_t N, int64_t K, const float *logits,
                                const int32_t *labels, float *loss,
                                int32_t *correct, float *dlogits) {
  double sum = 0;
  int64_t count = 0, right = 0;
  for (int64_t n = 0; n < N; ++n)
    count += labels[n] >= 0;
  for (int64_t n = 0; n < N; ++n) {
    rt::LossRow r =
        rt::softmaxCrossEntropyRow(logits + n * K, K, labels[n], count,
                                   dlogits ? dlogits + n * K : nullptr);
    sum += double(r.loss);
    right += r.right;
  }
  if (loss)
    *loss = count ? float(sum / double(count)) : 0.f;
  if (correct)
    *correct = int32_t(right);
}

//===----------------------------------------------------------------------===//
// Optimizer: one multi-tensor kernel over every parameter
//===----------------------------------------------------------------------===//

enum class UpdateKind { SGD, Momentum, Adam };

struct Update {
  UpdateKind kind;
  float *param;
  const float *grad;
  float *s1, *s2; // momentum buffer, or Adam's exp_avg and exp_avg_sq
  int64_t n;
  float momentum, weightDecay, beta1, beta2, epsilon;
  bool nesterov;
};

/// Elements [begin, end) of one update; one loop per kind, so that each
/// vectorizes.
inline void applyUpdate(const Update &up, int64_t begin, int64_t end, float lr,
                        uint64_t step) {
  float *__restrict param = up.param;
  const float *__restrict grad = up.grad;
  float *__restrict s1 = up.s1;
  float *__restrict s2 = up.s2;
  float wd = up.weightDecay;
  switch (up.kind) {
  case UpdateKind::SGD:
    for (int64_t k = begin; k < end; ++k)
      param[k] = param[k] - lr * (grad[k] + wd * param[k]);
    break;
  case UpdateKind::Momentum:
    for (int64_t k = begin; k < end; ++k) {
      float w = param[k], d = grad[k] + wd * w;
      float buf = up.momentum * s1[k] + d;
      s1[k] = buf;
      param[k] = w - lr * (up.nesterov ? d + up.momentum * buf : buf);
    }
    break;
  case UpdateKind::Adam: {
    double t = double(step + 1);
    float bc1 = float(1.0 - std::pow(double(up.beta1), t));
    float bc2 = float(1.0 - std::pow(double(up.beta2), t));
    float sqrtBc2 = std::sqrt(bc2);
    for (int64_t k = begin; k < end; ++k) {
      float w = param[k], d = grad[k] + wd * w;
      float m = up.beta1 * s1[k] + (1.f - up.beta1) * d;
      float v = up.beta2 * s2[k] + (1.f - up.beta2) * d * d;
      s1[k] = m;
      s2[k] = v;
      param[k] = w - (lr / bc1) * m / (std::sqrt(v) / sqrtBc2 + up.epsilon);
    }
    break;
  }
  }
}

/// Applies every update, splitting all elements of all tensors evenly
/// between the threads. `step` counts from 0 (Adam's t is step + 1).
inline void applyUpdates(const Update *updates, int count, float lr,
                         uint64_t step) {
  int64_t total = 0;
  for (int u = 0; u < count; ++u)
    total += updates[u].n;
  constexpr int64_t chunk = 1 << 14;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < total; b += chunk) {
    int64_t e = std::min(total, b + chunk), base = 0;
    for (int u = 0; u < count; ++u) {
      const Update &up = updates[u];
      int64_t lo = std::max(b, base), hi = std::min(e, base + up.n);
      if (lo < hi)
        applyUpdate(up, lo - base, hi - base, lr, step);
      base += up.n;
    }
  }
}

//===----------------------------------------------------------------------===//
// Initialization
//===----------------------------------------------------------------------===//

inline void fillUniform(float *out, int64_t n, uint64_t seed, uint32_t stream,
                        double bound) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    out[i] = float(rng::initUniform(seed, stream, uint64_t(i), bound));
}

inline void fillNormal(float *out, int64_t n, uint64_t seed, uint32_t stream,
                       double stddev) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    out[i] = float(rng::initNormal(seed, stream, uint64_t(i), stddev));
}

inline void fillZero(float *out, int64_t n) {
  std::memset(out, 0, n * sizeof(float));
}

} // namespace alexc::cpu

#endif
