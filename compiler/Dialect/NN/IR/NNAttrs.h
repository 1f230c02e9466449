//===- NNAttrs.h - Typed settings of the nn dialect -------------*- C++ -*-===//
#ifndef ALEXC_DIALECT_NN_IR_NNATTRS_H
#define ALEXC_DIALECT_NN_IR_NNATTRS_H

#include "Dialect/NN/IR/NNDialect.h"

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "Dialect/NN/IR/NNEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "Dialect/NN/IR/NNAttrs.h.inc"

namespace alexc::nn {

/// The module attributes that hold the typed settings.
inline constexpr llvm::StringLiteral kOptimizerAttrName = "nn.optimizer";
inline constexpr llvm::StringLiteral kInitializerAttrName = "nn.initializer";

} // namespace alexc::nn

#endif
