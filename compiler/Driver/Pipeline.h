//===- Pipeline.h - Spec to IR, stage by stage ------------------*- C++ -*-===//
#ifndef ALEXC_DRIVER_PIPELINE_H
#define ALEXC_DRIVER_PIPELINE_H

#include "Frontend/ModelSpec.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace alexc {

/// Pipeline stages, in order; compileSpec stops after the requested one.
enum class Stage { Parsed, Shapes, Autodiff, Fused, Planned };

struct PipelineOptions {
  Stage stopAfter = Stage::Planned;
  bool disableDropout = false;
  bool predict = false;      // also @predict (inference executables)
  bool concatInPlace = true; // concat inputs written into its buffer
};

/// Builds the spec's module and runs the passes up to `stopAfter`. Returns
/// null after reporting the failure through the context's diagnostics.
mlir::OwningOpRef<mlir::ModuleOp> compileSpec(mlir::MLIRContext &ctx,
                                              const ModelSpec &spec,
                                              const PipelineOptions &options);

} // namespace alexc

#endif
