//===- KernelTarget.h - What a back end adds to a kernel call ---*- C++ -*-===//
//
// The shared lowering (printKernel) prints every kernel from its
// KernelCall; a back end supplies only what differs: its function header,
// how it copies buffers, how the output and the fused epilogue are passed,
// and which frame arguments end a call (as Triton's TargetInfoBase does for
// its GPU targets).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_CODEGEN_KERNELTARGET_H
#define ALEXC_CODEGEN_KERNELTARGET_H

#include "Codegen/KernelCall.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace alexc::codegen {

class KernelTarget {
public:
  virtual ~KernelTarget() = default;

  /// `static void NAME(<frame parameters>) {` and what the body starts with.
  virtual std::string functionHeader(const std::string &name) = 0;
  /// The statement that copies `bytes` from `src` to `dst` on the target.
  virtual std::string copyStatement(const std::string &dst,
                                    const std::string &src,
                                    const std::string &bytes) = 0;
  /// The arguments that carry the output and the fused chain of `call`
  /// (for EpilogueMode::None: none). May print declarations at file scope
  /// (`fileScope`, before the function) or in the body (`body`).
  virtual mlir::FailureOr<std::string>
  epilogueArguments(const KernelCall &call, const std::string &name,
                    llvm::raw_ostream &fileScope, llvm::raw_ostream &body) = 0;
  /// The trailing frame arguments of one runtime call, or "".
  virtual std::string frameArguments(const KernelCall &call,
                                     const RuntimeCall &rc) = 0;
};

/// Prints the function `name` that runs one launch on `target`, preceded
/// by a comment naming its ops.
mlir::LogicalResult printKernel(const KernelCall &call, const std::string &name,
                                KernelTarget &target, llvm::raw_ostream &os);

/// Prints, for each result of `func` that is computed elsewhere than the
/// caller's buffer, `if (f.results[k] && ...) <copy>` on `target`.
void printResultCopies(mlir::func::FuncOp func, const FunctionLocations &locs,
                       KernelTarget &target, llvm::raw_ostream &os);

} // namespace alexc::codegen

#endif
