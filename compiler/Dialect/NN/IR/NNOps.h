//===- NNOps.h - Ops of the nn dialect --------------------------*- C++ -*-===//
#ifndef ALEXC_DIALECT_NN_IR_NNOPS_H
#define ALEXC_DIALECT_NN_IR_NNOPS_H

#include "Dialect/NN/IR/NNDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Dialect/NN/IR/NNAttrs.h"
#include "Dialect/NN/IR/NNInterfaces.h.inc"

#define GET_OP_CLASSES
#include "Dialect/NN/IR/NNOps.h.inc"

namespace alexc::nn {
/// The tensor a standalone elementwise kernel reads: the first operand its
/// first op may carry the chain in (the KernelOp interface), else operand 0.
mlir::Value chainInput(mlir::Operation *first);
} // namespace alexc::nn

#endif
