//===- InterpreterExecutor.h - The training loop on the IR ------*- C++ -*-===//
//
// An rt::Executor that runs the compiled functions of a module in the
// reference interpreter (float32), so `alexc SPEC --interpret` trains with
// the same loop, data and checkpoints as a compiled executable. Slow; for
// checking.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_INTERPRETER_INTERPRETEREXECUTOR_H
#define ALEXC_INTERPRETER_INTERPRETEREXECUTOR_H

#include "Frontend/ModelSpec.h"
#include "runtime/train/Executor.h"

#include "mlir/IR/BuiltinOps.h"

namespace alexc::interp {

/// The model settings of a compiled module (after nn-autodiff).
rt::ModelConfig configFromModule(mlir::ModuleOp module, const ModelSpec &spec,
                                 const std::string &specHash);

/// `withDropout` and `withoutDropout` are the same spec compiled with and
/// without dropout (the runtime's --disable-dropout picks one).
std::unique_ptr<rt::Executor>
createInterpreterExecutor(mlir::ModuleOp withDropout,
                          mlir::ModuleOp withoutDropout,
                          const rt::ModelConfig &config);

} // namespace alexc::interp

#endif
