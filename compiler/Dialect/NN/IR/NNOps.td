//===- NNOps.td - nn dialect ops ---------------------------*- tablegen -*-===//
//
// Forward layer ops, loss and metrics. Gradient and optimizer ops, built by
// the autodiff pass, are in the second half of this file.
//
//===----------------------------------------------------------------------===//

#ifndef ALEXC_NN_OPS
#define ALEXC_NN_OPS

include "Dialect/NN/IR/NNBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

//===----------------------------------------------------------------------===//
// Forward ops
//===----------------------------------------------------------------------===//

def NN_Conv2DOp : NN_Op<"conv2d",
    [Pure, DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = "2-D convolution (cross-correlation), NCHW";
  let description = [{
    `output[n, o, y, x] = bias[o] + sum_{c, i, j} input[n, c, y*sh + i - ph,
    x*sw + j - pw] * weight[o, c, i, j]`, with zero padding. Weight layout is
    [out, in, kh, kw]; the bias is optional.

    ```mlir
    %y = nn.conv2d %x, %w, %b strides = [4, 4] padding = [0, 0]
        : (tensor<128x1x224x224xf32>, tensor<96x1x11x11xf32>, tensor<96xf32>)
        -> tensor<128x96x54x54xf32>
    ```
  }];
  let arguments = (ins NN_F32Tensor4D:$input, NN_F32Tensor4D:$weight,
                       Optional<NN_F32Tensor1D>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs NN_F32Tensor4D:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `strides` `=` $strides `padding` `=` $padding
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

class NN_Pool2DOp<string mnemonic, string what> : NN_Op<mnemonic,
    [Pure, DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = what # " pooling over 2-D windows, NCHW";
  let arguments = (ins NN_F32Tensor4D:$input, DenseI64ArrayAttr:$window,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs NN_F32Tensor4D:$output);
  let assemblyFormat = [{
    $input `window` `=` $window `strides` `=` $strides `padding` `=` $padding
    attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def NN_MaxPool2DOp : NN_Pool2DOp<"max_pool2d", "Max"> {
  let description = [{
    Maximum over each window; padded positions never win (they count as
    -infinity), as in PyTorch.
  }];
}

def NN_AvgPool2DOp : NN_Pool2DOp<"avg_pool2d", "Average"> {
  let description = [{
    Mean over each window; padded positions count as zeros and the divisor is
    always the full window size (`count_include_pad`, the default of MXNet and
    PyTorch).
  }];
}

def NN_DenseOp : NN_Op<"dense",
    [Pure, DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = "Fully connected layer: output = input * weight^T + bias";
  let description = [{
    Input [N, in], weight [out, in] (PyTorch layout), optional bias [out],
    output [N, out]. A 4-D input is flattened first by an explicit
    `nn.flatten`.
  }];
  let arguments = (ins NN_F32Tensor2D:$input, NN_F32Tensor2D:$weight,
                       Optional<NN_F32Tensor1D>:$bias);
  let results = (outs NN_F32Tensor2D:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_FlattenOp : NN_Op<"flatten",
    [Pure, DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = "Collapses all dimensions after the batch into one";
  let arguments = (ins NN_F32Tensor:$input);
  let results = (outs NN_F32Tensor2D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

class NN_UnaryOp<string mnemonic, string what> : NN_Op<mnemonic,
    [Pure, SameOperandsAndResultType,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = what # ", elementwise";
  let arguments = (ins NN_F32Tensor:$input);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_ReluOp : NN_UnaryOp<"relu", "max(x, 0)">;
def NN_SigmoidOp : NN_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def NN_TanhOp : NN_UnaryOp<"tanh", "tanh(x)">;

def NN_DropoutOp : NN_Op<"dropout",
    [Pure, AllTypesMatch<["input", "output"]>,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = "Inverted dropout with a counter-based random mask";
  let description = [{
    Zeroes each element with probability `rate` and scales the kept ones by
    1 / (1 - rate). The mask is a pure function of (seed, step, stream,
    element index) through Philox-4x32-10, so every backend draws the same
    mask and the backward pass regenerates it instead of storing it.
    `stream` tells the dropout layers of one network apart.
  }];
  let arguments = (ins NN_F32Tensor:$input, I64:$seed, I64:$step,
                       F32Attr:$rate, I64Attr:$stream);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $seed `,` $step `rate` `=` $rate `stream` `=` $stream attr-dict
    `:` type($input)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Loss and metrics
//===----------------------------------------------------------------------===//

def NN_SoftmaxCrossEntropyOp : NN_Op<"softmax_cross_entropy",
    [Pure, DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = "Mean softmax cross-entropy over the labelled examples";
  let description = [{
    `loss = mean_{n : labels[n] >= 0} (logsumexp(logits[n]) -
    logits[n, labels[n]])`. A negative label marks a padding row (the last,
    partial batch) that counts neither in the sum nor in the divisor.
  }];
  let arguments = (ins NN_F32Tensor2D:$logits, NN_LabelTensor:$labels);
  let results = (outs NN_F32Scalar:$loss);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels) `->` type($loss)
  }];
  let hasVerifier = 1;
}

def NN_CountCorrectOp : NN_Op<"count_correct",
    [Pure, DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = "Number of rows whose argmax equals their label";
  let description = [{
    Ties go to the lowest class index. Rows with a negative label are never
    counted.
  }];
  let arguments = (ins NN_F32Tensor2D:$logits, NN_LabelTensor:$labels);
  let results = (outs NN_I32Scalar:$count);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels) `->` type($count)
  }];
  let hasVerifier = 1;
}

#endif // ALEXC_NN_OPS
