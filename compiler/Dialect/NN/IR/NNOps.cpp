//===- NNOps.cpp - Verifiers and shape rules of the nn ops ---------------===//
//
// Verifiers accept dynamic dimensions (the frontend emits them before shape
// inference) and check every relation between dimensions that are static.
// `inferShapes` computes what the verifiers check, from the operands.
//
//===----------------------------------------------------------------------===//
#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/IR/LayerInfo.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace alexc::nn;

#include "Dialect/NN/IR/NNInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "Dialect/NN/IR/NNOps.cpp.inc"

namespace {
using Dims = SmallVector<int64_t, 4>;
constexpr int64_t kDyn = ShapedType::kDynamic;

bool isDyn(int64_t d) { return ShapedType::isDynamic(d); }
ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}
std::string pairStr(ArrayRef<int64_t> v) {
  return llvm::formatv("[{0}]", llvm::make_range(v.begin(), v.end())).str();
}
std::string windowStr(ArrayRef<int64_t> v) {
  return llvm::formatv("{0}x{1}", v[0], v[1]).str();
}
std::string shapeStr(ArrayRef<int64_t> dims) {
  std::string s;
  for (auto [i, d] : llvm::enumerate(dims))
    s += (i ? "x" : "") + (isDyn(d) ? std::string("?") : std::to_string(d));
  return s;
}

/// Both static and different.
bool conflict(int64_t a, int64_t b) { return !isDyn(a) && !isDyn(b) && a != b; }

/// Checks a (height, width) attribute: two values, each positive (or
/// non-negative when `allowZero`).
LogicalResult verifyPair(Operation *op, StringRef name, ArrayRef<int64_t> v,
                         bool allowZero) {
  if (v.size() != 2)
    return op->emitOpError()
           << "'" << name << "' must have 2 values (height, width), got "
           << v.size();
  for (int64_t x : v)
    if (x < 0 || (!allowZero && x == 0))
      return op->emitOpError() << "'" << name << "' must be "
                               << (allowZero ? "non-negative" : "positive")
                               << ", got " << pairStr(v);
  return success();
}

/// Output extent of a window sliding over a padded input; kDyn when the input
/// extent is dynamic, 0 or less when the window does not fit.
int64_t slide(int64_t in, int64_t k, int64_t s, int64_t p) {
  if (isDyn(in))
    return kDyn;
  if (in + 2 * p < k)
    return 0;
  return (in + 2 * p - k) / s + 1;
}

/// Spatial output size of a window op on a 4-D input, or an error that says
/// which input and window do not fit. `prefix` starts the message.
FailureOr<std::pair<int64_t, int64_t>>
slideWindow(function_ref<InFlightDiagnostic()> emitError, StringRef prefix,
            ArrayRef<int64_t> in, ArrayRef<int64_t> window,
            ArrayRef<int64_t> strides, ArrayRef<int64_t> padding) {
  int64_t oh = slide(in[2], window[0], strides[0], padding[0]);
  int64_t ow = slide(in[3], window[1], strides[1], padding[1]);
  if (oh == 0 || ow == 0) {
    auto diag = emitError();
    diag << prefix << "input " << formatDims(in);
    if (padding[0] || padding[1])
      diag << " (padded by " << pairStr(padding) << ")";
    diag << " is smaller than the " << windowStr(window) << " window";
    return failure();
  }
  return std::make_pair(oh, ow);
}

/// Checks that a static result dimension matches the one the op computes.
LogicalResult verifyResult(Operation *op, ArrayRef<int64_t> expected) {
  auto actual = shapeOf(op->getResult(0));
  for (auto [i, e] : llvm::enumerate(expected))
    if (conflict(e, actual[i]))
      return op->emitOpError()
             << "result has shape " << shapeStr(actual)
             << " but the operands give " << shapeStr(expected)
             << " (dimension " << i << ")";
  return success();
}

/// Gives a block argument (a parameter or an input) the dimension `value` at
/// `dim` when it is still dynamic there.
void refineArgument(Value v, unsigned dim, int64_t value) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!isa<BlockArgument>(v) || !type.isDynamicDim(dim) || isDyn(value))
    return;
  Dims shape(type.getShape());
  shape[dim] = value;
  v.setType(RankedTensorType::get(shape, type.getElementType()));
}

void setResultShape(Operation *op, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  op->getResult(0).setType(RankedTensorType::get(shape, type.getElementType()));
}

/// Checks the bias against the output channels of the weight.
LogicalResult verifyBias(Operation *op, Value bias, Value weight) {
  if (!bias)
    return success();
  int64_t b = shapeOf(bias)[0], o = shapeOf(weight)[0];
  if (conflict(b, o))
    return op->emitOpError() << "bias has " << b << " elements but weight has "
                             << o << " outputs (dimension 0)";
  return success();
}

std::function<InFlightDiagnostic()> layerError(Operation *op) {
  return [op] { return op->emitError() << describeLayer(op) << ": "; };
}
} // namespace

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::verify() {
  if (failed(verifyPair(*this, "strides", getStrides(), false)) ||
      failed(verifyPair(*this, "padding", getPadding(), true)))
    return failure();
  auto in = shapeOf(getInput()), w = shapeOf(getWeight());
  if (conflict(in[1], w[1]))
    return emitOpError() << "weight has " << w[1]
                         << " input channels (dimension 1) but input has "
                         << in[1] << " channels (dimension 1)";
  if (failed(verifyBias(*this, getBias(), getWeight())))
    return failure();
  if (isDyn(w[2]) || isDyn(w[3]))
    return emitOpError() << "weight must have a static kernel size, got "
                         << shapeStr(w);
  auto spatial = slideWindow([&] { return emitOpError(); }, "", in,
                             {w[2], w[3]}, getStrides(), getPadding());
  if (failed(spatial))
    return failure();
  return verifyResult(*this, {in[0], w[0], spatial->first, spatial->second});
}

LogicalResult Conv2DOp::inferShapes() {
  auto in = shapeOf(getInput());
  refineArgument(getWeight(), 1, in[1]);
  auto w = shapeOf(getWeight());
  auto spatial = slideWindow(layerError(*this), "", in, {w[2], w[3]},
                             getStrides(), getPadding());
  if (failed(spatial))
    return failure();
  setResultShape(*this, {in[0], w[0], spatial->first, spatial->second});
  return success();
}

//===----------------------------------------------------------------------===//
// max_pool2d, avg_pool2d
//===----------------------------------------------------------------------===//

template <typename PoolOp> static LogicalResult verifyPool(PoolOp op) {
  if (failed(verifyPair(op, "window", op.getWindow(), false)) ||
      failed(verifyPair(op, "strides", op.getStrides(), false)) ||
      failed(verifyPair(op, "padding", op.getPadding(), true)))
    return failure();
  auto window = op.getWindow(), padding = op.getPadding();
  for (int i = 0; i < 2; ++i)
    if (2 * padding[i] > window[i])
      return op.emitOpError()
             << "padding " << pairStr(padding)
             << " must be at most half of the window " << windowStr(window);
  auto in = shapeOf(op.getInput());
  auto spatial = slideWindow([&] { return op.emitOpError(); }, "", in, window,
                             op.getStrides(), padding);
  if (failed(spatial))
    return failure();
  return verifyResult(op, {in[0], in[1], spatial->first, spatial->second});
}

template <typename PoolOp> static LogicalResult inferPoolShapes(PoolOp op) {
  auto in = shapeOf(op.getInput());
  auto spatial = slideWindow(layerError(op), "", in, op.getWindow(),
                             op.getStrides(), op.getPadding());
  if (failed(spatial))
    return failure();
  setResultShape(op, {in[0], in[1], spatial->first, spatial->second});
  return success();
}

LogicalResult MaxPool2DOp::verify() { return verifyPool(*this); }
LogicalResult MaxPool2DOp::inferShapes() { return inferPoolShapes(*this); }
LogicalResult AvgPool2DOp::verify() { return verifyPool(*this); }
LogicalResult AvgPool2DOp::inferShapes() { return inferPoolShapes(*this); }

//===----------------------------------------------------------------------===//
// dense, flatten
//===----------------------------------------------------------------------===//

LogicalResult DenseOp::verify() {
  auto in = shapeOf(getInput()), w = shapeOf(getWeight());
  if (conflict(in[1], w[1]))
    return emitOpError() << "weight has " << w[1]
                         << " input features (dimension 1) but input has "
                         << in[1] << " features (dimension 1)";
  if (failed(verifyBias(*this, getBias(), getWeight())))
    return failure();
  return verifyResult(*this, {in[0], w[0]});
}

LogicalResult DenseOp::inferShapes() {
  auto in = shapeOf(getInput());
  if (in[1] == 0)
    return layerError(*this)() << "input has no features";
  refineArgument(getWeight(), 1, in[1]);
  setResultShape(*this, {in[0], shapeOf(getWeight())[0]});
  return success();
}

static int64_t flattenedSize(ArrayRef<int64_t> in) {
  int64_t n = 1;
  for (int64_t d : in.drop_front()) {
    if (isDyn(d))
      return kDyn;
    n *= d;
  }
  return n;
}

LogicalResult FlattenOp::verify() {
  auto in = shapeOf(getInput());
  if (in.size() < 2)
    return emitOpError() << "input must have a batch dimension and at least "
                            "one more, got rank "
                         << in.size();
  return verifyResult(*this, {in[0], flattenedSize(in)});
}

LogicalResult FlattenOp::inferShapes() {
  auto in = shapeOf(getInput());
  setResultShape(*this, {in[0], flattenedSize(in)});
  return success();
}

//===----------------------------------------------------------------------===//
// global_avg_pool2d, add, concat: the ops that join or reduce a graph's values
//===----------------------------------------------------------------------===//

LogicalResult GlobalAvgPool2DOp::verify() {
  auto in = shapeOf(getInput());
  if (in[2] == 0 || in[3] == 0)
    return emitOpError() << "input has an empty plane " << formatDims(in);
  return verifyResult(*this, {in[0], in[1], 1, 1});
}

LogicalResult GlobalAvgPool2DOp::inferShapes() {
  auto in = shapeOf(getInput());
  setResultShape(*this, {in[0], in[1], 1, 1});
  return success();
}

/// The first dimension, other than `skip`, where two shapes disagree
/// (both static), or -1.
static int64_t conflictingDim(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                              int64_t skip = -1) {
  if (a.size() != b.size())
    return 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (int64_t(i) != skip && conflict(a[i], b[i]))
      return int64_t(i);
  return -1;
}

LogicalResult AddOp::verify() {
  auto a = shapeOf(getLhs()), b = shapeOf(getRhs());
  int64_t d = conflictingDim(a, b);
  // Before shape inference only the channels may be known.
  if (d == 1 && a.size() == b.size())
    return emitError() << describeLayer(*this)
                       << ": inputs have different channels (dimension 1), "
                       << a[1] << " and " << b[1];
  if (d >= 0)
    return emitError() << describeLayer(*this)
                       << ": inputs have different shapes " << shapeStr(a)
                       << " and " << shapeStr(b);
  if (conflictingDim(a, shapeOf(getResult())) >= 0)
    return emitOpError() << "result has shape "
                         << shapeStr(shapeOf(getResult()))
                         << " but the operands have " << shapeStr(a);
  return success();
}

LogicalResult AddOp::inferShapes() {
  if (getLhs().getType() != getRhs().getType())
    return layerError(*this)()
           << "inputs have different shapes " << shapeStr(shapeOf(getLhs()))
           << " and " << shapeStr(shapeOf(getRhs()));
  getResult().setType(getLhs().getType());
  return success();
}

/// The result shape of a concat: the inputs' shape with dimension 1 summed
/// (dynamic if any input's is).
static Dims concatShape(ValueRange inputs) {
  Dims out(shapeOf(inputs[0]));
  out[1] = 0;
  for (Value v : inputs) {
    int64_t d = shapeOf(v)[1];
    out[1] = isDyn(d) || isDyn(out[1]) ? kDyn : out[1] + d;
  }
  return out;
}

/// "2x3x4x4, 2x5x4x4": the shapes of the inputs, for messages.
static std::string shapeList(ValueRange inputs) {
  std::string s;
  for (Value v : inputs)
    s += (s.empty() ? "" : ", ") + shapeStr(shapeOf(v));
  return s;
}

LogicalResult ConcatOp::verify() {
  ValueRange in = getInputs();
  if (in.size() < 2)
    return emitOpError() << "needs two or more inputs, got " << in.size();
  size_t rank = shapeOf(in[0]).size();
  if (rank != 2 && rank != 4)
    return emitOpError() << "inputs must be 2-D or 4-D, got rank " << rank;
  for (Value v : in)
    if (conflictingDim(shapeOf(in[0]), shapeOf(v), 1) >= 0)
      return emitError() << describeLayer(*this)
                         << ": inputs must agree in every dimension but "
                            "channels (dimension 1), got "
                         << shapeList(in);
  return verifyResult(*this, concatShape(in));
}

LogicalResult ConcatOp::inferShapes() {
  ValueRange in = getInputs();
  for (Value v : in)
    if (shapeOf(v).size() != shapeOf(in[0]).size() ||
        conflictingDim(shapeOf(in[0]), shapeOf(v), 1) >= 0)
      return layerError(*this)()
             << "inputs must agree in every dimension but channels "
                "(dimension 1), got "
             << shapeList(in);
  setResultShape(*this, concatShape(in));
  return success();
}

LogicalResult SliceOp::verify() {
  auto in = shapeOf(getInput()), out = shapeOf(getOutput());
  if (in.size() != out.size() || in.size() < 2)
    return emitOpError() << "input and result must have one rank of 2 or more";
  if (conflictingDim(in, out, 1) >= 0)
    return emitOpError() << "result " << shapeStr(out)
                         << " must keep every dimension of the input "
                         << shapeStr(in) << " but dimension 1";
  int64_t offset = getOffset();
  if (offset < 0 ||
      (!isDyn(in[1]) && !isDyn(out[1]) && offset + out[1] > in[1]))
    return emitOpError() << "range [" << offset << ", " << offset << " + "
                         << out[1] << ") is outside dimension 1 of "
                         << shapeStr(in);
  return success();
}

//===----------------------------------------------------------------------===//
// Batch normalization
//===----------------------------------------------------------------------===//

/// A normalized input is 2-D or 4-D, and every per-channel vector has one
/// entry per channel (dimension 1).
static LogicalResult
verifyPerChannel(Operation *op, Value input,
                 ArrayRef<std::pair<StringRef, Value>> vectors) {
  auto in = shapeOf(input);
  if (in.size() != 2 && in.size() != 4)
    return op->emitOpError()
           << "input must be 2-D or 4-D, got rank " << in.size();
  for (auto [name, v] : vectors)
    if (v && conflict(shapeOf(v)[0], in[1]))
      return op->emitOpError() << name << " has " << shapeOf(v)[0]
                               << " entries but the input has " << in[1]
                               << " channels (dimension 1)";
  return success();
}

static LogicalResult verifyEpsilon(Operation *op, double epsilon) {
  if (!(epsilon > 0.0))
    return op->emitOpError() << "epsilon must be positive, got " << epsilon;
  return success();
}

LogicalResult BatchNormOp::verify() {
  double m = getMomentum().convertToDouble();
  if (!(m >= 0.0 && m < 1.0))
    return emitOpError() << "momentum must be in [0, 1), got " << m;
  if (failed(verifyEpsilon(*this, getEpsilon().convertToDouble())))
    return failure();
  return verifyPerChannel(*this, getInput(),
                          {{"running_mean", getRunningMean()},
                           {"running_var", getRunningVar()},
                           {"gamma", getGamma()},
                           {"beta", getBeta()}});
}

LogicalResult BatchNormOp::inferShapes() {
  int64_t channels = shapeOf(getInput())[1];
  for (Value v : {getRunningMean(), getRunningVar(), getGamma(), getBeta()})
    if (v)
      refineArgument(v, 0, channels);
  getResult().setType(getInput().getType());
  return success();
}

LogicalResult BatchNormTrainOp::verify() {
  if (failed(verifyEpsilon(*this, getEpsilon().convertToDouble())))
    return failure();
  if (getInput().getType() != getOutput().getType())
    return emitOpError() << "output must have the input's type";
  return verifyPerChannel(*this, getInput(),
                          {{"running_mean", getRunningMean()},
                           {"running_var", getRunningVar()},
                           {"gamma", getGamma()},
                           {"beta", getBeta()},
                           {"mean", getMean()},
                           {"invstd", getInvstd()}});
}

LogicalResult BatchNormInferenceOp::verify() {
  if (failed(verifyEpsilon(*this, getEpsilon().convertToDouble())))
    return failure();
  if (getInput().getType() != getOutput().getType())
    return emitOpError() << "output must have the input's type";
  return verifyPerChannel(*this, getInput(),
                          {{"mean", getMean()},
                           {"var", getVar()},
                           {"gamma", getGamma()},
                           {"beta", getBeta()}});
}

LogicalResult BatchNormGradOp::verify() {
  if (getInput().getType() != getOutputGrad().getType() ||
      getInput().getType() != getInputGrad().getType())
    return emitOpError()
           << "input, output gradient and input gradient must have one type";
  return verifyPerChannel(*this, getInput(),
                          {{"mean", getMean()},
                           {"invstd", getInvstd()},
                           {"gamma", getGamma()},
                           {"gamma_grad", getGammaGrad()},
                           {"beta_grad", getBetaGrad()}});
}

//===----------------------------------------------------------------------===//
// Elementwise ops keep their operand's type.
//===----------------------------------------------------------------------===//

// (The unary ops' inferShapes is defined by their class in NNOps.td.)

static LogicalResult verifyRate(Operation *op, double rate, int64_t stream);

LogicalResult DropoutOp::verify() {
  return verifyRate(*this, getRate().convertToDouble(),
                    static_cast<int64_t>(getStream()));
}

LogicalResult DropoutOp::inferShapes() {
  getResult().setType(getInput().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// Loss and metrics
//===----------------------------------------------------------------------===//

static LogicalResult verifyLabels(Operation *op, Value logits, Value labels) {
  int64_t n = shapeOf(logits)[0], m = shapeOf(labels)[0];
  if (conflict(n, m))
    return op->emitOpError() << "labels have " << m << " rows but logits have "
                             << n << " (dimension 0)";
  if (shapeOf(logits)[1] == 0)
    return op->emitOpError() << "logits must have at least one class";
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::verify() {
  return verifyLabels(*this, getLogits(), getLabels());
}
LogicalResult SoftmaxCrossEntropyOp::inferShapes() {
  refineArgument(getLabels(), 0, shapeOf(getLogits())[0]);
  return success();
}
LogicalResult CountCorrectOp::verify() {
  return verifyLabels(*this, getLogits(), getLabels());
}
LogicalResult CountCorrectOp::inferShapes() {
  refineArgument(getLabels(), 0, shapeOf(getLogits())[0]);
  return success();
}

//===----------------------------------------------------------------------===//
// Gradient ops
//===----------------------------------------------------------------------===//

namespace {
/// Checks that `actual[dims[i]] == expected[i]` where both are static.
LogicalResult expectDim(Operation *op, StringRef what, ArrayRef<int64_t> actual,
                        unsigned dim, int64_t expected, StringRef why) {
  if (conflict(actual[dim], expected))
    return op->emitOpError()
           << what << " has " << actual[dim] << " at dimension " << dim
           << " but " << why << " gives " << expected;
  return success();
}

/// A window op's output spatial size from its (static) input size must be
/// the output gradient's.
LogicalResult verifyWindowShapes(Operation *op, ArrayRef<int64_t> in,
                                 ArrayRef<int64_t> out,
                                 ArrayRef<int64_t> window,
                                 ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> padding) {
  auto spatial = slideWindow([&] { return op->emitOpError(); }, "", in, window,
                             strides, padding);
  if (failed(spatial))
    return failure();
  if (conflict(spatial->first, out[2]) || conflict(spatial->second, out[3]))
    return op->emitOpError()
           << "output gradient is " << formatDims(out) << " but an input of "
           << formatDims(in) << " gives " << spatial->first << "x"
           << spatial->second << " outputs";
  return success();
}

LogicalResult verifyWindowAttrs(Operation *op, ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> padding,
                                ArrayRef<int64_t> window = {}) {
  if (!window.empty() && failed(verifyPair(op, "window", window, false)))
    return failure();
  if (failed(verifyPair(op, "strides", strides, false)) ||
      failed(verifyPair(op, "padding", padding, true)))
    return failure();
  return success();
}

} // namespace
static LogicalResult verifyRate(Operation *op, double rate, int64_t stream) {
  if (!(rate >= 0.0 && rate < 1.0))
    return op->emitOpError() << "rate must be in [0, 1), got " << rate;
  if (stream < 0)
    return op->emitOpError() << "stream must be non-negative, got " << stream;
  return success();
}
namespace {

LogicalResult verifyStaticResult(Operation *op) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!type.hasStaticShape())
    return op->emitOpError() << "result must have a static shape, got " << type;
  return success();
}

LogicalResult verifyNonNegative(Operation *op, StringRef name, double v) {
  if (!(v >= 0.0))
    return op->emitOpError() << name << " must be non-negative, got " << v;
  return success();
}
} // namespace

LogicalResult Conv2DInputGradOp::verify() {
  if (failed(verifyWindowAttrs(*this, getStrides(), getPadding())))
    return failure();
  auto dy = shapeOf(getOutputGrad()), w = shapeOf(getWeight()),
       dx = shapeOf(getInputGrad());
  if (failed(expectDim(*this, "output gradient", dy, 1, w[0],
                       "the weight's dimension 0")) ||
      failed(expectDim(*this, "input gradient", dx, 1, w[1],
                       "the weight's dimension 1")) ||
      failed(expectDim(*this, "input gradient", dx, 0, dy[0],
                       "the output gradient's batch")))
    return failure();
  return verifyWindowShapes(*this, dx, dy, {w[2], w[3]}, getStrides(),
                            getPadding());
}

LogicalResult Conv2DWeightGradOp::verify() {
  if (failed(verifyWindowAttrs(*this, getStrides(), getPadding())))
    return failure();
  auto x = shapeOf(getInput()), dy = shapeOf(getOutputGrad()),
       dw = shapeOf(getWeightGrad());
  if (failed(expectDim(*this, "output gradient", dy, 0, x[0],
                       "the input's batch")) ||
      failed(expectDim(*this, "weight gradient", dw, 0, dy[1],
                       "the output gradient's channels")) ||
      failed(expectDim(*this, "weight gradient", dw, 1, x[1],
                       "the input's channels")))
    return failure();
  return verifyWindowShapes(*this, x, dy, {dw[2], dw[3]}, getStrides(),
                            getPadding());
}

LogicalResult BiasGradOp::verify() {
  auto dy = shapeOf(getOutputGrad());
  if (dy.size() < 2)
    return emitOpError() << "output gradient must have rank 2 or more, got "
                         << dy.size();
  return expectDim(*this, "bias gradient", shapeOf(getBiasGrad()), 0, dy[1],
                   "the output gradient's dimension 1");
}

LogicalResult MaxPool2DGradOp::verify() {
  if (failed(verifyWindowAttrs(*this, getStrides(), getPadding(), getWindow())))
    return failure();
  auto x = shapeOf(getInput()), dy = shapeOf(getOutputGrad());
  if (getInput().getType() != getInputGrad().getType())
    return emitOpError() << "input gradient must have the input's type";
  if (failed(expectDim(*this, "output gradient", dy, 0, x[0], "the input")) ||
      failed(expectDim(*this, "output gradient", dy, 1, x[1], "the input")))
    return failure();
  return verifyWindowShapes(*this, x, dy, getWindow(), getStrides(),
                            getPadding());
}

LogicalResult AvgPool2DGradOp::verify() {
  if (failed(verifyWindowAttrs(*this, getStrides(), getPadding(), getWindow())))
    return failure();
  auto dx = shapeOf(getInputGrad()), dy = shapeOf(getOutputGrad());
  if (failed(expectDim(*this, "output gradient", dy, 0, dx[0],
                       "the input gradient")) ||
      failed(expectDim(*this, "output gradient", dy, 1, dx[1],
                       "the input gradient")))
    return failure();
  return verifyWindowShapes(*this, dx, dy, getWindow(), getStrides(),
                            getPadding());
}

LogicalResult DenseInputGradOp::verify() {
  auto dy = shapeOf(getOutputGrad()), w = shapeOf(getWeight());
  if (failed(expectDim(*this, "output gradient", dy, 1, w[0],
                       "the weight's dimension 0")))
    return failure();
  return verifyResult(*this, {dy[0], w[1]});
}

LogicalResult DenseWeightGradOp::verify() {
  auto x = shapeOf(getInput()), dy = shapeOf(getOutputGrad());
  if (failed(expectDim(*this, "output gradient", dy, 0, x[0],
                       "the input's batch")))
    return failure();
  return verifyResult(*this, {dy[1], x[1]});
}

LogicalResult DropoutGradOp::verify() {
  return verifyRate(*this, getRate().convertToDouble(),
                    static_cast<int64_t>(getStream()));
}

LogicalResult SoftmaxCrossEntropyGradOp::verify() {
  return verifyLabels(*this, getLogits(), getLabels());
}

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  if (in.hasStaticShape() && out.hasStaticShape() &&
      in.getNumElements() != out.getNumElements())
    return emitOpError() << "input has " << in.getNumElements()
                         << " elements but the result has "
                         << out.getNumElements();
  return success();
}

//===----------------------------------------------------------------------===//
// Optimizer updates and initialization
//===----------------------------------------------------------------------===//

LogicalResult SGDUpdateOp::verify() {
  return verifyNonNegative(*this, "weight_decay",
                           getWeightDecay().convertToDouble());
}

LogicalResult SGDMomentumUpdateOp::verify() {
  double momentum = getMomentum().convertToDouble();
  if (failed(verifyNonNegative(*this, "momentum", momentum)) ||
      failed(verifyNonNegative(*this, "weight_decay",
                               getWeightDecay().convertToDouble())))
    return failure();
  if (getNesterov() && momentum == 0.0)
    return emitOpError() << "nesterov needs a positive momentum";
  return success();
}

LogicalResult AdamUpdateOp::verify() {
  for (auto [name, v] :
       {std::pair<StringRef, double>{"beta1", getBeta1().convertToDouble()},
        {"beta2", getBeta2().convertToDouble()}})
    if (!(v >= 0.0 && v < 1.0))
      return emitOpError() << name << " must be in [0, 1), got " << v;
  if (!(getEpsilon().convertToDouble() > 0.0))
    return emitOpError() << "epsilon must be positive";
  return verifyNonNegative(*this, "weight_decay",
                           getWeightDecay().convertToDouble());
}

LogicalResult RandomUniformOp::verify() {
  if (!(getBound().convertToDouble() > 0.0))
    return emitOpError() << "bound must be positive";
  if (static_cast<int64_t>(getStream()) < 0)
    return emitOpError() << "stream must be non-negative";
  return verifyStaticResult(*this);
}

LogicalResult RandomNormalOp::verify() {
  if (!(getStddev().convertToDouble() > 0.0))
    return emitOpError() << "stddev must be positive";
  if (static_cast<int64_t>(getStream()) < 0)
    return emitOpError() << "stream must be non-negative";
  return verifyStaticResult(*this);
}

LogicalResult ZerosOp::verify() { return verifyStaticResult(*this); }
LogicalResult OnesOp::verify() { return verifyStaticResult(*this); }
