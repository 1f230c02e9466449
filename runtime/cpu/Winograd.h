//===- Winograd.h - 3x3 stride-1 convolutions as Winograd F(2x2, 3x3) -----===//
//
// Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks"
// (CVPR 2016). Each 2x2 block of outputs (a tile) comes from a 4x4 block of
// input: with the input tile d and the filter g transformed,
//   V = B^T d B,  U = G g G^T,  Y = A^T (sum over channels of U . V) A,
// the sum over channels is 16 independent GEMMs (one per element of the
// 4x4 transformed tile): M[e] (O x tiles) = U[e] (O x C) * V[e] (C x tiles).
// That is 16 multiplications per tile and channel pair instead of 36, 2.25x
// fewer, for a few additions in the transforms. Rounding: the transforms
// only add and halve, so the results stay within fp32 rounding of the
// direct convolution (the kernel checks compare them with the interpreter).
//
// The input transform gathers the 4x4 tiles of 16 tiles at a time through
// a per-geometry plan, and the output transform scatters the 2x2 results;
// several images share each GEMM so that its tile dimension fills whole
// 32-column slivers.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_WINOGRAD_H
#define ALEXC_RUNTIME_CPU_WINOGRAD_H

#include "runtime/cpu/Gemm.h"

#include <array>
#include <cstdlib>
#include <map>
#include <vector>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace alexc::cpu {

#ifdef __AVX512F__

/// Where the 16 tiles of chunk u read their 4x4 input and write their 2x2
/// output, for one geometry: offsets within a channel, and the lanes that
/// fall inside the image (padding reads as zero, outputs past the edge are
/// not written).
struct WinogradPlan {
  struct Lanes {
    __m512i index;
    __mmask16 valid;
  };
  int64_t tilesH = 0, tilesW = 0, tiles = 0, chunks = 0;
  std::vector<Lanes> in;  // [chunk][16 input positions]
  std::vector<Lanes> out; // [chunk][4 output positions]

  void build(int64_t H, int64_t W, int64_t PH, int64_t PW, int64_t OH,
             int64_t OW) {
    tilesH = (OH + 1) / 2, tilesW = (OW + 1) / 2, tiles = tilesH * tilesW;
    chunks = (tiles + 15) / 16;
    in.resize(size_t(chunks * 16));
    out.resize(size_t(chunks * 4));
    for (int64_t u = 0; u < chunks; ++u) {
      for (int e = 0; e < 16; ++e) {
        alignas(64) int32_t index[16] = {};
        uint32_t valid = 0;
        for (int lane = 0; lane < 16; ++lane) {
          int64_t t = u * 16 + lane;
          if (t >= tiles)
            continue;
          int64_t iy = t / tilesW * 2 - PH + e / 4;
          int64_t ix = t % tilesW * 2 - PW + e % 4;
          if (iy < 0 || iy >= H || ix < 0 || ix >= W)
            continue;
          index[lane] = int32_t(iy * W + ix);
          valid |= 1u << lane;
        }
        in[size_t(u * 16 + e)] = {_mm512_load_si512(index), __mmask16(valid)};
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
  void transformInput(const float *x, int64_t C, int64_t HW, float *V,
                      int64_t ld, int64_t t0) const {
    for (int64_t c = 0; c < C; ++c) {
      const float *xc = x + c * HW;
      for (int64_t u = 0; u < chunks; ++u) {
        const Lanes *l = in.data() + u * 16;
        __m512 d[16];
        for (int e = 0; e < 16; ++e)
          d[e] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), l[e].valid,
                                          l[e].index, xc, sizeof(float));
        // t = B^T d (rows), then v = t B (columns).
        __m512 t[16];
        for (int j = 0; j < 4; ++j) {
          t[0 + j] = _mm512_sub_ps(d[0 + j], d[8 + j]);
          t[4 + j] = _mm512_add_ps(d[4 + j], d[8 + j]);
          t[8 + j] = _mm512_sub_ps(d[8 + j], d[4 + j]);
          t[12 + j] = _mm512_sub_ps(d[4 + j], d[12 + j]);
        }
        __mmask16 lanes = chunkLanes(u);
        float *dst = V + c * ld + t0 + u * 16;
        int64_t plane = C * ld;
        for (int i = 0; i < 4; ++i) {
          const __m512 *r = t + 4 * i;
          __m512 v[4] = {_mm512_sub_ps(r[0], r[2]), _mm512_add_ps(r[1], r[2]),
                         _mm512_sub_ps(r[2], r[1]), _mm512_sub_ps(r[1], r[3])};
          for (int j = 0; j < 4; ++j)
            _mm512_mask_storeu_ps(dst + (4 * i + j) * plane, lanes, v[j]);
        }
      }
    }
  }

  /// y[o] = A^T M[.][o] A (+ bias[o]) for every output channel of one
  /// image, from M[e][o][t0 + tile] (rows `ld` apart, O * ld per e).
  void transformOutput(const float *M, int64_t O, int64_t ld, int64_t t0,
                       const float *bias, float *y, int64_t OHW) const {
    int64_t plane = O * ld;
    for (int64_t o = 0; o < O; ++o) {
      __m512 b = _mm512_set1_ps(bias ? bias[o] : 0.f);
      for (int64_t u = 0; u < chunks; ++u) {
        __mmask16 lanes = chunkLanes(u);
        const float *src = M + o * ld + t0 + u * 16;
        __m512 m[16];
        for (int e = 0; e < 16; ++e)
          m[e] = _mm512_maskz_loadu_ps(lanes, src + e * plane);
        // r = A^T m (rows), then y = r A (columns).
        __m512 r[8];
        for (int j = 0; j < 4; ++j) {
          r[j] = _mm512_add_ps(_mm512_add_ps(m[j], m[4 + j]), m[8 + j]);
          r[4 + j] = _mm512_sub_ps(_mm512_sub_ps(m[4 + j], m[8 + j]), m[12 + j]);
        }
        const Lanes *l = out.data() + u * 4;
        for (int a = 0; a < 2; ++a) {
          const __m512 *ra = r + 4 * a;
          __m512 y0 = _mm512_add_ps(_mm512_add_ps(ra[0], ra[1]), ra[2]);
          __m512 y1 = _mm512_sub_ps(_mm512_sub_ps(ra[1], ra[2]), ra[3]);
          _mm512_mask_i32scatter_ps(y + o * OHW, l[2 * a].valid,
                                    l[2 * a].index, _mm512_add_ps(y0, b),
                                    sizeof(float));
          _mm512_mask_i32scatter_ps(y + o * OHW, l[2 * a + 1].valid,
                                    l[2 * a + 1].index, _mm512_add_ps(y1, b),
                                    sizeof(float));
        }
      }
    }
  }

  /// The weight gradient's transform of the output gradient, the transpose
  /// of transformOutput: Z[e][o][t0 + tile] = (A dy A^T)[e] for every
  /// output channel of one image's dy (O x OH x OW). Outputs past the edge
  /// read as zero.
  void transformOutputGrad(const float *dy, int64_t O, int64_t OHW, float *Z,
                           int64_t ld, int64_t t0) const {
    int64_t plane = O * ld;
    for (int64_t o = 0; o < O; ++o) {
      const float *dyo = dy + o * OHW;
      for (int64_t u = 0; u < chunks; ++u) {
        const Lanes *l = out.data() + u * 4;
        __m512 y[4];
        for (int e = 0; e < 4; ++e)
          y[e] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), l[e].valid,
                                          l[e].index, dyo, sizeof(float));
        // r = A y (rows; y[2a + b]), then z = r A^T (columns).
        __m512 r[8] = {y[0],
                       y[1],
                       _mm512_add_ps(y[0], y[2]),
                       _mm512_add_ps(y[1], y[3]),
                       _mm512_sub_ps(y[0], y[2]),
                       _mm512_sub_ps(y[1], y[3]),
                       _mm512_sub_ps(_mm512_setzero_ps(), y[2]),
                       _mm512_sub_ps(_mm512_setzero_ps(), y[3])};
        __mmask16 lanes = chunkLanes(u);
        float *dst = Z + o * ld + t0 + u * 16;
        for (int i = 0; i < 4; ++i) {
          __m512 r0 = r[2 * i], r1 = r[2 * i + 1];
          __m512 z[4] = {r0, _mm512_add_ps(r0, r1), _mm512_sub_ps(r0, r1),
                         _mm512_sub_ps(_mm512_setzero_ps(), r1)};
          for (int j = 0; j < 4; ++j)
            _mm512_mask_storeu_ps(dst + (4 * i + j) * plane, lanes, z[j]);
        }
      }
    }
  }
};

/// U[e] (O x C) = (G g G^T)[e] for filters w (O x C x 3 x 3), each packed
/// as the GEMM's A operand.
inline void transformWeights(const float *w, int64_t O, int64_t C,
                             std::vector<float> &raw,
                             std::array<PrepackedA, 16> &U) {
  raw.resize(size_t(16 * O * C));
  int64_t plane = O * C;
#pragma omp parallel for schedule(static)
  for (int64_t oc = 0; oc < O * C; ++oc) {
    const float *g = w + oc * 9;
    float t[4][3]; // G g
    for (int j = 0; j < 3; ++j) {
      t[0][j] = g[j];
      t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
      t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
      t[3][j] = g[6 + j];
    }
    for (int i = 0; i < 4; ++i) { // (G g) G^T
      float *u = raw.data() + (4 * i) * plane + oc;
      u[0 * plane] = t[i][0];
      u[1 * plane] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
      u[2 * plane] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
      u[3 * plane] = t[i][2];
    }
  }
  for (int e = 0; e < 16; ++e)
    U[size_t(e)].pack(O, C, MatView{raw.data() + e * plane, C, 1});
}

/// dw (O x C x 3 x 3) = (G^T P G) for P[e] (O x C), the transpose of
/// transformWeights, with P summed over `parts` copies `stride` apart (in
/// a fixed order, so the result is reproducible).
inline void untransformWeightGrad(const float *P, int parts, size_t stride,
                                  int64_t O, int64_t C, float *dw) {
  int64_t plane = O * C;
#pragma omp parallel for schedule(static)
  for (int64_t oc = 0; oc < O * C; ++oc) {
    float p[16];
    for (int e = 0; e < 16; ++e) {
      float s = 0.f;
      for (int t = 0; t < parts; ++t)
        s += P[size_t(t) * stride + size_t(e * plane + oc)];
      p[e] = s;
    }
    float q[3][4]; // G^T P
    for (int j = 0; j < 4; ++j) {
      q[0][j] = p[j] + 0.5f * (p[4 + j] + p[8 + j]);
      q[1][j] = 0.5f * (p[4 + j] - p[8 + j]);
      q[2][j] = 0.5f * (p[4 + j] + p[8 + j]) + p[12 + j];
    }
    float *g = dw + oc * 9; // (G^T P) G
    for (int a = 0; a < 3; ++a) {
      g[3 * a + 0] = q[a][0] + 0.5f * (q[a][1] + q[a][2]);
      g[3 * a + 1] = 0.5f * (q[a][1] - q[a][2]);
      g[3 * a + 2] = 0.5f * (q[a][1] + q[a][2]) + q[a][3];
    }
  }
}

#endif // __AVX512F__

} // namespace alexc::cpu

#endif
