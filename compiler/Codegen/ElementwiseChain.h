//===- ElementwiseChain.h - Fused ops as C++ statements ---------*- C++ -*-===//
//
// The epilogue of a kernel (the elementwise ops after its anchor) as
// straight-line C++ on one element: `v` holds the anchor's value at flat
// index `i`; each op updates `v`; values the kernel yields are stored. The
// CPU and CUDA generators wrap the same statements in a loop or a device
// functor.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_CODEGEN_ELEMENTWISECHAIN_H
#define ALEXC_CODEGEN_ELEMENTWISECHAIN_H

#include "Dialect/Kernel/IR/KernelOps.h"

#include <functional>
#include <string>

namespace alexc::codegen {

struct ChainNames {
  std::string seed, step, dropout; // expressions of the step's scalars
  /// When set, the expression of a dropout op's keep decision for element
  /// `i` (given its stream and rate); otherwise rng::dropoutKeep is called
  /// per element. The CPU generator draws the keep bits of a range first.
  std::function<std::string(int64_t stream, float rate)> keep;
};

/// Statements for `chain` (ops of `launch`'s body, in order) starting from
/// `start`. `elementOf` gives the lvalue of a value's element `i` (operands
/// read from other tensors, and yielded values). Every yielded value of the
/// chain is stored; when `storeStart` is set, `start` is stored too if the
/// launch yields it. Fails on an op that cannot be fused.
mlir::FailureOr<std::string>
elementwiseChain(kernel::LaunchOp launch,
                 llvm::ArrayRef<mlir::Operation *> chain, mlir::Value start,
                 const std::function<std::string(mlir::Value)> &elementOf,
                 const ChainNames &names, bool storeStart);

/// A float literal that reads back to the same float ("0.5f", "2.0f").
std::string floatLiteral(double v);

/// The global index of the first element of a data-parallel rank's rows
/// in a chain over `chainStart` ("ROWOFFSET * elements per row"): dropout
/// masks are keyed by it, so they do not depend on the number of ranks.
std::string firstGlobalElement(const std::string &rowOffset,
                               mlir::Value chainStart);

} // namespace alexc::codegen

#endif
