// The CUDA back end's device code, compiled for the host
// (runtime/gpu/HostEmulation.h) and checked against the reference kernels
// of the interpreter: the implicit-GEMM problems of the generated
// convolution and dense kernels (index mapping, epilogue placement), run by
// a naive loop and by the tiled kernel itself (each block's threads as
// fibers that meet at its barriers), the im2col/col2im data paths of the cuBLAS
// variants, the bias-gradient sums, pooling, the loss, the multi-tensor
// optimizer, initialization and batch preparation.
#include "runtime/gpu/HostEmulation.h"
#include "runtime/gpu/KernelCheck.h"

#include "runtime/cuda/Kernels.cuh"

#include "Interpreter/ReferenceKernels.h"
#include "TensorChecks.h"
#include "runtime/train/Data.h"

#include <gtest/gtest.h>
#include <limits>
#include <random>

using namespace alexc;
using namespace alexc::testing;

namespace {

/// What tiledGemm computes, without its tiling: every (m, n) through the
/// problem's loaders and store.
template <class P> void naiveGemm(const P &p) {
  for (int64_t m = 0; m < p.M; ++m)
    for (int64_t n = 0; n < p.N; ++n) {
      float acc = 0;
      for (int64_t k = 0; k < p.K; ++k)
        acc += p.a(m, k) * p.b(k, n);
      p.store(m, n, acc);
    }
}

/// What launchGemm launches: the tiled kernel on 64x64 tiles of C, with
/// `splits` slices of K, each block's 256 threads as fibers (launchOnHost).
template <class P> void runTiledGemm(const P &p, unsigned splits = 1) {
  cuda::launchOnHost({unsigned((p.N + cuda::kBN - 1) / cuda::kBN),
                      unsigned((p.M + cuda::kBM - 1) / cuda::kBM), splits},
                     256, cuda::tiledGemm<P>, p);
}

/// Row-major C = op(A) op(B), standing in for cuBLAS.
void hostGemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A,
              int64_t lda, const float *B, int64_t ldb, float *C, int64_t ldc) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      float acc = 0;
      for (int64_t k = 0; k < K; ++k)
        acc += (ta ? A[k * lda + m] : A[m * lda + k]) *
               (tb ? B[n * ldb + k] : B[k * ldb + n]);
      C[m * ldc + n] = acc;
    }
}

struct Case {
  int64_t N, C, H, W, O, KH, KW, SH, SW, PH, PW;
};
const Case kCases[] = {{2, 3, 9, 8, 4, 3, 2, 2, 1, 1, 0},
                       {1, 2, 7, 7, 3, 2, 2, 3, 3, 0, 0},
                       {3, 1, 11, 9, 5, 5, 5, 1, 1, 2, 2},
                       {2, 4, 5, 6, 2, 1, 1, 1, 1, 0, 0}};

cuda::ConvGeom geom(const Case &c) { return convGeometry<cuda::ConvGeom>(c); }
ref::Window window(const Case &c) {
  return {c.KH, c.KW, c.SH, c.SW, c.PH, c.PW};
}

/// The three convolution problems of the generated kernels for case c,
/// computed by gemm(problem, slices of K) and checked against the
/// reference (the weight gradient with one and three slices).
template <class Gemm>
void checkConvolutionProblems(const Case &c, std::mt19937 &rng, Gemm gemm) {
  cuda::ConvGeom g = geom(c);
  T x = random({c.N, c.C, c.H, c.W}, rng),
    w = random({c.O, c.C, c.KH, c.KW}, rng);
  T b = random({c.O}, rng), dy = random({c.N, c.O, g.OH, g.OW}, rng);
  int64_t ckk = c.C * c.KH * c.KW, cols = c.N * g.OH * g.OW;

  T y({c.N, c.O, g.OH, g.OW});
  gemm(cuda::ConvForwardProblem<cuda::StoreTo>{g,
                                               x.data.data(),
                                               w.data.data(),
                                               b.data.data(),
                                               {y.data.data()},
                                               c.O,
                                               cols,
                                               ckk},
       1u);
  EXPECT_LT(relError(y, ref::conv2d(x, w, &b, window(c))), 1e-5)
      << "forward, " << c.O << " outputs";

  T dx(x.shape);
  gemm(cuda::ConvInputGradProblem<cuda::StoreTo>{g,
                                                 dy.data.data(),
                                                 w.data.data(),
                                                 {dx.data.data()},
                                                 c.C,
                                                 c.N * c.H * c.W,
                                                 c.O * c.KH * c.KW},
       1u);
  EXPECT_LT(relError(dx, ref::conv2dInputGrad(dy, w, x.shape, window(c))), 1e-5)
      << "input gradient, " << c.O << " outputs";

  T want = ref::conv2dWeightGrad(x, dy, w.shape, window(c));
  for (unsigned splits : {1u, 3u}) {
    T dw(w.shape); // split-K stores add into zeros
    gemm(cuda::ConvWeightGradProblem{g, x.data.data(), dy.data.data(),
                                     dw.data.data(), c.O, ckk, cols},
         splits);
    EXPECT_LT(relError(dw, want), 1e-5)
        << "weight gradient, " << splits << " slices of K";
  }
}

/// The three dense-layer problems (the operand views of denseForward,
/// denseInputGrad and denseWeightGrad), computed by gemm and checked.
template <class Gemm>
void checkDenseProblems(int64_t N, int64_t F, int64_t U, std::mt19937 &rng,
                        Gemm gemm) {
  T x = random({N, F}, rng), w = random({U, F}, rng), b = random({U}, rng),
    dy = random({N, U}, rng);
  T y({N, U}), dx({N, F}), dw({U, F});
  using Problem = cuda::MatrixProblem<cuda::StoreTo>;
  gemm(Problem{x.data.data(),
               w.data.data(),
               b.data.data(),
               F,
               1,
               1,
               F,
               {y.data.data()},
               N,
               U,
               F},
       1u);
  gemm(Problem{dy.data.data(),
               w.data.data(),
               nullptr,
               U,
               1,
               F,
               1,
               {dx.data.data()},
               N,
               F,
               U},
       1u);
  gemm(Problem{dy.data.data(),
               x.data.data(),
               nullptr,
               1,
               U,
               F,
               1,
               {dw.data.data()},
               U,
               F,
               N},
       1u);
  EXPECT_LT(relError(y, ref::dense(x, w, &b)), 1e-5);
  EXPECT_LT(relError(dx, ref::denseInputGrad(dy, w)), 1e-5);
  EXPECT_LT(relError(dw, ref::denseWeightGrad(x, dy)), 1e-5);
}

const auto kNaive = [](const auto &problem, unsigned) { naiveGemm(problem); };
const auto kTiled = [](const auto &problem, unsigned splits) {
  runTiledGemm(problem, splits);
};

TEST(CudaHostKernels, ConvolutionProblemsOfTheGeneratedKernels) {
  std::mt19937 rng(1);
  for (const Case &c : kCases)
    checkConvolutionProblems(c, rng, kNaive);
}

// The tiled kernel itself: several tiles, partial tiles in M, N and K
// (AlexNet-like channel counts are cut down to keep the emulation short),
// and split-K for the weight gradient.
TEST(CudaHostKernels, TiledGemmComputesTheConvolutions) {
  std::mt19937 rng(9);
  const Case cases[] = {{2, 5, 12, 11, 70, 3, 3, 1, 1, 1, 1},
                        {1, 1, 40, 40, 9, 11, 11, 4, 4, 2, 2},
                        {3, 3, 9, 8, 4, 3, 2, 2, 1, 1, 0}};
  for (const Case &c : cases)
    checkConvolutionProblems(c, rng, kTiled);
}

TEST(CudaHostKernels, CublasVariantDataPaths) {
  std::mt19937 rng(2);
  for (const Case &c : kCases) {
    cuda::ConvGeom g = geom(c);
    T x = random({c.N, c.C, c.H, c.W}, rng),
      w = random({c.O, c.C, c.KH, c.KW}, rng);
    T b = random({c.O}, rng), dy = random({c.N, c.O, g.OH, g.OW}, rng);
    int64_t ckk = c.C * c.KH * c.KW, cols = c.N * g.OH * g.OW, hw = g.OH * g.OW;
    std::vector<float> col(ckk * cols), yc(c.O * cols), dyc(c.O * cols);

    // Forward: im2col, GEMM, back to NCHW with the bias.
    cuda::im2colKernel(g, x.data.data(), col.data());
    hostGemm(false, false, c.O, cols, ckk, w.data.data(), ckk, col.data(), cols,
             yc.data(), cols);
    T y({c.N, c.O, g.OH, g.OW});
    cuda::fromChannelMajor(c.N, c.O, hw, yc.data(), b.data.data(),
                           cuda::StoreTo{y.data.data()});
    EXPECT_LT(relError(y, ref::conv2d(x, w, &b, window(c))), 1e-5);

    // Input gradient: channel-major dy, W^T dy, col2im.
    cuda::toChannelMajor(c.N, c.O, hw, dy.data.data(), dyc.data());
    hostGemm(true, false, ckk, cols, c.O, w.data.data(), ckk, dyc.data(), cols,
             col.data(), cols);
    T dx(x.shape);
    cuda::col2imKernel(g, col.data(), cuda::StoreTo{dx.data.data()});
    EXPECT_LT(relError(dx, ref::conv2dInputGrad(dy, w, x.shape, window(c))),
              1e-5);

    // Weight gradient: dy' col^T.
    cuda::im2colKernel(g, x.data.data(), col.data());
    T dw(w.shape);
    hostGemm(false, true, c.O, ckk, cols, dyc.data(), cols, col.data(), cols,
             dw.data.data(), ckk);
    EXPECT_LT(relError(dw, ref::conv2dWeightGrad(x, dy, w.shape, window(c))),
              1e-5);
  }
}

TEST(CudaHostKernels, DenseProblemsOfTheGeneratedKernels) {
  std::mt19937 rng(3);
  checkDenseProblems(5, 7, 3, rng, kNaive);
}

// The bias gradient's per-thread shares (the kernels add them up across a
// block): every element of every channel counted once, for aligned rows
// (16-byte loads), unaligned ones and short ones.
TEST(CudaHostKernels, BiasGradientShares) {
  std::mt19937 rng(8);
  const int64_t shapes[][3] = {
      {3, 5, 1}, {4, 3, 7}, {5, 6, 36}, {3, 4, 37}, {2, 3, 2916}};
  for (const auto &[N, O, inner] : shapes)
    for (int64_t shift : {0, 1}) { // shift 1: rows not 16-byte aligned
      T dy = random({N, O, inner}, rng);
      std::vector<float> shifted(dy.size() + 4 + shift);
      float *base = shifted.data();
      while (reinterpret_cast<uintptr_t>(base) % 16)
        ++base;
      base += shift;
      std::copy(dy.data.begin(), dy.data.end(), base);
      T rows({O}), columns({O});
      for (int64_t o = 0; o < O; ++o) {
        for (int warp = 0; warp < 16; ++warp)
          for (int lane = 0; lane < 32; ++lane)
            rows[o] +=
                cuda::channelRowPartial(N, O, inner, base, o, warp, 16, lane);
        for (int slice = 0; slice < 8; ++slice)
          columns[o] +=
              cuda::channelColumnPartial(N, O, inner, base, o, slice, 8);
      }
      T db = ref::biasGrad(dy);
      EXPECT_LT(relError(rows, db), 1e-5) << N << "x" << O << "x" << inner;
      EXPECT_LT(relError(columns, db), 1e-5) << N << "x" << O << "x" << inner;
    }
}

TEST(CudaHostKernels, TiledGemmComputesTheDenseLayers) {
  std::mt19937 rng(10);
  // Two tiles each way, a partial slice of K.
  checkDenseProblems(70, 83, 66, rng, kTiled);
}

// The bias-gradient kernels as biasGrad launches them (rows of at least 32
// elements: a block of 16 warps per channel; shorter ones: 32 channels per
// block), against the reference, and the same bits on a second run.
TEST(CudaHostKernels, BiasGradientKernels) {
  std::mt19937 rng(11);
  const int64_t shapes[][3] = {{5, 40, 1}, {3, 3, 7}, {3, 4, 37}, {2, 3, 729}};
  for (const auto &[N, O, inner] : shapes) {
    T dy = random({N, O, inner}, rng);
    auto run = [&] {
      T db({O});
      if (inner >= 32)
        cuda::launchOnHost({unsigned(O), 1, 1}, cuda::kRowSumWarps * 32,
                           cuda::channelRowSumKernel, N, O, inner,
                           static_cast<const float *>(dy.data.data()),
                           db.data.data());
      else
        cuda::launchOnHost({unsigned((O + 31) / 32), 1, 1}, 256,
                           cuda::channelColumnSumKernel, N, O, inner,
                           static_cast<const float *>(dy.data.data()),
                           db.data.data());
      return db;
    };
    T first = run();
    EXPECT_LT(relError(first, ref::biasGrad(dy)), 1e-5)
        << N << "x" << O << "x" << inner;
    EXPECT_EQ(run().data, first.data) << N << "x" << O << "x" << inner;
  }
}

// The loss kernel (one block of 256 threads): more rows than threads,
// padding rows (label -1), a batch of padding only, and a data-parallel
// rank's share, whose mean divides by the global batch's rows.
TEST(CudaHostKernels, SoftmaxCrossEntropyKernel) {
  std::mt19937 rng(12);
  for (int64_t N : {300, 7, 40}) {
    int64_t K = 10;
    T logits = random({N, K}, rng, -4, 4), labelsT({N});
    std::vector<int32_t> labels(N);
    for (int64_t n = 0; n < N; ++n) {
      labels[n] = N == 7 ? -1 : n % 11 == 0 ? -1 : int32_t(rng() % K);
      labelsT[n] = float(labels[n]);
    }
    float loss = -1;
    int32_t correct = -1;
    T dlogits(logits.shape);
    // 40 rows of a global batch of 100: the mean's divisor is 100.
    rt::StepScalars sc{0.f, 0, 0, 0, 0, N == 40 ? 100 : 0, 0};
    int64_t labelled = std::count_if(labels.begin(), labels.end(),
                                     [](int32_t l) { return l >= 0; });
    double share = N == 40 ? double(labelled) / 100.0 : 1.0;
    cuda::launchOnHost({1, 1, 1}, 256, cuda::softmaxCrossEntropyKernel, N, K,
                       static_cast<const float *>(logits.data.data()),
                       static_cast<const int32_t *>(labels.data()), &loss,
                       &correct, dlogits.data.data(),
                       static_cast<const rt::StepScalars *>(&sc));
    EXPECT_NEAR(loss, share * ref::softmaxCrossEntropy(logits, labelsT), 1e-5)
        << N;
    EXPECT_EQ(correct, ref::countCorrect(logits, labelsT)) << N;
    T refGrad = ref::softmaxCrossEntropyGrad(logits, labelsT);
    for (float &g : refGrad.data)
      g = float(g * share);
    EXPECT_LT(relError(dlogits, refGrad), 1e-5) << N;
  }
}

TEST(CudaHostKernels, Pooling) {
  std::mt19937 rng(4);
  const Case cases[] = {{2, 3, 9, 8, 0, 3, 3, 2, 2, 1, 1},
                        {1, 2, 7, 6, 0, 2, 3, 2, 1, 0, 1}};
  for (const Case &c : cases) {
    auto g = poolGeometry<cuda::PoolGeom>(c);
    T x = random({c.N, c.C, c.H, c.W}, rng),
      dy = random({c.N, c.C, g.OH, g.OW}, rng);
    T y({c.N, c.C, g.OH, g.OW}), dx(x.shape);
    cuda::poolForwardKernel<true>(g, x.data.data(),
                                  cuda::StoreTo{y.data.data()});
    EXPECT_EQ(relError(y, ref::maxPool2d(x, window(c))), 0.0);
    // A window holding a NaN gives NaN, as in the reference.
    T xn = x;
    xn.data[xn.data.size() / 3] = NAN;
    cuda::poolForwardKernel<true>(g, xn.data.data(),
                                  cuda::StoreTo{y.data.data()});
    EXPECT_EQ(relError(y, ref::maxPool2d(xn, window(c))), 0.0) << "NaN";
    cuda::poolForwardKernel<false>(g, x.data.data(),
                                   cuda::StoreTo{y.data.data()});
    EXPECT_LT(relError(y, ref::avgPool2d(x, window(c))), 1e-6);
    cuda::maxPoolScatterKernel(g, x.data.data(), dy.data.data(),
                               dx.data.data());
    EXPECT_LT(relError(dx, ref::maxPool2dGrad(x, dy, window(c))), 1e-6);
    cuda::poolGradKernel<true>(g, x.data.data(), dy.data.data(),
                               cuda::StoreTo{dx.data.data()});
    EXPECT_LT(relError(dx, ref::maxPool2dGrad(x, dy, window(c))), 1e-6);
    cuda::poolGradKernel<false>(g, nullptr, dy.data.data(),
                                cuda::StoreTo{dx.data.data()});
    EXPECT_LT(relError(dx, ref::avgPool2dGrad(dy, x.shape, window(c))), 1e-6);
  }
}

/// The first `rows` images of t.
/// Batch normalization's kernels as the launchers run them (one block of
/// fibers per channel for the statistics, then the per-channel map),
/// against the reference, on 4-D and 2-D inputs; with all images holding
/// examples, and with the last one padding (left out of the statistics and
/// the gradient: the reference sees only the others, and its dx is 0).
TEST(CudaHostKernels, BatchNorm) {
  std::mt19937 rng(9);
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{3, 4, 5, 3}, std::vector<int64_t>{5, 6}})
    for (int64_t rows : {int64_t(0), shape[0] - 1}) {
      T x = random(shape, rng), dy = random(shape, rng);
      int64_t C = shape[1], inner = x.size() / (shape[0] * C);
      int64_t R = rows ? rows : shape[0];
      cuda::NormGeom g{shape[0], C, inner};
      rt::StepScalars sc{0.f, 0, 0, 0, rows};
      T xs = firstRows(x, R), dys = firstRows(dy, R);
      T runMean = random({C}, rng), runVar = random({C}, rng, 0.5, 2),
        gamma = random({C}, rng), beta = random({C}, rng);
      T refY, refMean, refInvstd, refNewMean, refNewVar;
      ref::batchNormTrain(xs, runMean, runVar, &gamma, &beta, 0.8, 1e-3, refY,
                          refMean, refInvstd, refNewMean, refNewVar);
      T mean({C}), invstd({C}), newMean({C}), newVar({C}), y(shape);
      std::vector<float> coef(3 * C);
      cuda::launchOnHost(
          {unsigned(C), 1, 1}, cuda::kNormThreads, cuda::batchNormStatsKernel,
          g, x.data.data(), runMean.data.data(), runVar.data.data(),
          gamma.data.data(), beta.data.data(), 0.8, 1e-3, mean.data.data(),
          invstd.data.data(), newMean.data.data(), newVar.data.data(),
          coef.data(), &sc);
      cuda::channelMapKernel(g, x.data.data(), nullptr, coef.data(),
                             cuda::StoreTo{y.data.data()}, &sc);
      EXPECT_LT(relError(firstRows(y, R), refY), 1e-6);
      EXPECT_LT(relError(mean, refMean), 1e-6);
      EXPECT_LT(relError(invstd, refInvstd), 1e-6);
      EXPECT_LT(relError(newMean, refNewMean), 1e-6);
      EXPECT_LT(relError(newVar, refNewVar), 1e-6);

      T refDx, refDgamma, refDbeta, dx(shape, 7.f), dgamma({C}), dbeta({C});
      ref::batchNormGrad(xs, dys, mean, invstd, &gamma, refDx, refDgamma,
                         refDbeta);
      cuda::launchOnHost({unsigned(C), 1, 1}, cuda::kNormThreads,
                         cuda::batchNormGradStatsKernel, g, x.data.data(),
                         dy.data.data(), mean.data.data(), invstd.data.data(),
                         gamma.data.data(), dgamma.data.data(),
                         dbeta.data.data(), coef.data(), &sc);
      cuda::channelMapKernel(g, dy.data.data(), x.data.data(), coef.data(),
                             cuda::StoreTo{dx.data.data()}, &sc);
      EXPECT_LT(relError(firstRows(dx, R), refDx), 1e-5);
      for (size_t i = refDx.data.size(); i < dx.data.size(); ++i)
        ASSERT_EQ(dx.data[i], 0.f) << "padding element " << i;
      EXPECT_LT(relError(dgamma, refDgamma), 1e-6);
      EXPECT_LT(relError(dbeta, refDbeta), 1e-6);

      cuda::launchOnHost(
          {unsigned(C), 1, 1}, 1, cuda::batchNormInferenceCoefKernel, g,
          runMean.data.data(), runVar.data.data(), gamma.data.data(),
          beta.data.data(), 1e-3, coef.data());
      cuda::channelMapKernel(g, x.data.data(), nullptr, coef.data(),
                             cuda::StoreTo{y.data.data()}, &sc);
      EXPECT_LT(relError(y, ref::batchNormInference(x, runMean, runVar, &gamma,
                                                    &beta, 1e-3)),
                1e-6);
    }
}

/// Concat's copies and the slice of its gradient, as strided block copies.
TEST(CudaHostKernels, BlockCopies) {
  std::mt19937 rng(10);
  T a = random({2, 3, 2, 2}, rng), b = random({2, 1, 2, 2}, rng);
  T y({2, 4, 2, 2});
  cuda::copyBlocksKernel({2, 12, 12, 0, 16, 0}, a.data.data(), y.data.data());
  cuda::copyBlocksKernel({2, 4, 4, 0, 16, 12}, b.data.data(), y.data.data());
  EXPECT_EQ(relError(y, ref::concat<float>({&a, &b})), 0.0);
  T back({2, 1, 2, 2});
  cuda::copyBlocksKernel({2, 4, 16, 12, 4, 0}, y.data.data(), back.data.data());
  EXPECT_EQ(relError(back, b), 0.0);
}

/// Concat inputs written in place: element i of each input stored through
/// sliceElement (and its 32-bit form) from the input's offset in a row
/// gives the concat, which the reference builds by copying.
TEST(CudaHostKernels, SlicesOfAConcatAreItsInputs) {
  std::mt19937 rng(12);
  T a = random({3, 2, 2, 3}, rng), b = random({3, 3, 2, 3}, rng);
  T want = ref::concat<float>({&a, &b});
  for (bool narrow : {false, true}) {
    T y({3, 5, 2, 3});
    int64_t offset = 0;
    for (const T *in : {&a, &b}) {
      int64_t row = in->size() / 3;
      for (int64_t i = 0; i < in->size(); ++i)
        y.data[offset + (narrow ? alexc::abi::sliceElement32(i, row, 30)
                                : alexc::abi::sliceElement(i, row, 30))] =
            in->data[i];
      offset += row;
    }
    EXPECT_EQ(relError(y, want), 0.0) << (narrow ? "32-bit" : "64-bit");
  }
}

/// The direct forward convolution of few-channel inputs, its blocks'
/// threads as fibers, against the reference: conv1's 11x11 stride-4
/// windows on a smaller image (partial row, column and channel tiles),
/// padding with stride 1 and 2, several input channels, no bias.
TEST(CudaHostKernels, DirectConvolutionForward) {
  std::mt19937 rng(13);
  // {N, C, H, W, O, KH, KW, SH, SW, PH, PW}
  const Case cases[] = {{2, 1, 67, 71, 20, 11, 11, 4, 4, 0, 0},
                        {1, 3, 40, 37, 7, 5, 5, 1, 1, 2, 2},
                        {2, 2, 33, 20, 16, 3, 3, 2, 2, 1, 1},
                        {1, 4, 9, 70, 33, 3, 2, 1, 3, 0, 1}};
  for (const Case &c : cases) {
    cuda::ConvGeom g = geom(c);
    ASSERT_TRUE(cuda::directConvSuits(g)) << c.H << "x" << c.W;
    T x = random({c.N, c.C, c.H, c.W}, rng),
      w = random({c.O, c.C, c.KH, c.KW}, rng), b = random({c.O}, rng);
    for (bool bias : {true, false}) {
      T y({c.N, c.O, g.OH, g.OW});
      cuda::launchOnHost(
          {unsigned(cuda::directConvBlocks(g)), 1, 1}, 256,
          cuda::directConvForwardKernel<cuda::StoreTo>, g,
          static_cast<const float *>(x.data.data()),
          static_cast<const float *>(w.data.data()),
          static_cast<const float *>(bias ? b.data.data() : nullptr),
          cuda::StoreTo{y.data.data()});
      EXPECT_LT(relError(y, ref::conv2d(x, w, bias ? &b : nullptr, window(c))),
                1e-5)
          << c.H << "x" << c.W << " bias " << bias;
    }
  }
  // AlexNet's conv1 takes it; conv2 (96 channels) keeps the tiled GEMM.
  EXPECT_TRUE(cuda::directConvSuits(
      {128, 1, 224, 224, 96, 11, 11, 4, 4, 0, 0, 54, 54}));
  EXPECT_FALSE(
      cuda::directConvSuits({128, 96, 26, 26, 256, 5, 5, 1, 1, 2, 2, 26, 26}));
}

/// All three update rules in one launch, as applyUpdates makes it, its
/// blocks' threads as fibers: tensors of several chunks with a tail that is
/// not a multiple of 4 (float4 path, then scalars), a tensor that is not
/// 16-byte aligned (scalar path), an empty one and a tiny one.
TEST(CudaHostKernels, MultiTensorOptimizer) {
  std::mt19937 rng(5);
  const int64_t big = 2 * cuda::kUpdateChunk + 1001;
  T w1 = random({big}, rng), g1 = random({big}, rng), m1 = random({big}, rng);
  T w2 = random({5, 3}, rng), g2 = random({5, 3}, rng),
    m2 = random({5, 3}, rng), v2 = random({5, 3}, rng, 0, 1);
  // One float past an aligned start: 4-byte aligned only.
  T w3 = random({cuda::kUpdateChunk + 7}, rng), g3 = random({w3.size()}, rng);
  T w4 = random({big}, rng), g4 = random({big}, rng), m4 = random({big}, rng),
    v4 = random({big}, rng, 0, 1);
  T ew1, eb1, ew2, em2, ev2, ew4, em4, ev4;
  ref::sgdMomentum(w1, g1, m1, 0.1f, 0.9f, 0.01f, true, ew1, eb1);
  ref::adam(w2, g2, m2, v2, 0.1f, 4, 0.9f, 0.99f, 1e-8f, 0.01f, ew2, em2, ev2);
  ref::adam(w4, g4, m4, v4, 0.1f, 4, 0.9f, 0.99f, 1e-8f, 0.f, ew4, em4, ev4);
  std::vector<float> w3Store(w3.size() + 8), g3Store(w3.size() + 8);
  auto misaligned = [](std::vector<float> &store) {
    float *p = store.data();
    while (reinterpret_cast<uintptr_t>(p) % 16)
      ++p;
    return p + 1;
  };
  float *w3p = misaligned(w3Store), *g3p = misaligned(g3Store);
  std::copy(w3.data.begin(), w3.data.end(), w3p);
  std::copy(g3.data.begin(), g3.data.end(), g3p);
  T ew3 = ref::sgd(w3, g3, 0.1f, 0.f);
  using K = cuda::UpdateKind;
  const cuda::Update updates[] = {
      {K::Momentum, w1.data.data(), g1.data.data(), m1.data.data(), nullptr,
       big, 0.9f, 0.01f, 0, 0, 0, true},
      {K::Adam, w2.data.data(), g2.data.data(), m2.data.data(), v2.data.data(),
       15, 0, 0.01f, 0.9f, 0.99f, 1e-8f, false},
      {K::SGD, nullptr, nullptr, nullptr, nullptr, 0, 0, 0, 0, 0, 0, false},
      {K::SGD, w3p, g3p, nullptr, nullptr, w3.size(), 0, 0, 0, 0, 0, false},
      {K::Adam, w4.data.data(), g4.data.data(), m4.data.data(), v4.data.data(),
       big, 0, 0, 0.9f, 0.99f, 1e-8f, false}};
  cuda::UpdateTable t = cuda::updateTable(updates, 5);
  ASSERT_EQ(t.firstBlock[5], 3 + 1 + 0 + 2 + 3);
  rt::StepScalars sc{0.1f, 1, 0, 4};
  cuda::launchOnHost({unsigned(t.firstBlock[5]), 1, 1}, 256,
                     cuda::applyUpdatesKernel, t,
                     static_cast<const rt::StepScalars *>(&sc));
  EXPECT_LT(relError(w1, ew1), 1e-6);
  EXPECT_LT(relError(m1, eb1), 1e-6);
  EXPECT_LT(relError(w2, ew2), 1e-5);
  EXPECT_LT(relError(m2, em2), 1e-6);
  EXPECT_LT(relError(v2, ev2), 1e-6);
  T got3({w3.size()});
  std::copy(w3p, w3p + w3.size(), got3.data.begin());
  EXPECT_LT(relError(got3, ew3), 1e-6);
  EXPECT_LT(relError(w4, ew4), 1e-5);
  EXPECT_LT(relError(m4, em4), 1e-6);
  EXPECT_LT(relError(v4, ev4), 1e-6);
}

TEST(CudaHostKernels, InitializationIsBitwiseTheInterpreters) {
  rt::StepScalars sc{0, 0, 99, 0};
  T u({1000}), n({1000});
  cuda::fillKernel(u.data.data(), 1000, &sc, 3, 0.25,
                   alexc::abi::FillKind::Uniform);
  cuda::fillKernel(n.data.data(), 1000, &sc, 4, 0.1,
                   alexc::abi::FillKind::Normal);
  EXPECT_EQ(u.data, ref::randomUniform<float>({1000}, 99, 3, 0.25).data);
  EXPECT_EQ(n.data, ref::randomNormal<float>({1000}, 99, 4, 0.1).data);
}

TEST(CudaHostKernels, BatchPreparationMatchesTheCpuRuntime) {
  std::mt19937 rng(6);
  rt::Dataset d;
  d.count = 6, d.rows = 28, d.cols = 28;
  d.images.resize(6 * 28 * 28);
  d.labels = {3, 1, 4, 1, 5, 9};
  for (auto &p : d.images)
    p = uint8_t(rng());
  rt::ResizePlan plan = rt::planResize(28, 28, 50, 45);
  int64_t idx[4] = {5, 0, 2, -1}; // a padding row
  std::vector<float> want(4 * 50 * 45), got(4 * 50 * 45);
  std::vector<int32_t> wantLabels(4), gotLabels(4);
  rt::fillBatch(d, plan, idx, 3, 4, want.data(), wantLabels.data());
  cuda::prepareBatchKernel(d.images.data(), d.labels.data(), 28, 28, idx, 4, 50,
                           45, plan.y0.data(), plan.dy.data(), plan.wy.data(),
                           plan.x0.data(), plan.dx.data(), plan.wx.data(),
                           got.data(), gotLabels.data());
  EXPECT_EQ(gotLabels, wantLabels);
  double err = 0;
  for (size_t i = 0; i < got.size(); ++i)
    err = std::max(err, double(std::fabs(got[i] - want[i])));
  EXPECT_LT(err, 1e-6);
}

} // namespace

/// --check-kernels compares only the range a CPU kernel changed: the range
/// must be exactly the first and last differing element (bit for bit, so
/// -0 against +0 counts), against a plain scan, wherever the changes lie.
TEST(KernelCheck, ChangedRangeIsTheFirstAndLastDifference) {
  std::mt19937 rng(12);
  auto scan = [](const std::vector<float> &a, const std::vector<float> &b) {
    size_t lo = a.size(), hi = 0;
    for (size_t i = 0; i < a.size(); ++i)
      if (std::memcmp(&a[i], &b[i], 4))
        lo = std::min(lo, i), hi = i + 1;
    return hi ? std::pair{lo, hi} : std::pair{size_t(0), size_t(0)};
  };
  for (size_t n :
       {size_t(1), size_t(4095), size_t(4096), size_t(4097), size_t(20000)}) {
    std::vector<float> a(n);
    for (float &v : a)
      v = float(rng() % 1000);
    EXPECT_EQ(cuda::changedRange(a, a), std::pair(size_t(0), size_t(0)));
    for (int trial = 0; trial < 40; ++trial) {
      std::vector<float> b = a;
      int changes = 1 + int(rng() % 3);
      for (int c = 0; c < changes; ++c) {
        size_t at = trial == 0 ? 0 : trial == 1 ? n - 1 : rng() % n;
        if (trial == 2) // +0 and -0: equal as numbers, not as bits
          a[at] = 0.f, b[at] = -0.f;
        else
          b[at] += 1.f;
      }
      EXPECT_EQ(cuda::changedRange(a, b), scan(a, b)) << n << " " << trial;
    }
  }
}

TEST(KernelCheck, NonFiniteOutputsFail) {
  // Folded the way --check-kernels folds a variant's elements.
  auto relError = [](std::vector<float> got, std::vector<float> want) {
    double err = 0, scale = 0;
    for (size_t i = 0; i < got.size(); ++i)
      cuda::accumulateError(got[i], want[i], err, scale);
    return scale > 0 ? err / scale : err;
  };
  float nan = std::numeric_limits<float>::quiet_NaN();
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_NEAR(relError({1.f, 2.f}, {1.f, 2.5f}), 0.2, 1e-12);
  // A NaN after a good element: std::max(err, NaN) would keep the error.
  EXPECT_FALSE(relError({1.f, nan}, {1.f, 2.f}) <= 1e-4);
  EXPECT_FALSE(relError({nan, 1.f}, {1.f, 1.f}) <= 1e-4);
  EXPECT_FALSE(relError({1.f, -inf}, {1.f, 2.f}) <= 1e-4);
}
