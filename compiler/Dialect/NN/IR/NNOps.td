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
    [Pure, NN_KernelAnchorWithFlops,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
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
    [Pure, NN_KernelAnchor,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
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
    [Pure, NN_KernelAnchorWithFlops,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
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
    [Pure, NN_Epilogue,
     SameOperandsAndResultType,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = what # ", elementwise";
  let arguments = (ins NN_F32Tensor:$input);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  // Every unary op keeps its operand's type and carries the chain in it.
  let extraClassDefinition = [{
    ::mlir::LogicalResult $cppClass::inferShapes() {
      getResult().setType(getInput().getType());
      return ::mlir::success();
    }
    ::llvm::SmallVector<::mlir::Value, 2> $cppClass::getChainOperands() {
      return {getInput()};
    }
  }];
}

def NN_ReluOp : NN_UnaryOp<"relu", "max(x, 0)">;
def NN_SigmoidOp : NN_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def NN_TanhOp : NN_UnaryOp<"tanh", "tanh(x)">;

def NN_DropoutOp : NN_Op<"dropout",
    [Pure, NN_Epilogue,
     AllTypesMatch<["input", "output"]>,
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

def NN_GlobalAvgPool2DOp : NN_Op<"global_avg_pool2d",
    [Pure, NN_KernelAnchor,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = "Mean over height and width, NCHW -> NCx1x1";
  let description = [{
    Average pooling whose window is the whole input plane; its kernels and
    its gradient are those of `nn.avg_pool2d` with that window.
  }];
  let arguments = (ins NN_F32Tensor4D:$input);
  let results = (outs NN_F32Tensor4D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def NN_AddOp : NN_Op<"add", [Pure, NN_Epilogue, Commutative,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = "Elementwise sum of two tensors of one shape";
  let description = [{
    A residual connection in the forward graph (a spec's `add` layer is a
    chain of them), and the sum of the gradients of a value used twice.
    Fused into the kernel that produces either operand, as an epilogue.
  }];
  let arguments = (ins NN_F32Tensor:$lhs, NN_F32Tensor:$rhs);
  let results = (outs NN_F32Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$lhs, "::mlir::Value":$rhs), [{
      build($_builder, $_state, lhs.getType(), lhs, rhs);
    }]>
  ];
}

def NN_ConcatOp : NN_Op<"concat", [Pure, NN_KernelAnchor,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = "Tensors joined along dimension 1 (channels or features)";
  let description = [{
    Inputs of one rank (4-D NCHW or 2-D NC) that agree in every dimension
    but 1; the result's dimension 1 is the sum of theirs, in order.
  }];
  let arguments = (ins Variadic<NN_F32Tensor>:$inputs);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_BatchNormOp : NN_Op<"batch_norm",
    [Pure, AttrSizedOperandSegments,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
  let summary = "Batch normalization as a layer (before nn-autodiff)";
  let description = [{
    Normalizes each channel of a 4-D input (over batch, height and width)
    or each feature of a 2-D input (over the batch), then scales by `gamma`
    and shifts by `beta` (each optional: Gluon's `scale` and `center`).
    Training uses the batch's statistics and updates the running ones
    (`running = momentum * running + (1 - momentum) * batch`, the variance
    unbiased); evaluation uses the running statistics. nn-autodiff turns it
    into `nn.batch_norm_train` or `nn.batch_norm_inference`.
  }];
  let arguments = (ins NN_F32Tensor:$input, NN_F32Tensor1D:$running_mean,
                       NN_F32Tensor1D:$running_var,
                       Optional<NN_F32Tensor1D>:$gamma,
                       Optional<NN_F32Tensor1D>:$beta,
                       F64Attr:$momentum, F64Attr:$epsilon);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $running_mean `,` $running_var (`gamma` $gamma^)? (`beta` $beta^)?
    `momentum` `=` $momentum `epsilon` `=` $epsilon attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_BatchNormTrainOp : NN_Op<"batch_norm_train",
    [Pure, AttrSizedOperandSegments, NN_KernelAnchor]> {
  let summary = "Batch normalization with the batch's statistics";
  let description = [{
    `output = gamma * (input - mean) * invstd + beta` with the batch mean and
    `invstd = 1 / sqrt(biased variance + epsilon)` per channel, both
    returned for the gradient; also the updated running statistics.
  }];
  let arguments = (ins NN_F32Tensor:$input, NN_F32Tensor1D:$running_mean,
                       NN_F32Tensor1D:$running_var,
                       Optional<NN_F32Tensor1D>:$gamma,
                       Optional<NN_F32Tensor1D>:$beta,
                       F64Attr:$momentum, F64Attr:$epsilon);
  let results = (outs NN_F32Tensor:$output, NN_F32Tensor1D:$mean,
                      NN_F32Tensor1D:$invstd,
                      NN_F32Tensor1D:$new_running_mean,
                      NN_F32Tensor1D:$new_running_var);
  let assemblyFormat = [{
    $input `,` $running_mean `,` $running_var (`gamma` $gamma^)? (`beta` $beta^)?
    `momentum` `=` $momentum `epsilon` `=` $epsilon attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_BatchNormInferenceOp : NN_Op<"batch_norm_inference",
    [Pure, AttrSizedOperandSegments, NN_KernelAnchor]> {
  let summary = "Batch normalization with the running statistics";
  let description = [{
    `output = gamma * (input - mean) / sqrt(var + epsilon) + beta`, per
    channel (a 4-D input) or feature (2-D).
  }];
  let arguments = (ins NN_F32Tensor:$input, NN_F32Tensor1D:$mean,
                       NN_F32Tensor1D:$var,
                       Optional<NN_F32Tensor1D>:$gamma,
                       Optional<NN_F32Tensor1D>:$beta, F64Attr:$epsilon);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $mean `,` $var (`gamma` $gamma^)? (`beta` $beta^)?
    `epsilon` `=` $epsilon attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Loss and metrics
//===----------------------------------------------------------------------===//

def NN_SoftmaxCrossEntropyOp : NN_Op<"softmax_cross_entropy",
    [Pure, NN_KernelAnchor,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
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
    [Pure, NN_KernelAnchor,
     DeclareOpInterfaceMethods<NN_ShapeInferenceOpInterface>]> {
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

//===----------------------------------------------------------------------===//
// Gradient ops (built by nn-autodiff)
//===----------------------------------------------------------------------===//

def NN_Conv2DInputGradOp : NN_Op<"conv2d_input_grad",
    [Pure, NN_KernelAnchorWithFlops]> {
  let summary = "Gradient of conv2d with respect to its input";
  let description = [{
    `input_grad[n, c, h, w] = sum over (o, i, j) with h = y*sh + i - ph,
    w = x*sw + j - pw of output_grad[n, o, y, x] * weight[o, c, i, j]`
    (a transposed convolution). The result type fixes the input size, which
    strides > 1 leave ambiguous otherwise.
  }];
  let arguments = (ins NN_F32Tensor4D:$output_grad, NN_F32Tensor4D:$weight,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs NN_F32Tensor4D:$input_grad);
  let assemblyFormat = [{
    $output_grad `,` $weight `strides` `=` $strides `padding` `=` $padding
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_Conv2DWeightGradOp : NN_Op<"conv2d_weight_grad",
    [Pure, NN_ParameterGradientWithFlops]> {
  let summary = "Gradient of conv2d with respect to its weight";
  let description = [{
    `weight_grad[o, c, i, j] = sum_{n, y, x} output_grad[n, o, y, x] *
    input[n, c, y*sh + i - ph, x*sw + j - pw]`. The result type fixes the
    kernel size.
  }];
  let arguments = (ins NN_F32Tensor4D:$input, NN_F32Tensor4D:$output_grad,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs NN_F32Tensor4D:$weight_grad);
  let assemblyFormat = [{
    $input `,` $output_grad `strides` `=` $strides `padding` `=` $padding
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_BiasGradOp : NN_Op<"bias_grad",
    [Pure, NN_ParameterGradient]> {
  let summary = "Sum of the output gradient over every dimension but 1";
  let description = [{
    The bias gradient of conv2d ([N, O, H, W] -> [O]) and dense
    ([N, O] -> [O]).
  }];
  let arguments = (ins NN_F32Tensor:$output_grad);
  let results = (outs NN_F32Tensor1D:$bias_grad);
  let assemblyFormat = "$output_grad attr-dict `:` type($output_grad) `->` type($bias_grad)";
  let hasVerifier = 1;
}

def NN_MaxPool2DGradOp : NN_Op<"max_pool2d_grad",
    [Pure, NN_KernelAnchor]> {
  let summary = "Gradient of max_pool2d";
  let description = [{
    Routes each output gradient to the position of its window's maximum in
    `input` (the first one in row-major order on ties, as PyTorch does);
    contributions of overlapping windows add up.
  }];
  let arguments = (ins NN_F32Tensor4D:$input, NN_F32Tensor4D:$output_grad,
                       DenseI64ArrayAttr:$window, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs NN_F32Tensor4D:$input_grad);
  let assemblyFormat = [{
    $input `,` $output_grad `window` `=` $window `strides` `=` $strides
    `padding` `=` $padding attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_AvgPool2DGradOp : NN_Op<"avg_pool2d_grad",
    [Pure, NN_KernelAnchor]> {
  let summary = "Gradient of avg_pool2d";
  let description = [{
    Spreads each output gradient evenly (divided by the full window size)
    over the unpadded positions of its window. The result type fixes the
    input size.
  }];
  let arguments = (ins NN_F32Tensor4D:$output_grad, DenseI64ArrayAttr:$window,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs NN_F32Tensor4D:$input_grad);
  let assemblyFormat = [{
    $output_grad `window` `=` $window `strides` `=` $strides
    `padding` `=` $padding attr-dict `:` type($output_grad) `->` type($input_grad)
  }];
  let hasVerifier = 1;
}

def NN_DenseInputGradOp : NN_Op<"dense_input_grad",
    [Pure, NN_KernelAnchorWithFlops]> {
  let summary = "input_grad = output_grad * weight ([N, U] x [U, F])";
  let arguments = (ins NN_F32Tensor2D:$output_grad, NN_F32Tensor2D:$weight);
  let results = (outs NN_F32Tensor2D:$input_grad);
  let assemblyFormat = [{
    $output_grad `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_DenseWeightGradOp : NN_Op<"dense_weight_grad",
    [Pure, NN_ParameterGradientWithFlops]> {
  let summary = "weight_grad = output_grad^T * input ([U, N] x [N, F])";
  let arguments = (ins NN_F32Tensor2D:$input, NN_F32Tensor2D:$output_grad);
  let results = (outs NN_F32Tensor2D:$weight_grad);
  let assemblyFormat = [{
    $input `,` $output_grad attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

class NN_ActivationGradOp<string mnemonic, string what> : NN_Op<mnemonic,
    [Pure, NN_Epilogue,
     SameOperandsAndResultType]> {
  let summary = "Gradient of " # what # ", from its output";
  let arguments = (ins NN_F32Tensor:$output, NN_F32Tensor:$output_grad);
  let results = (outs NN_F32Tensor:$input_grad);
  let assemblyFormat = "$output `,` $output_grad attr-dict `:` type($output)";
  // The fused value is the output gradient; the output is read beside it.
  let extraClassDefinition = [{
    ::llvm::SmallVector<::mlir::Value, 2> $cppClass::getChainOperands() {
      return {getOutputGrad()};
    }
  }];
}

def NN_ReluGradOp : NN_ActivationGradOp<"relu_grad", "relu"> {
  let description = [{ `input_grad = output > 0 ? output_grad : 0`. }];
}
def NN_SigmoidGradOp : NN_ActivationGradOp<"sigmoid_grad", "sigmoid"> {
  let description = [{ `input_grad = output_grad * output * (1 - output)`. }];
}
def NN_TanhGradOp : NN_ActivationGradOp<"tanh_grad", "tanh"> {
  let description = [{ `input_grad = output_grad * (1 - output^2)`. }];
}

def NN_DropoutGradOp : NN_Op<"dropout_grad",
    [Pure, NN_Epilogue,
     AllTypesMatch<["output_grad", "input_grad"]>]> {
  let summary = "Gradient of dropout: the same mask, regenerated";
  let arguments = (ins NN_F32Tensor:$output_grad, I64:$seed, I64:$step,
                       F32Attr:$rate, I64Attr:$stream);
  let results = (outs NN_F32Tensor:$input_grad);
  let assemblyFormat = [{
    $output_grad `,` $seed `,` $step `rate` `=` $rate `stream` `=` $stream
    attr-dict `:` type($output_grad)
  }];
  let hasVerifier = 1;
}

def NN_SoftmaxCrossEntropyGradOp : NN_Op<"softmax_cross_entropy_grad",
    [Pure, NN_KernelAnchor,
     AllTypesMatch<["logits", "logits_grad"]>]> {
  let summary = "Gradient of the mean softmax cross-entropy";
  let description = [{
    `logits_grad[n, k] = (softmax(logits[n])[k] - (k == labels[n])) / count`
    for labelled rows (`count` of them), 0 for rows with a negative label.
  }];
  let arguments = (ins NN_F32Tensor2D:$logits, NN_LabelTensor:$labels);
  let results = (outs NN_F32Tensor2D:$logits_grad);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels)
  }];
  let hasVerifier = 1;
}

def NN_BatchNormGradOp : NN_Op<"batch_norm_grad",
    [Pure, NN_KernelAnchor]> {
  let summary = "Gradient of nn.batch_norm_train";
  let description = [{
    With `xhat = (input - mean) * invstd` and `M` elements per channel:
    `beta_grad = sum(output_grad)`, `gamma_grad = sum(output_grad * xhat)`,
    `input_grad = gamma * invstd / M * (M * output_grad - beta_grad -
    xhat * gamma_grad)` (gamma = 1 when absent).
  }];
  let arguments = (ins NN_F32Tensor:$input, NN_F32Tensor:$output_grad,
                       NN_F32Tensor1D:$mean, NN_F32Tensor1D:$invstd,
                       Optional<NN_F32Tensor1D>:$gamma);
  let results = (outs NN_F32Tensor:$input_grad, NN_F32Tensor1D:$gamma_grad,
                      NN_F32Tensor1D:$beta_grad);
  let assemblyFormat = [{
    $input `,` $output_grad `,` $mean `,` $invstd (`gamma` $gamma^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_SliceOp : NN_Op<"slice", [Pure, NN_KernelAnchor]> {
  let summary = "A range of dimension 1; the gradient of concat";
  let description = [{
    `output[n, c, ...] = input[n, offset + c, ...]` for `c` below the
    result's dimension 1; every other dimension is the input's.
  }];
  let arguments = (ins NN_F32Tensor:$input, I64Attr:$offset);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = [{
    $input `offset` `=` $offset attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def NN_ReshapeOp : NN_Op<"reshape", [Pure]> {
  let summary = "Same elements (row-major), another shape; the gradient of flatten";
  let arguments = (ins NN_F32Tensor:$input);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Optimizer updates (built by nn-autodiff)
//===----------------------------------------------------------------------===//

def NN_SGDUpdateOp : NN_Op<"sgd_update", [Pure, NN_OptimizerUpdate,
     AllTypesMatch<["param", "grad", "new_param"]>]> {
  let summary = "Plain SGD: param - lr * (grad + weight_decay * param)";
  let arguments = (ins NN_F32Tensor:$param, NN_F32Tensor:$grad, F32:$lr,
                       F64Attr:$weight_decay);
  let results = (outs NN_F32Tensor:$new_param);
  let assemblyFormat = [{
    $param `,` $grad `,` $lr `weight_decay` `=` $weight_decay attr-dict
    `:` type($param)
  }];
  let hasVerifier = 1;
}

def NN_SGDMomentumUpdateOp : NN_Op<"sgd_momentum_update", [Pure, NN_OptimizerUpdate,
     AllTypesMatch<["param", "grad", "momentum_buffer", "new_param",
                   "new_momentum_buffer"]>]> {
  let summary = "SGD with momentum, PyTorch semantics";
  let description = [{
    `d = grad + weight_decay * param; buf' = momentum * buf + d;
    param' = param - lr * (nesterov ? d + momentum * buf' : buf')`.
    A zero-initialized buffer gives PyTorch's first step (buf = d).
  }];
  let arguments = (ins NN_F32Tensor:$param, NN_F32Tensor:$grad,
                       NN_F32Tensor:$momentum_buffer, F32:$lr,
                       F64Attr:$momentum, F64Attr:$weight_decay,
                       BoolAttr:$nesterov);
  let results = (outs NN_F32Tensor:$new_param,
                      NN_F32Tensor:$new_momentum_buffer);
  let assemblyFormat = [{
    $param `,` $grad `,` $momentum_buffer `,` $lr `momentum` `=` $momentum
    `weight_decay` `=` $weight_decay `nesterov` `=` $nesterov attr-dict
    `:` type($param)
  }];
  let hasVerifier = 1;
}

def NN_AdamUpdateOp : NN_Op<"adam_update", [Pure, NN_OptimizerUpdate,
     AllTypesMatch<["param", "grad", "exp_avg", "exp_avg_sq", "new_param",
                   "new_exp_avg", "new_exp_avg_sq"]>]> {
  let summary = "Adam, PyTorch semantics (L2 weight decay, not AdamW)";
  let description = [{
    With `t = step + 1` (`step` counts from 0) and
    `g = grad + weight_decay * param`:
    `m' = beta1 m + (1 - beta1) g`, `v' = beta2 v + (1 - beta2) g^2`,
    `param' = param - lr / (1 - beta1^t) * m' /
    (sqrt(v') / sqrt(1 - beta2^t) + epsilon)`.
  }];
  let arguments = (ins NN_F32Tensor:$param, NN_F32Tensor:$grad,
                       NN_F32Tensor:$exp_avg, NN_F32Tensor:$exp_avg_sq,
                       F32:$lr, I64:$step, F64Attr:$beta1, F64Attr:$beta2,
                       F64Attr:$epsilon, F64Attr:$weight_decay);
  let results = (outs NN_F32Tensor:$new_param, NN_F32Tensor:$new_exp_avg,
                      NN_F32Tensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` $lr `,` $step
    `beta1` `=` $beta1 `beta2` `=` $beta2 `epsilon` `=` $epsilon
    `weight_decay` `=` $weight_decay attr-dict `:` type($param)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Initialization (built by nn-autodiff into @init)
//===----------------------------------------------------------------------===//

def NN_RandomUniformOp : NN_Op<"random_uniform",
    [Pure, NN_KernelAnchor]> {
  let summary = "Uniform random tensor on [-bound, bound)";
  let description = [{
    Element `i` is drawn from Philox-4x32-10 keyed by `seed`, with counter
    (i / 4, stream | 2^31, 0, 0): the same values on every backend.
  }];
  let arguments = (ins I64:$seed, F64Attr:$bound, I64Attr:$stream);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = [{
    $seed `bound` `=` $bound `stream` `=` $stream attr-dict `:` type($output)
  }];
  let hasVerifier = 1;
}

def NN_RandomNormalOp : NN_Op<"random_normal",
    [Pure, NN_KernelAnchor]> {
  let summary = "Normal random tensor with mean 0 and the given stddev";
  let description = [{
    Box-Muller on two Philox uniforms per element, keyed like
    `nn.random_uniform`.
  }];
  let arguments = (ins I64:$seed, F64Attr:$stddev, I64Attr:$stream);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = [{
    $seed `stddev` `=` $stddev `stream` `=` $stream attr-dict `:` type($output)
  }];
  let hasVerifier = 1;
}

def NN_OnesOp : NN_Op<"ones",
    [Pure, NN_KernelAnchor]> {
  let summary = "A tensor of ones (batch norm's gamma and running variance)";
  let arguments = (ins);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = "attr-dict `:` type($output)";
  let hasVerifier = 1;
}

def NN_ZerosOp : NN_Op<"zeros",
    [Pure, NN_KernelAnchor]> {
  let summary = "A tensor of zeros";
  let arguments = (ins);
  let results = (outs NN_F32Tensor:$output);
  let assemblyFormat = "attr-dict `:` type($output)";
  let hasVerifier = 1;
}

#endif // ALEXC_NN_OPS
