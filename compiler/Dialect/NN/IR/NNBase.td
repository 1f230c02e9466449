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

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::alexc::nn";
  let summary = "Layer-level neural-network ops for training compilation";
  let description = [{
    Ops on ranked f32 tensors in PyTorch layouts: activations NCHW or NC,
    convolution weights [out, in, kh, kw], dense weights [out, in].
    Parameters are function arguments carrying an `nn.name` attribute.
  }];
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

def NN_F32Tensor : RankedTensorOf<[F32]>;
def NN_F32Tensor4D : TensorRankOf<[F32], [4]>;
def NN_F32Tensor2D : TensorRankOf<[F32], [2]>;
def NN_F32Tensor1D : TensorRankOf<[F32], [1]>;
def NN_F32Scalar : TensorRankOf<[F32], [0]>;
def NN_I32Scalar : TensorRankOf<[I32], [0]>;
def NN_LabelTensor : TensorRankOf<[I32], [1]>;

#endif // ALEXC_NN_BASE
