//===- KernelOps.h - The kernel dialect -------------------------*- C++ -*-===//
#ifndef ALEXC_DIALECT_KERNEL_IR_KERNELOPS_H
#define ALEXC_DIALECT_KERNEL_IR_KERNELOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Dialect/NN/IR/NNOps.h"

#include "Dialect/Kernel/IR/KernelDialect.h.inc"
#include "Dialect/Kernel/IR/KernelEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "Dialect/Kernel/IR/KernelAttrs.h.inc"

#define GET_OP_CLASSES
#include "Dialect/Kernel/IR/KernelOps.h.inc"

#endif
