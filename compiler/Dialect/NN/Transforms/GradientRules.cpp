//===- GradientRules.cpp - Reverse-mode rules of the nn ops ---------------===//
//
// One rule per differentiable op: given d(loss)/d(result), build
// d(loss)/d(operand) for the operands that need it. Gradient ops keep the
// location of the op they differentiate, so they still name its layer.
//
//===----------------------------------------------------------------------===//
#include "Dialect/NN/Transforms/GradientRules.h"
#include "Dialect/NN/IR/NNOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace alexc::nn {

namespace {

/// One op's rule being applied: its output gradient `dy`, the operands
/// whose gradients are wanted, and where they go.
struct Rule {
  OpBuilder &b;
  Operation *op;
  Value dy;
  ArrayRef<bool> needed;
  SmallVectorImpl<Value> &grads;

  bool need(unsigned i) const { return i < needed.size() && needed[i]; }
  Type typeOf(unsigned i) const { return op->getOperand(i).getType(); }
  Location loc() const { return op->getLoc(); }
};

LogicalResult convGradients(Rule &r, Conv2DOp conv) {
  if (r.need(0))
    r.grads[0] = r.b.create<Conv2DInputGradOp>(
        r.loc(), r.typeOf(0), r.dy, conv.getWeight(), conv.getStridesAttr(),
        conv.getPaddingAttr());
  if (r.need(1))
    r.grads[1] = r.b.create<Conv2DWeightGradOp>(
        r.loc(), r.typeOf(1), conv.getInput(), r.dy, conv.getStridesAttr(),
        conv.getPaddingAttr());
  if (conv.getBias() && r.need(2))
    r.grads[2] = r.b.create<BiasGradOp>(r.loc(), r.typeOf(2), r.dy);
  return success();
}

LogicalResult denseGradients(Rule &r, DenseOp dense) {
  if (r.need(0))
    r.grads[0] = r.b.create<DenseInputGradOp>(r.loc(), r.typeOf(0), r.dy,
                                              dense.getWeight());
  if (r.need(1))
    r.grads[1] = r.b.create<DenseWeightGradOp>(r.loc(), r.typeOf(1),
                                               dense.getInput(), r.dy);
  if (dense.getBias() && r.need(2))
    r.grads[2] = r.b.create<BiasGradOp>(r.loc(), r.typeOf(2), r.dy);
  return success();
}

/// One kernel gives all three; unneeded ones are left unused.
LogicalResult batchNormGradients(Rule &r, BatchNormTrainOp bn) {
  Value mean = bn.getMean(), invstd = bn.getInvstd();
  auto grad = r.b.create<BatchNormGradOp>(
      r.loc(), TypeRange{r.typeOf(0), mean.getType(), mean.getType()},
      bn.getInput(), r.dy, mean, invstd, bn.getGamma());
  for (unsigned i = 0; i < bn->getNumOperands(); ++i) {
    Value operand = bn->getOperand(i);
    if (!r.need(i))
      continue;
    if (operand == bn.getInput())
      r.grads[i] = grad.getInputGrad();
    else if (operand == bn.getGamma())
      r.grads[i] = grad.getGammaGrad();
    else if (operand == bn.getBeta())
      r.grads[i] = grad.getBetaGrad();
  }
  return success();
}

LogicalResult concatGradients(Rule &r, ConcatOp concat) {
  int64_t offset = 0;
  for (unsigned i = 0; i < concat->getNumOperands(); ++i) {
    if (r.need(i))
      r.grads[i] = r.b.create<SliceOp>(r.loc(), r.typeOf(i), r.dy,
                                       r.b.getI64IntegerAttr(offset));
    offset += cast<RankedTensorType>(r.typeOf(i)).getDimSize(1);
  }
  return success();
}

} // namespace

LogicalResult emitOperandGradients(OpBuilder &b, Operation *op, Value dy,
                                   ArrayRef<bool> needed,
                                   SmallVectorImpl<Value> &grads) {
  grads.assign(op->getNumOperands(), Value());
  Rule r{b, op, dy, needed, grads};
  Location loc = op->getLoc();
  auto need = [&](unsigned i) { return r.need(i); };
  auto typeOf = [&](unsigned i) { return r.typeOf(i); };

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](Conv2DOp conv) { return convGradients(r, conv); })
      .Case([&](DenseOp dense) { return denseGradients(r, dense); })
      .Case([&](MaxPool2DOp pool) {
        if (need(0))
          grads[0] = b.create<MaxPool2DGradOp>(
              loc, typeOf(0), pool.getInput(), dy, pool.getWindowAttr(),
              pool.getStridesAttr(), pool.getPaddingAttr());
        return success();
      })
      .Case([&](AvgPool2DOp pool) {
        if (need(0))
          grads[0] = b.create<AvgPool2DGradOp>(
              loc, typeOf(0), dy, pool.getWindowAttr(), pool.getStridesAttr(),
              pool.getPaddingAttr());
        return success();
      })
      .Case([&](GlobalAvgPool2DOp pool) {
        // The mean over the plane is average pooling with the plane as window.
        auto in = cast<RankedTensorType>(typeOf(0)).getShape();
        auto plane = b.getDenseI64ArrayAttr({in[2], in[3]});
        if (need(0))
          grads[0] = b.create<AvgPool2DGradOp>(loc, typeOf(0), dy, plane, plane,
                                               b.getDenseI64ArrayAttr({0, 0}));
        return success();
      })
      .Case([&](BatchNormTrainOp bn) { return batchNormGradients(r, bn); })
      .Case([&](ConcatOp concat) { return concatGradients(r, concat); })
      .Case<FlattenOp, ReshapeOp>([&](Operation *) {
        if (need(0))
          grads[0] = b.create<ReshapeOp>(loc, typeOf(0), dy);
        return success();
      })
      .Case([&](ReluOp relu) {
        if (need(0))
          grads[0] = b.create<ReluGradOp>(loc, relu.getOutput(), dy);
        return success();
      })
      .Case([&](SigmoidOp sigmoid) {
        if (need(0))
          grads[0] = b.create<SigmoidGradOp>(loc, sigmoid.getOutput(), dy);
        return success();
      })
      .Case([&](TanhOp tanh) {
        if (need(0))
          grads[0] = b.create<TanhGradOp>(loc, tanh.getOutput(), dy);
        return success();
      })
      .Case([&](DropoutOp drop) {
        if (need(0))
          grads[0] =
              b.create<DropoutGradOp>(loc, dy, drop.getSeed(), drop.getStep(),
                                      drop.getRateAttr(), drop.getStreamAttr());
        return success();
      })
      .Case([&](AddOp) {
        for (unsigned i = 0; i < 2; ++i)
          if (need(i))
            grads[i] = dy;
        return success();
      })
      .Default([&](Operation *other) {
        return other->emitError() << "nn-autodiff: no gradient rule for '"
                                  << other->getName() << "'";
      });
}

} // namespace alexc::nn
