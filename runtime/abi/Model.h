//===- Model.h - What a compiled model exposes to the runtime -------------===//
//
// The C ABI between generated code and the runtime. A compiled model defines
// `alexc_model()`, which returns a ModelDescriptor: the spec's settings, the
// parameters, optimizer state and running statistics (TensorRoles.h), and
// the compiled functions (init,
// train_step, eval_step, gradients), each with its argument and result
// tensors, its memory plan and its kernels.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_MODEL_H
#define ALEXC_RUNTIME_MODEL_H

#include <cstdint>

namespace alexc::rt {

constexpr int kModelAbiVersion = 5;

enum ElementType : int32_t { kF32 = 0, kI32 = 1, kI64 = 2 };

struct TensorInfo {
  const char *name; // "conv1.weight", "images", "lr", ...
  int32_t elementType;
  int32_t rank; // 0 for scalars
  int64_t shape[4];
  int64_t numElements;
};

/// Data-parallel training: the compiled step reports each gradient as soon
/// as the kernel that completes it has run (`ready`, in place: the sum over
/// ranks replaces it), and waits for all of them before the optimizer.
struct GradientSync {
  void *context;
  void (*ready)(void *context, float *gradient, int64_t count);
  void (*wait)(void *context);
};

/// Everything one call of a compiled function reads and writes. `args` and
/// `results` have one entry per argument and result of the function (null
/// for scalars, which come from the fields below). A result that the plan
/// computes in place of an argument is written there; the runtime passes
/// the same pointer for both.
struct Frame {
  void *const *args;
  void *const *results;
  uint8_t *arena;      // FunctionInfo::arenaBytes, 64-byte aligned
  uint8_t *persistent; // FunctionInfo::persistentBytes
  float lr;
  uint64_t seed;
  uint64_t step;
  int32_t dropout; // 0: dropout layers pass everything through
  /// The rows that hold examples; the rest pad the batch and stay out of
  /// batch norm's statistics (0: all).
  int64_t rows;
  /// Data-parallel steps: the global index of this step's first row (it
  /// keys the dropout masks), the labelled rows of the global batch (the
  /// loss is their mean; 0: this batch's labelled rows), and the gradient
  /// hooks (null: gradients stay local).
  int64_t rowOffset;
  int64_t lossRows;
  const GradientSync *sync;
  /// FunctionInfo::scratchBytes, 64-byte aligned: where an anchor whose
  /// output goes into a concat's slice writes before its epilogue stores.
  uint8_t *scratch = nullptr;
};

typedef void (*KernelFn)(const Frame &);

struct KernelInfo {
  const char *name; // "conv1_forward"
  const char *kind; // conv, gemm, pool, elementwise, reduction, loss, ...
  double flops;     // of its convolutions and GEMMs
  KernelFn run;
};

struct FunctionInfo {
  const char *name; // "train_step"
  int32_t numArgs;
  const TensorInfo *args;
  int32_t numResults;
  const TensorInfo *results;
  int64_t arenaBytes;
  int64_t persistentBytes;
  int32_t numKernels;
  const KernelInfo *kernels;
  KernelFn run;         // all kernels in order
  int64_t scratchBytes; // Frame::scratch
};

struct ModelDescriptor {
  int32_t abiVersion;
  const char *name;
  const char *specHash; // hex digest of the spec text
  const char *backend;  // "cpu"
  int64_t batchSize;    // rows of one compiled step (of one rank)
  int64_t channels, height, width, classes;
  int64_t resize; // 0: none
  int64_t epochs;
  double learningRate;
  const char *optimizer; // "sgd", "adam"
  const char *dataset;
  // What train_step carries from call to call, each in its order there.
  int32_t numParams;
  const TensorInfo *params;
  int32_t numState; // optimizer state
  const TensorInfo *state;
  int32_t numStatistics; // batch norm's running statistics
  const TensorInfo *statistics;
  int32_t numFunctions;
  const FunctionInfo *functions;
  int64_t globalBatch; // the spec's batch_size: rows of a step over all ranks
  /// The spec's data.train and data.test transform lists, as JSON
  /// (runtime/data/Transform.h reads it).
  const char *transforms;
};

} // namespace alexc::rt

extern "C" const alexc::rt::ModelDescriptor *alexc_model();

#endif
