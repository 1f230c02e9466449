//===- Liveness.h - Buffers and lifetimes of a kernel function --*- C++ -*-===//
//
// The storage view of a function of kernels: every tensor value maps to a
// buffer (views and in-place results share their operand's buffer, slices
// their concat's); each buffer lives from the op that defines it (or its
// first slice) to the last op that uses any value stored in it. Shared by
// the planner and the plan checker.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_DIALECT_KERNEL_TRANSFORMS_LIVENESS_H
#define ALEXC_DIALECT_KERNEL_TRANSFORMS_LIVENESS_H

#include "Dialect/Kernel/IR/KernelOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <string>
#include <vector>

namespace alexc::kernel {

constexpr int64_t kBufferAlignment = 64;

struct Buffer {
  mlir::Value root;    // the value that owns the storage
  int64_t start = 0;   // index of the defining op (-1: a function argument)
  int64_t end = 0;     // index of the last op using it
  int64_t bytes = 0;   // aligned size
  Placement placement; // Argument, Arena or Persistent
  int64_t offset = -1; // in its region, once planned
};

struct FunctionBuffers {
  std::vector<Buffer> buffers;
  llvm::DenseMap<mlir::Value, size_t> bufferOf; // every tensor value
};

/// Bytes of a tensor type rounded up to kBufferAlignment (0 for non-tensors).
int64_t alignedBytes(mlir::Type type);

/// Buffers of `func`, honouring kernel.view aliases and the `inplace`
/// attributes of launches. Placement and offsets are read from the launches'
/// `placement`/`offsets` attributes when present.
FunctionBuffers computeBuffers(mlir::func::FuncOp func);

} // namespace alexc::kernel

#endif
