//===- Philox.h - Counter-based random numbers (Philox-4x32-10) -----------===//
//
// Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (SC 2011).
// A pure function of (key, counter): every backend (interpreter, CPU, CUDA)
// draws the same numbers for the same element, in any order, and the
// backward pass of dropout regenerates its mask instead of storing it.
// Header-only and dependency-free so that generated code can include it.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_PHILOX_H
#define ALEXC_RUNTIME_PHILOX_H

#include "runtime/abi/HostDevice.h"

#include <cmath>
#include <cstdint>

namespace alexc::rng {

struct U32x4 {
  uint32_t v[4];
};

ALEXC_HD uint32_t mulhi(uint32_t a, uint32_t b) {
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
}

/// Philox-4x32 with 10 rounds.
ALEXC_HD U32x4 philox4x32_10(U32x4 ctr, uint32_t k0, uint32_t k1) {
  constexpr uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
  constexpr uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0 = mulhi(M0, ctr.v[0]), lo0 = M0 * ctr.v[0];
    uint32_t hi1 = mulhi(M1, ctr.v[2]), lo1 = M1 * ctr.v[2];
    ctr = U32x4{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
    k0 += W0;
    k1 += W1;
  }
  return ctr;
}

/// Streams at or above this value are reserved for parameter initialization;
/// from kDataStreamBase below it, for the data transforms; below that, for
/// dropout layers.
constexpr uint32_t kInitStreamBase = 0x80000000u;
constexpr uint32_t kDataStreamBase = 0x40000000u;

ALEXC_HD U32x4 block(uint64_t seed, uint64_t step, uint32_t stream,
                     uint64_t index) {
  U32x4 ctr{{static_cast<uint32_t>(index >> 2), stream,
             static_cast<uint32_t>(step), static_cast<uint32_t>(step >> 32)}};
  return philox4x32_10(ctr, static_cast<uint32_t>(seed),
                       static_cast<uint32_t>(seed >> 32) ^
                           static_cast<uint32_t>(index >> 34));
}

/// The 32 random bits for element `index` of `stream` at training `step`.
/// Four consecutive elements share one Philox block; on the host the last
/// block is remembered, so a loop over elements computes each block once.
ALEXC_HD uint32_t bits(uint64_t seed, uint64_t step, uint32_t stream,
                       uint64_t index) {
#if defined(__CUDA_ARCH__)
  return block(seed, step, stream, index).v[index & 3];
#else
  struct Last {
    uint64_t seed, step, quad;
    uint32_t stream;
    bool valid;
    U32x4 value;
  };
  static thread_local Last last{0, 0, 0, 0, false, {{0, 0, 0, 0}}};
  uint64_t quad = index >> 2;
  if (!last.valid || last.quad != quad || last.seed != seed ||
      last.step != step || last.stream != stream)
    last =
        Last{seed, step, quad, stream, true, block(seed, step, stream, index)};
  return last.value.v[index & 3];
#endif
}

/// Uniform on [0, 1) with 24 bits, exact in float.
ALEXC_HD float toUnit(uint32_t x) {
  return static_cast<float>(x >> 8) * (1.0f / 16777216.0f);
}

/// Inverted dropout's keep decision: kept with probability 1 - rate.
ALEXC_HD bool dropoutKeep(uint64_t seed, uint64_t step, uint32_t stream,
                          uint64_t index, float rate) {
  return toUnit(bits(seed, step, stream, index)) >= rate;
}

/// Uniform on [0, 1) for draw `draw` (< 64) of a data transform on example
/// `example` in `epoch`; `stream` names the list and the transform.
ALEXC_HD float dataUniform(uint64_t seed, uint64_t epoch, uint32_t stream,
                           uint64_t example, uint32_t draw) {
  return toUnit(
      bits(seed, epoch, kDataStreamBase | stream, example * 64 + draw));
}

/// Uniform on [-bound, bound) for initialization.
ALEXC_HD double initUniform(uint64_t seed, uint32_t stream, uint64_t index,
                            double bound) {
  double u = toUnit(bits(seed, 0, kInitStreamBase | stream, index));
  return (2.0 * u - 1.0) * bound;
}

/// Standard normal for initialization (Box-Muller on elements 2i, 2i+1 of a
/// second counter space).
ALEXC_HD double initNormal(uint64_t seed, uint32_t stream, uint64_t index,
                           double stddev) {
  uint32_t s = kInitStreamBase | stream;
  // u1 in (0, 1]: never log(0).
  double u1 = 1.0 - toUnit(bits(seed, 1, s, 2 * index));
  double u2 = toUnit(bits(seed, 1, s, 2 * index + 1));
  return stddev * std::sqrt(-2.0 * std::log(u1)) *
         std::cos(6.283185307179586 * u2);
}

} // namespace alexc::rng

#endif
