//===- DirectConv.h - Register-blocked direct convolution (AVX-512) -------===//
//
// The forward convolution of inputs with few channels (conv1: one channel,
// 11x11 windows, stride 4). As a GEMM its K is only C*KH*KW = 121, so its
// packing and C-tile traffic weigh as much as the multiplications; here
// six output channels times up to 64 output columns of one output row stay
// in 24 registers while every window tap adds into them.
//
// The input is first split by column phase: padded column u goes to run
// u mod SW at word u / SW, so output columns ox .. ox + 15 read words
// ox + kx / SW .. of run kx mod SW, 16 consecutive floats, for tap kx.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_DIRECTCONV_H
#define ALEXC_RUNTIME_CPU_DIRECTCONV_H

#ifdef __AVX512F__
#include <cstdint>
#include <immintrin.h>

namespace alexc::cpu {

/// Output channels of one register block.
constexpr int kDirectBlockChannels = 6;

/// The phase-split input of one image: C channels of `rows` padded rows,
/// each row SW runs of `run` floats.
struct PhaseSplitImage {
  const float *data;
  int64_t rows, sw, run;
  const float *row(int64_t c, int64_t v) const {
    return data + (c * rows + v) * sw * run;
  }
};

/// Sums of output row `oy` for six output channels and NB x 16 output
/// columns: acc[j][b] += the window taps of every input channel, with
/// weights `w` laid out [channel][tap][6].
template <int NB>
inline void directConvBlock(const PhaseSplitImage &in, int64_t C, int64_t KH,
                            int64_t KW, int64_t SH, int64_t oy, const float *w,
                            __m512 (&out)[kDirectBlockChannels][NB]) {
  // Local sums: `out` is memory that the float loads might alias (__m512
  // may alias anything), so summing into it would go through memory.
  __m512 acc[kDirectBlockChannels][NB];
#pragma GCC unroll 6
  for (int j = 0; j < kDirectBlockChannels; ++j)
#pragma GCC unroll 4
    for (int b = 0; b < NB; ++b)
      acc[j][b] = _mm512_setzero_ps();
  const int64_t wrap = 1 - (in.sw - 1) * in.run; // last run -> next word
  for (int64_t c = 0; c < C; ++c)
    for (int64_t ky = 0; ky < KH; ++ky) {
      const float *p = in.row(c, oy * SH + ky);
      int64_t phase = 0;
      for (int64_t kx = 0; kx < KW; ++kx) {
        __m512 v[NB];
#pragma GCC unroll 4
        for (int b = 0; b < NB; ++b)
          v[b] = _mm512_loadu_ps(p + 16 * b);
#pragma GCC unroll 6
        for (int j = 0; j < kDirectBlockChannels; ++j) {
          __m512 wj = _mm512_set1_ps(w[j]);
#pragma GCC unroll 4
          for (int b = 0; b < NB; ++b)
            acc[j][b] = _mm512_fmadd_ps(wj, v[b], acc[j][b]);
        }
        w += kDirectBlockChannels;
        bool wraps = ++phase == in.sw;
        p += wraps ? wrap : in.run;
        phase = wraps ? 0 : phase;
      }
    }
#pragma GCC unroll 6
  for (int j = 0; j < kDirectBlockChannels; ++j)
#pragma GCC unroll 4
    for (int b = 0; b < NB; ++b)
      out[j][b] = acc[j][b];
}

} // namespace alexc::cpu

#endif
#endif
