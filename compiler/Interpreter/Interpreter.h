//===- Interpreter.h - Reference interpreter for the nn dialect -*- C++ -*-===//
//
// Executes a func.func of the nn dialect op by op with the reference kernels
// (ReferenceKernels.h), in float or double whatever the IR's element types
// say. The oracle that gradients, generated kernels and PyTorch are checked
// against.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_INTERPRETER_INTERPRETER_H
#define ALEXC_INTERPRETER_INTERPRETER_H

#include "Interpreter/ReferenceKernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"

#include <variant>

namespace alexc::interp {

/// A runtime value: a tensor (f32 and i32 tensors alike, stored as T), an
/// integer scalar (i64 seed/step) or a float scalar (f32 learning rate).
template <typename T> struct RtValue {
  std::variant<ref::Tensor<T>, int64_t, T> v;

  RtValue() = default;
  RtValue(ref::Tensor<T> t) : v(std::move(t)) {}
  static RtValue integer(int64_t i) {
    RtValue r;
    r.v = i;
    return r;
  }
  static RtValue scalar(T f) {
    RtValue r;
    r.v = f;
    return r;
  }
  bool isTensor() const { return std::holds_alternative<ref::Tensor<T>>(v); }
  const ref::Tensor<T> &tensor() const { return std::get<ref::Tensor<T>>(v); }
  ref::Tensor<T> &tensor() { return std::get<ref::Tensor<T>>(v); }
  int64_t getInt() const { return std::get<int64_t>(v); }
  T getScalar() const { return std::get<T>(v); }
};

/// Runs `func` on `args`. Fails with a message naming the op for an
/// unsupported op or arguments that do not match the signature.
template <typename T>
llvm::Expected<std::vector<RtValue<T>>> interpret(mlir::func::FuncOp func,
                                                  std::vector<RtValue<T>> args);

/// Runs the ops of a block (a kernel.launch body) on values bound to its
/// arguments; returns the operands of its terminator.
template <typename T>
llvm::Expected<std::vector<RtValue<T>>>
interpretBlock(mlir::Block &block, std::vector<RtValue<T>> args);

extern template llvm::Expected<std::vector<RtValue<float>>>
interpretBlock<float>(mlir::Block &, std::vector<RtValue<float>>);
extern template llvm::Expected<std::vector<RtValue<float>>>
    interpret<float>(mlir::func::FuncOp, std::vector<RtValue<float>>);
extern template llvm::Expected<std::vector<RtValue<double>>>
    interpret<double>(mlir::func::FuncOp, std::vector<RtValue<double>>);

} // namespace alexc::interp

#endif
