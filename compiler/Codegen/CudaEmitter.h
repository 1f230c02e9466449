//===- CudaEmitter.h - Planned kernel IR to CUDA ----------------*- C++ -*-===//
#ifndef ALEXC_CODEGEN_CUDAEMITTER_H
#define ALEXC_CODEGEN_CUDAEMITTER_H

#include "Frontend/ModelSpec.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace alexc::codegen {

/// Writes the CUDA half of a planned module: for every kernel.launch a host
/// function that launches CUDA kernels (with the fused ops as a device
/// epilogue functor), and `alexc_cuda_model()`. Same plan, names and order
/// as the C++ half, which the executable carries too.
mlir::LogicalResult emitCuda(mlir::ModuleOp module, const ModelSpec &spec,
                             llvm::raw_ostream &os);

} // namespace alexc::codegen

#endif
