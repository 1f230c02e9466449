//===- ConcatSlices.h - Concat inputs written in place ----------*- C++ -*-===//
#ifndef ALEXC_DIALECT_KERNEL_TRANSFORMS_CONCATSLICES_H
#define ALEXC_DIALECT_KERNEL_TRANSFORMS_CONCATSLICES_H

#include "Dialect/Kernel/IR/KernelOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace alexc::kernel {

/// Places as slices (Placement::Slice) the concat inputs whose producers
/// can store them straight into the concat's buffer, and whose other
/// readers read them element by element; returns how many. Runs before
/// the planner decides which elementwise kernels overwrite their inputs,
/// which then leaves slices alone.
int placeConcatSlices(mlir::func::FuncOp func);

/// Whether `v` is a launch result placed as a concat's slice.
bool isConcatSlice(mlir::Value v);

} // namespace alexc::kernel

#endif
