//===- Passes.h - Passes on the nn dialect ----------------------*- C++ -*-===//
#ifndef ALEXC_DIALECT_NN_TRANSFORMS_PASSES_H
#define ALEXC_DIALECT_NN_TRANSFORMS_PASSES_H

#include "Dialect/NN/IR/NNOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace alexc::nn {

#define GEN_PASS_DECL
#include "Dialect/NN/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Dialect/NN/Transforms/Passes.h.inc"

} // namespace alexc::nn

#endif
