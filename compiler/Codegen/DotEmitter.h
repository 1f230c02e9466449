//===- DotEmitter.h - The compiled graph as Graphviz dot --------*- C++ -*-===//
//
// `alexc --emit=dot`: one node per nn op of a planned function (its layer,
// op and result shape), edges along the data, and each kernel.launch as a
// cluster, so a user sees what was fused. Parameters are left out to keep
// the picture readable.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_CODEGEN_DOTEMITTER_H
#define ALEXC_CODEGEN_DOTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace alexc::codegen {

/// Prints function `name` (after kernel fusion) of `module` as a dot
/// digraph; fails with an error if there is no such function.
mlir::LogicalResult emitDot(mlir::ModuleOp module, llvm::StringRef name,
                            llvm::raw_ostream &os);

} // namespace alexc::codegen

#endif
