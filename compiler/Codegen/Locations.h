//===- Locations.h - Where each value of a planned function lives -*- C++
//-*-===//
//
// From the memory plan: every tensor of a function is an argument, a result
// (a returned value is computed straight into the caller's buffer), or an
// offset in the arena or the persistent region; views and in-place results
// share their operand's storage. Used by the code generators and by the
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
  bool operator==(const ValueLocation &o) const {
    return kind == o.kind && index == o.index;
  }
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
