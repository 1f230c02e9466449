//===- GroupedConv.h - Convolutions of small planes, images side by side --===//
//
// A convolution whose output plane has few positions (ResNet's 6x6 and 3x3
// stages) gives a GEMM of a few columns per image, too narrow to keep the
// micro-kernel busy. Here the im2col columns of a group of images are laid
// side by side, so each GEMM has about kGroupColumns of them: the forward
// pass, the input gradient (then scattered back image by image) and the
// weight gradient (per-thread partial sums, added in a fixed order).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_GROUPEDCONV_H
#define ALEXC_RUNTIME_CPU_GROUPEDCONV_H

#include "runtime/abi/KernelAbi.h"
#include "runtime/cpu/Elementwise.h"
#include "runtime/cpu/Gemm.h"
#include "runtime/cpu/Reduce.h"

#include <cstring>
#include <vector>

namespace alexc::cpu {

/// Columns per GEMM the grouping aims for.
constexpr int64_t kGroupColumns = 256;

/// Whether grouping serves a convolution: small planes, and an image per
/// thread at least (the groups are split between threads).
inline bool groupedConvApplies(const abi::ConvGeom &g) {
  return g.ohw() < 64 && g.N >= maxThreads();
}

/// Images per group for this geometry.
inline int64_t convGroup(const abi::ConvGeom &g) {
  int64_t share = (g.N + maxThreads() - 1) / maxThreads();
  return std::max<int64_t>(
      1, std::min(share, (kGroupColumns + g.ohw() - 1) / g.ohw()));
}

/// Each thread takes an equal, contiguous share of the N images (ceil or
/// floor of N / threads) and runs body(n0, count) on its groups of up to G
/// images in order: shares split by whole groups would leave one thread up
/// to a group behind. The static schedule keeps each share on the same
/// thread, so results repeat.
template <typename Body>
void forEachImageGroup(int64_t N, int64_t G, Body &&body) {
  int64_t shares = maxThreads();
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < shares; ++s) {
    int64_t end = N * (s + 1) / shares;
    for (int64_t n0 = N * s / shares; n0 < end; n0 += G)
      body(n0, std::min(G, end - n0));
  }
}

/// A thread's working buffer, reused across calls.
inline float *groupScratch(size_t n) {
  static thread_local PackBuffer buffer;
  return buffer.get(n);
}

/// col[(c, i, j)][k * ohw + p] = x[n0 + k][c] at output position p's tap
/// (i, j), 0 in the padding.
inline void im2colGroup(const abi::ConvGeom &g, const float *x, int64_t n0,
                        int64_t count, float *col) {
  int64_t ohw = g.ohw(), cols = count * ohw, inImage = g.C * g.H * g.W;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j) {
        float *row = col + ((c * g.KH + i) * g.KW + j) * cols;
        for (int64_t k = 0; k < count; ++k) {
          const float *xc = x + (n0 + k) * inImage + c * g.H * g.W;
          for (int64_t oy = 0; oy < g.OH; ++oy) {
            int64_t iy = oy * g.SH + i - g.PH;
            for (int64_t ox = 0; ox < g.OW; ++ox) {
              int64_t ix = ox * g.SW + j - g.PW;
              bool in = iy >= 0 && iy < g.H && ix >= 0 && ix < g.W;
              *row++ = in ? xc[iy * g.W + ix] : 0.f;
            }
          }
        }
      }
}

/// out[o][k * ohw + p] = t[n0 + k][o][p] (rows of images side by side), or
/// back when `toImages`.
inline void gatherRows(int64_t rows, int64_t ohw, int64_t n0, int64_t count,
                       float *images, float *grouped, bool toImages) {
  int64_t cols = count * ohw;
  for (int64_t k = 0; k < count; ++k)
    for (int64_t o = 0; o < rows; ++o) {
      float *img = images + ((n0 + k) * rows + o) * ohw;
      float *grp = grouped + o * cols + k * ohw;
      if (toImages)
        std::memcpy(img, grp, size_t(ohw) * sizeof(float));
      else
        std::memcpy(grp, img, size_t(ohw) * sizeof(float));
    }
}

/// y = w * im2col(x) + b, G images per GEMM.
template <typename Epi>
void conv2dForwardGrouped(const abi::ConvGeom &g, const float *x,
                          const PrepackedA &w, const float *b, float *y,
                          Epi &&epilogue) {
  int64_t ckk = g.ckk(), ohw = g.ohw(), outImage = g.O * ohw;
  forEachImageGroup(g.N, convGroup(g), [&](int64_t n0, int64_t count) {
    int64_t cols = count * ohw;
    float *col = groupScratch(size_t((ckk + g.O) * cols));
    float *out = col + ckk * cols;
    im2colGroup(g, x, n0, count, col);
    gemmWith(false, g.O, cols, ckk, w, StridedB{MatView{col, cols, 1}}, out,
             cols, false, b);
    gatherRows(g.O, ohw, n0, count, y, out, /*toImages=*/true);
    epilogue(n0 * outImage, (n0 + count) * outImage);
  });
}

/// dx = col2im(w^T * dy), G images per GEMM; `wt` is w^T packed.
template <typename Epi>
void convInputGradGrouped(const abi::ConvGeom &g, const float *dy,
                          const PrepackedA &wt, float *dx, Epi &&epilogue) {
  int64_t ckk = g.ckk(), ohw = g.ohw(), inImage = g.C * g.H * g.W;
  forEachImageGroup(g.N, convGroup(g), [&](int64_t n0, int64_t count) {
    int64_t cols = count * ohw;
    float *dyg = groupScratch(size_t((ckk + g.O) * cols));
    float *col = dyg + g.O * cols;
    gatherRows(g.O, ohw, n0, count, const_cast<float *>(dy), dyg,
               /*toImages=*/false);
    gemmWith(false, ckk, cols, g.O, wt, StridedB{MatView{dyg, cols, 1}}, col,
             cols, false);
    std::memset(dx + n0 * inImage, 0, size_t(count * inImage) * sizeof(float));
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t i = 0; i < g.KH; ++i)
        for (int64_t j = 0; j < g.KW; ++j) {
          const float *row = col + ((c * g.KH + i) * g.KW + j) * cols;
          for (int64_t k = 0; k < count; ++k) {
            float *dxc = dx + (n0 + k) * inImage + c * g.H * g.W;
            for (int64_t oy = 0; oy < g.OH; ++oy) {
              int64_t iy = oy * g.SH + i - g.PH;
              for (int64_t ox = 0; ox < g.OW; ++ox, ++row) {
                int64_t ix = ox * g.SW + j - g.PW;
                if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W)
                  dxc[iy * g.W + ix] += *row;
              }
            }
          }
        }
    epilogue(n0 * inImage, (n0 + count) * inImage);
  });
}

/// dw = sum over groups of dy * im2col(x)^T and db = the sums of dy, each
/// thread into its own partial sums; added in thread order at the end.
inline void convWeightGradGrouped(const abi::ConvGeom &g, const float *x,
                                  const float *dy, float *dw, float *db) {
  int64_t ckk = g.ckk(), ohw = g.ohw(), wsize = g.O * ckk;
  int threads = maxThreads();
  size_t stride = size_t(wsize + g.O);
  static thread_local std::vector<float> partialStorage;
  partialStorage.assign(size_t(threads) * stride, 0.f);
  float *partial = partialStorage.data(); // (workers must not name the TLS)
  forEachImageGroup(g.N, convGroup(g), [&](int64_t n0, int64_t count) {
    int64_t cols = count * ohw;
    float *pw = partial + size_t(threadId()) * stride;
    float *dyg = groupScratch(size_t((ckk + g.O) * cols));
    float *col = dyg + g.O * cols;
    gatherRows(g.O, ohw, n0, count, const_cast<float *>(dy), dyg,
               /*toImages=*/false);
    im2colGroup(g, x, n0, count, col);
    gemmWith(false, g.O, ckk, cols, StridedA{MatView{dyg, cols, 1}},
             StridedB{MatView{col, 1, cols}}, pw, ckk, true);
    for (int64_t o = 0; o < g.O; ++o)
      pw[wsize + o] += sumOf(dyg + o * cols, cols);
  });
  addThreadPartials(partial, threads, stride, wsize, g.O, dw, db);
}

} // namespace alexc::cpu

#endif
