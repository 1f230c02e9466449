//===- alexc-opt.cpp - mlir-opt with the alexc dialects and passes --------===//
#include "Dialect/Kernel/Transforms/Passes.h"
#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<alexc::nn::NNDialect, alexc::kernel::KernelDialect,
                  mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::tensor::TensorDialect>();
  alexc::nn::registerNNPasses();
  alexc::kernel::registerKernelPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "alexc optimizer driver\n", registry));
}
