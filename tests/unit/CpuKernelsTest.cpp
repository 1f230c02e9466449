// The CPU runtime's kernels (runtime/cpu/Kernels.h) called directly and
// checked against the interpreter's reference kernels on inputs the model
// tests rarely produce: pooling windows full of equal values (the gradient
// must go to the first maximum, as in PyTorch), NaNs, rows wider than one
// 16-lane vector with partial tails, padding on either side; convolutions of
// every packing path (unit and non-unit stride, the flipped-convolution and
// column ways of the input gradient, 1x1, fewer images than threads), and
// the GEMM under them at the edges of its blocks.
// Built with -march=native so that the AVX-512 paths are the ones tested
// where the machine has them, as in the generated executables.
#include "runtime/cpu/Kernels.h"

#include "Interpreter/ReferenceKernels.h"
#include "TensorChecks.h"

#include <gtest/gtest.h>
#include <omp.h>
#include <random>

using namespace alexc;
using namespace alexc::testing;

namespace {

/// Values from a few levels, so that windows hold ties.
T levels(std::vector<int64_t> shape, std::mt19937 &rng, int count) {
  T t(std::move(shape));
  std::uniform_int_distribution<int> u(0, count - 1);
  for (float &v : t.data)
    v = float(u(rng));
  return t;
}

struct PoolCase {
  int64_t N, C, H, W, KH, KW, SH, SW, PH, PW;
};

TEST(CpuKernels, MaxPoolTiesGoToTheFirstMaximum) {
  std::mt19937 rng(11);
  const PoolCase cases[] = {
      {2, 3, 9, 40, 3, 3, 2, 2, 1, 1},  // 20 outputs a row: 16 + 4 lanes
      {1, 2, 7, 37, 2, 3, 1, 1, 0, 1},  // stride 1, 37 outputs a row
      {2, 2, 11, 50, 3, 2, 3, 3, 1, 0}, // stride 3
      {1, 1, 5, 5, 5, 5, 1, 1, 2, 2},   // windows mostly padding
      // 3x3, stride 2, no padding: the forward pass by rows (AlexNet's
      // pool1 plane: 26 outputs a row; an odd width).
      {2, 3, 54, 54, 3, 3, 2, 2, 0, 0},
      {1, 2, 9, 35, 3, 3, 2, 2, 0, 0}};
  for (const PoolCase &c : cases) {
    ref::Window win{c.KH, c.KW, c.SH, c.SW, c.PH, c.PW};
    auto g = poolGeometry<cpu::PoolGeom>(c);
    for (int levelCount : {2, 3, 1000}) {
      T x = levels({c.N, c.C, c.H, c.W}, rng, levelCount);
      T dy = random({c.N, c.C, g.OH, g.OW}, rng);
      T y({c.N, c.C, g.OH, g.OW}), dx(x.shape);
      cpu::poolForward<cpu::PoolKind::Max>(g, x.data.data(), y.data.data(),
                                           cpu::NoEpilogue{});
      EXPECT_EQ(relError(y, ref::maxPool2d(x, win)), 0.0)
          << "forward, W " << c.W << ", levels " << levelCount;
      cpu::poolInputGrad<cpu::PoolKind::Max>(g, x.data.data(), dy.data.data(),
                                             dx.data.data(), cpu::NoEpilogue{});
      EXPECT_EQ(relError(dx, ref::maxPool2dGrad(x, dy, win)), 0.0)
          << "gradient, W " << c.W << ", levels " << levelCount;
    }
    // NaN in a window: the maximum (forward) and where the gradient goes,
    // as in the reference.
    T x = levels({c.N, c.C, c.H, c.W}, rng, 3);
    x.data[x.data.size() / 2] = NAN;
    x.data[3] = NAN;
    T dy = random({c.N, c.C, g.OH, g.OW}, rng), dx(x.shape);
    T y({c.N, c.C, g.OH, g.OW});
    cpu::poolForward<cpu::PoolKind::Max>(g, x.data.data(), y.data.data(),
                                         cpu::NoEpilogue{});
    EXPECT_EQ(relError(y, ref::maxPool2d(x, win)), 0.0)
        << "forward with NaN, W " << c.W;
    cpu::poolInputGrad<cpu::PoolKind::Max>(g, x.data.data(), dy.data.data(),
                                           dx.data.data(), cpu::NoEpilogue{});
    EXPECT_EQ(relError(dx, ref::maxPool2dGrad(x, dy, win)), 0.0)
        << "gradient with NaN, W " << c.W;
  }
}

// The GEMM at sizes around its register block (8 x 32) and cache blocks
// (KC = 256): partial row and column tiles, a second KC block accumulating,
// a bias row, accumulating into C, transposed operands, a prepacked A, both
// threads splitting the work; C's padding columns must stay as they were.
TEST(CpuKernels, GemmOfEveryTileShape) {
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int64_t M : {1, 8, 13, 40})
    for (int64_t N : {1, 17, 31, 32, 45, 70})
      for (int64_t K : {3, 300})
        for (int variant = 0; variant < 4; ++variant) {
          bool accumulate = variant & 1, transposed = variant & 2;
          std::vector<float> A(size_t(M * K)), B(size_t(K * N));
          std::vector<float> bias(static_cast<size_t>(M));
          int64_t ldc = N + 3;
          std::vector<float> C(size_t(M * ldc));
          for (std::vector<float> *v : {&A, &B, &bias, &C})
            for (float &x : *v)
              x = u(rng);
          std::vector<float> before = C;
          // A as M x K rows (or stored transposed), B as K x N.
          cpu::MatView a = transposed ? cpu::MatView{A.data(), 1, M}
                                      : cpu::MatView{A.data(), K, 1};
          cpu::MatView b = transposed ? cpu::MatView{B.data(), 1, K}
                                      : cpu::MatView{B.data(), N, 1};
          const float *rowBias = accumulate ? nullptr : bias.data();
          if (variant == 2) {
            cpu::PrepackedA packed;
            packed.pack(M, K, a);
            cpu::gemmWith(true, M, N, K, packed, cpu::StridedB{b}, C.data(),
                          ldc, accumulate, rowBias);
          } else {
            cpu::gemmWith(true, M, N, K, cpu::StridedA{a}, cpu::StridedB{b},
                          C.data(), ldc, accumulate, rowBias);
          }
          double worst = 0;
          for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < ldc; ++j) {
              double want = before[size_t(i * ldc + j)];
              if (j < N) {
                double s = accumulate ? want : rowBias[i];
                for (int64_t k = 0; k < K; ++k)
                  s += double(a.at(i, k)) * b.at(k, j);
                want = s;
              }
              worst = std::max(worst, std::abs(C[size_t(i * ldc + j)] - want));
            }
          EXPECT_LT(worst, 1e-4)
              << M << "x" << N << "x" << K << " variant " << variant;
        }
}

struct ConvCase {
  int64_t N, C, H, W, O, KH, KW, SH, SW, PH, PW;
};

TEST(CpuKernels, ConvolutionsOfEveryPackingPath) {
  // Which path a convolution takes depends on the thread count (Winograd
  // and image grouping want an image per thread): two threads, as on the
  // CI machine, whatever this machine has.
  int threads = omp_get_max_threads();
  omp_set_num_threads(2);
  struct Restore {
    int n;
    ~Restore() { omp_set_num_threads(n); }
  } restore{threads};
  std::mt19937 rng(12);
  const ConvCase cases[] = {
      {3, 6, 13, 21, 4, 3, 2, 1, 1, 2, 1},   // stride 1, C >= O: flipped
      {2, 3, 12, 19, 8, 5, 5, 1, 1, 2, 2},   // stride 1, C < O: columns
      {2, 5, 23, 17, 7, 11, 11, 4, 4, 2, 2}, // conv1-like stride 4
      {3, 1, 27, 31, 8, 11, 11, 4, 4, 2, 1}, // one channel, uneven padding
      {1, 3, 15, 12, 5, 5, 3, 2, 2, 1, 2},   // 5x3, stride 2, one image
      // Direct convolution (C <= 4): AlexNet's conv1 on one image (rows
      // split between the threads), four vectors per row with a partial
      // channel block, one vector per row.
      {1, 1, 224, 224, 96, 11, 11, 4, 4, 0, 0},
      {2, 1, 227, 230, 10, 11, 11, 4, 4, 0, 1},
      {3, 2, 20, 16, 13, 3, 3, 1, 1, 1, 1},
      {1, 6, 9, 9, 5, 3, 3, 2, 1, 1, 0}, // one image: split GEMMs
      {2, 7, 6, 5, 3, 1, 1, 1, 1, 0, 0}, // 1x1
      // Winograd F(4x4, 3x3) (3x3, stride 1, >= 64 channels): odd sizes and
      // an image count that leaves a partial group; no padding; padding 2,
      // whose input gradient (padding 0, C < O) is Winograd as well.
      {5, 64, 9, 11, 72, 3, 3, 1, 1, 1, 1},
      {3, 80, 7, 6, 64, 3, 3, 1, 1, 0, 0},
      {4, 64, 6, 7, 96, 3, 3, 1, 1, 2, 2},
      // F(4x4, 5x5): padding 2 (conv2's, partial tiles at the edges), and 0
      // with an odd output.
      {3, 64, 10, 9, 80, 5, 5, 1, 1, 2, 2},
      {2, 72, 9, 8, 64, 5, 5, 1, 1, 0, 0}};
  for (const ConvCase &c : cases) {
    ref::Window win{c.KH, c.KW, c.SH, c.SW, c.PH, c.PW};
    auto g = convGeometry<cpu::ConvGeom>(c);
    T x = random({c.N, c.C, c.H, c.W}, rng);
    T w = random({c.O, c.C, c.KH, c.KW}, rng), b = random({c.O}, rng);
    T dy = random({c.N, c.O, g.OH, g.OW}, rng);
    T y({c.N, c.O, g.OH, g.OW}), dx(x.shape), dw(w.shape), db(b.shape);
#ifdef __AVX512F__
    // The 5x5 transforms scale by up to 8: seen 5-8e-6 here, against
    // about 1e-6 for the direct convolution.
    double tolerance = c.KH == 5 && c.C >= 64 ? 3e-5 : 1e-5;
    if (c.C >= 64 && std::getenv("ALEXC_NO_WINOGRAD") == nullptr) {
      EXPECT_TRUE(cpu::winogradApplies(g)) << "the Winograd path is tested";
    }
#endif
    cpu::convForward(g, x.data.data(), w.data.data(), b.data.data(),
                     y.data.data(), cpu::NoEpilogue{});
    EXPECT_LT(relError(y, ref::conv2d(x, w, &b, win)), tolerance) << "forward";
#ifdef __AVX512F__
    if (c.C <= 4 && g.OW <= 64 &&
        std::getenv("ALEXC_NO_DIRECT_CONV") == nullptr) {
      EXPECT_TRUE(cpu::directConvApplies(g)) << "the direct path is tested";
    }
    // The GEMM path stays checked on the geometries the direct one took.
    cpu::PrepackedA packed;
    packed.pack(g.O, g.ckk(), cpu::MatView{w.data.data(), g.ckk(), 1});
    cpu::conv2dForwardPacked(g, x.data.data(), packed, b.data.data(),
                             y.data.data(), cpu::NoEpilogue{});
    EXPECT_LT(relError(y, ref::conv2d(x, w, &b, win)), tolerance)
        << "forward by GEMM";
#endif
    cpu::convInputGrad(g, dy.data.data(), w.data.data(), dx.data.data(),
                       cpu::NoEpilogue{});
    EXPECT_LT(relError(dx, ref::conv2dInputGrad(dy, w, x.shape, win)),
              tolerance)
        << "input gradient";
    cpu::convWeightGrad(g, x.data.data(), dy.data.data(), dw.data.data(),
                        db.data.data());
    EXPECT_LT(relError(dw, ref::conv2dWeightGrad(x, dy, w.shape, win)),
              tolerance)
        << "weight gradient";
    EXPECT_LT(relError(db, ref::biasGrad(dy)), 1e-5) << "bias gradient";
  }
}

#ifdef __AVX512F__
// The Winograd line transforms are written out with shared terms; on each
// unit vector they must give the columns of B^T, A^T and A, exactly (the
// entries are integers and fractions like 21/4 and 1/8, exact in float).
template <int R> void checkWinogradLines() {
  using W = cpu::WinogradMatrices<R>;
  constexpr int A = W::kA, M = W::kM;
  for (int k = 0; k < A; ++k) {
    __m512 d[A], r[A];
    for (int i = 0; i < A; ++i)
      d[i] = _mm512_set1_ps(i == k ? 1.f : 0.f);
    cpu::WinogradLines<R>::input(d, 1, r, 1);
    __m512 y[M];
    cpu::WinogradLines<R>::output(d, 1, y, 1);
    for (int i = 0; i < A; ++i)
      EXPECT_EQ(_mm512_cvtss_f32(r[i]), W::BT[i][k])
          << "B^T for " << R << "x" << R << " at " << i << ", " << k;
    for (int i = 0; i < M; ++i)
      EXPECT_EQ(_mm512_cvtss_f32(y[i]), W::AT[i][k])
          << "A^T for " << R << "x" << R << " at " << i << ", " << k;
  }
  for (int k = 0; k < M; ++k) {
    __m512 y[M], z[A];
    for (int i = 0; i < M; ++i)
      y[i] = _mm512_set1_ps(i == k ? 1.f : 0.f);
    cpu::WinogradLines<R>::outputGrad(y, 1, z, 1);
    for (int i = 0; i < A; ++i)
      EXPECT_EQ(_mm512_cvtss_f32(z[i]), W::AT[k][i])
          << "A for " << R << "x" << R << " at " << i << ", " << k;
  }
}

// The matrices themselves: for every filter g and input d, A^T ((G g) . (B^T
// d)) must be the 1-D correlation of d with g (the 2-D transform is this
// one applied to rows, then columns). Checked in double on unit vectors,
// which covers every pair by linearity; the entries are fractions like
// 1/45 rounded to float, hence the tolerance.
template <int R> void checkWinogradMatrices() {
  using W = cpu::WinogradMatrices<R>;
  constexpr int A = W::kA, M = W::kM;
  static_assert(A == M + R - 1, "a tile of M outputs reads M + R - 1 inputs");
  for (int k = 0; k < R; ++k)
    for (int j = 0; j < A; ++j)
      for (int i = 0; i < M; ++i) {
        double y = 0;
        for (int e = 0; e < A; ++e)
          y += double(W::AT[i][e]) * W::G[e][k] * W::BT[e][j];
        EXPECT_NEAR(y, j == i + k ? 1.0 : 0.0, 1e-6)
            << R << "x" << R << ": output " << i << ", filter tap " << k
            << ", input " << j;
      }
}

TEST(CpuKernels, WinogradMatricesComputeTheConvolution) {
  checkWinogradMatrices<3>();
  checkWinogradMatrices<5>();
}

TEST(CpuKernels, WinogradLineTransformsAreTheMatrices) {
  checkWinogradLines<3>();
  checkWinogradLines<5>();
}
#endif

// The keep bits drawn 64 at a time must be rng::dropoutKeep's, for ranges
// at any offset, rates, keys with high bits, and the counter's wrap into
// the key (element 2^34), where the vector path falls back per block.
TEST(CpuKernels, DropoutMaskMatchesPerElementDraws) {
  struct Range {
    int64_t b, e;
  };
  const Range ranges[] = {{0, 16384},
                          {5, 6},
                          {3, 200},
                          {16381, 32768},
                          {(int64_t(1) << 34) - 130, (int64_t(1) << 34) + 70}};
  const float rates[] = {0.5f, 0.1f, 0.9f, 0.0f};
  const uint64_t seeds[] = {0, 7, 0x123456789abcdef0ull};
  int64_t checked = 0, kept = 0;
  for (uint64_t seed : seeds)
    for (float rate : rates)
      for (const Range &r : ranges) {
        uint64_t step = seed ^ 0x9e3779b97f4a7c15ull;
        uint32_t stream = uint32_t(seed % 5);
        cpu::DropoutMask mask(true, seed, step, stream, r.b, r.e, rate);
        for (int64_t i = r.b; i < r.e; ++i) {
          bool want = rng::dropoutKeep(seed, step, stream, uint64_t(i), rate);
          ASSERT_EQ(mask.test(i), want)
              << "element " << i << " seed " << seed << " rate " << rate;
          kept += want;
          ++checked;
        }
      }
  // Not all one way: the comparison itself is exercised.
  EXPECT_GT(kept, checked / 10);
  EXPECT_LT(kept, checked);
}

/// Batch norm with the last image of the batch padding: the statistics,
/// running statistics and gradients are those of the other images (the
/// reference sees only them), the padding's gradient is 0, and its output
/// finite; with rows = 0 every image counts.
TEST(CpuKernels, BatchNormLeavesPaddingRowsOut) {
  std::mt19937 rng(12);
  auto none = [](int64_t, int64_t) {};
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{4, 3, 5, 7}, std::vector<int64_t>{6, 5}})
    for (int64_t rows : {int64_t(0), shape[0] - 1}) {
      int64_t R = rows ? rows : shape[0], C = shape[1];
      T x = random(shape, rng), dy = random(shape, rng);
      T xs = firstRows(x, R), dys = firstRows(dy, R);
      T runMean = random({C}, rng), runVar = random({C}, rng, 0.5, 2),
        gamma = random({C}, rng), beta = random({C}, rng);
      alexc::abi::NormGeom g{shape[0], C, int64_t(x.size()) / (shape[0] * C)};
      T refY, refMean, refInvstd, refNewMean, refNewVar;
      ref::batchNormTrain(xs, runMean, runVar, &gamma, &beta, 0.8, 1e-3, refY,
                          refMean, refInvstd, refNewMean, refNewVar);
      T mean({C}), invstd({C}), newMean({C}), newVar({C}), y(shape);
      cpu::batchNormTrain(g, x.data.data(), runMean.data.data(),
                          runVar.data.data(), gamma.data.data(),
                          beta.data.data(), 0.8, 1e-3, mean.data.data(),
                          invstd.data.data(), newMean.data.data(),
                          newVar.data.data(), y.data.data(), none, rows);
      EXPECT_LT(relError(firstRows(y, R), refY), 1e-5);
      EXPECT_LT(relError(mean, refMean), 1e-6);
      EXPECT_LT(relError(invstd, refInvstd), 1e-6);
      EXPECT_LT(relError(newMean, refNewMean), 1e-6);
      EXPECT_LT(relError(newVar, refNewVar), 1e-6);
      for (float v : y.data)
        ASSERT_TRUE(std::isfinite(v));

      T refDx, refDgamma, refDbeta, dx(shape, 7.f), dgamma({C}), dbeta({C});
      ref::batchNormGrad(xs, dys, mean, invstd, &gamma, refDx, refDgamma,
                         refDbeta);
      cpu::batchNormGrad(g, x.data.data(), dy.data.data(), mean.data.data(),
                         invstd.data.data(), gamma.data.data(),
                         dgamma.data.data(), dbeta.data.data(), dx.data.data(),
                         none, rows);
      EXPECT_LT(relError(firstRows(dx, R), refDx), 1e-5);
      for (size_t i = refDx.data.size(); i < dx.data.size(); ++i)
        ASSERT_EQ(dx.data[i], 0.f) << "padding element " << i;
      EXPECT_LT(relError(dgamma, refDgamma), 1e-5);
      EXPECT_LT(relError(dbeta, refDbeta), 1e-5);
    }
}

} // namespace
