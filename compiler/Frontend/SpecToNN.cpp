//===- SpecToNN.cpp - Model spec to the nn dialect ------------------------===//
#include "Frontend/SpecToNN.h"
#include "Dialect/NN/IR/LayerInfo.h"
#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/IR/StepSignature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;

namespace alexc {
namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

class ForwardBuilder {
public:
  ForwardBuilder(MLIRContext &ctx, const ModelSpec &spec)
      : ctx(ctx), spec(spec), b(&ctx) {}

  OwningOpRef<ModuleOp> build() {
    OwningOpRef<ModuleOp> module =
        ModuleOp::create(b.getUnknownLoc(), StringRef(spec.name));
    (*module)->setAttr("nn.batch_size", b.getI64IntegerAttr(spec.stepBatch()));
    (*module)->setAttr("nn.epochs", b.getI64IntegerAttr(spec.epochs));
    (*module)->setAttr(nn::kInitializerAttrName, initializerAttr());
    (*module)->setAttr(nn::kOptimizerAttrName, optimizerAttr());
    b.setInsertionPointToEnd(module.get().getBody());
    buildForward();
    buildLoss();
    return module;
  }

private:
  Type f32() { return b.getF32Type(); }
  RankedTensorType tensor(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, f32());
  }

  /// How a parameter or buffer starts (`nn.init`; the default is the
  /// spec's initializer for weights, zeros for vectors).
  enum class Start { Default, Ones };

  /// Adds a parameter argument to @forward; a buffer (`nn.buffer`: batch
  /// norm's running statistics) is state that training updates without a
  /// gradient.
  Value param(const LayerSpec &l, StringRef what, ArrayRef<int64_t> shape,
              Start start = Start::Default, bool buffer = false) {
    Block &entry = forward.getBody().front();
    // Parameters come before the images, seed and step.
    unsigned pos = entry.getNumArguments() - 3;
    SmallVector<NamedAttribute> attrs = {b.getNamedAttr(
        nn::step::kNameAttr, b.getStringAttr(l.name + "." + what))};
    if (start == Start::Ones)
      attrs.push_back(b.getNamedAttr("nn.init", b.getStringAttr("ones")));
    if (buffer)
      attrs.push_back(b.getNamedAttr("nn.buffer", b.getUnitAttr()));
    forward.insertArgument(pos, tensor(shape), b.getDictionaryAttr(attrs),
                           b.getUnknownLoc());
    return entry.getArgument(pos);
  }

  /// An activation is the nn op of the same name, an NN_UnaryOp (NNOps.td)
  /// that keeps its operand's type; the spec reader accepts only the names
  /// in activationNames(), each of which names such an op (the gradient checks
  /// build every one; an unknown name would fail verification).
  Value activation(Location loc, const std::string &kind, Value x) {
    if (kind.empty())
      return x;
    OperationState state(loc, "nn." + kind);
    state.addOperands(x);
    state.addTypes(x.getType());
    return b.create(state)->getResult(0);
  }

  void buildForward() {
    auto images = tensor({kDyn, spec.channels, spec.height, spec.width});
    auto i64 = b.getI64Type();
    forward = b.create<func::FuncOp>(b.getUnknownLoc(), nn::step::kForward,
                                     b.getFunctionType({images, i64, i64}, {}));
    Block *entry = forward.addEntryBlock();
    StringRef names[] = {nn::step::kImages, nn::step::kSeed, nn::step::kStep};
    for (unsigned i = 0; i < 3; ++i)
      forward.setArgAttr(i, nn::step::kNameAttr, b.getStringAttr(names[i]));

    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    // The value of each layer, by index; the spec's inputs pick from them.
    SmallVector<Value> layerValues;
    for (const LayerSpec &l : spec.layers) {
      SmallVector<Value> inputs;
      // The images follow the parameters added so far.
      Value images = entry->getArgument(entry->getNumArguments() - 3);
      for (int64_t i : l.inputs)
        inputs.push_back(i < 0 ? images : layerValues[i]);
      layerValues.push_back(buildLayer(l, inputs));
    }
    Value x = layerValues.back();
    b.create<func::ReturnOp>(b.getUnknownLoc(), x);
    forward.setType(
        b.getFunctionType(entry->getArgumentTypes(), {x.getType()}));
    classes = cast<RankedTensorType>(x.getType()).getDimSize(1);
  }

  /// Dimension `i` of a value's type (dynamic where not yet known).
  static int64_t dimOf(Value v, unsigned i) {
    return cast<RankedTensorType>(v.getType()).getDimSize(i);
  }
  static int64_t rankOf(Value v) {
    return cast<RankedTensorType>(v.getType()).getRank();
  }

  /// The ops of one layer on its inputs; returns its result.
  Value buildLayer(const LayerSpec &l, ArrayRef<Value> inputs) {
    Location loc =
        nn::makeLayerLoc(&ctx, {l.name, l.type, l.index, spec.sourcePath,
                                l.loc.line, l.loc.col});
    Block *entry = &forward.getBody().front();
    Value x = inputs[0];
    auto strides = b.getDenseI64ArrayAttr({l.strides.h, l.strides.w});
    auto padding = b.getDenseI64ArrayAttr({l.padding.h, l.padding.w});
    auto window = b.getDenseI64ArrayAttr({l.kernel.h, l.kernel.w});
    auto pooled = [&] { return tensor({kDyn, dimOf(x, 1), kDyn, kDyn}); };
    switch (l.kind) {
    case LayerKind::Conv2D: {
      Value w =
          param(l, "weight", {l.channels, dimOf(x, 1), l.kernel.h, l.kernel.w});
      Value bias = l.useBias ? param(l, "bias", {l.channels}) : Value();
      x = b.create<nn::Conv2DOp>(loc, tensor({kDyn, l.channels, kDyn, kDyn}), x,
                                 w, bias, strides, padding);
      return activation(loc, l.activation, x);
    }
    case LayerKind::MaxPool2D:
      return b.create<nn::MaxPool2DOp>(loc, pooled(), x, window, strides,
                                       padding);
    case LayerKind::AvgPool2D:
      return b.create<nn::AvgPool2DOp>(loc, pooled(), x, window, strides,
                                       padding);
    case LayerKind::GlobalAvgPool2D:
      return b.create<nn::GlobalAvgPool2DOp>(
          loc, tensor({kDyn, dimOf(x, 1), 1, 1}), x);
    case LayerKind::Flatten:
      return b.create<nn::FlattenOp>(loc, tensor({kDyn, kDyn}), x);
    case LayerKind::Dense: {
      // Gluon's Dense flattens a 4-D input implicitly.
      if (rankOf(x) != 2)
        x = b.create<nn::FlattenOp>(loc, tensor({kDyn, kDyn}), x);
      Value w = param(l, "weight", {l.units, dimOf(x, 1)});
      Value bias = l.useBias ? param(l, "bias", {l.units}) : Value();
      x = b.create<nn::DenseOp>(loc, tensor({kDyn, l.units}), x, w, bias);
      return activation(loc, l.activation, x);
    }
    case LayerKind::Dropout:
      return b.create<nn::DropoutOp>(
          loc, x.getType(), x, entry->getArgument(entry->getNumArguments() - 2),
          entry->getArgument(entry->getNumArguments() - 1),
          b.getF32FloatAttr(l.rate), b.getI64IntegerAttr(dropoutStream++));
    case LayerKind::Activation:
      return activation(loc, l.type, x);
    case LayerKind::BatchNorm: {
      // PyTorch's names: weight (gamma), bias (beta), running statistics.
      int64_t c = dimOf(x, 1);
      Value gamma = l.scale ? param(l, "weight", {c}, Start::Ones) : Value();
      Value beta = l.center ? param(l, "bias", {c}) : Value();
      Value mean = param(l, "running_mean", {c}, Start::Default, true);
      Value var = param(l, "running_var", {c}, Start::Ones, true);
      x = b.create<nn::BatchNormOp>(loc, x.getType(), x, mean, var, gamma, beta,
                                    b.getF64FloatAttr(l.momentum),
                                    b.getF64FloatAttr(l.epsilon));
      return activation(loc, l.activation, x);
    }
    case LayerKind::Add:
      // A chain of binary sums, then the activation.
      for (Value y : inputs.drop_front())
        x = b.create<nn::AddOp>(loc, x, y);
      return activation(loc, l.activation, x);
    case LayerKind::Concat: {
      SmallVector<int64_t> shape(
          cast<RankedTensorType>(x.getType()).getShape());
      shape[1] = 0;
      for (Value v : inputs)
        shape[1] = ShapedType::isDynamic(dimOf(v, 1)) ||
                           ShapedType::isDynamic(shape[1])
                       ? kDyn
                       : shape[1] + dimOf(v, 1);
      return b.create<nn::ConcatOp>(loc, tensor(shape), inputs);
    }
    }
    llvm_unreachable("every layer kind is built");
  }

  void buildLoss() {
    auto logits = tensor({kDyn, classes});
    auto labels = RankedTensorType::get({kDyn}, b.getI32Type());
    auto loss = RankedTensorType::get({}, f32());
    auto func =
        b.create<func::FuncOp>(b.getUnknownLoc(), nn::step::kLoss,
                               b.getFunctionType({logits, labels}, {loss}));
    Block *entry = func.addEntryBlock();
    func.setArgAttr(0, nn::step::kNameAttr, b.getStringAttr(nn::step::kLogits));
    func.setArgAttr(1, nn::step::kNameAttr, b.getStringAttr(nn::step::kLabels));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    Value l = b.create<nn::SoftmaxCrossEntropyOp>(
        b.getUnknownLoc(), loss, entry->getArgument(0), entry->getArgument(1));
    b.create<func::ReturnOp>(b.getUnknownLoc(), l);
  }

  nn::InitializerAttr initializerAttr() {
    const InitializerSpec &s = spec.initializer;
    return nn::InitializerAttr::get(&ctx, *nn::symbolizeInitializerKind(s.type),
                                    *nn::symbolizeDistribution(s.distribution),
                                    s.magnitude, s.sigma);
  }

  nn::OptimizerAttr optimizerAttr() {
    const OptimizerSpec &s = spec.optimizer;
    return nn::OptimizerAttr::get(&ctx, *nn::symbolizeOptimizerKind(s.type),
                                  s.learningRate, s.momentum, s.weightDecay,
                                  s.nesterov, s.beta1, s.beta2, s.epsilon);
  }

  MLIRContext &ctx;
  const ModelSpec &spec;
  OpBuilder b;
  func::FuncOp forward;
  int64_t classes = kDyn;
  int64_t dropoutStream = 0;
};

} // namespace

OwningOpRef<ModuleOp> buildNNModule(MLIRContext &ctx, const ModelSpec &spec) {
  ctx.loadDialect<nn::NNDialect, func::FuncDialect>();
  return ForwardBuilder(ctx, spec).build();
}

} // namespace alexc
