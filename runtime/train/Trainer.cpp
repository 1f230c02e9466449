//===- Trainer.cpp - The training loop ------------------------------------===//
//
// Loads the data, then runs epochs of training steps with progress, logs,
// checkpoints and evaluation; the command line is TrainOptions.cpp, the
// checkpoints Checkpoint.cpp.
//
//===----------------------------------------------------------------------===//
#include "runtime/train/Trainer.h"
#include "runtime/abi/TensorRoles.h"
#include "runtime/data/InputPipeline.h"
#include "runtime/dist/Communicator.h"
#include "runtime/gpu/TuningCache.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/Data.h"
#include "runtime/train/Safetensors.h"
#include "runtime/train/TrainOptions.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <random>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace alexc::rt {
namespace {

/// The signal that asked the run to stop (0: none): Ctrl-C, or a batch
/// scheduler's SIGTERM before it kills, or Slurm's early SIGUSR1. The loop
/// saves a checkpoint after the current step and exits with 128 + signal.
std::atomic<int> stopSignal{0};
void onStopSignal(int sig) { stopSignal = sig; }

const char *signalName(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGUSR1";
}

/// Example order of an epoch: a permutation that depends only on the seed
/// and the epoch, so a resumed run visits the same examples.
std::vector<int64_t> epochOrder(int64_t n, uint64_t seed, int64_t epoch,
                                bool shuffle) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (shuffle) {
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + uint64_t(epoch) + 1);
    for (int64_t i = n - 1; i > 0; --i) {
      int64_t j = int64_t(rng() % uint64_t(i + 1));
      std::swap(order[i], order[j]);
    }
  }
  return order;
}

std::string formatDuration(double s) {
  char buf[32];
  int64_t t = int64_t(s + 0.5);
  if (t >= 3600)
    std::snprintf(buf, sizeof(buf), "%" PRId64 ":%02d:%02d", t / 3600,
                  int(t / 60 % 60), int(t % 60));
  else
    std::snprintf(buf, sizeof(buf), "%d:%02d", int(t / 60), int(t % 60));
  return buf;
}

/// A progress bar on a terminal, a plain line every tenth of the epoch
/// otherwise.
class ProgressLine {
public:
  ProgressLine(bool quiet) : enabled(!quiet), tty(isatty(STDERR_FILENO)) {}
  /// `plain` (false for evaluation) also reports on a non-terminal.
  void start(const char *what, int64_t epoch, int64_t total,
             bool plain = true) {
    this->plain = plain;
    this->what = what;
    this->epoch = epoch;
    this->total = total;
    begin = last = std::chrono::steady_clock::now();
    lastTenth = -1;
  }
  void update(int64_t done, double loss, double acc) {
    if (!enabled)
      return;
    auto now = std::chrono::steady_clock::now();
    double elapsed = std::chrono::duration<double>(now - begin).count();
    double eta = done ? elapsed / done * (total - done) : 0;
    if (tty) {
      if (done < total &&
          std::chrono::duration<double>(now - last).count() < 0.1)
        return;
      last = now;
      int width = 30, filled = int(width * done / std::max<int64_t>(1, total));
      std::string bar(filled, '=');
      if (filled < width)
        bar += '>' + std::string(width - filled - 1, ' ');
      std::fprintf(stderr,
                   "\r%s %" PRId64 " [%s] %" PRId64 "/%" PRId64
                   " loss %.4f acc %.4f ETA %s ",
                   what, epoch, bar.c_str(), done, total, loss, acc,
                   formatDuration(eta).c_str());
      if (done == total)
        std::fprintf(stderr, "\r\033[K");
    } else if (plain) {
      int64_t tenth = done * 10 / std::max<int64_t>(1, total);
      if (tenth == lastTenth || done == total)
        return;
      lastTenth = tenth;
      std::fprintf(stderr,
                   "%s %" PRId64 ": %" PRId64 "/%" PRId64
                   " batches, loss %.4f, acc %.4f, ETA %s\n",
                   what, epoch, done, total, loss, acc,
                   formatDuration(eta).c_str());
    }
  }

private:
  bool enabled, tty, plain = true;
  const char *what = "";
  int64_t epoch = 0, total = 0, lastTenth = -1;
  std::chrono::steady_clock::time_point begin, last;
};

struct EvalResult {
  double loss = 0, acc = 0;
};

class Run {
public:
  Run(const ModelConfig &c, const TrainOptions &o, Executor &ex,
      Communicator &comm, const GradientSync *sync)
      : c(c), o(o), ex(ex), comm(comm), sync(sync), progressLine(o.quiet) {}

  int main() {
    std::string error;
    LoadOptions load;
    load.channels = c.channels;
    load.classes = c.classes;
    load.skipBadImages = o.skipBadImages;
    load.progress = !o.quiet;
    load.cacheDir = o.dataCache;
    if (!input.load(o.data.empty() ? c.dataset : o.data, !o.evalOnly, load,
                    o.quiet, error))
      return fail(error);
    const Dataset &train = input.split(true), &test = input.split(false);
    trainCount = std::min<int64_t>(train.count, o.limitTrain > 0 ? o.limitTrain
                                                                 : train.count);
    testCount = std::min<int64_t>(test.count,
                                  o.limitTest > 0 ? o.limitTest : test.count);
    // The GPU gathers and resizes one-channel sets itself; transforms and
    // color run in the input pipeline.
    deviceGather = ex.gathersOnDevice() && c.channels == 1 &&
                   c.transforms.empty() && test.uniform() && train.uniform();
    if (!o.dumpBatches.empty())
      input.recordDecisions();
    input.setThreads(dataThreads());

    p.seed = uint64_t(o.seed);
    if (!o.resume.empty()) {
      if (!loadCheckpoint(o.resume, ex, c, p, error))
        return fail(error);
      if (o.seedGiven && uint64_t(o.seed) != p.seed)
        note("using the checkpoint's seed " + std::to_string(p.seed));
      lastCheckpoint = o.resume;
      note("resumed " + o.resume + " at step " + std::to_string(p.step) +
           " (epoch " + std::to_string(p.epoch) + ", batch " +
           std::to_string(p.batchInEpoch) + ")");
    } else {
      ex.initialize(p.seed);
      if (!o.init.empty() &&
          !loadWeights(o.init, ex, c, Statistics::Optional, error))
        return fail(error);
    }
    if (comm.communicates())
      shareRankZerosTensors();
    if (!o.log.empty()) {
      log.open(o.log, std::ios::app);
      if (!log)
        return fail(o.log + ": cannot open the log file for writing");
      log.precision(9);
    }
    ex.setProfiling(o.profile);
    if (deviceGather) {
      ResizePlan plan = planResize(test.rows, test.cols, c.height, c.width);
      if (!o.evalOnly)
        ex.uploadDataset(true, train, plan);
      ex.uploadDataset(false, test, plan);
    }
    if (!o.quiet && comm.communicates())
      std::fprintf(stderr,
                   "note: training '%s' on %d ranks (%s), %" PRId64
                   " rows per step in all\n",
                   c.name.c_str(), comm.size(), ex.device().c_str(),
                   c.globalBatch);
    else if (!o.quiet)
      std::fprintf(stderr, "note: training '%s' on %s\n", c.name.c_str(),
                   ex.device().c_str());

    if (o.evalOnly) {
      EvalResult r = evaluate();
      if (comm.rank() == 0)
        std::printf("Test loss : %.6f, Test acc : %.6f\n", r.loss, r.acc);
      return 0;
    }
    if (o.inputOnly)
      return inputOnly();
    return trainLoop();
  }

private:
  int fail(const std::string &msg) {
    std::fprintf(stderr, "error: %s\n", msg.c_str());
    return 1;
  }
  void note(const std::string &msg) {
    if (!o.quiet)
      std::fprintf(stderr, "note: %s\n", msg.c_str());
  }

  /// Every rank starts from rank 0's parameters, optimizer state and
  /// running statistics (the same seed gives the same ones anyway; a file
  /// read on each node might not).
  void shareRankZerosTensors() {
    std::vector<float> data;
    for (const auto *list : {&c.params, &c.state, &c.statistics})
      for (const NamedShape &t : *list) {
        data.resize(size_t(t.numElements()));
        ex.readTensor(t.name, data.data());
        comm.broadcast(data.data(), t.numElements());
        ex.writeTensor(t.name, data.data());
      }
  }

  /// Threads preparing batches: --data-threads, else a quarter of the
  /// step's (the step keeps all of its own; preparing is the smaller job
  /// and mostly overlaps it), or all of them when there is no step.
  int dataThreads() const {
    int cores = 1;
#ifdef _OPENMP
    cores = omp_get_max_threads();
#endif
    if (o.dataThreads > 0)
      return int(o.dataThreads);
    return o.inputOnly ? cores : std::max(1, cores / 4);
  }

  /// This rank's share of the global batch `order[0, n)`, keyed for the
  /// transforms of `epoch`.
  BatchRequest shareRequest(const int64_t *order, int64_t n, bool training,
                            int64_t epoch) const {
    RowShare share = rowShare(n, comm.rank(), comm.size());
    return {training,
            std::vector<int64_t>(order + share.offset,
                                 order + share.offset + share.count),
            p.seed, uint64_t(epoch)};
  }

  /// Sets up the step for this rank's share of the global batch
  /// `order[0, n)` and, unless the device gathers, takes its rows from the
  /// input pipeline (`next` rows, when given, are prepared meanwhile).
  RowShare prepareShare(const int64_t *order, int64_t n, bool training,
                        int64_t epoch, const BatchRequest *next = nullptr) {
    RowShare share = rowShare(n, comm.rank(), comm.size());
    StepPlacement step;
    step.rows = share.count;
    step.rowOffset = share.offset;
    step.lossRows = n;
    if (training)
      step.sync = sync;
    ex.setStepPlacement(step);
    if (!deviceGather) {
      batch = input.take(shareRequest(order, n, training, epoch));
      if (next)
        input.prefetch(*next);
    }
    return share;
  }

  /// --dump-batches: the step's rows as the executor gets them, with the
  /// examples' indices and the transforms' decisions (ImageTransforms.h),
  /// rewritten after each step.
  bool dumpBatch(const BatchRequest &r) {
    if (comm.rank() != 0)
      return true;
    int64_t n = int64_t(r.indices.size()),
            t = int64_t(c.transforms.train.size());
    std::string key = "step" + std::to_string(p.step) + ".";
    std::vector<int32_t> indices(r.indices.begin(), r.indices.end());
    dumped.tensors[key + "images"] = StoredTensor::fromFloat(
        {n, c.channels, c.height, c.width}, batch.images);
    dumped.tensors[key + "labels"] = StoredTensor::fromInt32({n}, batch.labels);
    dumped.tensors[key + "indices"] =
        StoredTensor::fromInt32({n}, indices.data());
    if (t > 0 && batch.decisions)
      dumped.tensors[key + "decisions"] =
          StoredTensor::fromFloat({n, t, 8}, &batch.decisions[0].v[0]);
    dumped.metadata[key + "epoch"] = std::to_string(r.epoch);
    dumped.metadata["seed"] = std::to_string(p.seed);
    dumped.metadata["transforms"] = transformListsToJson(c.transforms).dump();
    std::string error;
    if (!writeSafetensors(o.dumpBatches, dumped, error)) {
      std::fprintf(stderr, "error: %s\n", error.c_str());
      return false;
    }
    return true;
  }

  /// Sums a step's loss (each rank's is its rows' share of the mean),
  /// correct count and `flag` over ranks.
  void sumOverRanks(StepResult &r, int &flag) {
    if (!comm.communicates())
      return;
    double v[3] = {double(r.loss), double(r.correct), double(flag)};
    comm.sum(v, 3);
    r.loss = float(v[0]);
    r.correct = int32_t(v[1]);
    flag = int(v[2]);
  }

  EvalResult evaluate() {
    double lossSum = 0;
    int64_t correct = 0;
    std::vector<int64_t> order(testCount);
    std::iota(order.begin(), order.end(), 0);
    const int64_t G = c.globalBatch;
    int64_t batches = (testCount + G - 1) / G;
    progressLine.start("test", p.epoch, batches, /*plain=*/false);
    for (int64_t b = 0; b < batches; ++b) {
      int64_t n = std::min(G, testCount - b * G);
      StepResult r;
      auto t0 = std::chrono::steady_clock::now();
      BatchRequest next;
      if (b + 1 < batches)
        next = shareRequest(order.data() + (b + 1) * G,
                            std::min(G, testCount - (b + 1) * G), false, 0);
      // Test transforms are keyed by epoch 0: every evaluation sees the
      // same images.
      RowShare share = prepareShare(order.data() + b * G, n, false, 0,
                                    b + 1 < batches ? &next : nullptr);
      if (deviceGather)
        r = ex.evalStepIndices(order.data() + b * G + share.offset,
                               share.count);
      else
        r = ex.evalStep(batch.images, batch.labels);
      int noFlag = 0;
      sumOverRanks(r, noFlag);
      if (log)
        log << "{\"type\": \"eval_step\", \"epoch\": " << p.epoch
            << ", \"batch\": " << b << ", \"ms\": "
            << std::chrono::duration<double, std::milli>(
                   std::chrono::steady_clock::now() - t0)
                   .count()
            << "}\n";
      lossSum += double(r.loss) * n;
      correct += r.correct;
      progressLine.update(b + 1, lossSum / ((b * G) + n),
                          double(correct) / ((b * G) + n));
    }
    return {lossSum / double(testCount), double(correct) / double(testCount)};
  }

  bool checkpoint(const std::string &path) {
    if (comm.rank() != 0)
      return true; // rank 0 writes for all
    std::string error;
    if (!saveCheckpoint(path, ex, c, p, error, input.split(false).classNames)) {
      std::fprintf(stderr, "error: %s\n", error.c_str());
      return false;
    }
    lastCheckpoint = path;
    return true;
  }

  /// After an epoch's steps: evaluates, prints and logs the epoch's line,
  /// starts the next epoch's counters and writes --save. False when the
  /// checkpoint cannot be written.
  bool endEpoch(std::chrono::steady_clock::time_point epochStart,
                double trainSeconds) {
    EvalResult test = evaluate();
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - epochStart)
                         .count();
    double trainLoss = p.count ? p.lossSum / p.count : 0;
    double trainAcc = p.count ? double(p.correct) / p.count : 0;
    double ips = trainSeconds > 0 ? p.count / trainSeconds : 0;
    if (comm.rank() == 0)
      std::printf("Epoch %" PRId64 ". Loss : %.6f, Train acc : %.6f, Test acc "
                  ": %.6f, Time : %.1f s, %.1f images/s\n",
                  p.epoch, trainLoss, trainAcc, test.acc, seconds, ips);
    std::fflush(stdout);
    if (log)
      log << "{\"type\": \"epoch\", \"epoch\": " << p.epoch
          << ", \"train_loss\": " << trainLoss
          << ", \"train_acc\": " << trainAcc << ", \"test_loss\": " << test.loss
          << ", \"test_acc\": " << test.acc << ", \"time_s\": " << seconds
          << ", \"images_per_s\": " << ips << "}\n"
          << std::flush;
    p.batchInEpoch = 0;
    p.lossSum = 0;
    p.correct = p.count = 0;
    if (o.save.empty())
      return true;
    ++p.epoch; // the checkpoint starts the next epoch
    bool ok = checkpoint(o.save);
    --p.epoch;
    return ok;
  }

  /// A NaN or infinite loss stops the run (exit status 3), naming the step
  /// and the last good checkpoint.
  int reportNonFiniteLoss(float loss, int64_t batch) {
    std::fprintf(stderr,
                 "\nerror: the loss is %s at step %" PRId64 " (epoch %" PRId64
                 ", batch %" PRId64 "); stopping.%s%s\n",
                 std::isnan(loss) ? "NaN" : "infinite", p.step, p.epoch, batch,
                 lastCheckpoint.empty()
                     ? " No checkpoint of this run was written."
                     : " The last good checkpoint is ",
                 lastCheckpoint.c_str());
    return 3;
  }

  /// The step just done (p.step - 1) in the --log file, with the ranks'
  /// synchronization when there are several.
  /// --input-only: every batch of the epochs through the input pipeline,
  /// no steps; one line per epoch with its images per second.
  int inputOnly() {
    if (deviceGather) {
      std::fprintf(stderr, "error: --input-only measures the host's input "
                           "pipeline; this run gathers batches on the GPU\n");
      return 1;
    }
    int64_t epochs = o.epochs >= 0 ? o.epochs : c.epochs;
    const int64_t G = c.globalBatch;
    int64_t batches = (trainCount + G - 1) / G;
    for (int64_t e = 0; e < epochs; ++e) {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<int64_t> order = epochOrder(trainCount, p.seed, e, o.shuffle);
      for (int64_t b = 0; b < batches; ++b) {
        BatchRequest next;
        if (b + 1 < batches)
          next = shareRequest(order.data() + (b + 1) * G,
                              std::min(G, trainCount - (b + 1) * G), true, e);
        prepareShare(order.data() + b * G, std::min(G, trainCount - b * G),
                     true, e, b + 1 < batches ? &next : nullptr);
      }
      double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      std::printf("Input epoch %" PRId64 ". %" PRId64
                  " images in %.2f s, %.0f images/s\n",
                  e, trainCount, s, double(trainCount) / s);
    }
    return 0;
  }

  void logStep(const StepResult &r, int64_t n, float lr, double stepMs) {
    int64_t reduceCalls = 0;
    double syncMs = 1e3 * comm.takeWaitSeconds(&reduceCalls);
    if (log && comm.communicates())
      log << "{\"type\": \"sync\", \"step\": " << p.step - 1
          << ", \"ranks\": " << comm.size()
          << ", \"allreduce_calls\": " << reduceCalls
          << ", \"wait_ms\": " << syncMs << "}\n";
    // The input pipeline's time for this step's rows, and how long the
    // step waited for them (0 when they were ready).
    double prepare = 0, wait = 0;
    int64_t batches = 0;
    input.takeTimes(prepare, wait, batches);
    inputSeconds += prepare, waitSeconds += wait;
    if (log)
      log << "{\"type\": \"step\", \"step\": " << p.step - 1
          << ", \"epoch\": " << p.epoch << ", \"loss\": " << r.loss
          << ", \"correct\": " << r.correct << ", \"count\": " << n
          << ", \"lr\": " << lr << ", \"ms\": " << stepMs
          << ", \"input_ms\": " << 1e3 * prepare
          << ", \"input_wait_ms\": " << 1e3 * wait << "}"
          << std::endl; // a reader following the log sees every step
  }

  /// A stop signal after the step: a checkpoint to resume from, and the
  /// exit status 128 + the signal.
  int stopOnSignal() {
    int sig = stopSignal ? int(stopSignal) : SIGTERM;
    ++p.batchInEpoch;
    std::string path =
        o.save.empty() ? c.name + ".interrupted.safetensors" : o.save;
    if (comm.rank() == 0)
      std::fprintf(stderr, "\n%s at step %" PRId64 "; ", signalName(sig),
                   p.step);
    if (checkpoint(path) && comm.rank() == 0)
      std::fprintf(stderr, "saved %s (continue with --resume %s)\n",
                   path.c_str(), path.c_str());
    return 128 + sig;
  }

  int trainLoop() {
    int64_t epochs = o.epochs >= 0 ? o.epochs : c.epochs;
    float lr = float(o.lr > 0 ? o.lr : c.learningRate);
    const int64_t G = c.globalBatch;
    int64_t batches = (trainCount + G - 1) / G;
    for (int sig : {SIGINT, SIGTERM, SIGUSR1})
      std::signal(sig, onStopSignal);
    // Past a file-size limit (ulimit -f) a write fails with EFBIG, which
    // the checkpoint writer reports, instead of killing the process.
    std::signal(SIGXFSZ, SIG_IGN);
    bool stoppedEarly = false;
    for (; p.epoch < epochs && !stoppedEarly; ++p.epoch) {
      auto epochStart = std::chrono::steady_clock::now();
      // --limit-train keeps the first N examples, shuffled among themselves.
      std::vector<int64_t> order =
          epochOrder(trainCount, p.seed, p.epoch, o.shuffle);
      progressLine.start("epoch", p.epoch, batches);
      double trainSeconds = 0;
      for (; p.batchInEpoch < batches; ++p.batchInEpoch) {
        if (o.steps >= 0 && p.step >= o.steps) {
          stoppedEarly = true;
          break;
        }
        int64_t b = p.batchInEpoch;
        int64_t n = std::min(G, trainCount - b * G);
        auto t0 = std::chrono::steady_clock::now();
        StepResult r;
        if (!trainStep(order, b, lr, r))
          return 1;
        // Every rank stops at the same step when any was asked to.
        int stop = stopSignal;
        sumOverRanks(r, stop);
        double stepMs = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - t0)
                            .count();
        trainSeconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                .count();
        if (!std::isfinite(r.loss))
          return reportNonFiniteLoss(r.loss, b);
        p.lossSum += double(r.loss) * n;
        p.correct += r.correct;
        p.count += n;
        ++p.step;
        logStep(r, n, lr, stepMs);
        progressLine.update(b + 1, p.lossSum / p.count,
                            double(p.correct) / p.count);
        if (stop)
          return stopOnSignal();
        if (o.saveEvery > 0 && p.step % o.saveEvery == 0) {
          ++p.batchInEpoch; // the checkpoint starts at the next batch
          bool ok = checkpoint(o.save);
          --p.batchInEpoch;
          if (!ok)
            return 1;
        }
      }
      if (stoppedEarly)
        break;
      if (!endEpoch(epochStart, trainSeconds))
        return 1;
    }
    if (stoppedEarly && !o.save.empty() && !checkpoint(o.save))
      return 1;
    reportAtEnd();
    return 0;
  }

  /// Training step `b` of the epoch's `order`: takes its rows (asking for
  /// the next step's meanwhile), records them for --dump-batches, runs the
  /// step. False when the dump cannot be written.
  bool trainStep(const std::vector<int64_t> &order, int64_t b, float lr,
                 StepResult &r) {
    const int64_t G = c.globalBatch;
    int64_t batches = (trainCount + G - 1) / G;
    int64_t n = std::min(G, trainCount - b * G);
    bool more = b + 1 < batches && (o.steps < 0 || p.step + 1 < o.steps);
    BatchRequest next;
    if (more)
      next = shareRequest(order.data() + (b + 1) * G,
                          std::min(G, trainCount - (b + 1) * G), true, p.epoch);
    RowShare share = prepareShare(order.data() + b * G, n, true, p.epoch,
                                  more ? &next : nullptr);
    if (!o.dumpBatches.empty() &&
        !dumpBatch(shareRequest(order.data() + b * G, n, true, p.epoch)))
      return false;
    if (deviceGather)
      r = ex.trainStepIndices(order.data() + b * G + share.offset, share.count,
                              lr, p.seed, uint64_t(p.step), o.dropout);
    else
      r = ex.trainStep(batch.images, batch.labels, lr, p.seed, uint64_t(p.step),
                       o.dropout);
    return true;
  }

  /// --profile's reports and the --log note, after the last step.
  void reportAtEnd() {
    if (o.profile && comm.rank() == 0 && !deviceGather && p.step > 0)
      std::printf("\nInput pipeline (--profile): %.2f ms per step preparing "
                  "batches on its thread, %.2f ms per step waited for by "
                  "the step\n",
                  1e3 * inputSeconds / double(p.step),
                  1e3 * waitSeconds / double(p.step));
    if (o.profile && comm.rank() == 0) {
      std::string report = ex.profileReport();
      if (!report.empty())
        std::printf("\nPer-kernel time (--profile):%s", report.c_str());
    }
    if (!o.log.empty())
      note("the log's curves: plot_log.py " + o.log +
           " -o curves.svg (in alexc's tools/, installed in share/alexc)");
  }

  const ModelConfig &c;
  const TrainOptions &o;
  Executor &ex;
  Communicator &comm;
  const GradientSync *sync; // the backend's gradient hooks (several ranks)
  InputPipeline input{c};
  PreparedBatch batch; // the rows of the current step (not on the device)
  bool deviceGather = false;
  double inputSeconds = 0, waitSeconds = 0; // over the training steps
  Safetensors dumped;                       // --dump-batches
  int64_t trainCount = 0, testCount = 0;
  Progress p;
  std::ofstream log;
  std::string lastCheckpoint;
  ProgressLine progressLine;
};

/// The executor for --device (auto: the GPU when one is usable and the run
/// has one rank, else the CPU).
std::unique_ptr<Executor> createExecutor(const ModelConfig &config,
                                         const TrainOptions &o,
                                         const ExecutorFactory &factory,
                                         std::string &error) {
  const DeviceOptions &dev = o.deviceOptions;
  if (o.device != "auto")
    return factory(o.device, dev, error);
  if (!config.hasCuda)
    return factory("cpu", dev, error);
  std::unique_ptr<Executor> ex = factory("cuda", dev, error);
  if (!ex) {
    if (!o.quiet)
      std::fprintf(stderr, "note: %s; training on the CPU\n", error.c_str());
    ex = factory("cpu", dev, error);
  }
  return ex;
}

/// Data-parallel runs: each rank's share must fit the compiled step; only
/// rank 0 talks, logs and writes checkpoints. False after an error.
bool checkRanks(const ModelConfig &config, Communicator &comm,
                TrainOptions &o) {
  int64_t share = rowShare(config.globalBatch, 0, comm.size()).count;
  if (share > config.batchSize) {
    if (comm.rank() == 0)
      std::fprintf(stderr,
                   "error: %d ranks take up to %" PRId64 " of the %" PRId64
                   " rows of a step each, but this "
                   "executable's step takes %" PRId64
                   ": build it with alexc --ranks %d\n",
                   comm.size(), share, config.globalBatch, config.batchSize,
                   comm.size());
    std::fflush(stderr);
    double barrier = 0; // every rank stops after rank 0 has said why
    comm.sum(&barrier, 1);
    return false;
  }
  if (comm.rank() == 0 && !o.quiet && share < config.batchSize)
    std::fprintf(stderr,
                 "note: each rank computes %" PRId64 " rows for its %" PRId64
                 " (the rest padding): alexc --ranks %d builds a step that "
                 "fits\n",
                 config.batchSize, share, comm.size());
  if (comm.rank() != 0) {
    o.quiet = true;
    o.log.clear();
    o.profile = false;
  }
  if (o.device == "auto")
    o.device = "cpu";
  return true;
}

} // namespace

int trainMain(int argc, char **argv, const ModelConfig &config,
              const ExecutorFactory &factory) {
  TrainOptions o;
  std::string error;
  if (!checkTensorRoles(config, error) ||
      !parseTrainOptions(argc, argv, o, error)) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 1;
  }
  if (o.help) {
    printHelp(argv[0], config);
    return 0;
  }
  if (!checkVariants(config, o, error)) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 1;
  }
#ifdef _OPENMP
  if (o.threads > 0)
    omp_set_num_threads(int(o.threads));
#endif
  std::unique_ptr<Communicator> comm = startCommunicator(error);
  if (!comm) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 1;
  }
  if (comm->communicates() && !checkRanks(config, *comm, o))
    comm->abort(1);
  std::unique_ptr<Executor> ex = createExecutor(config, o, factory, error);
  const GradientSync *sync = nullptr;
  if (ex && comm->communicates())
    sync = ex->joinRanks(*comm, error);
  if (!ex || (comm->communicates() && !sync)) {
    std::fprintf(stderr, "error: --device %s: %s\n", o.device.c_str(),
                 error.c_str());
    if (comm->communicates())
      comm->abort(1);
    return 1;
  }
  int rc = Run(config, o, *ex, *comm, sync).main();
  // One rank's error stops them all instead of leaving them waiting.
  if (comm->communicates() && rc != 0 && rc < 128)
    comm->abort(rc);
  return rc;
}

} // namespace alexc::rt
