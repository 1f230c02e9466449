//===- NNDialect.h - The nn dialect -----------------------------*- C++ -*-===//
#ifndef ALEXC_DIALECT_NN_IR_NNDIALECT_H
#define ALEXC_DIALECT_NN_IR_NNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "Dialect/NN/IR/NNDialect.h.inc"

#endif
