//===- InputPipeline.h - Batches prepared while the step runs ---*- C++ -*-===//
//
// Holds both splits decoded as uint8 and prepares each step's float batch
// (BatchAssembler) on a worker thread while the previous step runs: two
// buffers, the loop takes batch k and asks for batch k + 1. It measures
// how long preparing took and how long the step waited for it.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_DATA_INPUTPIPELINE_H
#define ALEXC_RUNTIME_DATA_INPUTPIPELINE_H

#include "runtime/data/BatchAssembler.h"
#include "runtime/data/DataSource.h"
#include "runtime/train/Executor.h"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace alexc::rt {

/// One step's rows: which examples (a copy, so that the worker never
/// reads the caller's memory), keyed for their random transforms.
struct BatchRequest {
  bool train = true;
  std::vector<int64_t> indices;
  uint64_t seed = 0, epoch = 0;
  bool operator==(const BatchRequest &o) const {
    return train == o.train && indices == o.indices && seed == o.seed &&
           epoch == o.epoch;
  }
};

struct PreparedBatch {
  const float *images = nullptr;
  const int32_t *labels = nullptr;
  const Decision *decisions = nullptr; // [batch, transforms] when recorded
};

class InputPipeline {
public:
  InputPipeline(const ModelConfig &c) : c(c) {}
  ~InputPipeline();

  /// Loads the splits (`withTrain` false: the test split only), printing
  /// what was loaded unless `quiet`. False with `error`.
  bool load(const std::string &data, bool withTrain, const LoadOptions &o,
            bool quiet, std::string &error);

  const Dataset &split(bool train) const { return train ? trainSet : testSet; }

  /// Keep each batch's transform decisions (for --dump-batches).
  void recordDecisions() { record = true; }
  /// Threads that prepare a batch (default 1).
  void setThreads(int n) { threads = n; }

  /// The batch of `r`: the prefetched one when it was asked for, else
  /// prepared now. Valid until the next take.
  PreparedBatch take(const BatchRequest &r);
  /// Starts preparing `r` on the worker thread.
  void prefetch(const BatchRequest &r);

  /// Seconds spent preparing batches and waiting for them since the last
  /// call, and how many batches; resets the counters.
  void takeTimes(double &prepareSeconds, double &waitSeconds, int64_t &batches);

private:
  struct Buffer {
    std::vector<float> images;
    std::vector<int32_t> labels;
    std::vector<Decision> decisions;
    BatchRequest request;
    double seconds = 0;
  };
  void fill(Buffer &b, const BatchRequest &r);
  void join();
  void serve();

  const ModelConfig &c;
  Dataset trainSet, testSet;
  std::unique_ptr<BatchAssembler> trainRows, testRows;
  Buffer buffers[2];
  int next = 0; // the buffer the next prepared batch goes to
  // One long-lived worker (its OpenMP threads are then reused batch after
  // batch), fed one job at a time.
  std::thread worker;
  std::mutex mutex;
  std::condition_variable wake, finished;
  std::function<void()> job;
  bool busy = false, stopping = false;
  bool pending = false, record = false;
  int threads = 1;
  double prepareSeconds = 0, waitSeconds = 0;
  int64_t batches = 0;
};

} // namespace alexc::rt

#endif
