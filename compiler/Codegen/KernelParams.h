//===- KernelParams.h - Kernel parameters both back ends pass ---*- C++ -*-===//
//
// The geometry and optimizer tables of a kernel as C++ initializers: the
// CPU and CUDA templates take the same structs (ConvGeom, PoolGeom, Update),
// so both generators print them with these functions.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_CODEGEN_KERNELPARAMS_H
#define ALEXC_CODEGEN_KERNELPARAMS_H

#include "Codegen/Locations.h"
#include "Dialect/Kernel/IR/KernelOps.h"

#include <string>

namespace alexc::codegen {

/// "ConvGeom{N, C, H, W, O, KH, KW, SH, SW, PH, PW, OH, OW}" of a
/// conv2d, conv2d_input_grad or conv2d_weight_grad.
std::string convGeometry(mlir::Operation *op);

/// "PoolGeom{N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW}" of a pooling op
/// or its gradient.
std::string poolGeometry(mlir::Operation *op);

/// "NormGeom{N, C, inner}" of a normalization's input.
std::string normGeometry(mlir::Value input);

/// "BlockCopy{rows, count, srcStride, srcOffset, dstStride, dstOffset}".
std::string blockCopy(int64_t rows, int64_t count, int64_t srcStride,
                      int64_t srcOffset, int64_t dstStride, int64_t dstOffset);

/// One `{UpdateKind::..., param, grad, state1, state2, n, momentum,
/// weight_decay, beta1, beta2, epsilon, nesterov},` line per update op of an
/// optimizer kernel; `count` receives their number.
std::string updateEntries(kernel::LaunchOp launch,
                          const FunctionLocations &locs, int &count);

/// "N, O, inner, dy, db" of a bias gradient: the sum of dy over every
/// dimension but 1.
std::string biasGradArgs(mlir::Operation *biasGrad,
                         const FunctionLocations &locs);

/// "N, K, logits, labels, loss, correct, dlogits" of a loss kernel: the
/// results its softmax_cross_entropy, count_correct and
/// softmax_cross_entropy_grad ops write, nullptr for those it lacks.
std::string lossArgs(kernel::LaunchOp launch, const FunctionLocations &locs);

/// The input a result of an update op overwrites (the op says which:
/// KernelOp::getUpdatedOperand).
mlir::Value updatedInput(mlir::OpResult result);

} // namespace alexc::codegen

#endif
