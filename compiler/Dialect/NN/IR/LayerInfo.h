//===- LayerInfo.h - Which spec layer an op came from -----------*- C++ -*-===//
//
// The frontend gives every op it builds a location that records the layer of
// the spec it implements: a FusedLoc whose metadata is
// `{index = 7 : i64, type = "max_pool2d"}` around `NameLoc("pool3")`, whose
// child is the layer's file:line:col in the spec when it is known.
// Diagnostics of later passes use it to name the layer the way the user
// wrote it.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_DIALECT_NN_IR_LAYERINFO_H
#define ALEXC_DIALECT_NN_IR_LAYERINFO_H

#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"
#include <optional>
#include <string>

namespace alexc::nn {

struct LayerInfo {
  std::string name; // "pool3"
  std::string type; // "max_pool2d", the spec's layer type
  int64_t index;    // position in the spec's "layers" array
  // Where the layer is written (line 0: unknown); carried as a
  // FileLineColLoc inside the NameLoc, for diagnostics with a caret.
  std::string file = "";
  int64_t line = 0, col = 0;
};

/// Location for an op implementing spec layer `info`.
mlir::Location makeLayerLoc(mlir::MLIRContext *ctx, const LayerInfo &info);

/// The layer recorded in `loc`, if any.
std::optional<LayerInfo> getLayerInfo(mlir::Location loc);

/// "layer 'pool3' (max_pool2d, #7)" when the op came from a spec layer,
/// otherwise "'nn.max_pool2d'".
std::string describeLayer(mlir::Operation *op);

/// "256x2x2" for the non-batch dims of a shape ("?" for dynamic dims).
std::string formatDims(llvm::ArrayRef<int64_t> dims);

} // namespace alexc::nn

#endif
