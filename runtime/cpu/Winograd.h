//===- Winograd.h - Stride-1 3x3 and 5x5 convolutions as Winograd ---------===//
//
// Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks"
// (CVPR 2016). F(2x2, rxr): each 2x2 block of outputs (a tile) comes from
// an a x a block of input, a = r + 1. With the input tile d and the filter
// g transformed,
//   V = B^T d B,  U = G g G^T,  Y = A^T (sum over channels of U . V) A,
// the sum over channels is a*a independent GEMMs (one per element of the
// transformed tile): M[e] (O x tiles) = U[e] (O x C) * V[e] (C x tiles).
// That is 16 multiplications per tile and channel pair instead of 36 for
// 3x3, and 36 instead of 100 for 5x5. The matrices come from the points
// 0, 1, -1 (3x3) and 0, 1, -1, 2, -2 (5x5) and infinity (Toom-Cook); the
// 5x5 transforms scale by up to 5, which costs about one decimal digit of
// fp32 accuracy (measured against the interpreter in the kernel checks).
//
// The input transform gathers the a x a tiles of 16 tiles at a time through
// a per-geometry plan, and the output transform scatters the 2x2 results;
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

/// The transforms of F(2x2, RxR).
template <int R> struct WinogradMatrices;

template <> struct WinogradMatrices<3> {
  static constexpr int kA = 4;
  static constexpr float AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
  static constexpr float G[4][3] = {
      {1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
  static constexpr float BT[4][4] = {
      {1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
};

template <> struct WinogradMatrices<5> {
  static constexpr int kA = 6;
  static constexpr float AT[2][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1}};
  static constexpr float G[6][5] = {
      {1.f / 4, 0, 0, 0, 0},
      {-1.f / 6, -1.f / 6, -1.f / 6, -1.f / 6, -1.f / 6},
      {-1.f / 6, 1.f / 6, -1.f / 6, 1.f / 6, -1.f / 6},
      {1.f / 24, 1.f / 12, 1.f / 6, 1.f / 3, 2.f / 3},
      {1.f / 24, -1.f / 12, 1.f / 6, -1.f / 3, 2.f / 3},
      {0, 0, 0, 0, 1}};
  static constexpr float BT[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0},
                                     {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0},
                                     {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
};

#ifdef __AVX512F__

/// sum over k of coef[k] * x[k * stride], skipping zero coefficients and
/// multiplying by +-1 as additions (the coefficients are constants, so
/// the tests fold away).
template <int N, typename Coef>
inline __m512 combine(const Coef &coef, const __m512 *x, int stride) {
  __m512 acc = _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int k = 0; k < N; ++k) {
    float c = coef[k];
    __m512 v = x[k * stride];
    if (c == 1.f)
      acc = _mm512_add_ps(acc, v);
    else if (c == -1.f)
      acc = _mm512_sub_ps(acc, v);
    else if (c != 0.f)
      acc = _mm512_fmadd_ps(_mm512_set1_ps(c), v, acc);
  }
  return acc;
}

/// Where the 16 tiles of chunk u read their a x a input and write their 2x2
/// output, for one geometry: offsets within a channel, and the lanes that
/// fall inside the image (padding reads as zero, outputs past the edge are
/// not written).
struct WinogradPlan {
  struct Lanes {
    __m512i index;
    __mmask16 valid;
  };
  int a = 0; // input tile side
  int64_t tilesH = 0, tilesW = 0, tiles = 0, chunks = 0;
  std::vector<Lanes> in;  // [chunk][a * a input positions]
  std::vector<Lanes> out; // [chunk][4 output positions]

  void build(int tileSide, int64_t H, int64_t W, int64_t PH, int64_t PW,
             int64_t OH, int64_t OW) {
    a = tileSide;
    tilesH = (OH + 1) / 2, tilesW = (OW + 1) / 2, tiles = tilesH * tilesW;
    chunks = (tiles + 15) / 16;
    in.resize(size_t(chunks * a * a));
    out.resize(size_t(chunks * 4));
    for (int64_t u = 0; u < chunks; ++u) {
      for (int e = 0; e < a * a; ++e) {
        alignas(64) int32_t index[16] = {};
        uint32_t valid = 0;
        for (int lane = 0; lane < 16; ++lane) {
          int64_t t = u * 16 + lane;
          if (t >= tiles)
            continue;
          int64_t iy = t / tilesW * 2 - PH + e / a;
          int64_t ix = t % tilesW * 2 - PW + e % a;
          if (iy < 0 || iy >= H || ix < 0 || ix >= W)
            continue;
          index[lane] = int32_t(iy * W + ix);
          valid |= 1u << lane;
        }
        in[size_t(u * a * a + e)] = {_mm512_load_si512(index),
                                     __mmask16(valid)};
      }
      for (int e = 0; e < 4; ++e) {
        alignas(64) int32_t index[16] = {};
        uint32_t valid = 0;
        for (int lane = 0; lane < 16; ++lane) {
          int64_t t = u * 16 + lane;
          int64_t oy = t / tilesW * 2 + e / 2, ox = t % tilesW * 2 + e % 2;
          if (t >= tiles || oy >= OH || ox >= OW)
            continue;
          index[lane] = int32_t(oy * OW + ox);
          valid |= 1u << lane;
        }
        out[size_t(u * 4 + e)] = {_mm512_load_si512(index), __mmask16(valid)};
      }
    }
  }

  /// The lanes of chunk u that are tiles (the last chunk may be partial).
  __mmask16 chunkLanes(int64_t u) const {
    int64_t n = std::min<int64_t>(16, tiles - u * 16);
    return __mmask16((1u << n) - 1);
  }

  /// V[e][c][t0 + tile] = (B^T d B)[e] for every channel c of one image x
  /// (C x H x W); rows of V are `ld` apart per channel, C * ld per e.
  template <int R>
  void transformInput(const float *x, int64_t C, int64_t HW, float *V,
                      int64_t ld, int64_t t0) const {
    using W = WinogradMatrices<R>;
    constexpr int A = W::kA;
    int64_t plane = C * ld;
    for (int64_t c = 0; c < C; ++c) {
      const float *xc = x + c * HW;
      for (int64_t u = 0; u < chunks; ++u) {
        const Lanes *l = in.data() + u * A * A;
        __m512 d[A * A], t[A * A];
        for (int e = 0; e < A * A; ++e)
          d[e] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), l[e].valid,
                                          l[e].index, xc, sizeof(float));
        for (int i = 0; i < A; ++i) // t = B^T d
          for (int j = 0; j < A; ++j)
            t[i * A + j] = combine<A>(W::BT[i], d + j, A);
        __mmask16 lanes = chunkLanes(u);
        float *dst = V + c * ld + t0 + u * 16;
        for (int i = 0; i < A; ++i) // v = t B
          for (int j = 0; j < A; ++j)
            _mm512_mask_storeu_ps(dst + (i * A + j) * plane, lanes,
                                  combine<A>(W::BT[j], t + i * A, 1));
      }
    }
  }

  /// y[o] = A^T M[.][o] A (+ bias[o]) for every output channel of one
  /// image, from M[e][o][t0 + tile] (rows `ld` apart, O * ld per e).
  template <int R>
  void transformOutput(const float *M, int64_t O, int64_t ld, int64_t t0,
                       const float *bias, float *y, int64_t OHW) const {
    using W = WinogradMatrices<R>;
    constexpr int A = W::kA;
    int64_t plane = O * ld;
    for (int64_t o = 0; o < O; ++o) {
      __m512 b = _mm512_set1_ps(bias ? bias[o] : 0.f);
      for (int64_t u = 0; u < chunks; ++u) {
        __mmask16 lanes = chunkLanes(u);
        const float *src = M + o * ld + t0 + u * 16;
        __m512 m[A * A], r[2 * A];
        for (int e = 0; e < A * A; ++e)
          m[e] = _mm512_maskz_loadu_ps(lanes, src + e * plane);
        for (int i = 0; i < 2; ++i) // r = A^T m
          for (int j = 0; j < A; ++j)
            r[i * A + j] = combine<A>(W::AT[i], m + j, A);
        const Lanes *l = out.data() + u * 4;
        for (int i = 0; i < 2; ++i) // y = r A
          for (int j = 0; j < 2; ++j)
            _mm512_mask_i32scatter_ps(
                y + o * OHW, l[2 * i + j].valid, l[2 * i + j].index,
                _mm512_add_ps(combine<A>(W::AT[j], r + i * A, 1), b),
                sizeof(float));
      }
    }
  }

  /// The weight gradient's transform of the output gradient, the transpose
  /// of transformOutput: Z[e][o][t0 + tile] = (A dy A^T)[e] for every
  /// output channel of one image's dy (O x OH x OW). Outputs past the edge
  /// read as zero.
  template <int R>
  void transformOutputGrad(const float *dy, int64_t O, int64_t OHW, float *Z,
                           int64_t ld, int64_t t0) const {
    using W = WinogradMatrices<R>;
    constexpr int A = W::kA;
    // A's rows (columns of A^T), as constants.
    static constexpr std::array<std::array<float, 2>, A> Arow = [] {
      std::array<std::array<float, 2>, A> rows{};
      for (int i = 0; i < A; ++i)
        for (int k = 0; k < 2; ++k)
          rows[size_t(i)][size_t(k)] = W::AT[k][i];
      return rows;
    }();
    int64_t plane = O * ld;
    for (int64_t o = 0; o < O; ++o) {
      const float *dyo = dy + o * OHW;
      for (int64_t u = 0; u < chunks; ++u) {
        const Lanes *l = out.data() + u * 4;
        __m512 y[4], r[A * 2];
        for (int e = 0; e < 4; ++e)
          y[e] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), l[e].valid,
                                          l[e].index, dyo, sizeof(float));
        for (int i = 0; i < A; ++i) // r = A y
          for (int j = 0; j < 2; ++j)
            r[i * 2 + j] = combine<2>(Arow[size_t(i)], y + j, 2);
        __mmask16 lanes = chunkLanes(u);
        float *dst = Z + o * ld + t0 + u * 16;
        for (int i = 0; i < A; ++i) // z = r A^T
          for (int j = 0; j < A; ++j)
            _mm512_mask_storeu_ps(dst + (i * A + j) * plane, lanes,
                                  combine<2>(Arow[size_t(j)], r + i * 2, 1));
      }
    }
  }
};

/// out(i, j, sum over k of lhs(i, k) * rhs(k, j)) for a Rows x Cols
/// product of small matrices given as index functions (the weight
/// transforms multiply by G and its transpose from either side).
template <int Rows, int Cols, int Inner, typename Lhs, typename Rhs,
          typename Out>
inline void smallProduct(Lhs lhs, Rhs rhs, Out out) {
  for (int i = 0; i < Rows; ++i)
    for (int j = 0; j < Cols; ++j) {
      float s = 0.f;
      for (int k = 0; k < Inner; ++k)
        s += lhs(i, k) * rhs(k, j);
      out(i, j, s);
    }
}

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
#pragma omp parallel for schedule(static)
  for (int64_t oc = 0; oc < O * C; ++oc) {
    const float *g = w + oc * R * R;
    float t[A][R];
    auto G = [](int i, int k) { return W::G[i][k]; };
    auto GT = [](int k, int j) { return W::G[j][k]; };
    smallProduct<A, R, R>( // t = G g
        G, [&](int k, int j) { return g[k * R + j]; },
        [&](int i, int j, float v) { t[i][j] = v; });
    smallProduct<A, A, R>( // U = t G^T
        [&](int i, int k) { return t[i][k]; }, GT,
        [&](int i, int j, float v) {
          raw[size_t((i * A + j) * plane + oc)] = v;
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
  int64_t plane = O * C;
#pragma omp parallel for schedule(static)
  for (int64_t oc = 0; oc < O * C; ++oc) {
    float p[A * A];
    for (int e = 0; e < A * A; ++e) {
      float s = 0.f;
      for (int t = 0; t < parts; ++t)
        s += P[size_t(t) * stride + size_t(e * plane + oc)];
      p[e] = s;
    }
    float q[R][A];
    float *g = dw + oc * R * R;
    smallProduct<R, A, A>( // q = G^T P
        [](int i, int k) { return W::G[k][i]; },
        [&](int k, int j) { return p[k * A + j]; },
        [&](int i, int j, float v) { q[i][j] = v; });
    smallProduct<R, R, A>( // dw = q G
        [&](int i, int k) { return q[i][k]; },
        [](int k, int j) { return W::G[k][j]; },
        [&](int i, int j, float v) { g[i * R + j] = v; });
  }
}

#endif // __AVX512F__

} // namespace alexc::cpu

#endif
