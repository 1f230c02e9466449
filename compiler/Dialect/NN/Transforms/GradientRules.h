//===- GradientRules.h - Reverse-mode rules of the nn ops -------*- C++ -*-===//
#ifndef ALEXC_DIALECT_NN_TRANSFORMS_GRADIENTRULES_H
#define ALEXC_DIALECT_NN_TRANSFORMS_GRADIENTRULES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"

namespace alexc::nn {

/// Emits, at the builder's insertion point, the gradients of `op`'s operands
/// given the gradient `resultGrad` of its (single) result. Only operands with
/// `needed[i]` set get a gradient; the others are left null in
/// `operandGrads`. Fails (with an error on `op`) for ops without a rule.
mlir::LogicalResult
emitOperandGradients(mlir::OpBuilder &b, mlir::Operation *op,
                     mlir::Value resultGrad, llvm::ArrayRef<bool> needed,
                     llvm::SmallVectorImpl<mlir::Value> &operandGrads);

} // namespace alexc::nn

#endif
