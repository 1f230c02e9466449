//===- Pool.h - CPU max and average pooling (forward and gradients) -------===//
//
// One image plane at a time; the 3x3 stride-2 max pooling (AlexNet's)
// by rows, the rest by windows of sixteen outputs.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_POOL_H
#define ALEXC_RUNTIME_CPU_POOL_H

#include "runtime/abi/KernelAbi.h"
#include "runtime/cpu/Elementwise.h"

#include <cstdint>
#include <limits>
#include <utility>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace alexc::cpu {

using abi::PoolGeom;
using abi::PoolKind;

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

/// The pooling entry points of the kernel contract.
template <PoolKind K, typename Epi>
void poolForward(const PoolGeom &g, const float *x, float *y, Epi &&epilogue) {
  if constexpr (K == PoolKind::Max)
    maxPoolForward(g, x, y, std::forward<Epi>(epilogue));
  else
    avgPoolForward(g, x, y, std::forward<Epi>(epilogue));
}

/// dx from dy; x (the forward input) is read by max pooling only.
template <PoolKind K, typename Epi>
void poolInputGrad(const PoolGeom &g, const float *x, const float *dy,
                   float *dx, Epi &&epilogue) {
  if constexpr (K == PoolKind::Max)
    maxPoolGrad(g, x, dy, dx, std::forward<Epi>(epilogue));
  else
    avgPoolGrad(g, dy, dx, std::forward<Epi>(epilogue));
}

} // namespace alexc::cpu

#endif
