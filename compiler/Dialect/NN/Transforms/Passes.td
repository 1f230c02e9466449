//===- Passes.td - Passes on the nn dialect ----------------*- tablegen -*-===//
#ifndef ALEXC_NN_PASSES
#define ALEXC_NN_PASSES

include "mlir/Pass/PassBase.td"

def NNShapeInference : Pass<"nn-shape-inference", "::mlir::ModuleOp"> {
  let summary = "Refine every tensor of the nn functions to a static shape";
  let description = [{
    Gives the batch dimension of every function argument the batch size (the
    `batch-size` option, else the module's `nn.batch_size` attribute), then
    walks each function in order and lets every op compute its result shape,
    refining parameter shapes that depend on the input (a dense layer's
    input features). Fails, naming the layer and the shapes, when a layer
    cannot apply to its input; at the end every tensor is static.
  }];
  let options = [
    Option<"batchSize", "batch-size", "int64_t", /*default=*/"0",
           "Batch size (0: the module's nn.batch_size attribute)">
  ];
  let dependentDialects = ["::alexc::nn::NNDialect"];
}

def NNAutodiff : Pass<"nn-autodiff", "::mlir::ModuleOp"> {
  let summary = "Build the training, evaluation and initialization functions";
  let description = [{
    From `@forward` (parameters, images, seed, step -> logits) and `@loss`
    (logits, labels -> mean loss), both with static shapes, builds

      @init(seed) -> (params...)
      @gradients(params..., images, labels, seed, step)
          -> (loss, correct, grads...)
      @train_step(params..., state..., images, labels, lr, seed, step)
          -> (loss, correct, params'..., state'...)
      @eval_step(params..., images, labels) -> (loss, correct)

    by reverse-mode differentiation of the graph: ops in reverse
    topological order, each op's gradient rule applied to the operands that
    depend on a parameter, gradients summed where a value has several
    users. The optimizer (`nn.optimizer`) and initializer
    (`nn.initializer`) come from module attributes. `@forward` and `@loss`
    are removed.
  }];
  let options = [
    Option<"disableDropout", "disable-dropout", "bool", /*default=*/"false",
           "Build @train_step and @gradients without dropout">,
    Option<"predict", "predict", "bool", /*default=*/"false",
           "Also build @predict: the evaluation forward pass, returning the "
           "logits (inference executables)">
  ];
  let dependentDialects = ["::alexc::nn::NNDialect"];
}

#endif // ALEXC_NN_PASSES
