// The counter-based generator behind dropout and initialization.
#include "runtime/abi/Philox.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace alexc::rng;

namespace {

// Known-answer vectors of Philox-4x32-10 from Random123 (kat_vectors).
TEST(Philox, KnownAnswers) {
  struct Case {
    U32x4 ctr;
    uint32_t k0, k1;
    U32x4 expected;
  } cases[] = {
      {{{0, 0, 0, 0}},
       0,
       0,
       {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}},
       0xffffffff,
       0xffffffff,
       {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}},
       0xa4093822,
       0x299f31d0,
       {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
  };
  for (const Case &c : cases) {
    U32x4 r = philox4x32_10(c.ctr, c.k0, c.k1);
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(r.v[i], c.expected.v[i]) << "word " << i;
  }
}

TEST(Philox, DropoutMaskIsReproducibleAndKeyed) {
  const uint64_t n = 100000;
  int kept = 0, sameNextStep = 0, sameOtherStream = 0;
  for (uint64_t i = 0; i < n; ++i) {
    bool k = dropoutKeep(7, 3, 1, i, 0.5f);
    EXPECT_EQ(k, dropoutKeep(7, 3, 1, i, 0.5f));
    kept += k;
    sameNextStep += k == dropoutKeep(7, 4, 1, i, 0.5f);
    sameOtherStream += k == dropoutKeep(7, 3, 2, i, 0.5f);
  }
  // Kept with probability 1/2 (4 sigma is 632), independent across steps
  // and streams.
  EXPECT_NEAR(kept, n / 2, 1000);
  EXPECT_NEAR(sameNextStep, n / 2, 1000);
  EXPECT_NEAR(sameOtherStream, n / 2, 1000);
}

TEST(Philox, XavierUniformRangeAndMoments) {
  const double bound = 0.25;
  const int n = 200000;
  double sum = 0, sumSq = 0, lo = 1, hi = -1;
  for (int i = 0; i < n; ++i) {
    double v = initUniform(1, 3, i, bound);
    sum += v;
    sumSq += v * v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_GE(lo, -bound);
  EXPECT_LT(hi, bound);
  EXPECT_LT(lo, -0.99 * bound);
  EXPECT_GT(hi, 0.99 * bound);
  EXPECT_NEAR(sum / n, 0.0, 0.002);
  EXPECT_NEAR(sumSq / n, bound * bound / 3, 0.001); // variance of U(-b, b)
}

TEST(Philox, NormalMoments) {
  const int n = 200000;
  double sum = 0, sumSq = 0;
  for (int i = 0; i < n; ++i) {
    double v = initNormal(5, 0, i, 0.1);
    sum += v;
    sumSq += v * v;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.002);
  EXPECT_NEAR(std::sqrt(sumSq / n), 0.1, 0.002);
}

} // namespace
