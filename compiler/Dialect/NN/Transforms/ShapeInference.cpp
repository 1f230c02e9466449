//===- ShapeInference.cpp - Static shapes for every nn tensor ------------===//
#include "Dialect/NN/IR/LayerInfo.h"
#include "Dialect/NN/IR/StepSignature.h"
#include "Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace alexc::nn {
#define GEN_PASS_DEF_NNSHAPEINFERENCE
#include "Dialect/NN/Transforms/Passes.h.inc"
} // namespace alexc::nn

using namespace mlir;
using namespace alexc::nn;

namespace {

bool isStatic(Type t) {
  auto shaped = dyn_cast<ShapedType>(t);
  return !shaped || shaped.hasStaticShape();
}

/// The most elements one tensor may have: the CUDA kernels index a tensor's
/// elements and a GEMM's reduction in 32 bits.
constexpr int64_t kMaxTensorElements = (int64_t(1) << 31) - 1;

/// Fails (with an error naming the layer) for a static tensor past
/// kMaxTensorElements; the product stops before it can overflow int64.
LogicalResult checkSize(Operation *op, Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape())
    return success();
  int64_t n = 1;
  for (int64_t d : type.getShape()) {
    if (d != 0 && n > kMaxTensorElements / d) {
      std::string what = "a result";
      if (auto arg = dyn_cast<BlockArgument>(v))
        if (auto f = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
          if (auto name = f.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                         step::kNameAttr))
            what = "'" + name.str() + "'";
      std::string shape;
      for (int64_t e : type.getShape())
        shape += (shape.empty() ? "" : "x") + std::to_string(e);
      return op->emitError()
             << describeLayer(op) << ": " << what << " of shape " << shape
             << " has more than 2^31 - 1 elements, the most alexc supports "
                "in one tensor";
    }
    n *= d;
  }
  return success();
}

struct ShapeInferencePass
    : alexc::nn::impl::NNShapeInferenceBase<ShapeInferencePass> {
  using NNShapeInferenceBase::NNShapeInferenceBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t batch = batchSize;
    if (batch == 0)
      if (auto attr = module->getAttrOfType<IntegerAttr>("nn.batch_size"))
        batch = attr.getInt();
    if (batch <= 0) {
      module.emitError() << "nn-shape-inference needs a positive batch size "
                            "(the batch-size option or nn.batch_size), got "
                         << batch;
      return signalPassFailure();
    }
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.getSymName() == step::kLoss)
        takeLogitsFromForward(module, func);
      if (failed(inferFunction(func, batch)))
        return signalPassFailure();
    }
  }

  /// @loss takes @forward's result: the number of classes may be known only
  /// once @forward's shapes are (a network that ends in flatten).
  static void takeLogitsFromForward(ModuleOp module, func::FuncOp loss) {
    auto forward = module.lookupSymbol<func::FuncOp>(step::kForward);
    if (!forward || forward.getNumResults() != 1 ||
        loss.getNumArguments() == 0 || loss.isExternal())
      return;
    auto logits = dyn_cast<RankedTensorType>(forward.getResultTypes()[0]);
    BlockArgument arg = loss.getArgument(0);
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!logits || !type || logits.getRank() != type.getRank() ||
        !logits.hasStaticShape())
      return;
    SmallVector<int64_t> shape(type.getShape());
    for (int64_t i = 1; i < type.getRank(); ++i) // the batch stays as it is
      shape[i] = logits.getDimSize(i);
    arg.setType(RankedTensorType::get(shape, type.getElementType()));
  }

  LogicalResult inferFunction(func::FuncOp func, int64_t batch) {
    if (func.isExternal())
      return success();
    // The leading dimension of a data argument (images, labels, logits) is
    // the batch; parameters always have a static one.
    for (BlockArgument arg : func.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!type || type.getRank() == 0 || !type.isDynamicDim(0))
        continue;
      SmallVector<int64_t> shape(type.getShape());
      shape[0] = batch;
      arg.setType(RankedTensorType::get(shape, type.getElementType()));
    }

    WalkResult result = func.walk([&](Operation *op) {
      if (auto shapeOp = dyn_cast<ShapeInference>(op))
        if (failed(shapeOp.inferShapes()))
          return WalkResult::interrupt();
      for (Type t : op->getResultTypes())
        if (!isStatic(t)) {
          op->emitError() << describeLayer(op)
                          << ": could not infer a static shape for result "
                          << t;
          return WalkResult::interrupt();
        }
      for (Value v : op->getOperands())
        if (failed(checkSize(op, v)))
          return WalkResult::interrupt();
      for (Value v : op->getResults())
        if (failed(checkSize(op, v)))
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return failure();

    for (BlockArgument arg : func.getArguments())
      if (!isStatic(arg.getType()))
        return func.emitError()
               << "could not infer a static shape for "
                  "argument #"
               << arg.getArgNumber() << " (" << arg.getType() << ")";
    auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    func.setFunctionType(FunctionType::get(func.getContext(),
                                           func.getBody().getArgumentTypes(),
                                           ret.getOperandTypes()));
    return success();
  }
};

} // namespace
