//===- KernelCall.h - One description of a kernel.launch --------*- C++ -*-===//
//
// What a planned kernel.launch calls, described once for both back ends:
// the runtime functions (the same names on the CPU and CUDA, with the same
// leading arguments: runtime/abi/KernelAbi.h), the fused epilogue chain, the
// copies that must precede the calls, and what the CUDA runtime needs to
// know besides (variants, scratch). The back ends print it through a
// KernelTarget (KernelTarget.h), which adds only their own trailing
// arguments.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_CODEGEN_KERNELCALL_H
#define ALEXC_CODEGEN_KERNELCALL_H

#include "Codegen/Locations.h"
#include "Dialect/Kernel/IR/KernelOps.h"

#include <string>
#include <vector>

namespace alexc::codegen {

/// What of the step's scalars a runtime call takes after its arguments.
enum class FrameUse {
  None,      // nothing (CUDA still passes its frame: stream, handles)
  Seed,      // the initialization seed
  LrAndStep, // the learning rate and the step (optimizer)
  LossRows,  // the rows the loss is averaged over (data-parallel steps)
  Rows,      // the step's rows holding examples (batch norm's statistics)
};

/// How a call's output reaches the fused epilogue chain.
enum class EpilogueMode {
  None,        // the call writes its results itself
  AfterAnchor, // the call produces the anchor's value, the chain follows
  Standalone,  // an elementwise kernel: the chain starts from its input
};

/// `function<templateArgs>(args..., <target's output and epilogue>,
/// <target's frame arguments>)`.
struct RuntimeCall {
  std::string function;
  std::string templateArgs;
  std::vector<std::string> args;
  FrameUse frame = FrameUse::None;
  mlir::Value seed; // for FrameUse::Seed
};

/// A copy of `bytes` from `src` to `dst` before the calls (an optimizer
/// result whose input lives elsewhere starts as a copy of it).
struct BufferCopy {
  std::string dst, src;
  int64_t bytes;
};

struct KernelCall {
  kernel::LaunchOp launch;
  std::vector<BufferCopy> copies;
  std::string setup; // statements before the calls (the optimizer's table)
  std::vector<RuntimeCall> calls; // several only for a group of fills
  EpilogueMode epilogue = EpilogueMode::None;
  mlir::Value chainStart; // the anchor's result, or a standalone's input
  llvm::SmallVector<mlir::Operation *> chain; // fused ops, in order
  int variants = 1;                           // CUDA: generated, cuBLAS, cuDNN
  int64_t scratchFloats = 0;                  // CUDA: the kernel's scratch need
  double flops = 0;                           // of its convolutions and GEMMs
  /// Gradients the optimizer reads that this launch completes (pointer,
  /// elements), and whether it is the first launch that reads them: the
  /// points where data-parallel steps sum gradients over ranks.
  std::vector<std::pair<std::string, int64_t>> completedGradients;
  bool waitsForGradients = false;
};

/// Describes a planned launch; fails (with an error on the op) for an
/// anchor no runtime function implements.
mlir::FailureOr<KernelCall> describeLaunch(kernel::LaunchOp launch,
                                           const FunctionLocations &locs);

/// The buffer an anchor writes: its own if the launch yields it, else that
/// of the last yielded value of its chain.
mlir::Value primaryOutput(const KernelCall &call);

} // namespace alexc::codegen

#endif
