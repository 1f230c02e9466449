//===- Conv.h - CPU convolutions (forward and gradients) ------------------===//
//
// Convolutions as packed, blocked GEMMs (Gemm.h) over implicit im2col
// columns, Winograd convolutions (Winograd.h) for stride-1 3x3 and 5x5
// layers, and a direct convolution (DirectConv.h) for inputs of few
// channels. Parallel over the batch when it is large enough, inside the
// GEMM otherwise.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_CONV_H
#define ALEXC_RUNTIME_CPU_CONV_H

#include "runtime/abi/KernelAbi.h"
#include "runtime/cpu/DirectConv.h"
#include "runtime/cpu/Elementwise.h"
#include "runtime/cpu/Gemm.h"
#include "runtime/cpu/GroupedConv.h"
#include "runtime/cpu/Reduce.h"
#include "runtime/cpu/Winograd.h"

#include <array>
#include <cstdlib>
#include <map>
#include <vector>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace alexc::cpu {

using abi::ConvGeom;

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

/// Images per group: the count (up to 8, or up to 64 tiles for small
/// planes: a 3x3 output is one tile per image; no more than each thread's
/// share, at most about 24 MB of tiles per thread, and few enough for the
/// plans' 32-bit offsets) for which a thread's share of the images takes
/// the fewest GEMM columns, its groups' tiles rounded up to whole 32-column
/// slivers (the smallest such count on a tie).
template <int R> int64_t winogradGroup(const ConvGeom &g, int64_t tiles) {
  int64_t a2 = WinogradMatrices<R>::kA * WinogradMatrices<R>::kA;
  int64_t bytesPerImage = a2 * (g.C + g.O) * tiles * int64_t(sizeof(float));
  int64_t share = (g.N + maxThreads() - 1) / maxThreads();
  int64_t image = std::max(g.C * g.H * g.W, g.O * g.ohw());
  int64_t most = std::min<int64_t>(
      {std::max<int64_t>(8, 64 / tiles), share,
       std::max<int64_t>(1, (int64_t(24) << 20) / bytesPerImage),
       std::max<int64_t>(1, ((int64_t(1) << 31) - 1) / image)});
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
  forEachImageGroup(g.N, G, [&](int64_t n0, int64_t count) {
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
void convForward(const ConvGeom &g, const float *x, const float *w,
                 const float *b, float *y, Epi &&epilogue) {
#ifdef __AVX512F__
  if (directConvApplies(g))
    return conv2dDirect(g, x, w, b, y, epilogue);
  if (winogradApplies(g))
    return conv2dWinograd(g, x, w, b, y, epilogue);
#endif
  static thread_local PrepackedA packed;
  packed.pack(g.O, g.ckk(), MatView{w, g.ckk(), 1});
  if (groupedConvApplies(g))
    return conv2dForwardGrouped(g, x, packed, b, y, epilogue);
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
void convInputGrad(const ConvGeom &g, const float *dy, const float *w,
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
  if (groupedConvApplies(g))
    return convInputGradGrouped(g, dy, weights, dx, epilogue);
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
  forEachImageGroup(g.N, G, [&](int64_t n0, int64_t count) {
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
inline void convWeightGrad(const ConvGeom &g, const float *x, const float *dy,
                           float *dw, float *db) {
#ifdef __AVX512F__
  if (winogradApplies(g))
    return g.KH == 3 ? conv2dWeightGradWinograd<3>(g, x, dy, dw, db)
                     : conv2dWeightGradWinograd<5>(g, x, dy, dw, db);
#endif
  if (groupedConvApplies(g))
    return convWeightGradGrouped(g, x, dy, dw, db);
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
  addThreadPartials(partial, threads, size_t(wsize + g.O), wsize, g.O, dw, db);
}

} // namespace alexc::cpu

#endif
