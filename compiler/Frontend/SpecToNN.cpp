//===- SpecToNN.cpp - Model spec to the nn dialect ------------------------===//
#include "Frontend/SpecToNN.h"
#include "Dialect/NN/IR/LayerInfo.h"
#include "Dialect/NN/IR/NNOps.h"

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
    (*module)->setAttr("nn.batch_size", b.getI64IntegerAttr(spec.batchSize));
    (*module)->setAttr("nn.epochs", b.getI64IntegerAttr(spec.epochs));
    (*module)->setAttr("nn.initializer", initializerAttr());
    (*module)->setAttr("nn.optimizer", optimizerAttr());
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

  /// Adds a parameter argument to @forward.
  Value param(const LayerSpec &l, StringRef what, ArrayRef<int64_t> shape) {
    Block &entry = forward.getBody().front();
    // Parameters come before the images, seed and step.
    unsigned pos = entry.getNumArguments() - 3;
    forward.insertArgument(
        pos, tensor(shape),
        b.getDictionaryAttr(
            b.getNamedAttr("nn.name", b.getStringAttr(l.name + "." + what))),
        b.getUnknownLoc());
    return entry.getArgument(pos);
  }

  /// An activation is the nn op of the same name, an NN_UnaryOp (NNOps.td)
  /// that keeps its operand's type; the spec reader accepts only the names
  /// in kActivations, each of which names such an op (the gradient checks
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
    forward = b.create<func::FuncOp>(b.getUnknownLoc(), "forward",
                                     b.getFunctionType({images, i64, i64}, {}));
    Block *entry = forward.addEntryBlock();
    const char *names[] = {"images", "seed", "step"};
    for (unsigned i = 0; i < 3; ++i)
      forward.setArgAttr(i, "nn.name", b.getStringAttr(names[i]));

    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    Value x = entry->getArgument(0);
    int64_t channels = spec.channels; // known without spatial sizes
    int64_t features = kDyn;          // after flatten/dense
    int64_t dropoutStream = 0;
    for (const LayerSpec &l : spec.layers) {
      Location loc = nn::makeLayerLoc(&ctx, {l.name, l.type, l.index});
      auto strides = b.getDenseI64ArrayAttr({l.strides.h, l.strides.w});
      auto padding = b.getDenseI64ArrayAttr({l.padding.h, l.padding.w});
      auto window = b.getDenseI64ArrayAttr({l.kernel.h, l.kernel.w});
      switch (l.kind) {
      case LayerKind::Conv2D: {
        Value w =
            param(l, "weight", {l.channels, channels, l.kernel.h, l.kernel.w});
        Value bias = l.useBias ? param(l, "bias", {l.channels}) : Value();
        x = b.create<nn::Conv2DOp>(loc, tensor({kDyn, l.channels, kDyn, kDyn}),
                                   x, w, bias, strides, padding);
        x = activation(loc, l.activation, x);
        channels = l.channels;
        break;
      }
      case LayerKind::MaxPool2D:
        x = b.create<nn::MaxPool2DOp>(loc, tensor({kDyn, channels, kDyn, kDyn}),
                                      x, window, strides, padding);
        break;
      case LayerKind::AvgPool2D:
        x = b.create<nn::AvgPool2DOp>(loc, tensor({kDyn, channels, kDyn, kDyn}),
                                      x, window, strides, padding);
        break;
      case LayerKind::Flatten:
        x = b.create<nn::FlattenOp>(loc, tensor({kDyn, kDyn}), x);
        break;
      case LayerKind::Dense: {
        // Gluon's Dense flattens a 4-D input implicitly.
        if (cast<RankedTensorType>(x.getType()).getRank() != 2) {
          x = b.create<nn::FlattenOp>(loc, tensor({kDyn, kDyn}), x);
          features = kDyn;
        }
        Value w = param(l, "weight", {l.units, features});
        Value bias = l.useBias ? param(l, "bias", {l.units}) : Value();
        x = b.create<nn::DenseOp>(loc, tensor({kDyn, l.units}), x, w, bias);
        x = activation(loc, l.activation, x);
        features = l.units;
        break;
      }
      case LayerKind::Dropout:
        x = b.create<nn::DropoutOp>(
            loc, x.getType(), x,
            entry->getArgument(entry->getNumArguments() - 2),
            entry->getArgument(entry->getNumArguments() - 1),
            b.getF32FloatAttr(l.rate), b.getI64IntegerAttr(dropoutStream++));
        break;
      case LayerKind::Activation:
        x = activation(loc, l.type, x);
        break;
      }
      if (l.kind == LayerKind::Flatten)
        features = kDyn;
    }
    b.create<func::ReturnOp>(b.getUnknownLoc(), x);
    forward.setType(
        b.getFunctionType(entry->getArgumentTypes(), {x.getType()}));
    classes = cast<RankedTensorType>(x.getType()).getDimSize(1);
  }

  void buildLoss() {
    auto logits = tensor({kDyn, classes});
    auto labels = RankedTensorType::get({kDyn}, b.getI32Type());
    auto loss = RankedTensorType::get({}, f32());
    auto func = b.create<func::FuncOp>(
        b.getUnknownLoc(), "loss", b.getFunctionType({logits, labels}, {loss}));
    Block *entry = func.addEntryBlock();
    func.setArgAttr(0, "nn.name", b.getStringAttr("logits"));
    func.setArgAttr(1, "nn.name", b.getStringAttr("labels"));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    Value l = b.create<nn::SoftmaxCrossEntropyOp>(
        b.getUnknownLoc(), loss, entry->getArgument(0), entry->getArgument(1));
    b.create<func::ReturnOp>(b.getUnknownLoc(), l);
  }

  DictionaryAttr initializerAttr() {
    const InitializerSpec &s = spec.initializer;
    SmallVector<NamedAttribute> attrs = {
        b.getNamedAttr("type", b.getStringAttr(s.type))};
    if (s.type == "xavier") {
      attrs.push_back(
          b.getNamedAttr("distribution", b.getStringAttr(s.distribution)));
      attrs.push_back(
          b.getNamedAttr("magnitude", b.getF64FloatAttr(s.magnitude)));
    } else {
      attrs.push_back(b.getNamedAttr("sigma", b.getF64FloatAttr(s.sigma)));
    }
    return b.getDictionaryAttr(attrs);
  }

  DictionaryAttr optimizerAttr() {
    const OptimizerSpec &s = spec.optimizer;
    SmallVector<NamedAttribute> attrs = {
        b.getNamedAttr("type", b.getStringAttr(s.type)),
        b.getNamedAttr("learning_rate", b.getF64FloatAttr(s.learningRate)),
        b.getNamedAttr("weight_decay", b.getF64FloatAttr(s.weightDecay))};
    if (s.type == "sgd") {
      attrs.push_back(
          b.getNamedAttr("momentum", b.getF64FloatAttr(s.momentum)));
      attrs.push_back(b.getNamedAttr("nesterov", b.getBoolAttr(s.nesterov)));
    } else {
      attrs.push_back(b.getNamedAttr("beta1", b.getF64FloatAttr(s.beta1)));
      attrs.push_back(b.getNamedAttr("beta2", b.getF64FloatAttr(s.beta2)));
      attrs.push_back(b.getNamedAttr("epsilon", b.getF64FloatAttr(s.epsilon)));
    }
    return b.getDictionaryAttr(attrs);
  }

  MLIRContext &ctx;
  const ModelSpec &spec;
  OpBuilder b;
  func::FuncOp forward;
  int64_t classes = kDyn;
};

} // namespace

OwningOpRef<ModuleOp> buildNNModule(MLIRContext &ctx, const ModelSpec &spec) {
  ctx.loadDialect<nn::NNDialect, func::FuncDialect>();
  return ForwardBuilder(ctx, spec).build();
}

} // namespace alexc
