//===- Executor.h - The step interface every backend implements -*- C++ -*-===//
//
// The training loop (Trainer.h) drives a model through this interface only:
// the CPU backend runs generated code, the reference interpreter runs the
// IR, the CUDA backend runs generated kernels. Parameters and optimizer
// state live inside the executor (on the device for CUDA); the loop reads
// and writes them by name for checkpoints.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_EXECUTOR_H
#define ALEXC_RUNTIME_EXECUTOR_H

#include "runtime/abi/Model.h"
#include "runtime/data/Transform.h"
#include "runtime/train/Data.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace alexc::rt {

class Communicator;

struct NamedShape {
  std::string name;
  std::vector<int64_t> shape;
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

/// What the training loop needs to know about a compiled model.
struct ModelConfig {
  std::string name, specHash, optimizer, dataset;
  /// Rows of one compiled step, and of a training step over all ranks (the
  /// spec's batch_size; more when built with alexc --ranks N).
  int64_t batchSize = 0, globalBatch = 0;
  int64_t channels = 0, height = 0, width = 0, classes = 0;
  int64_t resize = 0, epochs = 0;
  TransformLists transforms; // the spec's data.train and data.test
  double learningRate = 0;
  /// Parameters, optimizer state, running statistics (TensorRoles.h).
  std::vector<NamedShape> params, state, statistics;
  /// Kernels with a convolution or GEMM (kind "conv" or "gemm"), by name:
  /// the ones `--variant` can name.
  std::vector<std::pair<std::string, std::string>> gemmKernels;
  bool hasCuda = false; // the executable carries CUDA code
};

/// The descriptor's parameters, optimizer state and running statistics, in
/// that order: every tensor an executor keeps between steps.
inline std::vector<TensorInfo> carriedTensors(const ModelDescriptor &m) {
  std::vector<TensorInfo> all(m.params, m.params + m.numParams);
  all.insert(all.end(), m.state, m.state + m.numState);
  all.insert(all.end(), m.statistics, m.statistics + m.numStatistics);
  return all;
}

struct StepResult {
  float loss = 0; // mean over the labelled rows of the batch
  int32_t correct = 0;
};

/// Where the next steps' rows sit (Frame's fields of the same names): how
/// many hold examples (the rest pad the compiled batch), and in
/// data-parallel training the first row's index in the global batch, the
/// global batch's rows and the gradient hooks. Zeros: all rows, one process.
struct StepPlacement {
  int64_t rows = 0, rowOffset = 0, lossRows = 0;
  const GradientSync *sync = nullptr;
};

class Executor {
public:
  virtual ~Executor() = default;
  /// "cpu", "cuda", "interpreter".
  virtual std::string device() const = 0;
  /// Parameters from the compiled initializer; optimizer state to zero.
  virtual void initialize(uint64_t seed) = 0;
  /// One training step on a batch ([batch, C, H, W] images, labels with -1
  /// for padding rows); updates parameters and state.
  virtual StepResult trainStep(const float *images, const int32_t *labels,
                               float lr, uint64_t seed, uint64_t step,
                               bool dropout) = 0;
  virtual StepResult evalStep(const float *images, const int32_t *labels) = 0;
  /// The logits ([batch, classes]) of a batch in evaluation mode; false
  /// when the executable has no @predict (it was not built for inference).
  virtual bool predict(const float *images, float *logits) { return false; }
  /// Copies a parameter or state tensor (by name) out of / into the
  /// executor; `data` has the tensor's number of elements.
  virtual void readTensor(const std::string &name, float *data) = 0;
  virtual void writeTensor(const std::string &name, const float *data) = 0;
  /// Backends that keep the dataset in their own memory (the GPU) take it
  /// once and then gather, resize and scale each batch from indices
  /// (-1 past `count`: padding).
  virtual bool gathersOnDevice() const { return false; }
  virtual void uploadDataset(bool train, const Dataset &data,
                             const ResizePlan &plan) {}
  virtual StepResult trainStepIndices(const int64_t *indices, int64_t count,
                                      float lr, uint64_t seed, uint64_t step,
                                      bool dropout) {
    return {};
  }
  virtual StepResult evalStepIndices(const int64_t *indices, int64_t count) {
    return {};
  }
  /// Per-kernel times of the last steps, when the backend can measure them.
  virtual std::string profileReport() { return ""; }
  virtual void setProfiling(bool) {}
  /// The gradient hooks of data-parallel steps over `comm`'s ranks (for
  /// StepPlacement::sync): the communicator's own on the CPU, NCCL's on
  /// GPUs. Null, with `error`, where the backend trains on one rank only.
  virtual const GradientSync *joinRanks(Communicator &comm,
                                        std::string &error) {
    error = "the " + device() + " back end trains on one rank only";
    return nullptr;
  }
  void setStepPlacement(const StepPlacement &s) { dp = s; }

protected:
  StepPlacement dp;
};

} // namespace alexc::rt

#endif
