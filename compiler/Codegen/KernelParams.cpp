//===- KernelParams.cpp - Kernel parameters both back ends pass -----------===//
#include "Codegen/KernelParams.h"
#include "Codegen/ElementwiseChain.h"
#include "Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace alexc::codegen {

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

std::string convGeometry(Operation *op) {
  // The input, weight and output shapes of the forward convolution.
  ArrayRef<int64_t> x, w, y;
  if (auto o = dyn_cast<nn::Conv2DOp>(op))
    x = shapeOf(o.getInput()), w = shapeOf(o.getWeight()),
    y = shapeOf(o.getOutput());
  else if (auto o = dyn_cast<nn::Conv2DInputGradOp>(op))
    x = shapeOf(o.getInputGrad()), w = shapeOf(o.getWeight()),
    y = shapeOf(o.getOutputGrad());
  else if (auto o = dyn_cast<nn::Conv2DWeightGradOp>(op))
    x = shapeOf(o.getInput()), w = shapeOf(o.getWeightGrad()),
    y = shapeOf(o.getOutputGrad());
  else
    return "ConvGeom{/* not a convolution */}";
  auto s = op->getAttrOfType<DenseI64ArrayAttr>("strides");
  auto p = op->getAttrOfType<DenseI64ArrayAttr>("padding");
  return llvm::formatv("ConvGeom{{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, "
                       "{9}, {10}, {11}, {12}}",
                       x[0], x[1], x[2], x[3], w[0], w[2], w[3], s[0], s[1],
                       p[0], p[1], y[2], y[3])
      .str();
}

std::string poolGeometry(Operation *op) {
  bool grad = isa<nn::MaxPool2DGradOp, nn::AvgPool2DGradOp>(op);
  Value in = grad ? op->getResult(0) : op->getOperand(0);
  Value out =
      grad ? op->getOperand(op->getNumOperands() - 1) : op->getResult(0);
  auto x = shapeOf(in), y = shapeOf(out);
  // A global pool's window, and stride, is the whole plane.
  SmallVector<int64_t, 2> k = {x[2], x[3]}, s = k, p = {0, 0};
  if (!isa<nn::GlobalAvgPool2DOp>(op)) {
    k = SmallVector<int64_t, 2>(
        op->getAttrOfType<DenseI64ArrayAttr>("window").asArrayRef());
    s = SmallVector<int64_t, 2>(
        op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef());
    p = SmallVector<int64_t, 2>(
        op->getAttrOfType<DenseI64ArrayAttr>("padding").asArrayRef());
  }
  return llvm::formatv("PoolGeom{{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, "
                       "{9}, {10}, {11}}",
                       x[0], x[1], x[2], x[3], k[0], k[1], s[0], s[1], p[0],
                       p[1], y[2], y[3])
      .str();
}

std::string normGeometry(Value input) {
  auto x = shapeOf(input);
  int64_t inner = 1;
  for (int64_t d : x.drop_front(2))
    inner *= d;
  return llvm::formatv("NormGeom{{{0}, {1}, {2}}", x[0], x[1], inner).str();
}

std::string blockCopy(int64_t rows, int64_t count, int64_t srcStride,
                      int64_t srcOffset, int64_t dstStride, int64_t dstOffset) {
  return llvm::formatv("BlockCopy{{{0}, {1}, {2}, {3}, {4}, {5}}", rows, count,
                       srcStride, srcOffset, dstStride, dstOffset)
      .str();
}

std::string biasGradArgs(Operation *biasGrad, const FunctionLocations &locs) {
  Value dy = biasGrad->getOperand(0);
  auto shape = shapeOf(dy);
  int64_t inner = 1;
  for (int64_t d : shape.drop_front(2))
    inner *= d;
  return llvm::formatv("{0}, {1}, {2}, {3}, {4}", shape[0], shape[1], inner,
                       locs.pointer(dy), locs.pointer(biasGrad->getResult(0)))
      .str();
}

std::string lossArgs(kernel::LaunchOp launch, const FunctionLocations &locs) {
  std::string loss = "nullptr", correct = "nullptr", grad = "nullptr";
  Value logits, labels;
  for (Operation &o : launch.getBlock().without_terminator()) {
    if (isa<nn::SoftmaxCrossEntropyOp>(o))
      loss = locs.pointer(o.getResult(0));
    else if (isa<nn::CountCorrectOp>(o))
      correct = locs.pointer(o.getResult(0));
    else if (isa<nn::SoftmaxCrossEntropyGradOp>(o))
      grad = locs.pointer(o.getResult(0));
    else
      continue;
    logits = o.getOperand(0), labels = o.getOperand(1);
  }
  auto l = shapeOf(logits);
  return llvm::formatv("{0}, {1}, {2}, {3}, {4}, {5}, {6}", l[0], l[1],
                       locs.pointer(logits), locs.pointer(labels), loss,
                       correct, grad)
      .str();
}

Value updatedInput(OpResult result) {
  auto op = cast<nn::KernelOp>(result.getOwner());
  return op->getOperand(*op.getUpdatedOperand(result.getResultNumber()));
}

std::string updateEntries(kernel::LaunchOp launch,
                          const FunctionLocations &locs, int &count) {
  std::string text;
  llvm::raw_string_ostream s(text);
  count = 0;
  for (Operation &o : launch.getBlock().without_terminator()) {
    auto d = [&](StringRef name) {
      auto a = o.getAttrOfType<FloatAttr>(name);
      return a ? floatLiteral(a.getValueAsDouble()) : std::string("0.f");
    };
    auto nesterov = o.getAttrOfType<BoolAttr>("nesterov");
    std::string kind = isa<nn::SGDUpdateOp>(o)           ? "SGD"
                       : isa<nn::SGDMomentumUpdateOp>(o) ? "Momentum"
                                                         : "Adam";
    std::string s1 =
        o.getNumResults() > 1 ? locs.pointer(o.getResult(1)) : "nullptr";
    std::string s2 =
        o.getNumResults() > 2 ? locs.pointer(o.getResult(2)) : "nullptr";
    s << "      {UpdateKind::" << kind << ", " << locs.pointer(o.getResult(0))
      << ", " << locs.pointer(o.getOperand(1)) << ", " << s1 << ", " << s2
      << ", "
      << cast<RankedTensorType>(o.getResult(0).getType()).getNumElements()
      << ", " << d("momentum") << ", " << d("weight_decay") << ", "
      << d("beta1") << ", " << d("beta2") << ", " << d("epsilon") << ", "
      << (nesterov && nesterov.getValue() ? "true" : "false") << "},\n";
    ++count;
  }
  return text;
}

} // namespace alexc::codegen
