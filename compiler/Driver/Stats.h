//===- Stats.h - Size and cost figures of a compiled step -------*- C++ -*-===//
#ifndef ALEXC_DRIVER_STATS_H
#define ALEXC_DRIVER_STATS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace alexc {

struct StepStats {
  int64_t opsBeforeFusion = 0; // nn ops (flatten/reshape counted as views)
  int64_t kernels = 0;         // kernel.launch ops
  int64_t views = 0;
  int64_t arenaBytes = 0;        // planned transient arena
  int64_t intermediateBytes = 0; // sum of transient buffers, no reuse
  int64_t persistentBytes = 0;   // gradients and returned values
  int64_t parameterBytes = 0;
  int64_t gradientBytes = 0;
  int64_t optimizerStateBytes = 0;
  int64_t runningStatisticsBytes = 0; // batch norm's buffers
  double convGemmFlops = 0;           // multiply-adds counted as 2
  int64_t concatInputs = 0;           // of all concats
  int64_t concatInputsInPlace = 0;    // written into the concat's buffer
};

/// Figures of a planned function (after kernel-memory-plan).
StepStats collectStats(mlir::func::FuncOp func);

void printStats(llvm::raw_ostream &os, llvm::StringRef title,
                const StepStats &s);

/// alexc --stats: the figures of @train_step and @eval_step of a planned
/// module, titled with the model and batch. False when the module is not
/// planned.
bool printStepStats(mlir::ModuleOp module, llvm::StringRef modelName,
                    int64_t batchSize, llvm::raw_ostream &os);

} // namespace alexc

#endif
