//===- StepSignature.h - The step functions nn-autodiff builds --*- C++ -*-===//
//
// The contract between nn-autodiff and every later stage (the emitters, the
// interpreter, statistics, export): the functions it builds, the names of
// their data arguments, and the role of every tensor the steps carry from
// one call to the next. @train_step's arguments are the parameters, then
// the optimizer state, then the running statistics, then the data; in every
// step function each carried tensor has `nn.name` and `nn.role` argument
// attributes, and @train_step's are read back by readStepSignature.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_DIALECT_NN_IR_STEPSIGNATURE_H
#define ALEXC_DIALECT_NN_IR_STEPSIGNATURE_H

#include "runtime/abi/TensorRoles.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace alexc::nn::step {

// Functions: the frontend's, then nn-autodiff's.
inline constexpr llvm::StringLiteral kForward = "forward";
inline constexpr llvm::StringLiteral kLoss = "loss"; // also @train_step's result
inline constexpr llvm::StringLiteral kInit = "init";
inline constexpr llvm::StringLiteral kTrainStep = "train_step";
inline constexpr llvm::StringLiteral kEvalStep = "eval_step";
inline constexpr llvm::StringLiteral kGradients = "gradients";
inline constexpr llvm::StringLiteral kPredict = "predict";

// Data arguments and results, by `nn.name`.
inline constexpr llvm::StringLiteral kImages = "images";
inline constexpr llvm::StringLiteral kLabels = "labels";
inline constexpr llvm::StringLiteral kLearningRate = "lr";
inline constexpr llvm::StringLiteral kSeed = "seed";
inline constexpr llvm::StringLiteral kStep = "step";
inline constexpr llvm::StringLiteral kLogits = "logits"; // @loss, @predict

// Argument and result attributes.
inline constexpr llvm::StringLiteral kNameAttr = "nn.name";
inline constexpr llvm::StringLiteral kRoleAttr = "nn.role";

struct CarriedTensor {
  std::string name;
  mlir::RankedTensorType type;
};

/// What the steps carry from call to call, each role in @train_step's
/// order, and the width of the logits.
struct StepSignature {
  std::vector<CarriedTensor> parameters, optimizerState, runningStatistics;
  int64_t classes = 0;
};

/// The name of argument `i` of `f` (empty when it has none).
llvm::StringRef argumentName(mlir::func::FuncOp f, unsigned i);

/// Gives argument `i` of `f` the role attribute of `role`.
void setArgumentRole(mlir::func::FuncOp f, unsigned i, rt::TensorRole role);

/// The role of argument `i` of `f`: none for data arguments (and for an
/// attribute that names no role).
std::optional<rt::TensorRole> argumentRole(mlir::func::FuncOp f, unsigned i);

/// Reads @train_step's carried tensors by their role attributes; fails
/// with an error on the function when there is no @train_step, or a
/// carried tensor has no role, an unknown one, or one out of order.
mlir::FailureOr<StepSignature> readStepSignature(mlir::ModuleOp module);

} // namespace alexc::nn::step

#endif
