//===- SpecToNN.h - Model spec to the nn dialect ----------------*- C++ -*-===//
#ifndef ALEXC_FRONTEND_SPECTONN_H
#define ALEXC_FRONTEND_SPECTONN_H

#include "Frontend/ModelSpec.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace alexc {

/// Builds a module with
///   func.func @forward(params..., %images, %seed: i64, %step: i64) -> logits
///   func.func @loss(%logits, %labels) -> tensor<f32>
/// Parameters are arguments named by `nn.name` ("conv1.weight"); dimensions
/// that depend on the spatial size (the batch, feature maps, a dense layer's
/// input features) are dynamic until nn-shape-inference. Spec-wide settings
/// (batch size, initializer, optimizer) are attributes of the module.
mlir::OwningOpRef<mlir::ModuleOp> buildNNModule(mlir::MLIRContext &ctx,
                                                const ModelSpec &spec);

} // namespace alexc

#endif
