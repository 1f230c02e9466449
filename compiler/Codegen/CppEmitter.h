//===- CppEmitter.h - Planned kernel IR to C++ ------------------*- C++ -*-===//
#ifndef ALEXC_CODEGEN_CPPEMITTER_H
#define ALEXC_CODEGEN_CPPEMITTER_H

#include "Frontend/ModelSpec.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace alexc::codegen {

/// Writes one C++ translation unit for a planned module: a function per
/// kernel (named after its layers), a function per step that calls them in
/// order, and the `alexc_model()` descriptor (runtime/abi/Model.h). Fails with
/// an error on the op it cannot generate code for.
mlir::LogicalResult emitCpp(mlir::ModuleOp module, const ModelSpec &spec,
                            const std::string &specHash, llvm::raw_ostream &os);

/// FNV-1a 64-bit digest of a text (a spec, generated code), as 16 hex
/// digits.
std::string hashText(const std::string &text);

} // namespace alexc::codegen

#endif
