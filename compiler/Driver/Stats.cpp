//===- Stats.cpp - Size and cost figures of a compiled step ---------------===//
#include "Driver/Stats.h"
#include "Dialect/Kernel/IR/KernelOps.h"
#include "Dialect/Kernel/Transforms/Liveness.h"
#include "Dialect/NN/IR/NNOps.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace alexc {

static double elements(Value v) {
  return double(cast<RankedTensorType>(v.getType()).getNumElements());
}

double flopsOf(Operation *op) {
  // 2 * (output elements) * (reduction length) for each product.
  auto convFlops = [](Value out, Value weight) {
    auto w = cast<RankedTensorType>(weight.getType()).getShape();
    return 2.0 * elements(out) * double(w[1] * w[2] * w[3]);
  };
  return llvm::TypeSwitch<Operation *, double>(op)
      .Case([&](nn::Conv2DOp o) { return convFlops(o, o.getWeight()); })
      .Case([&](nn::Conv2DInputGradOp o) {
        return convFlops(o.getOutputGrad(), o.getWeight());
      })
      .Case([&](nn::Conv2DWeightGradOp o) {
        return convFlops(o.getOutputGrad(), o);
      })
      .Case([&](nn::DenseOp o) {
        return 2.0 * elements(o) *
               cast<RankedTensorType>(o.getWeight().getType()).getDimSize(1);
      })
      .Case([&](nn::DenseInputGradOp o) {
        return 2.0 * elements(o) *
               cast<RankedTensorType>(o.getWeight().getType()).getDimSize(0);
      })
      .Case([&](nn::DenseWeightGradOp o) {
        return 2.0 * elements(o) *
               cast<RankedTensorType>(o.getInput().getType()).getDimSize(0);
      })
      .Default([](Operation *) { return 0.0; });
}

StepStats collectStats(func::FuncOp func) {
  StepStats s;
  func.walk([&](Operation *op) {
    if (isa<kernel::LaunchOp>(op))
      ++s.kernels;
    else if (isa<kernel::ViewOp>(op))
      ++s.views, ++s.opsBeforeFusion;
    else if (op->getDialect() && op->getDialect()->getNamespace() == "nn")
      ++s.opsBeforeFusion, s.convGemmFlops += flopsOf(op);
  });
  if (auto a = func->getAttrOfType<IntegerAttr>("kernel.arena_bytes"))
    s.arenaBytes = a.getInt();
  if (auto a = func->getAttrOfType<IntegerAttr>("kernel.persistent_bytes"))
    s.persistentBytes = a.getInt();
  kernel::FunctionBuffers fb = kernel::computeBuffers(func);
  for (const kernel::Buffer &b : fb.buffers)
    if (b.placement == "arena")
      s.intermediateBytes += b.bytes;
  // Gradients: what the optimizer kernel reads that the step computed.
  func.walk([&](kernel::LaunchOp launch) {
    if (launch.getKind() == "optimizer")
      for (Value v : launch.getInputs())
        if (!isa<BlockArgument>(v))
          s.gradientBytes += kernel::alignedBytes(v.getType());
  });
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto name = func.getArgAttrOfType<StringAttr>(i, "nn.name");
    if (!name || !isa<RankedTensorType>(func.getArgumentTypes()[i]))
      continue;
    StringRef n = name.getValue();
    int64_t bytes = kernel::alignedBytes(func.getArgumentTypes()[i]);
    if (n.ends_with(".weight") || n.ends_with(".bias"))
      s.parameterBytes += bytes;
    else if (n.ends_with(".momentum") || n.ends_with(".exp_avg") ||
             n.ends_with(".exp_avg_sq"))
      s.optimizerStateBytes += bytes;
  }
  return s;
}

static std::string mib(int64_t bytes) {
  return llvm::formatv("{0,10:F1} MiB", bytes / 1048576.0).str();
}

void printStats(llvm::raw_ostream &os, StringRef title, const StepStats &s) {
  os << title << "\n";
  os << llvm::formatv("  ops before fusion           {0,10}\n",
                      s.opsBeforeFusion);
  os << llvm::formatv("  kernels after fusion        {0,10}   (+{1} views)\n",
                      s.kernels, s.views);
  os << "  arena (planned, reused)     " << mib(s.arenaBytes) << "\n";
  os << "  intermediates without reuse " << mib(s.intermediateBytes) << "\n";
  os << "  persistent outputs          " << mib(s.persistentBytes) << "\n";
  os << "  parameters                  " << mib(s.parameterBytes) << "\n";
  os << "  gradients                   " << mib(s.gradientBytes) << "\n";
  os << "  optimizer state             " << mib(s.optimizerStateBytes) << "\n";
  os << llvm::formatv("  conv + GEMM FLOPs           {0,10:F1} GFLOP\n",
                      s.convGemmFlops / 1e9);
}

} // namespace alexc
