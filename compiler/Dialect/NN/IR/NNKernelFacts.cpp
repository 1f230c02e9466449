//===- NNKernelFacts.cpp - What each nn op tells fusion and codegen -------===//
//
// The KernelOp interface of each op: the kernel it starts (or, for an
// elementwise op, the operands that carry a fused chain) and its FLOPs.
// Fusion, code generation and --stats ask these, never a list of op names.
//
//===----------------------------------------------------------------------===//
#include "Dialect/NN/IR/NNOps.h"

#include "Dialect/NN/IR/NNEnums.cpp.inc"

using namespace mlir;

namespace alexc::nn {

namespace {
double elements(Value v) {
  return double(cast<RankedTensorType>(v.getType()).getNumElements());
}
int64_t dim(Value v, unsigned i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}
/// 2 * (output elements) * (reduction length): C * KH * KW per output.
double convFlops(Value out, Value weight) {
  return 2.0 * elements(out) *
         double(dim(weight, 1) * dim(weight, 2) * dim(weight, 3));
}
} // namespace

Value chainInput(Operation *first) {
  if (auto k = dyn_cast<KernelOp>(first))
    if (auto chain = k.getChainOperands(); !chain.empty())
      return chain.front();
  return first->getOperand(0);
}

// Convolutions and GEMMs.
KernelKind Conv2DOp::getKernelKind() { return KernelKind::Conv; }
StringRef Conv2DOp::getKernelRole() { return "forward"; }
double Conv2DOp::getFlops() { return convFlops(getOutput(), getWeight()); }

KernelKind Conv2DInputGradOp::getKernelKind() { return KernelKind::Conv; }
StringRef Conv2DInputGradOp::getKernelRole() { return "input_grad"; }
double Conv2DInputGradOp::getFlops() {
  return convFlops(getOutputGrad(), getWeight());
}

KernelKind Conv2DWeightGradOp::getKernelKind() { return KernelKind::Conv; }
StringRef Conv2DWeightGradOp::getKernelRole() { return "weight_grad"; }
double Conv2DWeightGradOp::getFlops() {
  return convFlops(getOutputGrad(), getWeightGrad());
}

KernelKind DenseOp::getKernelKind() { return KernelKind::Gemm; }
StringRef DenseOp::getKernelRole() { return "forward"; }
double DenseOp::getFlops() {
  return 2.0 * elements(getOutput()) * double(dim(getWeight(), 1));
}

KernelKind DenseInputGradOp::getKernelKind() { return KernelKind::Gemm; }
StringRef DenseInputGradOp::getKernelRole() { return "input_grad"; }
double DenseInputGradOp::getFlops() {
  return 2.0 * elements(getInputGrad()) * double(dim(getWeight(), 0));
}

KernelKind DenseWeightGradOp::getKernelKind() { return KernelKind::Gemm; }
StringRef DenseWeightGradOp::getKernelRole() { return "weight_grad"; }
double DenseWeightGradOp::getFlops() {
  return 2.0 * elements(getWeightGrad()) * double(dim(getInput(), 0));
}

// Pooling.
KernelKind MaxPool2DOp::getKernelKind() { return KernelKind::Pool; }
StringRef MaxPool2DOp::getKernelRole() { return "forward"; }
KernelKind AvgPool2DOp::getKernelKind() { return KernelKind::Pool; }
StringRef AvgPool2DOp::getKernelRole() { return "forward"; }
KernelKind MaxPool2DGradOp::getKernelKind() { return KernelKind::Pool; }
StringRef MaxPool2DGradOp::getKernelRole() { return "input_grad"; }
KernelKind AvgPool2DGradOp::getKernelKind() { return KernelKind::Pool; }
StringRef AvgPool2DGradOp::getKernelRole() { return "input_grad"; }
KernelKind GlobalAvgPool2DOp::getKernelKind() { return KernelKind::Pool; }
StringRef GlobalAvgPool2DOp::getKernelRole() { return "forward"; }

// Batch normalization: statistics over the batch, then a per-channel map.
KernelKind BatchNormTrainOp::getKernelKind() { return KernelKind::Norm; }
StringRef BatchNormTrainOp::getKernelRole() { return "forward"; }
KernelKind BatchNormInferenceOp::getKernelKind() { return KernelKind::Norm; }
StringRef BatchNormInferenceOp::getKernelRole() { return "forward"; }
KernelKind BatchNormGradOp::getKernelKind() { return KernelKind::Norm; }
StringRef BatchNormGradOp::getKernelRole() { return "input_grad"; }

// Copies: concat writes each input into its slice; slice reads one back.
KernelKind ConcatOp::getKernelKind() { return KernelKind::Copy; }
StringRef ConcatOp::getKernelRole() { return "forward"; }
KernelKind SliceOp::getKernelKind() { return KernelKind::Copy; }
StringRef SliceOp::getKernelRole() { return "input_grad"; }

// The loss kernel: the loss, the count of correct answers and the gradient.
KernelKind SoftmaxCrossEntropyOp::getKernelKind() { return KernelKind::Loss; }
StringRef SoftmaxCrossEntropyOp::getKernelRole() { return "loss"; }
KernelKind CountCorrectOp::getKernelKind() { return KernelKind::Loss; }
StringRef CountCorrectOp::getKernelRole() { return "loss"; }
KernelKind SoftmaxCrossEntropyGradOp::getKernelKind() {
  return KernelKind::Loss;
}
StringRef SoftmaxCrossEntropyGradOp::getKernelRole() { return "loss"; }

KernelKind BiasGradOp::getKernelKind() { return KernelKind::Reduction; }
StringRef BiasGradOp::getKernelRole() { return "bias_grad"; }
bool BiasGradOp::isParameterGradient() { return true; }
bool Conv2DWeightGradOp::isParameterGradient() { return true; }
bool DenseWeightGradOp::isParameterGradient() { return true; }

// Optimizer updates and initializers: one kernel each for all tensors.
// An update's results are the new parameter, then the new state, each
// written over its old one: operand 0, then operands 2, 3 (after the
// gradient).
static std::optional<unsigned> updatedOperand(unsigned result) {
  return result == 0 ? 0 : result + 1;
}
KernelKind SGDUpdateOp::getKernelKind() { return KernelKind::Optimizer; }
StringRef SGDUpdateOp::getKernelRole() { return "update"; }
std::optional<unsigned> SGDUpdateOp::getUpdatedOperand(unsigned result) {
  return updatedOperand(result);
}
KernelKind SGDMomentumUpdateOp::getKernelKind() {
  return KernelKind::Optimizer;
}
StringRef SGDMomentumUpdateOp::getKernelRole() { return "update"; }
std::optional<unsigned>
SGDMomentumUpdateOp::getUpdatedOperand(unsigned result) {
  return updatedOperand(result);
}
KernelKind AdamUpdateOp::getKernelKind() { return KernelKind::Optimizer; }
StringRef AdamUpdateOp::getKernelRole() { return "update"; }
std::optional<unsigned> AdamUpdateOp::getUpdatedOperand(unsigned result) {
  return updatedOperand(result);
}
KernelKind RandomUniformOp::getKernelKind() { return KernelKind::Fill; }
StringRef RandomUniformOp::getKernelRole() { return "init"; }
KernelKind RandomNormalOp::getKernelKind() { return KernelKind::Fill; }
StringRef RandomNormalOp::getKernelRole() { return "init"; }
KernelKind OnesOp::getKernelKind() { return KernelKind::Fill; }
StringRef OnesOp::getKernelRole() { return "init"; }
KernelKind ZerosOp::getKernelKind() { return KernelKind::Fill; }
StringRef ZerosOp::getKernelRole() { return "init"; }

// Elementwise ops: the operand the fused value flows through (the unary
// ops and activation gradients get theirs from their class in NNOps.td).
SmallVector<Value, 2> DropoutOp::getChainOperands() { return {getInput()}; }
SmallVector<Value, 2> DropoutGradOp::getChainOperands() {
  return {getOutputGrad()};
}
SmallVector<Value, 2> AddOp::getChainOperands() { return {getLhs(), getRhs()}; }

} // namespace alexc::nn
