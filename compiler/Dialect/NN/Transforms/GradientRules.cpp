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

LogicalResult emitOperandGradients(OpBuilder &b, Operation *op, Value dy,
                                   ArrayRef<bool> needed,
                                   SmallVectorImpl<Value> &grads) {
  grads.assign(op->getNumOperands(), Value());
  Location loc = op->getLoc();
  auto need = [&](unsigned i) { return i < needed.size() && needed[i]; };
  auto typeOf = [&](unsigned i) { return op->getOperand(i).getType(); };

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](Conv2DOp conv) {
        if (need(0))
          grads[0] = b.create<Conv2DInputGradOp>(
              loc, typeOf(0), dy, conv.getWeight(), conv.getStridesAttr(),
              conv.getPaddingAttr());
        if (need(1))
          grads[1] = b.create<Conv2DWeightGradOp>(
              loc, typeOf(1), conv.getInput(), dy, conv.getStridesAttr(),
              conv.getPaddingAttr());
        if (conv.getBias() && need(2))
          grads[2] = b.create<BiasGradOp>(loc, typeOf(2), dy);
        return success();
      })
      .Case([&](DenseOp dense) {
        if (need(0))
          grads[0] =
              b.create<DenseInputGradOp>(loc, typeOf(0), dy, dense.getWeight());
        if (need(1))
          grads[1] =
              b.create<DenseWeightGradOp>(loc, typeOf(1), dense.getInput(), dy);
        if (dense.getBias() && need(2))
          grads[2] = b.create<BiasGradOp>(loc, typeOf(2), dy);
        return success();
      })
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
      .Case([&](BatchNormTrainOp bn) {
        // One kernel gives all three; unneeded ones are left unused.
        Value mean = bn.getMean(), invstd = bn.getInvstd();
        auto grad = b.create<BatchNormGradOp>(
            loc, TypeRange{typeOf(0), mean.getType(), mean.getType()},
            bn.getInput(), dy, mean, invstd, bn.getGamma());
        for (unsigned i = 0; i < bn->getNumOperands(); ++i) {
          Value operand = bn->getOperand(i);
          if (!need(i))
            continue;
          if (operand == bn.getInput())
            grads[i] = grad.getInputGrad();
          else if (operand == bn.getGamma())
            grads[i] = grad.getGammaGrad();
          else if (operand == bn.getBeta())
            grads[i] = grad.getBetaGrad();
        }
        return success();
      })
      .Case([&](ConcatOp concat) {
        int64_t offset = 0;
        for (unsigned i = 0; i < concat->getNumOperands(); ++i) {
          if (need(i))
            grads[i] = b.create<SliceOp>(loc, typeOf(i), dy,
                                         b.getI64IntegerAttr(offset));
          offset += cast<RankedTensorType>(typeOf(i)).getDimSize(1);
        }
        return success();
      })
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
