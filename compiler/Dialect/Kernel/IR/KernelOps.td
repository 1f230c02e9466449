//===- KernelOps.td - The kernel dialect -------------------*- tablegen -*-===//
//
// The training step as an ordered list of kernels. Each `kernel.launch`
// holds, in its isolated region, the nn ops it computes in one pass (an
// anchor op such as a convolution plus its fused prologue/epilogue, or a
// group of siblings); code generators emit one function per launch. Memory
// planning annotates launches with where their results live.
//
//===----------------------------------------------------------------------===//

#ifndef ALEXC_KERNEL_OPS
#define ALEXC_KERNEL_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "Dialect/NN/IR/NNBase.td"
include "Dialect/Kernel/IR/KernelEnums.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def Kernel_Dialect : Dialect {
  let name = "kernel";
  let cppNamespace = "::alexc::kernel";
  let summary = "Kernels of a training step: fused groups of nn ops";
  let useDefaultAttributePrinterParser = 1;
}

// The kind of a kernel is that of its anchor op (nn's KernelKind).
def Kernel_KindAttr : EnumAttr<Kernel_Dialect, NN_KernelKind, "kind"> {
  let cppNamespace = "::alexc::kernel";
}

def Kernel_PlacementAttr : EnumAttr<Kernel_Dialect, Kernel_Placement,
    "placement">;
def Kernel_PlacementArrayAttr : TypedArrayAttrBase<Kernel_PlacementAttr,
    "placement of each result">;

class Kernel_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kernel_Dialect, mnemonic, traits>;

def Kernel_LaunchOp : Kernel_Op<"launch", [IsolatedFromAbove, Pure,
    SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "One kernel: a fused group of nn ops";
  let description = [{
    `name` says which layers the kernel comes from ("conv1_forward"); `kind`
    is that of its anchor op: conv, gemm, pool, elementwise, reduction,
    loss, optimizer or fill. The region's arguments are the `inputs`, in
    order; `kernel.yield` gives the results. After memory planning,
    `offsets` holds each result's byte offset in the region named by
    `placement` (arena, persistent, inplace or slice), and `inplace` maps
    a result to the input it overwrites (-1: none). A result placed as a
    slice lives in the buffer of the concat that reads it (offset -1).

    ```mlir
    %y = kernel.launch "conv1_forward" kind = conv
        (%x, %w, %b : tensor<..>, tensor<..>, tensor<..>) -> tensor<..> {
    ^bb0(%a: tensor<..>, %b: tensor<..>, %c: tensor<..>):
      %0 = nn.conv2d %a, %b, %c strides = [4, 4] padding = [0, 0] : ...
      %1 = nn.relu %0 : tensor<..>
      kernel.yield %1 : tensor<..>
    }
    ```
  }];
  let arguments = (ins StrAttr:$name, Kernel_KindAttr:$kind,
                       Variadic<AnyType>:$inputs,
                       OptionalAttr<DenseI64ArrayAttr>:$offsets,
                       OptionalAttr<Kernel_PlacementArrayAttr>:$placement,
                       OptionalAttr<DenseI64ArrayAttr>:$inplace);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBlock() { return getBody().front(); }
    /// The op that gives the kernel its kind (the first op of the body).
    ::mlir::Operation *getAnchor() { return &getBlock().front(); }
    /// Where result `i` lives once planned (the arena before planning).
    ::alexc::kernel::Placement getResultPlacement(unsigned i);
    /// For a result placed as a slice: the concat launch whose buffer holds
    /// it, and the offset of its range in that concat's dimension 1 (in
    /// elements of one row: channels x height x width).
    ::alexc::kernel::LaunchOp getSliceOwner(unsigned i);
    int64_t getSliceRowOffset(unsigned i);
  }];
}

def Kernel_YieldOp : Kernel_Op<"yield", [Pure, Terminator, ReturnLike,
    HasParent<"LaunchOp">]> {
  let summary = "Results of a kernel.launch";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ /* empty */ }]>];
}

def Kernel_ViewOp : Kernel_Op<"view", [Pure]> {
  let summary = "The same buffer seen with another shape (no kernel)";
  let description = [{
    Flatten and its gradient move no data; the planner gives the result
    the operand's storage.
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

#endif // ALEXC_KERNEL_OPS
