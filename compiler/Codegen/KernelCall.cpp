//===- KernelCall.cpp - One description of a kernel.launch ----------------===//
//
// One function per op family turns a launch into runtime calls. Adding an
// op means adding its case to describeLaunch (or nothing, for an
// elementwise op, whose statements ElementwiseChain.cpp prints).
//
//===----------------------------------------------------------------------===//
#include "Codegen/KernelCall.h"
#include "Codegen/KernelParams.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace alexc::codegen {
namespace {

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}
int64_t numElements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}
std::string str(int64_t v) { return std::to_string(v); }

/// Builds the description of one launch, family by family.
class Describer {
public:
  Describer(KernelCall &call, const FunctionLocations &locs)
      : call(call), locs(locs) {}

  LogicalResult describe() {
    Operation *anchor = call.launch.getAnchor();
    for (Operation &op : call.launch.getBlock().without_terminator())
      if (&op != anchor)
        call.chain.push_back(&op);
    return llvm::TypeSwitch<Operation *, LogicalResult>(anchor)
        .Case<nn::Conv2DOp, nn::Conv2DInputGradOp, nn::Conv2DWeightGradOp>(
            [&](Operation *op) { return conv(op); })
        .Case<nn::DenseOp, nn::DenseInputGradOp, nn::DenseWeightGradOp>(
            [&](Operation *op) { return dense(op); })
        .Case<nn::MaxPool2DOp, nn::AvgPool2DOp, nn::GlobalAvgPool2DOp,
              nn::MaxPool2DGradOp, nn::AvgPool2DGradOp>(
            [&](Operation *op) { return pool(op); })
        .Case<nn::ConcatOp, nn::SliceOp>(
            [&](Operation *op) { return copies(op); })
        .Case<nn::BatchNormTrainOp, nn::BatchNormInferenceOp,
              nn::BatchNormGradOp>([&](Operation *op) { return norm(op); })
        .Case<nn::SoftmaxCrossEntropyOp, nn::CountCorrectOp,
              nn::SoftmaxCrossEntropyGradOp>([&](Operation *) {
          add("softmaxCrossEntropy", {lossArgs(call.launch, locs)}).frame =
              FrameUse::LossRows;
          return success();
        })
        .Case([&](nn::BiasGradOp op) {
          add("biasGrad", {biasGradArgs(op, locs)});
          return success();
        })
        .Case<nn::SGDUpdateOp, nn::SGDMomentumUpdateOp, nn::AdamUpdateOp>(
            [&](Operation *) { return optimizer(); })
        .Case<nn::RandomUniformOp, nn::RandomNormalOp, nn::ZerosOp, nn::OnesOp>(
            [&](Operation *) { return fills(); })
        .Default([&](Operation *op) { return elementwise(op); });
  }

private:
  RuntimeCall &add(StringRef function, std::vector<std::string> args,
                   StringRef templateArgs = "") {
    call.calls.push_back(
        {function.str(), templateArgs.str(), std::move(args), FrameUse::None});
    return call.calls.back();
  }
  /// A runtime call's tensor argument: contiguous storage, never a concat's
  /// slice (the planner places only what epilogues alone address).
  std::string ptr(Value v) {
    if (locs.isSlice(v))
      stridedArgument = v;
    return locs.pointer(v);
  }
  std::string ptrOrNull(Value v) { return v ? ptr(v) : "nullptr"; }
  /// A result of the anchor that the launch yields, or nullptr.
  std::string ptrIfStored(Value v) {
    auto yield = cast<kernel::YieldOp>(call.launch.getBlock().getTerminator());
    return llvm::is_contained(yield.getValues(), v) ? ptr(v) : "nullptr";
  }
  /// The result of the bias gradient fused into a weight gradient, if any.
  Value fusedBiasGrad() {
    for (Operation *op : call.chain)
      if (isa<nn::BiasGradOp>(op))
        return op->getResult(0);
    return {};
  }
  void afterAnchor() {
    call.epilogue = EpilogueMode::AfterAnchor;
    call.chainStart = call.launch.getAnchor()->getResult(0);
  }

  LogicalResult conv(Operation *op) {
    ArrayRef<int64_t> x, w, y;
    std::string geom = convGeometry(op);
    if (auto o = dyn_cast<nn::Conv2DOp>(op)) {
      x = shapeOf(o.getInput()), w = shapeOf(o.getWeight()), y = shapeOf(o);
      add("convForward", {geom, ptr(o.getInput()), ptr(o.getWeight()),
                          ptrOrNull(o.getBias())});
      afterAnchor();
    } else if (auto o = dyn_cast<nn::Conv2DInputGradOp>(op)) {
      x = shapeOf(o), w = shapeOf(o.getWeight()),
      y = shapeOf(o.getOutputGrad());
      add("convInputGrad", {geom, ptr(o.getOutputGrad()), ptr(o.getWeight())});
      afterAnchor();
    } else {
      auto g = cast<nn::Conv2DWeightGradOp>(op);
      x = shapeOf(g.getInput()), w = shapeOf(g), y = shapeOf(g.getOutputGrad());
      add("convWeightGrad", {geom, ptr(g.getInput()), ptr(g.getOutputGrad()),
                             ptr(g), ptrOrNull(fusedBiasGrad())});
    }
    // The cuBLAS variant's columns and their product; cuDNN's workspace.
    int64_t ckk = x[1] * w[2] * w[3], cols = x[0] * y[2] * y[3];
    call.scratchFloats =
        std::max(ckk * cols + w[0] * cols, x[0] * x[1] * x[2] * x[3]);
    call.variants = 3; // generated, cuBLAS, cuDNN
    return success();
  }

  LogicalResult dense(Operation *op) {
    call.variants = 2; // generated, cuBLAS
    if (auto o = dyn_cast<nn::DenseOp>(op)) {
      auto x = shapeOf(o.getInput()), w = shapeOf(o.getWeight());
      add("denseForward", {str(x[0]), str(x[1]), str(w[0]), ptr(o.getInput()),
                           ptr(o.getWeight()), ptrOrNull(o.getBias())});
      call.scratchFloats = x[0] * w[0];
      afterAnchor();
    } else if (auto o = dyn_cast<nn::DenseInputGradOp>(op)) {
      auto dy = shapeOf(o.getOutputGrad()), w = shapeOf(o.getWeight());
      add("denseInputGrad", {str(dy[0]), str(w[1]), str(w[0]),
                             ptr(o.getOutputGrad()), ptr(o.getWeight())});
      call.scratchFloats = dy[0] * w[1];
      afterAnchor();
    } else {
      auto g = cast<nn::DenseWeightGradOp>(op);
      auto x = shapeOf(g.getInput()), dy = shapeOf(g.getOutputGrad());
      add("denseWeightGrad",
          {str(x[0]), str(x[1]), str(dy[1]), ptr(g.getInput()),
           ptr(g.getOutputGrad()), ptr(g), ptrOrNull(fusedBiasGrad())});
    }
    return success();
  }

  LogicalResult pool(Operation *op) {
    bool isMax = isa<nn::MaxPool2DOp, nn::MaxPool2DGradOp>(op);
    StringRef kind = isMax ? "PoolKind::Max" : "PoolKind::Avg";
    std::string geom = poolGeometry(op);
    if (isa<nn::MaxPool2DOp, nn::AvgPool2DOp, nn::GlobalAvgPool2DOp>(op)) {
      add("poolForward", {geom, ptr(op->getOperand(0))}, kind);
    } else if (auto g = dyn_cast<nn::MaxPool2DGradOp>(op)) {
      add("poolInputGrad", {geom, ptr(g.getInput()), ptr(g.getOutputGrad())},
          kind);
      // The CUDA scatter accumulates in scratch.
      call.scratchFloats = numElements(g);
    } else {
      auto a = cast<nn::AvgPool2DGradOp>(op);
      add("poolInputGrad", {geom, "nullptr", ptr(a.getOutputGrad())}, kind);
    }
    afterAnchor();
    return success();
  }

  /// Concat copies each input into its range of dimension 1 of the output;
  /// slice copies one range out. Rows are the batch.
  LogicalResult copies(Operation *op) {
    Value out = op->getResult(0);
    auto rowOf = [](Value v) { return numElements(v) / shapeOf(v)[0]; };
    int64_t rows = shapeOf(out)[0];
    if (auto slice = dyn_cast<nn::SliceOp>(op)) {
      Value in = slice.getInput();
      int64_t offset = slice.getOffset() * (rowOf(in) / shapeOf(in)[1]);
      add("copyBlocks",
          {blockCopy(rows, rowOf(out), rowOf(in), offset, rowOf(out), 0),
           ptr(in), ptr(out)});
      return success();
    }
    // Inputs placed as slices are already there: their producers wrote them.
    int64_t offset = 0;
    for (Value in : op->getOperands()) {
      if (!locs.isSlice(in))
        add("copyBlocks",
            {blockCopy(rows, rowOf(in), rowOf(in), 0, rowOf(out), offset),
             ptr(in), ptr(out)});
      offset += rowOf(in);
    }
    return success();
  }

  /// Batch normalization: statistics, then a per-channel map whose output
  /// the epilogue continues. Outputs nothing reads are passed as null.
  LogicalResult norm(Operation *op) {
    auto literal = [](APFloat f) {
      return llvm::formatv("{0:e17}", f.convertToDouble()).str();
    };
    std::string geom = normGeometry(op->getOperand(0));
    if (auto o = dyn_cast<nn::BatchNormTrainOp>(op)) {
      add("batchNormTrain",
          {geom, ptr(o.getInput()), ptr(o.getRunningMean()),
           ptr(o.getRunningVar()), ptrOrNull(o.getGamma()),
           ptrOrNull(o.getBeta()), literal(o.getMomentum()),
           literal(o.getEpsilon()), ptrIfStored(o.getMean()),
           ptrIfStored(o.getInvstd()), ptrIfStored(o.getNewRunningMean()),
           ptrIfStored(o.getNewRunningVar())})
          .frame = FrameUse::Rows;
    } else if (auto o = dyn_cast<nn::BatchNormInferenceOp>(op)) {
      add("batchNormInference",
          {geom, ptr(o.getInput()), ptr(o.getMean()), ptr(o.getVar()),
           ptrOrNull(o.getGamma()), ptrOrNull(o.getBeta()),
           literal(o.getEpsilon())});
    } else {
      auto g = cast<nn::BatchNormGradOp>(op);
      add("batchNormGrad",
          {geom, ptr(g.getInput()), ptr(g.getOutputGrad()), ptr(g.getMean()),
           ptr(g.getInvstd()), ptrOrNull(g.getGamma()),
           ptrIfStored(g.getGammaGrad()), ptrIfStored(g.getBetaGrad())})
          .frame = FrameUse::Rows;
    }
    // CUDA keeps each channel's coefficients in scratch.
    call.scratchFloats = 3 * shapeOf(op->getOperand(0))[1];
    afterAnchor();
    return success();
  }

  LogicalResult optimizer() {
    auto yield = cast<kernel::YieldOp>(call.launch.getBlock().getTerminator());
    for (Value v : yield.getValues()) {
      Value in = updatedInput(cast<OpResult>(v));
      if (locs.lookup(in) != locs.lookup(v))
        call.copies.push_back({ptr(v), ptr(in), numElements(v) * 4});
    }
    int count = 0;
    std::string table = updateEntries(call.launch, locs, count);
    call.setup = "  const Update updates[] = {\n" + table + "  };\n";
    add("applyUpdates", {"updates", str(count)}).frame = FrameUse::LrAndStep;
    return success();
  }

  LogicalResult fills() {
    for (Operation &o : call.launch.getBlock().without_terminator()) {
      Value out = o.getResult(0);
      std::string n = str(numElements(out));
      auto scale = [](APFloat f) {
        return llvm::formatv("{0:e17}", f.convertToDouble()).str();
      };
      RuntimeCall *c;
      if (auto u = dyn_cast<nn::RandomUniformOp>(o)) {
        c = &add("fill", {"FillKind::Uniform", ptr(out), n,
                          str(u.getStream()) + "u", scale(u.getBound())});
        c->seed = u.getSeed();
      } else if (auto r = dyn_cast<nn::RandomNormalOp>(o)) {
        c = &add("fill", {"FillKind::Normal", ptr(out), n,
                          str(r.getStream()) + "u", scale(r.getStddev())});
        c->seed = r.getSeed();
      } else if (isa<nn::OnesOp>(o)) {
        c = &add("fill", {"FillKind::One", ptr(out), n, "0u", "0.0"});
      } else {
        c = &add("fill", {"FillKind::Zero", ptr(out), n, "0u", "0.0"});
      }
      c->frame = FrameUse::Seed;
    }
    return success();
  }

  LogicalResult elementwise(Operation *first) {
    call.chain.insert(call.chain.begin(), first);
    call.epilogue = EpilogueMode::Standalone;
    call.chainStart = nn::chainInput(first);
    auto yield = cast<kernel::YieldOp>(call.launch.getBlock().getTerminator());
    if (!yield.getValues().empty())
      add("elementwise", {str(numElements(call.chainStart))});
    return success();
  }

public:
  Value stridedArgument; // set if a runtime call would get a slice

private:
  KernelCall &call;
  const FunctionLocations &locs;
};

} // namespace

FailureOr<KernelCall> describeLaunch(kernel::LaunchOp launch,
                                     const FunctionLocations &locs) {
  KernelCall call;
  call.launch = launch;
  launch.walk([&](nn::KernelOp op) { call.flops += op.getFlops(); });
  Describer describer(call, locs);
  if (failed(describer.describe()))
    return failure();
  if (describer.stridedArgument)
    return launch.emitError()
           << "code generation: kernel '" << launch.getName()
           << "' would pass a concat's slice (strided rows) to its runtime "
              "function; the memory plan must not place it so";
  auto isOptimizer = [](Operation *user) {
    auto l = dyn_cast<kernel::LaunchOp>(user);
    return l && l.getKind() == nn::KernelKind::Optimizer;
  };
  if (launch.getKind() == nn::KernelKind::Optimizer) {
    call.waitsForGradients = true;
    return call;
  }
  for (Value r : launch.getResults())
    if (llvm::any_of(r.getUsers(), isOptimizer))
      call.completedGradients.push_back(
          {locs.pointer(r),
           cast<RankedTensorType>(r.getType()).getNumElements()});
  return call;
}

Value primaryOutput(const KernelCall &call) {
  kernel::LaunchOp launch = call.launch;
  auto yield = cast<kernel::YieldOp>(launch.getBlock().getTerminator());
  Value anchor = call.chainStart;
  if (llvm::is_contained(yield.getValues(), anchor) || call.chain.empty())
    return anchor;
  for (Operation *op : llvm::reverse(call.chain))
    if (llvm::is_contained(yield.getValues(), op->getResult(0)))
      return op->getResult(0);
  return anchor;
}

} // namespace alexc::codegen
