//===- Locations.h - Where a planned function's values live -----*- C++ -*-===//
//
// From the memory plan: every tensor of a function is an argument, a result
// (a returned value is computed straight into the caller's buffer), or an
// offset in the arena or the persistent region; views and in-place results
// share their operand's storage, and a concat's slice lives inside the
// concat's, its rows strided. Used by the code generators and by the
// per-kernel checker, so that both address the same bytes.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_CODEGEN_LOCATIONS_H
#define ALEXC_CODEGEN_LOCATIONS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <string>

namespace alexc::codegen {

struct ValueLocation {
  enum Kind { Argument, Result, Arena, Persistent, Scalar } kind;
  int64_t index; // argument/result number or byte offset
  /// A concat's slice: elements from `elementOffset` of the concat's
  /// storage, `rowElements` of each row contiguous, rows `rowStride` apart
  /// (0: the value is contiguous).
  int64_t elementOffset = 0, rowElements = 0, rowStride = 0;
  bool operator==(const ValueLocation &o) const {
    return kind == o.kind && index == o.index &&
           elementOffset == o.elementOffset && rowStride == o.rowStride;
  }
  bool isSlice() const { return rowStride != 0; }
  /// The position of element `i` (a C++ expression) from the value's first
  /// element: `i` itself unless the value is a slice.
  std::string elementIndex(const std::string &i) const;
  bool operator!=(const ValueLocation &o) const { return !(*this == o); }
};

class FunctionLocations {
public:
  explicit FunctionLocations(mlir::func::FuncOp func);

  /// Where a value of the function (or of a launch body) lives: body
  /// arguments resolve to the launch's input, yielded values to the launch's
  /// result. Fails for body values that have no storage of their own.
  std::optional<ValueLocation> lookup(mlir::Value v) const;

  /// A C++ expression for the value's address, cast to its element type
  /// (`float *` or `int32_t *`), reading the fields of `Frame f`.
  std::string pointer(mlir::Value v) const;

  /// The lvalue of element `i` of the value ("(<pointer>)[i]"), strided
  /// over rows for a concat's slice.
  std::string element(mlir::Value v, const std::string &i) const;

  /// Whether the value is a concat's slice (ValueLocation::isSlice): only
  /// fused elementwise statements may address it, never a runtime call.
  bool isSlice(mlir::Value v) const;

  /// For scalar arguments: the Frame field ("f.lr", "f.seed", "f.step").
  std::string scalar(mlir::Value v) const;

private:
  mlir::Value outer(mlir::Value v) const;
  mlir::func::FuncOp func;
  llvm::DenseMap<mlir::Value, ValueLocation> locations;
};

/// Element type name in C++ for a tensor type ("float", "int32_t").
std::string cppElementType(mlir::Type tensorType);

} // namespace alexc::codegen

#endif
