//===- Trainer.h - The training loop and its command line -------*- C++ -*-===//
#ifndef ALEXC_RUNTIME_TRAINER_H
#define ALEXC_RUNTIME_TRAINER_H

#include "runtime/train/Executor.h"

#include <functional>
#include <string>

namespace alexc::rt {

/// Settings of the GPU back end (`--gemm`, `--precision`).
struct DeviceOptions {
  std::string gemm = "auto";      // generated, cublas, cudnn, auto
  std::string precision = "tf32"; // fp32, tf32
  std::string tuningCache;        // file of measured choices; "" for none
  /// `--variant KERNEL=VARIANT`: kernels that run a given variant whatever
  /// `gemm` says, as "KERNEL=VARIANT,..." (empty: none).
  std::string variants;
  /// `--deterministic`: GPU reductions in a fixed order and deterministic
  /// cuDNN algorithms only, so that runs repeat bit for bit.
  bool deterministic = false;
};

/// Whether `name` is a variant of a GPU convolution or GEMM (`--variant`;
/// `--gemm` takes these and auto).
inline bool isVariantName(const std::string &name) {
  return name == "generated" || name == "cublas" || name == "cudnn";
}

/// Whether `name` is a `--precision` value (fp32, tf32).
inline bool isPrecisionName(const std::string &name) {
  return name == "fp32" || name == "tf32";
}

/// Creates the executor for a device ("cpu", "cuda"); returns null and sets
/// `error` when that device cannot be used.
using ExecutorFactory = std::function<std::unique_ptr<Executor>(
    const std::string &device, const DeviceOptions &options,
    std::string &error)>;

/// Parses the training flags (`--help` lists them), loads the data, and
/// trains and evaluates. Returns the process exit code: 0 done, 1 bad
/// input, 3 a non-finite loss, 130 interrupted.
int trainMain(int argc, char **argv, const ModelConfig &config,
              const ExecutorFactory &factory);

} // namespace alexc::rt

#endif
