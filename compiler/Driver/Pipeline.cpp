//===- Pipeline.cpp - Spec to IR, stage by stage --------------------------===//
#include "Driver/Pipeline.h"
#include "Dialect/Kernel/Transforms/Passes.h"
#include "Dialect/NN/Transforms/Passes.h"
#include "Frontend/SpecToNN.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;

namespace alexc {

OwningOpRef<ModuleOp> compileSpec(MLIRContext &ctx, const ModelSpec &spec,
                                  const PipelineOptions &options) {
  OwningOpRef<ModuleOp> module = buildNNModule(ctx, spec);
  if (failed(verify(*module)))
    return nullptr;
  PassManager pm(&ctx);
  if (options.stopAfter >= Stage::Shapes)
    pm.addPass(nn::createNNShapeInference(
        nn::NNShapeInferenceOptions{spec.stepBatch()}));
  if (options.stopAfter >= Stage::Autodiff)
    pm.addPass(nn::createNNAutodiff(
        nn::NNAutodiffOptions{options.disableDropout, options.predict}));
  if (options.stopAfter >= Stage::Fused)
    pm.addPass(kernel::createKernelFusion());
  if (options.stopAfter >= Stage::Planned)
    pm.addPass(kernel::createKernelMemoryPlan(
        kernel::KernelMemoryPlanOptions{options.concatInPlace}));
  if (failed(pm.run(*module)))
    return nullptr;
  return module;
}

} // namespace alexc
