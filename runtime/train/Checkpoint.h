//===- Checkpoint.h - Saving and resuming a training run --------*- C++ -*-===//
//
// A checkpoint is a safetensors file with the parameters, optimizer state
// and running statistics under their PyTorch names, and the run's progress
// as metadata, so that --resume continues exactly where the run stopped.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CHECKPOINT_H
#define ALEXC_RUNTIME_CHECKPOINT_H

#include "runtime/train/Executor.h"

#include <cstdint>
#include <string>

namespace alexc::rt {

/// Where a run stands: what a checkpoint saves besides the tensors.
struct Progress {
  int64_t step = 0;         // training steps done in total
  int64_t epoch = 0;        // current epoch
  int64_t batchInEpoch = 0; // batches of the current epoch done
  uint64_t seed = 0;
  double lossSum = 0; // sum over the epoch's examples so far
  int64_t correct = 0, count = 0;
};

/// Writes the executor's parameters, state and statistics and `p` to
/// `path`, with the training data's class names (metadata "classes", a
/// JSON list, when there are any) for the inference executable.
bool saveCheckpoint(const std::string &path, Executor &ex, const ModelConfig &c,
                    const Progress &p, std::string &error,
                    const std::vector<std::string> &classNames = {});

/// --resume: a checkpoint of this very model, every tensor and the
/// progress.
bool loadCheckpoint(const std::string &path, Executor &ex, const ModelConfig &c,
                    Progress &progress, std::string &error);

/// Whether weights files must hold batch norm's running statistics.
enum class Statistics { Optional, Required };

/// --init and inference: any file with the parameters by name (a PyTorch
/// state_dict, an alexc checkpoint), and the running statistics too when
/// it has them or they are required. Optimizer state is left as it is.
bool loadWeights(const std::string &path, Executor &ex, const ModelConfig &c,
                 Statistics statistics, std::string &error);

} // namespace alexc::rt

#endif
