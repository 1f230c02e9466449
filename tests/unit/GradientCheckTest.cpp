// Finite-difference checks, in double, of every gradient op and of whole
// networks differentiated by nn-autodiff, run in the reference interpreter.
// For an op y = f(x) and a random output gradient dy, the analytic gradient
// of L = sum(y * dy) with respect to each input must match central
// differences: ||fd - analytic|| / ||analytic|| < 1e-6.
#include "Dialect/NN/IR/NNOps.h"
#include "Driver/Pipeline.h"
#include "Interpreter/Interpreter.h"
#include "TensorChecks.h"

#include "Dialect/NN/IR/StepSignature.h"
#include "Dialect/NN/Transforms/Passes.h"
#include "Frontend/LayerSchema.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cmath>
#include <functional>
#include <gtest/gtest.h>
#include <random>
#include <sstream>

using namespace mlir;
using D = alexc::ref::Tensor<double>;
using V = alexc::interp::RtValue<double>;
namespace step = alexc::nn::step;

namespace {

constexpr double kTolerance = 1e-6;
constexpr double kStep = 1e-6;

std::string ty(const std::vector<int64_t> &shape, const char *elt = "f32") {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + elt + ">";
}

/// Random inputs in double, the precision of the finite differences.
D randomTensor(std::vector<int64_t> shape, std::mt19937 &rng, double lo = -1,
               double hi = 1) {
  return alexc::testing::random<double>(std::move(shape), rng, lo, hi);
}

/// A parsed module and a way to run its functions in double.
class Program {
public:
  explicit Program(const std::string &src) {
    ctx.loadDialect<alexc::nn::NNDialect, func::FuncDialect>();
    module = parseSourceString<ModuleOp>(src, &ctx);
  }
  Program(MLIRContext *, OwningOpRef<ModuleOp> m) : module(std::move(m)) {}
  bool ok() const { return bool(module); }
  std::vector<V> run(StringRef name, std::vector<V> args) {
    auto f = module->lookupSymbol<func::FuncOp>(name);
    EXPECT_TRUE(f) << "no @" << name.str();
    auto r = alexc::interp::interpret<double>(f, std::move(args));
    if (!r) {
      ADD_FAILURE() << llvm::toString(r.takeError());
      return {};
    }
    return std::move(*r);
  }

private:
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
};

double dot(const D &a, const D &b) {
  double s = 0;
  for (int64_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

/// ||fd - analytic|| / ||analytic|| for the gradient of `loss` with respect
/// to `x`, perturbing `x` in place.
double fdError(const std::function<double()> &loss, D &x, const D &analytic) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < x.size(); ++i) {
    double saved = x[i];
    x[i] = saved + kStep;
    double plus = loss();
    x[i] = saved - kStep;
    double minus = loss();
    x[i] = saved;
    double fd = (plus - minus) / (2 * kStep);
    num += (fd - analytic[i]) * (fd - analytic[i]);
    den += analytic[i] * analytic[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

std::vector<V> tensors(const std::vector<D> &ts) {
  std::vector<V> v;
  for (const D &t : ts)
    v.push_back(V(t));
  return v;
}

/// Checks an op given as @fwd(inputs...) -> y and @bwd(inputs..., dy) ->
/// (grads of inputs[checked[0]], ...). Returns the largest error.
double checkOp(const std::string &src, std::vector<D> inputs,
               const std::vector<int> &checked, std::mt19937 &rng) {
  Program p(src);
  EXPECT_TRUE(p.ok()) << src;
  if (!p.ok())
    return 1;
  auto y = p.run("fwd", tensors(inputs));
  if (y.empty())
    return 1;
  D dy = randomTensor(y[0].tensor().shape, rng);
  std::vector<V> bwdArgs = tensors(inputs);
  bwdArgs.push_back(V(dy));
  auto grads = p.run("bwd", bwdArgs);
  EXPECT_EQ(grads.size(), checked.size());
  double worst = 0;
  for (size_t k = 0; k < checked.size() && k < grads.size(); ++k) {
    D &x = inputs[checked[k]];
    auto loss = [&] {
      return dot(p.run("fwd", tensors(inputs))[0].tensor(), dy);
    };
    double e = fdError(loss, x, grads[k].tensor());
    EXPECT_LT(e, kTolerance) << "input " << checked[k] << "\n" << src;
    worst = std::max(worst, e);
  }
  return worst;
}

int64_t outSize(int64_t in, int64_t k, int64_t s, int64_t p) {
  return (in + 2 * p - k) / s + 1;
}

std::string pairAttr(int64_t a, int64_t b) {
  return "[" + std::to_string(a) + ", " + std::to_string(b) + "]";
}

/// Prints each measured error, so the test log reports the largest.
void record(double e) {
  std::printf("finite-difference relative error: %.3g\n", e);
}

//===----------------------------------------------------------------------===//
// Single ops on random shapes
//===----------------------------------------------------------------------===//

TEST(GradientCheck, Conv2D) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> small(1, 3), k(1, 4), s(1, 3);
  for (int trial = 0; trial < 6; ++trial) {
    int64_t N = small(rng), C = small(rng), O = small(rng);
    int64_t kh = k(rng), kw = k(rng), sh = s(rng), sw = s(rng);
    int64_t ph = std::uniform_int_distribution<int>(0, kh - 1)(rng);
    int64_t pw = std::uniform_int_distribution<int>(0, kw - 1)(rng);
    if (trial == 0) // stride larger than the kernel, asymmetric padding
      kh = 2, kw = 3, sh = 3, sw = 4, ph = 1, pw = 0;
    int64_t H = kh + std::uniform_int_distribution<int>(1, 6)(rng);
    int64_t W = kw + std::uniform_int_distribution<int>(1, 6)(rng);
    std::vector<int64_t> xs{N, C, H, W}, ws{O, C, kh, kw}, bs{O},
        ys{N, O, outSize(H, kh, sh, ph), outSize(W, kw, sw, pw)};
    std::string attrs =
        " strides = " + pairAttr(sh, sw) + " padding = " + pairAttr(ph, pw);
    std::string src =
        "func.func @fwd(%x: " + ty(xs) + ", %w: " + ty(ws) + ", %b: " + ty(bs) +
        ") -> " + ty(ys) + " {\n  %y = nn.conv2d %x, %w, %b" + attrs + " : (" +
        ty(xs) + ", " + ty(ws) + ", " + ty(bs) + ") -> " + ty(ys) +
        "\n  return %y : " + ty(ys) + "\n}\n" + "func.func @bwd(%x: " + ty(xs) +
        ", %w: " + ty(ws) + ", %b: " + ty(bs) + ", %dy: " + ty(ys) + ") -> (" +
        ty(xs) + ", " + ty(ws) + ", " + ty(bs) + ") {\n" +
        "  %dx = nn.conv2d_input_grad %dy, %w" + attrs + " : (" + ty(ys) +
        ", " + ty(ws) + ") -> " + ty(xs) + "\n" +
        "  %dw = nn.conv2d_weight_grad %x, %dy" + attrs + " : (" + ty(xs) +
        ", " + ty(ys) + ") -> " + ty(ws) + "\n" +
        "  %db = nn.bias_grad %dy : " + ty(ys) + " -> " + ty(bs) + "\n" +
        "  return %dx, %dw, %db : " + ty(xs) + ", " + ty(ws) + ", " + ty(bs) +
        "\n}\n";
    record(checkOp(
        src,
        {randomTensor(xs, rng), randomTensor(ws, rng), randomTensor(bs, rng)},
        {0, 1, 2}, rng));
  }
}

void checkPool(const std::string &op, bool usesInput, int seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> small(1, 3), k(1, 4), s(1, 3);
  for (int trial = 0; trial < 6; ++trial) {
    int64_t N = small(rng), C = small(rng), kh = k(rng), kw = k(rng);
    int64_t sh = s(rng), sw = s(rng);
    if (trial < 2) // overlapping windows
      kh = 3, kw = 3, sh = 2, sw = 1;
    int64_t ph = std::uniform_int_distribution<int>(0, kh / 2)(rng);
    int64_t pw = std::uniform_int_distribution<int>(0, kw / 2)(rng);
    int64_t H = kh + std::uniform_int_distribution<int>(0, 5)(rng);
    int64_t W = kw + std::uniform_int_distribution<int>(0, 5)(rng);
    std::vector<int64_t> xs{N, C, H, W},
        ys{N, C, outSize(H, kh, sh, ph), outSize(W, kw, sw, pw)};
    std::string attrs = " window = " + pairAttr(kh, kw) +
                        " strides = " + pairAttr(sh, sw) +
                        " padding = " + pairAttr(ph, pw);
    std::string grad = usesInput ? "  %dx = nn." + op + "_grad %x, %dy" +
                                       attrs + " : (" + ty(xs) + ", " + ty(ys) +
                                       ") -> " + ty(xs) + "\n"
                                 : "  %dx = nn." + op + "_grad %dy" + attrs +
                                       " : " + ty(ys) + " -> " + ty(xs) + "\n";
    std::string src = "func.func @fwd(%x: " + ty(xs) + ") -> " + ty(ys) +
                      " {\n  %y = nn." + op + " %x" + attrs + " : " + ty(xs) +
                      " -> " + ty(ys) + "\n  return %y : " + ty(ys) + "\n}\n" +
                      "func.func @bwd(%x: " + ty(xs) + ", %dy: " + ty(ys) +
                      ") -> " + ty(xs) + " {\n" + grad +
                      "  return %dx : " + ty(xs) + "\n}\n";
    record(checkOp(src, {randomTensor(xs, rng)}, {0}, rng));
  }
}

TEST(GradientCheck, MaxPool2D) { checkPool("max_pool2d", true, 2); }
TEST(GradientCheck, AvgPool2D) { checkPool("avg_pool2d", false, 3); }

TEST(GradientCheck, Dense) {
  std::mt19937 rng(4);
  std::uniform_int_distribution<int> d(1, 7);
  for (int trial = 0; trial < 4; ++trial) {
    int64_t N = d(rng), F = d(rng), U = d(rng);
    std::vector<int64_t> xs{N, F}, ws{U, F}, bs{U}, ys{N, U};
    std::string src =
        "func.func @fwd(%x: " + ty(xs) + ", %w: " + ty(ws) + ", %b: " + ty(bs) +
        ") -> " + ty(ys) + " {\n  %y = nn.dense %x, %w, %b : (" + ty(xs) +
        ", " + ty(ws) + ", " + ty(bs) + ") -> " + ty(ys) +
        "\n  return %y : " + ty(ys) + "\n}\n" + "func.func @bwd(%x: " + ty(xs) +
        ", %w: " + ty(ws) + ", %b: " + ty(bs) + ", %dy: " + ty(ys) + ") -> (" +
        ty(xs) + ", " + ty(ws) + ", " + ty(bs) + ") {\n" +
        "  %dx = nn.dense_input_grad %dy, %w : (" + ty(ys) + ", " + ty(ws) +
        ") -> " + ty(xs) + "\n" + "  %dw = nn.dense_weight_grad %x, %dy : (" +
        ty(xs) + ", " + ty(ys) + ") -> " + ty(ws) + "\n" +
        "  %db = nn.bias_grad %dy : " + ty(ys) + " -> " + ty(bs) + "\n" +
        "  return %dx, %dw, %db : " + ty(xs) + ", " + ty(ws) + ", " + ty(bs) +
        "\n}\n";
    record(checkOp(
        src,
        {randomTensor(xs, rng), randomTensor(ws, rng), randomTensor(bs, rng)},
        {0, 1, 2}, rng));
  }
}

void checkActivation(const std::string &op, int seed) {
  std::mt19937 rng(seed);
  std::vector<int64_t> xs{3, 2, 4, 5};
  std::string t = ty(xs);
  // The gradient op takes the forward output, so @bwd recomputes it.
  std::string src = "func.func @fwd(%x: " + t + ") -> " + t + " {\n  %y = nn." +
                    op + " %x : " + t + "\n  return %y : " + t + "\n}\n" +
                    "func.func @bwd(%x: " + t + ", %dy: " + t + ") -> " + t +
                    " {\n  %y = nn." + op + " %x : " + t + "\n  %dx = nn." +
                    op + "_grad %y, %dy : " + t + "\n  return %dx : " + t +
                    "\n}\n";
  record(checkOp(src, {randomTensor(xs, rng)}, {0}, rng));
}

// Every activation the layer schema knows, so a new one is checked the
// day it is added.
TEST(GradientCheck, EveryActivation) {
  int seed = 5;
  for (const std::string &name : alexc::activationNames()) {
    SCOPED_TRACE(name);
    checkActivation(name, seed++);
  }
}

TEST(GradientCheck, FlattenAndAdd) {
  std::mt19937 rng(8);
  std::vector<int64_t> xs{2, 3, 2, 5}, ys{2, 30};
  std::string src =
      "func.func @fwd(%x: " + ty(xs) + ", %z: " + ty(ys) + ") -> " + ty(ys) +
      " {\n  %f = nn.flatten %x : " + ty(xs) + " -> " + ty(ys) +
      "\n  %y = nn.add %f, %z : (" + ty(ys) + ", " + ty(ys) + ") -> " + ty(ys) +
      "\n  return %y : " + ty(ys) + "\n}\n" + "func.func @bwd(%x: " + ty(xs) +
      ", %z: " + ty(ys) + ", %dy: " + ty(ys) + ") -> (" + ty(xs) + ", " +
      ty(ys) + ") {\n" + "  %dx = nn.reshape %dy : " + ty(ys) + " -> " +
      ty(xs) + "\n  return %dx, %dy : " + ty(xs) + ", " + ty(ys) + "\n}\n";
  record(checkOp(src, {randomTensor(xs, rng), randomTensor(ys, rng)}, {0, 1},
                 rng));
}

TEST(GradientCheck, Dropout) {
  std::mt19937 rng(9);
  std::vector<int64_t> xs{4, 37};
  std::string t = ty(xs);
  // Dropout takes scalar operands, so the pair is built by hand.
  Program p("func.func @fwd(%x: " + t + ", %seed: i64, %step: i64) -> " + t +
            " {\n  %y = nn.dropout %x, %seed, %step rate = 0.3 stream = 2 : " +
            t + "\n  return %y : " + t + "\n}\n" + "func.func @bwd(%dy: " + t +
            ", %seed: i64, %step: i64) -> " + t +
            " {\n  %dx = nn.dropout_grad %dy, %seed, %step rate = 0.3 stream = "
            "2 : " +
            t + "\n  return %dx : " + t + "\n}\n");
  ASSERT_TRUE(p.ok());
  D x = randomTensor(xs, rng), dy = randomTensor(xs, rng);
  auto args = [&](const D &a) {
    return std::vector<V>{V(a), V::integer(1234), V::integer(7)};
  };
  D dx = p.run("bwd", args(dy))[0].tensor();
  auto loss = [&] { return dot(p.run("fwd", args(x))[0].tensor(), dy); };
  double e = fdError(loss, x, dx);
  EXPECT_LT(e, kTolerance);
  record(e);
  // The mask drops about `rate` of the elements and scales the rest.
  D y = p.run("fwd", args(x))[0].tensor();
  int dropped = 0;
  for (int64_t i = 0; i < x.size(); ++i) {
    if (y[i] == 0)
      ++dropped;
    else
      EXPECT_NEAR(y[i], x[i] / (1.0 - double(0.3f)), 1e-12); // rate is f32
  }
  EXPECT_GT(dropped, 0.15 * x.size());
  EXPECT_LT(dropped, 0.45 * x.size());
}

TEST(GradientCheck, SoftmaxCrossEntropy) {
  std::mt19937 rng(10);
  std::vector<int64_t> ls{5, 7};
  std::string t = ty(ls), lt = ty({5}, "i32");
  Program p("func.func @fwd(%l: " + t + ", %y: " + lt +
            ") -> tensor<f32> {\n  %c = nn.softmax_cross_entropy %l, %y : " +
            t + ", " + lt + " -> tensor<f32>\n  return %c : tensor<f32>\n}\n" +
            "func.func @bwd(%l: " + t + ", %y: " + lt + ") -> " + t +
            " {\n  %d = nn.softmax_cross_entropy_grad %l, %y : " + t + ", " +
            lt + "\n  return %d : " + t + "\n}\n");
  ASSERT_TRUE(p.ok());
  D logits = randomTensor(ls, rng, -3, 3);
  D labels({5});
  labels.data = {3, 0, -1, 6, 2}; // row 2 is padding
  auto args = [&] { return std::vector<V>{V(logits), V(labels)}; };
  D grad = p.run("bwd", args())[0].tensor();
  auto loss = [&] { return p.run("fwd", args())[0].tensor()[0]; };
  double e = fdError(loss, logits, grad);
  EXPECT_LT(e, kTolerance);
  record(e);
  for (int k = 0; k < 7; ++k)
    EXPECT_EQ(grad[2 * 7 + k], 0.0) << "padding rows get no gradient";
}

//===----------------------------------------------------------------------===//
// Whole networks through nn-autodiff
//===----------------------------------------------------------------------===//

/// FD check of every parameter of @gradients' loss for a spec.
void checkNetwork(const std::string &specText, int64_t batch) {
  alexc::ModelSpec spec;
  std::string error;
  ASSERT_TRUE(alexc::parseModelSpec(specText, spec, error)) << error;
  spec.batchSize = batch;
  MLIRContext ctx;
  auto module = alexc::compileSpec(ctx, spec, {});
  ASSERT_TRUE(module);
  auto f = module->lookupSymbol<func::FuncOp>(step::kGradients);
  ASSERT_TRUE(f);

  std::mt19937 rng(11);
  unsigned numParams = (f.getNumResults() - 2);
  std::vector<D> params;
  for (unsigned i = 0; i < numParams; ++i) {
    auto s = cast<RankedTensorType>(f.getArgumentTypes()[i]).getShape();
    params.push_back(randomTensor({s.begin(), s.end()}, rng, -0.5, 0.5));
  }
  // Batch norm's running statistics come between the parameters and the
  // images; training mode does not read them.
  std::vector<D> buffers;
  unsigned imagesArg = numParams;
  while (step::argumentName(f, imagesArg) != step::kImages) {
    auto s = cast<RankedTensorType>(f.getArgumentTypes()[imagesArg++]);
    buffers.push_back(D({s.getShape().begin(), s.getShape().end()}, 0.5));
  }
  auto is = cast<RankedTensorType>(f.getArgumentTypes()[imagesArg]).getShape();
  D images = randomTensor({is.begin(), is.end()}, rng, 0, 1);
  D labels({batch});
  for (int64_t n = 0; n < batch; ++n)
    labels[n] = double(n % 3);
  labels[batch - 1] = -1; // a padding row

  auto run = [&] {
    std::vector<V> args = tensors(params);
    for (const D &b : buffers)
      args.push_back(V(b));
    args.push_back(V(images));
    args.push_back(V(labels));
    args.push_back(V::integer(42)); // seed: dropout stays on, its mask fixed
    args.push_back(V::integer(3));  // step
    auto r = alexc::interp::interpret<double>(f, std::move(args));
    EXPECT_TRUE(bool(r));
    if (!r) {
      llvm::consumeError(r.takeError());
      return std::vector<V>{};
    }
    return std::move(*r);
  };
  auto results = run();
  ASSERT_EQ(results.size(), numParams + 2);
  for (unsigned i = 0; i < numParams; ++i) {
    auto loss = [&] { return run()[0].tensor()[0]; };
    double e = fdError(loss, params[i], results[2 + i].tensor());
    EXPECT_LT(e, kTolerance) << "parameter #" << i;
    record(e);
  }
}

TEST(GradientCheck, NetworkWithEveryLayerType) {
  checkNetwork(R"({
    "name": "every_layer",
    "input": {"channels": 2, "height": 9, "width": 8},
    "layers": [
      {"type": "conv2d", "channels": 3, "kernel_size": [3, 2], "strides": [2, 1], "padding": [1, 0], "activation": "tanh"},
      {"type": "max_pool2d", "pool_size": 3, "strides": 2, "padding": 1},
      {"type": "conv2d", "channels": 4, "kernel_size": 2, "activation": "sigmoid"},
      {"type": "avg_pool2d", "pool_size": [2, 1], "strides": 1},
      {"type": "flatten"},
      {"type": "dense", "units": 6, "activation": "relu"},
      {"type": "dropout", "rate": 0.3},
      {"type": "dense", "units": 5},
      {"type": "tanh"},
      {"type": "dense", "units": 3, "use_bias": false}
    ]
  })",
               4);
}

TEST(GradientCheck, SmallLeNet) {
  checkNetwork(R"({
    "name": "small_lenet",
    "input": {"channels": 1, "height": 12, "width": 12},
    "layers": [
      {"type": "conv2d", "channels": 3, "kernel_size": 5, "activation": "relu"},
      {"type": "max_pool2d", "pool_size": 2, "strides": 2},
      {"type": "conv2d", "channels": 4, "kernel_size": 3, "activation": "relu"},
      {"type": "dense", "units": 8, "activation": "sigmoid"},
      {"type": "dense", "units": 10}
    ]
  })",
               3);
}

// A graph: a residual block with batch norm (4-D, and 2-D without gamma and
// beta), an inception-style concat of branches with padded pooling, a
// global average pool, a value used twice by one add.
TEST(GradientCheck, GraphWithBatchNormAndJoins) {
  checkNetwork(R"({
    "name": "graph",
    "input": {"channels": 2, "height": 7, "width": 6},
    "layers": [
      {"name": "stem", "type": "conv2d", "channels": 3, "kernel_size": 3, "padding": 1, "use_bias": false},
      {"name": "bn1", "type": "batch_norm", "activation": "relu"},
      {"name": "c2", "type": "conv2d", "channels": 3, "kernel_size": 3, "padding": 1, "use_bias": false},
      {"name": "bn2", "type": "batch_norm", "momentum": 0.5, "epsilon": 0.01},
      {"name": "res", "type": "add", "inputs": ["bn2", "bn1", "bn1"], "activation": "tanh"},
      {"name": "p1", "type": "conv2d", "channels": 2, "kernel_size": 1, "activation": "sigmoid"},
      {"name": "p2", "type": "max_pool2d", "pool_size": 3, "strides": 1, "padding": 1, "inputs": ["res"]},
      {"name": "p3", "type": "avg_pool2d", "pool_size": 3, "strides": 1, "padding": 1, "inputs": ["data"]},
      {"name": "mix", "type": "concat", "inputs": ["p1", "p2", "p3"]},
      {"name": "gap", "type": "global_avg_pool2d"},
      {"name": "fc1", "type": "dense", "units": 5, "use_bias": false},
      {"name": "bn3", "type": "batch_norm", "center": false, "scale": false},
      {"name": "fc2", "type": "dense", "units": 4}
    ]
  })",
               4);
}

// A value with several users: its gradient is the sum over them.
TEST(GradientCheck, SharedValueAccumulatesGradients) {
  MLIRContext ctx;
  ctx.loadDialect<alexc::nn::NNDialect, func::FuncDialect>();
  auto module = parseSourceString<ModuleOp>(R"(
    module attributes {nn.batch_size = 3 : i64,
        nn.optimizer = #nn.optimizer<kind = sgd, learning_rate = 0.1,
          momentum = 0.0, weight_decay = 0.0, nesterov = false, beta1 = 0.9,
          beta2 = 0.999, epsilon = 1.0e-08>,
        nn.initializer = #nn.initializer<kind = xavier, distribution = uniform,
          magnitude = 3.0, sigma = 0.01>} {
      func.func @forward(%w1: tensor<4x6xf32>, %w2: tensor<3x4xf32>, %w3: tensor<3x4xf32>,
                         %x: tensor<3x1x2x3xf32>, %seed: i64, %step: i64) -> tensor<3x3xf32> {
        %f = nn.flatten %x : tensor<3x1x2x3xf32> -> tensor<3x6xf32>
        %h = nn.dense %f, %w1 : (tensor<3x6xf32>, tensor<4x6xf32>) -> tensor<3x4xf32>
        %t = nn.tanh %h : tensor<3x4xf32>
        %a = nn.dense %t, %w2 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x3xf32>
        %b = nn.dense %t, %w3 : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x3xf32>
        %s = nn.add %a, %b : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
        %y = nn.add %s, %a : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
        return %y : tensor<3x3xf32>
      }
      func.func @loss(%l: tensor<3x3xf32>, %y: tensor<3xi32>) -> tensor<f32> {
        %c = nn.softmax_cross_entropy %l, %y : tensor<3x3xf32>, tensor<3xi32> -> tensor<f32>
        return %c : tensor<f32>
      }
    })",
                                            &ctx);
  ASSERT_TRUE(module);
  PassManager pm(&ctx);
  pm.addPass(alexc::nn::createNNAutodiff());
  ASSERT_TRUE(succeeded(pm.run(*module)));
  auto f = module->lookupSymbol<func::FuncOp>(step::kGradients);
  std::mt19937 rng(12);
  std::vector<D> params = {randomTensor({4, 6}, rng), randomTensor({3, 4}, rng),
                           randomTensor({3, 4}, rng)};
  D x = randomTensor({3, 1, 2, 3}, rng), labels({3});
  labels.data = {0, 2, 1};
  auto run = [&] {
    std::vector<V> args = tensors(params);
    args.insert(args.end(), {V(x), V(labels), V::integer(0), V::integer(0)});
    return std::move(*alexc::interp::interpret<double>(f, std::move(args)));
  };
  auto results = run();
  for (unsigned i = 0; i < 3; ++i) {
    double e = fdError([&] { return run()[0].tensor()[0]; }, params[i],
                       results[2 + i].tensor());
    EXPECT_LT(e, kTolerance) << "parameter #" << i;
    record(e);
  }
}

} // namespace
