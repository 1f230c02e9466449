//===- DropoutMask.h - Dropout keep decisions for a range, 64 at a time ---===//
//
// The generated CPU epilogues test dropout per element. Drawing each
// element's Philox block on its own (rng::dropoutKeep) computes a whole
// block for one bit of it. Here the keep bits of a whole
// range [b, e) are drawn first, sixteen Philox blocks (64 elements) per
// AVX-512 pass, and the loop then tests one bit. The bits are exactly
// rng::dropoutKeep's: same counters, keys and comparison.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_DROPOUTMASK_H
#define ALEXC_RUNTIME_CPU_DROPOUTMASK_H

#include "runtime/abi/Philox.h"

#include <cstdint>
#include <vector>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace alexc::cpu {

class DropoutMask {
public:
  /// Keep decisions of elements [b, e) of `stream` at `step`; none are
  /// drawn when `enabled` is false (test() is then not called).
  DropoutMask(bool enabled, uint64_t seed, uint64_t step, uint32_t stream,
              int64_t b, int64_t e, float rate)
      : base(b & ~int64_t(63)) {
    if (!enabled || e <= b)
      return;
    words.resize(size_t((e - base + 63) / 64));
    for (size_t w = 0; w < words.size(); ++w)
      words[w] = draw64(seed, step, stream, base + 64 * int64_t(w), rate);
  }

  bool test(int64_t i) const {
    int64_t k = i - base;
    return (words[size_t(k >> 6)] >> (k & 63)) & 1;
  }

  /// Bit t set when element first + t is kept (first a multiple of 4).
  static uint64_t draw64(uint64_t seed, uint64_t step, uint32_t stream,
                         int64_t first, float rate) {
    uint64_t quad = uint64_t(first) >> 2;
#if defined(__AVX512F__) && defined(__BMI2__)
    // The key's second word takes the quad's high bits: one key per pass.
    if ((quad >> 32) == ((quad + 15) >> 32))
      return draw64Vector(seed, step, stream, quad, rate);
#endif
    uint64_t bitsOut = 0;
    for (int t = 0; t < 64; t += 4) {
      rng::U32x4 r = rng::block(seed, step, stream, uint64_t(first) + t);
      for (int l = 0; l < 4; ++l)
        bitsOut |= uint64_t(rng::toUnit(r.v[l]) >= rate) << (t + l);
    }
    return bitsOut;
  }

private:
#if defined(__AVX512F__) && defined(__BMI2__)
  // The maskz forms with every lane set are the plain intrinsics; GCC 12
  // warns (-Wmaybe-uninitialized) about the plain ones' undefined operand.

  /// High 32 bits of the 32x32-bit products a * m, per lane.
  static __m512i mulhi(__m512i a, __m512i m) {
    const __mmask8 all = 0xFF;
    __m512i even = _mm512_maskz_mul_epu32(all, a, m);
    __m512i odd =
        _mm512_maskz_mul_epu32(all, _mm512_maskz_srli_epi64(all, a, 32),
                               _mm512_maskz_srli_epi64(all, m, 32));
    return _mm512_mask_mov_epi32(_mm512_maskz_srli_epi64(all, even, 32), 0xAAAA,
                                 odd);
  }

  /// Sixteen Philox blocks, quads quad .. quad + 15, one per lane.
  static uint64_t draw64Vector(uint64_t seed, uint64_t step, uint32_t stream,
                               uint64_t quad, float rate) {
    const __m512i M0 = _mm512_set1_epi32(int(0xD2511F53u));
    const __m512i M1 = _mm512_set1_epi32(int(0xCD9E8D57u));
    __m512i c0 = _mm512_add_epi32(_mm512_set1_epi32(int(uint32_t(quad))),
                                  _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8,
                                                    9, 10, 11, 12, 13, 14, 15));
    __m512i c1 = _mm512_set1_epi32(int(stream));
    __m512i c2 = _mm512_set1_epi32(int(uint32_t(step)));
    __m512i c3 = _mm512_set1_epi32(int(uint32_t(step >> 32)));
    uint32_t k0 = uint32_t(seed);
    uint32_t k1 = uint32_t(seed >> 32) ^ uint32_t(quad >> 32);
    for (int round = 0; round < 10; ++round) {
      __m512i hi0 = mulhi(M0, c0), lo0 = _mm512_mullo_epi32(M0, c0);
      __m512i hi1 = mulhi(M1, c2), lo1 = _mm512_mullo_epi32(M1, c2);
      __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1),
                                    _mm512_set1_epi32(int(k0)));
      __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3),
                                    _mm512_set1_epi32(int(k1)));
      c0 = n0, c1 = lo1, c2 = n2, c3 = lo0;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    // Word l of block t is element 4t + l: spread each word's 16 lanes to
    // every fourth bit.
    const __m512 scale = _mm512_set1_ps(1.0f / 16777216.0f);
    const __m512 threshold = _mm512_set1_ps(rate);
    __m512i word[4] = {c0, c1, c2, c3};
    uint64_t bitsOut = 0;
    for (int l = 0; l < 4; ++l) {
      __m512 u = _mm512_mul_ps(
          _mm512_maskz_cvtepi32_ps(0xFFFF,
                                   _mm512_maskz_srli_epi32(0xFFFF, word[l], 8)),
          scale);
      uint64_t keep = _mm512_cmp_ps_mask(u, threshold, _CMP_GE_OQ);
      bitsOut |= _pdep_u64(keep, 0x1111111111111111ull << l);
    }
    return bitsOut;
  }
#endif

  int64_t base;
  std::vector<uint64_t> words; // one mask per object: a chain may hold two
};

} // namespace alexc::cpu

#endif
