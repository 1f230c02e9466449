//===- NNAttrs.td - Typed settings of the nn dialect -------*- tablegen -*-===//
//
// The optimizer and the initializer a module trains with, as attributes
// with enum kinds, every field present and a verifier, so that nn-autodiff
// reads them without restating a default.
//
//===----------------------------------------------------------------------===//

#ifndef ALEXC_NN_ATTRS
#define ALEXC_NN_ATTRS

include "Dialect/NN/IR/NNBase.td"

// A double (held as an APFloat, which hashes), printed so that it reads
// back to the same value.
def NN_F64Parameter : APFloatParameter<"a 64-bit float"> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
    double v;
    if ($_parser.parseFloat(v))
      return ::mlir::failure();
    return ::llvm::APFloat(v);
  }() }];
  let printer = [{ $_printer.printFloat($_self) }];
}

def NN_OptimizerAttr : AttrDef<NN_Dialect, "Optimizer"> {
  let mnemonic = "optimizer";
  let summary = "The optimizer of the training step (PyTorch semantics)";
  let description = [{
    SGD uses `momentum`, `nesterov` and `weight_decay`; Adam `beta1`,
    `beta2`, `epsilon` and `weight_decay` (L2, not AdamW). Every field is
    given; the ones a kind does not use are ignored.
  }];
  let parameters = (ins EnumParameter<NN_OptimizerKind>:$kind,
                        NN_F64Parameter:$learning_rate,
                        NN_F64Parameter:$momentum,
                        NN_F64Parameter:$weight_decay,
                        "bool":$nesterov,
                        NN_F64Parameter:$beta1,
                        NN_F64Parameter:$beta2,
                        NN_F64Parameter:$epsilon);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let builders = [AttrBuilder<(ins "OptimizerKind":$kind,
      "double":$learning_rate, "double":$momentum, "double":$weight_decay,
      "bool":$nesterov, "double":$beta1, "double":$beta2, "double":$epsilon), [{
    return $_get($_ctxt, kind, ::llvm::APFloat(learning_rate),
                 ::llvm::APFloat(momentum), ::llvm::APFloat(weight_decay),
                 nesterov, ::llvm::APFloat(beta1), ::llvm::APFloat(beta2),
                 ::llvm::APFloat(epsilon));
  }]>];
}

def NN_InitializerAttr : AttrDef<NN_Dialect, "Initializer"> {
  let mnemonic = "initializer";
  let summary = "How the parameters start";
  let description = [{
    Xavier (MXNet's: fans count the kernel window; `magnitude`, uniform or
    normal) or a normal distribution of standard deviation `sigma`. Biases
    start at zero and batch norm's gamma at one either way.
  }];
  let parameters = (ins EnumParameter<NN_InitializerKind>:$kind,
                        EnumParameter<NN_Distribution>:$distribution,
                        NN_F64Parameter:$magnitude,
                        NN_F64Parameter:$sigma);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let builders = [AttrBuilder<(ins "InitializerKind":$kind,
      "Distribution":$distribution, "double":$magnitude, "double":$sigma), [{
    return $_get($_ctxt, kind, distribution, ::llvm::APFloat(magnitude),
                 ::llvm::APFloat(sigma));
  }]>];
}

#endif // ALEXC_NN_ATTRS
