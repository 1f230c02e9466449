//===- Stats.cpp - Size and cost figures of a compiled step ---------------===//
#include "Driver/Stats.h"
#include "Dialect/Kernel/IR/KernelOps.h"
#include "Dialect/Kernel/Transforms/Liveness.h"
#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/IR/StepSignature.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace alexc {

StepStats collectStats(func::FuncOp func) {
  StepStats s;
  func.walk([&](Operation *op) {
    if (isa<nn::ConcatOp>(op))
      s.concatInputs += op->getNumOperands();
    if (auto launch = dyn_cast<kernel::LaunchOp>(op)) {
      ++s.kernels;
      for (unsigned i = 0; i < launch.getNumResults(); ++i)
        if (launch.getResultPlacement(i) == kernel::Placement::Slice)
          ++s.concatInputsInPlace;
    } else if (isa<kernel::ViewOp>(op))
      ++s.views, ++s.opsBeforeFusion;
    else if (op->getDialect() && op->getDialect()->getNamespace() == "nn") {
      ++s.opsBeforeFusion;
      if (auto k = dyn_cast<nn::KernelOp>(op))
        s.convGemmFlops += k.getFlops();
    }
  });
  if (auto a = func->getAttrOfType<IntegerAttr>("kernel.arena_bytes"))
    s.arenaBytes = a.getInt();
  if (auto a = func->getAttrOfType<IntegerAttr>("kernel.persistent_bytes"))
    s.persistentBytes = a.getInt();
  kernel::FunctionBuffers fb = kernel::computeBuffers(func);
  for (const kernel::Buffer &b : fb.buffers)
    if (b.placement == kernel::Placement::Arena)
      s.intermediateBytes += b.bytes;
  // Gradients: what the optimizer kernel reads that the step computed.
  func.walk([&](kernel::LaunchOp launch) {
    if (launch.getKind() == nn::KernelKind::Optimizer)
      for (Value v : launch.getInputs())
        if (!isa<BlockArgument>(v))
          s.gradientBytes += kernel::alignedBytes(v.getType());
  });
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    std::optional<rt::TensorRole> role = nn::step::argumentRole(func, i);
    if (!role)
      continue;
    int64_t bytes = kernel::alignedBytes(func.getArgumentTypes()[i]);
    switch (*role) {
    case rt::TensorRole::Parameter:
      s.parameterBytes += bytes;
      break;
    case rt::TensorRole::OptimizerState:
      s.optimizerStateBytes += bytes;
      break;
    case rt::TensorRole::RunningStatistic:
      s.runningStatisticsBytes += bytes;
      break;
    }
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
  if (s.runningStatisticsBytes)
    os << "  batch norm running stats    " << mib(s.runningStatisticsBytes)
       << "\n";
  if (s.concatInputs)
    os << llvm::formatv("  concat inputs in place      {0,10} of {1}\n",
                        s.concatInputsInPlace, s.concatInputs);
  os << llvm::formatv("  conv + GEMM FLOPs           {0,10:F1} GFLOP\n",
                      s.convGemmFlops / 1e9);
}

bool printStepStats(ModuleOp module, StringRef modelName, int64_t batchSize,
                    raw_ostream &os) {
  for (StringRef name : {nn::step::kTrainStep, nn::step::kEvalStep}) {
    auto func = module.lookupSymbol<func::FuncOp>(name);
    if (!func || !func->hasAttr("kernel.arena_bytes"))
      return false;
    printStats(os,
               ("@" + name + " of '" + modelName + "' at batch " +
                std::to_string(batchSize) + ":")
                   .str(),
               collectStats(func));
  }
  return true;
}

} // namespace alexc
