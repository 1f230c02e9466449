//===- NNBase.td - The nn dialect and its interfaces ------*- tablegen -*-===//
//
// The `nn` dialect describes a neural network as a graph of layer-level ops
// on ranked f32 tensors whose leading dimension is the batch.
//
//===----------------------------------------------------------------------===//

#ifndef ALEXC_NN_BASE
#define ALEXC_NN_BASE

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::alexc::nn";
  let summary = "Layer-level neural-network ops for training compilation";
  let description = [{
    Ops on ranked f32 tensors in PyTorch layouts: activations NCHW or NC,
    convolution weights [out, in, kh, kw], dense weights [out, in].
    Parameters are function arguments carrying an `nn.name` attribute.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
  // The module's `nn.optimizer` and `nn.initializer` must be the typed
  // settings of NNAttrs.td.
  let hasOperationAttrVerify = 1;
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

def NN_ShapeInferenceOpInterface : OpInterface<"ShapeInference"> {
  let cppNamespace = "::alexc::nn";
  let description = [{
    Ops that can compute a static result shape from static operand shapes.
    Used by the `nn-shape-inference` pass.
  }];
  let methods = [
    InterfaceMethod<[{
      Refines the result types (and, for parameters, the operand types) from
      the operand types. Emits an error naming the layer and returns failure
      when the layer cannot apply to its input.
    }], "::mlir::LogicalResult", "inferShapes">
  ];
}

def NN_KernelKind : I32EnumAttr<"KernelKind",
    "the kind of kernel an op starts", [
  I32EnumAttrCase<"Conv", 0, "conv">,
  I32EnumAttrCase<"Gemm", 1, "gemm">,
  I32EnumAttrCase<"Pool", 2, "pool">,
  I32EnumAttrCase<"Elementwise", 3, "elementwise">,
  I32EnumAttrCase<"Reduction", 4, "reduction">,
  I32EnumAttrCase<"Loss", 5, "loss">,
  I32EnumAttrCase<"Optimizer", 6, "optimizer">,
  I32EnumAttrCase<"Fill", 7, "fill">,
  I32EnumAttrCase<"Copy", 8, "copy">,
  I32EnumAttrCase<"Norm", 9, "norm">
]> {
  let cppNamespace = "::alexc::nn";
  // The kernel dialect wraps it as its `kind` attribute.
  let genSpecializedAttr = 0;
}

// The kinds of the typed settings (NNAttrs.td).
def NN_OptimizerKind : I32EnumAttr<"OptimizerKind", "an optimizer", [
  I32EnumAttrCase<"SGD", 0, "sgd">,
  I32EnumAttrCase<"Adam", 1, "adam">
]> {
  let cppNamespace = "::alexc::nn";
  let genSpecializedAttr = 0;
}

def NN_InitializerKind : I32EnumAttr<"InitializerKind",
    "how parameters start", [
  I32EnumAttrCase<"Xavier", 0, "xavier">,
  I32EnumAttrCase<"Normal", 1, "normal">
]> {
  let cppNamespace = "::alexc::nn";
  let genSpecializedAttr = 0;
}

def NN_Distribution : I32EnumAttr<"Distribution",
    "Xavier's distribution", [
  I32EnumAttrCase<"Uniform", 0, "uniform">,
  I32EnumAttrCase<"Normal", 1, "normal">
]> {
  let cppNamespace = "::alexc::nn";
  let genSpecializedAttr = 0;
}

def NN_KernelOpInterface : OpInterface<"KernelOp"> {
  let cppNamespace = "::alexc::nn";
  let description = [{
    What kernel fusion, code generation and the statistics ask of an op:
    the kind of kernel it starts (an elementwise op instead joins the
    kernel that produces its chain operand, as an epilogue), its role in
    the kernel's name, the operands that may carry the fused chain, and
    its FLOPs.
  }];
  let methods = [
    InterfaceMethod<[{
      The kind of kernel this op starts; Elementwise for an op that may fuse
      into the kernel producing its chain operand.
    }], "::alexc::nn::KernelKind", "getKernelKind", (ins), "",
    [{ return ::alexc::nn::KernelKind::Elementwise; }]>,
    InterfaceMethod<[{
      The op's part in a kernel's name ("forward", "input_grad", ...).
    }], "::llvm::StringRef", "getKernelRole", (ins), "",
    [{ return "elementwise"; }]>,
    InterfaceMethod<[{
      For an elementwise op, the operands that may carry the fused chain, in
      order of preference (the others are read as extra inputs); empty for
      an op that starts a kernel.
    }], "::llvm::SmallVector<::mlir::Value, 2>", "getChainOperands", (ins), "",
    [{ return {}; }]>,
    InterfaceMethod<[{
      Floating-point operations of its convolution or GEMM (a multiply-add
      counts 2); 0 for other ops.
    }], "double", "getFlops", (ins), "", [{ return 0.0; }]>,
    InterfaceMethod<[{
      The operand whose buffer result `result` may overwrite in place (an
      optimizer's new parameter and state take their old ones'); none for
      ops that write new buffers.
    }], "::std::optional<unsigned>", "getUpdatedOperand",
    (ins "unsigned":$result), "", [{ return std::nullopt; }]>,
    InterfaceMethod<[{
      Whether the op computes a parameter's gradient (a weight or bias
      gradient): a kernel of its own, reducing over the batch.
    }], "bool", "isParameterGradient", (ins), "", [{ return false; }]>
  ];
}

// An op that starts a kernel, one with a convolution or GEMM, and an
// elementwise op that may be fused as an epilogue.
defvar NN_KernelAnchor = DeclareOpInterfaceMethods<NN_KernelOpInterface,
    ["getKernelKind", "getKernelRole"]>;
defvar NN_KernelAnchorWithFlops = DeclareOpInterfaceMethods<NN_KernelOpInterface,
    ["getKernelKind", "getKernelRole", "getFlops"]>;
defvar NN_Epilogue = DeclareOpInterfaceMethods<NN_KernelOpInterface,
    ["getChainOperands"]>;
// An optimizer's update (overwrites its parameter and state) and an op
// that computes a parameter's gradient.
defvar NN_OptimizerUpdate = DeclareOpInterfaceMethods<NN_KernelOpInterface,
    ["getKernelKind", "getKernelRole", "getUpdatedOperand"]>;
defvar NN_ParameterGradient = DeclareOpInterfaceMethods<NN_KernelOpInterface,
    ["getKernelKind", "getKernelRole", "isParameterGradient"]>;
defvar NN_ParameterGradientWithFlops = DeclareOpInterfaceMethods<
    NN_KernelOpInterface,
    ["getKernelKind", "getKernelRole", "getFlops", "isParameterGradient"]>;

def NN_F32Tensor : RankedTensorOf<[F32]>;
def NN_F32Tensor4D : TensorRankOf<[F32], [4]>;
def NN_F32Tensor2D : TensorRankOf<[F32], [2]>;
def NN_F32Tensor1D : TensorRankOf<[F32], [1]>;
def NN_F32Scalar : TensorRankOf<[F32], [0]>;
def NN_I32Scalar : TensorRankOf<[I32], [0]>;
def NN_LabelTensor : TensorRankOf<[I32], [1]>;

#endif // ALEXC_NN_BASE
