//===- Winograd.h - Stride-1 3x3 and 5x5 convolutions as Winograd ---------===//
//
// Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks"
// (CVPR 2016). F(mxm, rxr): each m x m block of outputs (a tile) comes
// from an a x a block of input, a = m + r - 1. With the input tile d and
// the filter g transformed,
//   V = B^T d B,  U = G g G^T,  Y = A^T (sum over channels of U . V) A,
// the sum over channels is a*a independent GEMMs (one per element of the
// transformed tile): P[e] (O x tiles) = U[e] (O x C) * V[e] (C x tiles).
// 3x3 convolutions take F(4x4, 3x3): 36 multiplications per tile and
// channel pair for 16 outputs instead of 144 (4x fewer), from the points 0,
// 1, -1, 2, -2 and infinity (Toom-Cook). 5x5 ones take F(4x4, 5x5): 64 for
// 16 outputs instead of 400 (6.25x), from the points 0, 1, -1, 2, -2, 1/2,
// -1/2 and infinity. The transforms scale by up to 8 (A^T's last row; the
// 5x5 one's B^T by up to 21/4), which costs about one decimal digit of fp32
// accuracy (measured against the interpreter in the kernel checks: 1-2e-5
// of the largest output). Larger tiles for 3x3, F(6x6, 3x3), do not pay on
// small planes such as AlexNet's 12x12 layers: their 8x8 transforms cost
// more than the 21 % fewer multiplications save.
//
// The input transform gathers the a x a tiles of 16 tiles at a time through
// a per-geometry plan, and the output transform scatters the m x m results;
// several images share each GEMM so that its tile dimension fills whole
// 32-column slivers.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_WINOGRAD_H
#define ALEXC_RUNTIME_CPU_WINOGRAD_H

#include "runtime/cpu/Gemm.h"

#include <array>
#include <vector>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace alexc::cpu {

/// The transforms of F(MxM, RxR), M = kM output rows and columns per tile
/// from A = M + R - 1 input ones: F(4x4, 3x3) and F(4x4, 5x5). Rows of B^T
/// and G may be scaled against each other (G's are computed once per step,
/// B^T's in every tile): B^T takes the form with the cheapest lines.
/// tools/winograd_matrices.py derives them in exact fractions.
template <int R> struct WinogradMatrices;

template <> struct WinogradMatrices<3> {
  static constexpr int kM = 4, kA = 6;
  static constexpr float AT[4][6] = {{1, 1, 1, 1, 1, 0},
                                     {0, 1, -1, 2, -2, 0},
                                     {0, 1, 1, 4, 4, 0},
                                     {0, 1, -1, 8, -8, 1}};
  static constexpr float G[6][3] = {{1.f / 4, 0, 0},
                                    {-1.f / 6, -1.f / 6, -1.f / 6},
                                    {-1.f / 6, 1.f / 6, -1.f / 6},
                                    {1.f / 24, 1.f / 12, 1.f / 6},
                                    {1.f / 24, -1.f / 12, 1.f / 6},
                                    {0, 0, 1}};
  static constexpr float BT[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0},
                                     {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0},
                                     {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
};

template <> struct WinogradMatrices<5> {
  static constexpr int kM = 4, kA = 8;
  static constexpr float AT[4][8] = {{1, 1, 1, 1, 1, 1, 1, 0},
                                     {0, 1, -1, 2, -2, 1.f / 2, -1.f / 2, 0},
                                     {0, 1, 1, 4, 4, 1.f / 4, 1.f / 4, 0},
                                     {0, 1, -1, 8, -8, 1.f / 8, -1.f / 8, 1}};
  static constexpr float G[8][5] = {
      {1, 0, 0, 0, 0},
      {-2.f / 9, -2.f / 9, -2.f / 9, -2.f / 9, -2.f / 9},
      {-2.f / 9, 2.f / 9, -2.f / 9, 2.f / 9, -2.f / 9},
      {1.f / 90, 1.f / 45, 2.f / 45, 4.f / 45, 8.f / 45},
      {1.f / 90, -1.f / 45, 2.f / 45, -4.f / 45, 8.f / 45},
      {32.f / 45, 16.f / 45, 8.f / 45, 4.f / 45, 2.f / 45},
      {32.f / 45, -16.f / 45, 8.f / 45, -4.f / 45, 2.f / 45},
      {0, 0, 0, 0, 1}};
  static constexpr float BT[8][8] = {
      {1, 0, -21.f / 4, 0, 21.f / 4, 0, -1, 0},
      {0, 1, 1, -17.f / 4, -17.f / 4, 1, 1, 0},
      {0, -1, 1, 17.f / 4, -17.f / 4, -1, 1, 0},
      {0, 1.f / 2, 1.f / 4, -5.f / 2, -5.f / 4, 2, 1, 0},
      {0, -1.f / 2, 1.f / 4, 5.f / 2, -5.f / 4, -2, 1, 0},
      {0, 2, 4, -5.f / 2, -5, 1.f / 2, 1, 0},
      {0, -2, 4, 5.f / 2, -5, -1.f / 2, 1, 0},
      {0, -1, 0, 21.f / 4, 0, -21.f / 4, 0, 1}};
};

#ifdef __AVX512F__

#define ALEXC_WINOGRAD_INLINE inline __attribute__((always_inline))

/// The one-dimensional transforms of F(MxM, RxR) on 16 tiles at once,
/// written out with their common terms (fewer operations than rows of the
/// matrices would take; tests/unit/CpuKernelsTest.cpp checks them against
/// WinogradMatrices): input r = B^T d (A values), output y = A^T m (M
/// values from A), and the weight gradient's z = A y (A values from M).
/// Operands are x[k * stride].
template <int R> struct WinogradLines;

template <> struct WinogradLines<3> {
  static ALEXC_WINOGRAD_INLINE void input(const __m512 *d, int sd, __m512 *r,
                                          int sr) {
    const __m512 four = _mm512_set1_ps(4.f), five = _mm512_set1_ps(5.f),
                 two = _mm512_set1_ps(2.f);
    __m512 d0 = d[0], d1 = d[sd], d2 = d[2 * sd], d3 = d[3 * sd],
           d4 = d[4 * sd], d5 = d[5 * sd];
    __m512 a = _mm512_fnmadd_ps(four, d2, d4); // d4 - 4 d2
    __m512 b = _mm512_fnmadd_ps(four, d1, d3); // d3 - 4 d1
    __m512 c = _mm512_sub_ps(d4, d2);
    __m512 e = _mm512_mul_ps(two, _mm512_sub_ps(d3, d1));
    r[0] = _mm512_fmadd_ps(four, d0, _mm512_fnmadd_ps(five, d2, d4));
    r[sr] = _mm512_add_ps(a, b);
    r[2 * sr] = _mm512_sub_ps(a, b);
    r[3 * sr] = _mm512_add_ps(c, e);
    r[4 * sr] = _mm512_sub_ps(c, e);
    r[5 * sr] = _mm512_fmadd_ps(four, d1, _mm512_fnmadd_ps(five, d3, d5));
  }
  static ALEXC_WINOGRAD_INLINE void output(const __m512 *m, int sm, __m512 *y,
                                           int sy) {
    const __m512 two = _mm512_set1_ps(2.f), four = _mm512_set1_ps(4.f),
                 eight = _mm512_set1_ps(8.f);
    __m512 p = _mm512_add_ps(m[sm], m[2 * sm]);
    __m512 q = _mm512_sub_ps(m[sm], m[2 * sm]);
    __m512 s = _mm512_add_ps(m[3 * sm], m[4 * sm]);
    __m512 t = _mm512_sub_ps(m[3 * sm], m[4 * sm]);
    y[0] = _mm512_add_ps(_mm512_add_ps(m[0], p), s);
    y[sy] = _mm512_fmadd_ps(two, t, q);
    y[2 * sy] = _mm512_fmadd_ps(four, s, p);
    y[3 * sy] = _mm512_add_ps(_mm512_fmadd_ps(eight, t, q), m[5 * sm]);
  }
  static ALEXC_WINOGRAD_INLINE void outputGrad(const __m512 *y, int sy,
                                               __m512 *z, int sz) {
    const __m512 two = _mm512_set1_ps(2.f), four = _mm512_set1_ps(4.f),
                 eight = _mm512_set1_ps(8.f);
    __m512 y0 = y[0], y1 = y[sy], y2 = y[2 * sy], y3 = y[3 * sy];
    __m512 a = _mm512_add_ps(y0, y2), b = _mm512_add_ps(y1, y3);
    __m512 c = _mm512_fmadd_ps(four, y2, y0);
    __m512 d = _mm512_fmadd_ps(eight, y3, _mm512_mul_ps(two, y1));
    z[0] = y0;
    z[sz] = _mm512_add_ps(a, b);
    z[2 * sz] = _mm512_sub_ps(a, b);
    z[3 * sz] = _mm512_add_ps(c, d);
    z[4 * sz] = _mm512_sub_ps(c, d);
    z[5 * sz] = y3;
  }
};

/// The 8-point lines. The rows of B^T, and the columns of A^T, for the
/// points p and -p are the sums and differences of an even and an odd part
/// (e and o below), so each pair of points costs one set of them: 26
/// operations for the input line instead of the matrix's 44 non-zeros.
template <> struct WinogradLines<5> {
  static ALEXC_WINOGRAD_INLINE __m512 c(float v) { return _mm512_set1_ps(v); }

  static ALEXC_WINOGRAD_INLINE void input(const __m512 *d, int sd, __m512 *r,
                                          int sr) {
    __m512 d0 = d[0], d1 = d[sd], d2 = d[2 * sd], d3 = d[3 * sd],
           d4 = d[4 * sd], d5 = d[5 * sd], d6 = d[6 * sd], d7 = d[7 * sd];
    r[0] =
        _mm512_fmadd_ps(c(5.25f), _mm512_sub_ps(d4, d2), _mm512_sub_ps(d0, d6));
    r[7 * sr] =
        _mm512_fmadd_ps(c(5.25f), _mm512_sub_ps(d3, d5), _mm512_sub_ps(d7, d1));
    // Points 1 and -1.
    __m512 e = _mm512_fnmadd_ps(c(4.25f), d4, _mm512_add_ps(d2, d6));
    __m512 o = _mm512_fnmadd_ps(c(4.25f), d3, _mm512_add_ps(d1, d5));
    r[sr] = _mm512_add_ps(e, o);
    r[2 * sr] = _mm512_sub_ps(e, o);
    // Points 2 and -2.
    e = _mm512_fnmadd_ps(c(1.25f), d4, _mm512_fmadd_ps(c(0.25f), d2, d6));
    o = _mm512_fmadd_ps(
        c(2.f), d5, _mm512_fmsub_ps(c(0.5f), d1, _mm512_mul_ps(c(2.5f), d3)));
    r[3 * sr] = _mm512_add_ps(e, o);
    r[4 * sr] = _mm512_sub_ps(e, o);
    // Points 1/2 and -1/2.
    e = _mm512_fmadd_ps(c(4.f), _mm512_fnmadd_ps(c(1.25f), d4, d2), d6);
    o = _mm512_fmadd_ps(
        c(0.5f), d5, _mm512_fmsub_ps(c(2.f), d1, _mm512_mul_ps(c(2.5f), d3)));
    r[5 * sr] = _mm512_add_ps(e, o);
    r[6 * sr] = _mm512_sub_ps(e, o);
  }
  static ALEXC_WINOGRAD_INLINE void output(const __m512 *m, int sm, __m512 *y,
                                           int sy) {
    __m512 s1 = _mm512_add_ps(m[sm], m[2 * sm]);
    __m512 d1 = _mm512_sub_ps(m[sm], m[2 * sm]);
    __m512 s2 = _mm512_add_ps(m[3 * sm], m[4 * sm]);
    __m512 d2 = _mm512_sub_ps(m[3 * sm], m[4 * sm]);
    __m512 s3 = _mm512_add_ps(m[5 * sm], m[6 * sm]);
    __m512 d3 = _mm512_sub_ps(m[5 * sm], m[6 * sm]);
    y[0] = _mm512_add_ps(_mm512_add_ps(m[0], s1), _mm512_add_ps(s2, s3));
    y[sy] = _mm512_fmadd_ps(c(2.f), d2, _mm512_fmadd_ps(c(0.5f), d3, d1));
    y[2 * sy] = _mm512_fmadd_ps(c(4.f), s2, _mm512_fmadd_ps(c(0.25f), s3, s1));
    y[3 * sy] = _mm512_add_ps(
        _mm512_fmadd_ps(c(8.f), d2, _mm512_fmadd_ps(c(0.125f), d3, d1)),
        m[7 * sm]);
  }
  static ALEXC_WINOGRAD_INLINE void outputGrad(const __m512 *y, int sy,
                                               __m512 *z, int sz) {
    __m512 y0 = y[0], y1 = y[sy], y2 = y[2 * sy], y3 = y[3 * sy];
    __m512 e1 = _mm512_add_ps(y0, y2), o1 = _mm512_add_ps(y1, y3);
    __m512 e2 = _mm512_fmadd_ps(c(4.f), y2, y0);
    __m512 o2 = _mm512_fmadd_ps(c(8.f), y3, _mm512_mul_ps(c(2.f), y1));
    __m512 e3 = _mm512_fmadd_ps(c(0.25f), y2, y0);
    __m512 o3 = _mm512_fmadd_ps(c(0.125f), y3, _mm512_mul_ps(c(0.5f), y1));
    z[0] = y0;
    z[sz] = _mm512_add_ps(e1, o1);
    z[2 * sz] = _mm512_sub_ps(e1, o1);
    z[3 * sz] = _mm512_add_ps(e2, o2);
    z[4 * sz] = _mm512_sub_ps(e2, o2);
    z[5 * sz] = _mm512_add_ps(e3, o3);
    z[6 * sz] = _mm512_sub_ps(e3, o3);
    z[7 * sz] = y3;
  }
};

/// Where the 16 tiles of chunk u read their a x a input and write their
/// m x m output, for one geometry and a group of up to `images` images
/// whose tiles are numbered one after the other (image i's tile t is tile
/// i * tiles + t), so that the chunks of small images are full: offsets
/// from the group's first image within a channel (images inStride and
/// outStride floats apart), and the lanes that fall inside the image
/// (padding reads as zero, outputs past the edge are not written).
struct WinogradPlan {
  struct Lanes {
    __m512i index;
    __mmask16 valid;
  };
  int64_t tiles = 0;      // per image
  std::vector<Lanes> in;  // [chunk][a * a input positions]
  std::vector<Lanes> out; // [chunk][m * m output positions]

  /// For input tiles of side a and output tiles of side m; inStride and
  /// outStride times `images` must stay below 2^31.
  void build(int a, int m, int64_t H, int64_t W, int64_t PH, int64_t PW,
             int64_t OH, int64_t OW, int64_t images, int64_t inStride,
             int64_t outStride) {
    int64_t tilesW = (OW + m - 1) / m;
    tiles = (OH + m - 1) / m * tilesW;
    int64_t chunks = (images * tiles + 15) / 16;
    in.resize(size_t(chunks * a * a));
    out.resize(size_t(chunks * m * m));
    for (int64_t u = 0; u < chunks; ++u) {
      for (int e = 0; e < a * a; ++e) {
        alignas(64) int32_t index[16] = {};
        uint32_t valid = 0;
        for (int lane = 0; lane < 16; ++lane) {
          int64_t g = u * 16 + lane, i = g / tiles, t = g % tiles;
          if (i >= images)
            continue;
          int64_t iy = t / tilesW * m - PH + e / a;
          int64_t ix = t % tilesW * m - PW + e % a;
          if (iy < 0 || iy >= H || ix < 0 || ix >= W)
            continue;
          index[lane] = int32_t(i * inStride + iy * W + ix);
          valid |= 1u << lane;
        }
        in[size_t(u * a * a + e)] = {_mm512_load_si512(index),
                                     __mmask16(valid)};
      }
      for (int e = 0; e < m * m; ++e) {
        alignas(64) int32_t index[16] = {};
        uint32_t valid = 0;
        for (int lane = 0; lane < 16; ++lane) {
          int64_t g = u * 16 + lane, i = g / tiles, t = g % tiles;
          int64_t oy = t / tilesW * m + e / m, ox = t % tilesW * m + e % m;
          if (i >= images || oy >= OH || ox >= OW)
            continue;
          index[lane] = int32_t(i * outStride + oy * OW + ox);
          valid |= 1u << lane;
        }
        out[size_t(u * m * m + e)] = {_mm512_load_si512(index),
                                      __mmask16(valid)};
      }
    }
  }

  /// out[e] = base[l[e].index] for the N positions of a chunk, in its
  /// `lanes` (zero elsewhere and outside the image).
  template <int N>
  static ALEXC_WINOGRAD_INLINE void gather(const Lanes *l, __mmask16 lanes,
                                           const float *base, __m512 *out) {
#pragma GCC unroll 64
    for (int e = 0; e < N; ++e)
      out[e] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), l[e].valid & lanes,
                                        l[e].index, base, sizeof(float));
  }

  /// base[e * plane] = v[e] for the N rows of a chunk, in its `lanes`.
  template <int N>
  static ALEXC_WINOGRAD_INLINE void
  storeRows(float *base, int64_t plane, __mmask16 lanes, const __m512 *v) {
#pragma GCC unroll 64
    for (int e = 0; e < N; ++e)
      _mm512_mask_storeu_ps(base + e * plane, lanes, v[e]);
  }

  /// The chunks that hold the tiles of the first `count` images, and the
  /// lanes of chunk u among those tiles (the last chunk may be partial).
  int64_t chunksFor(int64_t count) const { return (count * tiles + 15) / 16; }
  __mmask16 chunkLanes(int64_t u, int64_t count) const {
    int64_t n = std::min<int64_t>(16, count * tiles - u * 16);
    return __mmask16((1u << n) - 1);
  }

  /// V[e][c][tile] = (B^T d B)[e] for every channel c of `count` images
  /// from x (each C x H x W, the plan's inStride apart); rows of V are `ld`
  /// apart per channel, C * ld per e.
  template <int R>
  void transformInput(const float *x, int64_t count, int64_t C, int64_t HW,
                      float *V, int64_t ld) const {
    using W = WinogradMatrices<R>;
    constexpr int A = W::kA;
    int64_t plane = C * ld, used = chunksFor(count);
    for (int64_t c = 0; c < C; ++c) {
      const float *xc = x + c * HW;
      for (int64_t u = 0; u < used; ++u) {
        const Lanes *l = in.data() + u * A * A;
        __mmask16 lanes = chunkLanes(u, count);
        __m512 d[A * A], t[A * A];
        gather<A * A>(l, lanes, xc, d);
#pragma GCC unroll 8
        for (int i = 0; i < A; ++i) // t = d B, row by row
          WinogradLines<R>::input(d + i * A, 1, t + i * A, 1);
#pragma GCC unroll 8
        for (int j = 0; j < A; ++j) // v = B^T t, column by column
          WinogradLines<R>::input(t + j, A, d + j, A);
        storeRows<A * A>(V + c * ld + u * 16, plane, lanes, d);
      }
    }
  }

  /// y[o] = A^T P[.][o] A (+ bias[o]) for output channels [o0, o1) of
  /// `count` images y (each O x OH x OW, the plan's outStride apart), from
  /// the products P[e][o][tile] (rows `ld` apart, O * ld per e).
  template <int R>
  void transformOutput(const float *prod, int64_t count, int64_t O, int64_t o0,
                       int64_t o1, int64_t ld, const float *bias, float *y,
                       int64_t OHW) const {
    using W = WinogradMatrices<R>;
    constexpr int A = W::kA, M = W::kM;
    int64_t plane = O * ld, used = chunksFor(count);
    for (int64_t o = o0; o < o1; ++o) {
      __m512 b = _mm512_set1_ps(bias ? bias[o] : 0.f);
      for (int64_t u = 0; u < used; ++u) {
        __mmask16 lanes = chunkLanes(u, count);
        const float *src = prod + o * ld + u * 16;
        __m512 mt[A * A], r[M * A], q[M * M];
#pragma GCC unroll 64
        for (int e = 0; e < A * A; ++e)
          mt[e] = _mm512_maskz_loadu_ps(lanes, src + e * plane);
#pragma GCC unroll 8
        for (int j = 0; j < A; ++j) // r = A^T m, column by column
          WinogradLines<R>::output(mt + j, A, r + j, A);
#pragma GCC unroll 4
        for (int i = 0; i < M; ++i) // y = r A, row by row
          WinogradLines<R>::output(r + i * A, 1, q + M * i, 1);
        const Lanes *l = out.data() + u * M * M;
#pragma GCC unroll 16
        for (int e = 0; e < M * M; ++e)
          _mm512_mask_i32scatter_ps(y + o * OHW, l[e].valid & lanes, l[e].index,
                                    _mm512_add_ps(q[e], b), sizeof(float));
      }
    }
  }

  /// The weight gradient's transform of the output gradient, the transpose
  /// of transformOutput: Z[e][o][tile] = (A dy A^T)[e] for every output
  /// channel of `count` images' dy (each O x OH x OW, the plan's outStride
  /// apart). Outputs past the edge read as zero.
  template <int R>
  void transformOutputGrad(const float *dy, int64_t count, int64_t O,
                           int64_t OHW, float *Z, int64_t ld) const {
    constexpr int A = WinogradMatrices<R>::kA, M = WinogradMatrices<R>::kM;
    int64_t plane = O * ld, used = chunksFor(count);
    for (int64_t o = 0; o < O; ++o) {
      const float *dyo = dy + o * OHW;
      for (int64_t u = 0; u < used; ++u) {
        const Lanes *l = out.data() + u * M * M;
        __mmask16 lanes = chunkLanes(u, count);
        __m512 y[M * M], r[A * M], z[A * A];
        gather<M * M>(l, lanes, dyo, y);
#pragma GCC unroll 4
        for (int j = 0; j < M; ++j) // r = A y, column by column
          WinogradLines<R>::outputGrad(y + j, M, r + j, M);
#pragma GCC unroll 8
        for (int i = 0; i < A; ++i) // z = r A^T, row by row
          WinogradLines<R>::outputGrad(r + M * i, 1, z + i * A, 1);
        storeRows<A * A>(Z + o * ld + u * 16, plane, lanes, z);
      }
    }
  }
};

/// out(i, j, sum over k of lhs(i, k) * rhs(k, j)) for a Rows x Cols
/// product of small matrices given as index functions, 16 filters at a
/// time (one per lane): the weight transforms multiply by G and its
/// transpose from either side. The coefficients are constants once the
/// loops are unrolled.
template <int Rows, int Cols, int Inner, typename Lhs, typename Rhs,
          typename Out>
ALEXC_WINOGRAD_INLINE void smallProduct(Lhs lhs, Rhs rhs, Out out) {
#pragma GCC unroll 8
  for (int i = 0; i < Rows; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < Cols; ++j) {
      __m512 s = _mm512_setzero_ps();
#pragma GCC unroll 8
      for (int k = 0; k < Inner; ++k)
        s = _mm512_fmadd_ps(lhs(i, k), rhs(k, j), s);
      out(i, j, s);
    }
}

/// Lane l of the 16-filter block starting at filter f0 of n filters of K
/// floats each: the gather offsets (in floats) and the lanes in range.
struct FilterLanes {
  __m512i offsets;
  __mmask16 valid;
  FilterLanes(int64_t f0, int64_t n, int K)
      : offsets(_mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8,
                                                     9, 10, 11, 12, 13, 14, 15),
                                   _mm512_set1_epi32(K))),
        valid(__mmask16((1u << std::min<int64_t>(16, n - f0)) - 1)) {}
};

/// Floats transformWeights needs in its workspace.
template <int R> int64_t transformWeightsFloats(int64_t O, int64_t C) {
  constexpr int A = WinogradMatrices<R>::kA;
  return A * A * (O * C + (PrepackedA::floatsFor(O, C) + 15) / 16 * 16);
}

/// U[e] (O x C) = (G g G^T)[e] for filters w (O x C x R x R), each packed
/// as the GEMM's A operand into `workspace` (64-byte aligned,
/// transformWeightsFloats floats), which must outlive U's use.
template <int R>
void transformWeights(const float *w, int64_t O, int64_t C, float *workspace,
                      std::vector<PrepackedA> &U) {
  using W = WinogradMatrices<R>;
  constexpr int A = W::kA;
  int64_t plane = O * C;
  // Packed operands first, each rounded up to 64 bytes, then the raw ones.
  float *packed = workspace;
  int64_t each = (PrepackedA::floatsFor(O, C) + 15) / 16 * 16;
  float *raw = packed + A * A * each;
  U.resize(A * A);
  int64_t blocks = (plane + 15) / 16;
#pragma omp parallel for schedule(static)
  for (int64_t bk = 0; bk < blocks; ++bk) {
    int64_t oc0 = bk * 16;
    FilterLanes l(oc0, plane, R * R);
    __m512 g[R * R], t[A * R];
    const float *base = w + oc0 * R * R;
#pragma GCC unroll 25
    for (int k = 0; k < R * R; ++k)
      g[k] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), l.valid, l.offsets,
                                      base + k, sizeof(float));
    auto G = [](int i, int k) { return _mm512_set1_ps(W::G[i][k]); };
    auto GT = [](int k, int j) { return _mm512_set1_ps(W::G[j][k]); };
    smallProduct<A, R, R>( // t = G g
        G, [&](int k, int j) { return g[k * R + j]; },
        [&](int i, int j, __m512 v) { t[i * R + j] = v; });
    smallProduct<A, A, R>( // U = t G^T
        [&](int i, int k) { return t[i * R + k]; }, GT,
        [&](int i, int j, __m512 v) {
          _mm512_mask_storeu_ps(raw + (i * A + j) * plane + oc0, l.valid, v);
        });
  }
  for (int e = 0; e < A * A; ++e)
    U[size_t(e)].packAt(packed + e * each, O, C,
                        MatView{raw + e * plane, C, 1});
}

/// dw (O x C x R x R) = (G^T P G) for P[e] (O x C), the transpose of
/// transformWeights, with P summed over `parts` copies `stride` apart (in
/// a fixed order, so the result is reproducible).
template <int R>
void untransformWeightGrad(const float *P, int parts, size_t stride, int64_t O,
                           int64_t C, float *dw) {
  using W = WinogradMatrices<R>;
  constexpr int A = W::kA;
  int64_t plane = O * C, blocks = (plane + 15) / 16;
#pragma omp parallel for schedule(static)
  for (int64_t bk = 0; bk < blocks; ++bk) {
    int64_t oc0 = bk * 16;
    FilterLanes l(oc0, plane, R * R);
    __m512 p[A * A], q[R * A];
#pragma GCC unroll 64
    for (int e = 0; e < A * A; ++e) {
      __m512 s = _mm512_setzero_ps();
      for (int t = 0; t < parts; ++t)
        s = _mm512_add_ps(
            s, _mm512_maskz_loadu_ps(l.valid, P + size_t(t) * stride +
                                                  size_t(e * plane + oc0)));
      p[e] = s;
    }
    float *g = dw + oc0 * R * R;
    smallProduct<R, A, A>( // q = G^T P
        [](int i, int k) { return _mm512_set1_ps(W::G[k][i]); },
        [&](int k, int j) { return p[k * A + j]; },
        [&](int i, int j, __m512 v) { q[i * A + j] = v; });
    smallProduct<R, R, A>( // dw = q G
        [&](int i, int k) { return q[i * A + k]; },
        [](int k, int j) { return _mm512_set1_ps(W::G[k][j]); },
        [&](int i, int j, __m512 v) {
          _mm512_mask_i32scatter_ps(g + i * R + j, l.valid, l.offsets, v,
                                    sizeof(float));
        });
  }
}

#endif // __AVX512F__

} // namespace alexc::cpu

#endif
