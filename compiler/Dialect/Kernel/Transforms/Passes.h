//===- Passes.h - Passes that build and plan kernels ------------*- C++ -*-===//
#ifndef ALEXC_DIALECT_KERNEL_TRANSFORMS_PASSES_H
#define ALEXC_DIALECT_KERNEL_TRANSFORMS_PASSES_H

#include "Dialect/Kernel/IR/KernelOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace alexc::kernel {

#define GEN_PASS_DECL
#include "Dialect/Kernel/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Dialect/Kernel/Transforms/Passes.h.inc"

} // namespace alexc::kernel

#endif
