//===- Passes.td - Passes that build and plan kernels ------*- tablegen -*-===//
#ifndef ALEXC_KERNEL_PASSES
#define ALEXC_KERNEL_PASSES

include "mlir/Pass/PassBase.td"

def KernelFusion : Pass<"kernel-fusion", "::mlir::ModuleOp"> {
  let summary = "Group the nn ops of every function into kernel.launch ops";
  let description = [{
    Walks each function in order and puts every nn op into a kernel:
    anchors (convolutions, GEMMs, pools and their gradients, the loss, the
    initializers) start one; elementwise ops (activations, dropout, their
    gradients, gradient sums) join the kernel that produces their operand as
    an epilogue; a bias gradient joins the weight-gradient kernel that reads
    the same output gradient; the accuracy count and the loss gradient join
    the loss; all optimizer updates form one multi-tensor kernel. A fusion
    happens only where it keeps every use after its definition. Flatten and
    reshape become kernel.view (no data moves).
  }];
  let dependentDialects = ["::alexc::kernel::KernelDialect"];
}

def KernelMemoryPlan : Pass<"kernel-memory-plan", "::mlir::ModuleOp"> {
  let summary = "Place every kernel result at an offset of one arena";
  let description = [{
    Liveness over each function's kernels; transient results get offsets in
    one arena, reused as soon as a buffer is dead (greedy by size, 64-byte
    aligned); results the function returns and gradients the optimizer reads
    go to a persistent region; optimizer updates and elementwise kernels
    whose input dies with them write in place. Annotates each launch with
    `offsets`, `placement` and `inplace`, and each function with
    `kernel.arena_bytes` and `kernel.persistent_bytes`. Concat inputs
    whose producers and readers address them element by element are
    written into the concat's buffer (placement `slice`).
  }];
  let options = [
    Option<"concatSlices", "concat-slices", "bool", /*default=*/"true",
           "Write concat inputs into the concat's buffer where possible">
  ];
  let dependentDialects = ["::alexc::kernel::KernelDialect"];
}

def KernelCheckPlan : Pass<"kernel-check-plan", "::mlir::ModuleOp"> {
  let summary = "Check that no two live buffers of a plan overlap";
  let description = [{
    Recomputes liveness and fails, naming both kernels, if two values whose
    lifetimes overlap share bytes of the same region.
  }];
}

#endif // ALEXC_KERNEL_PASSES
