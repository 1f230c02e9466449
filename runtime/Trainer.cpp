//===- Trainer.cpp - The training loop and its command line ---------------===//
#include "runtime/Trainer.h"
#include "runtime/Data.h"
#include "runtime/Safetensors.h"
#include "runtime/TuningCache.h"

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

std::atomic<bool> interrupted{false};
void onInterrupt(int) { interrupted = true; }

struct Options {
  std::string data, device = "auto", init, save, resume, log;
  DeviceOptions deviceOptions;
  std::vector<std::pair<std::string, std::string>> variants; // --variant
  int64_t epochs = -1, seed = 0, threads = 0, limitTrain = -1, limitTest = -1;
  int64_t steps = -1;
  double lr = -1;
  bool shuffle = true, dropout = true, evalOnly = false, quiet = false,
       profile = false, help = false, seedGiven = false;
};

void printHelp(const char *program, const ModelConfig &c) {
  std::printf(
      "Usage: %s [options]\n\n"
      "Trains the compiled model '%s' (batch %" PRId64 ", input %" PRId64
      "x%" PRId64 "x%" PRId64 ", %" PRId64 " classes) and evaluates it\n"
      "after every epoch, printing one line per epoch.\n\n"
      "Options (defaults come from the model spec):\n"
      "  --data DIR|fashion-mnist  folder with the four IDX .gz files;\n"
      "                            fashion-mnist = "
      "/usr/share/datasets/fashion-mnist\n"
      "                            (default: %s)\n"
      "  --device auto|cpu|cuda    where to train (default: auto, the GPU when "
      "usable)\n"
      "  --gemm generated|cublas|cudnn|auto\n"
      "                            GPU convolutions and GEMMs: generated "
      "kernels,\n"
      "                            cuBLAS, cuDNN (convolutions), or the "
      "fastest\n"
      "                            of each, timed at start-up (default: auto)\n"
      "  --precision fp32|tf32|bf16\n"
      "                            lowest precision of the GPU libraries' "
      "matrix\n"
      "                            math: tf32 (default, as PyTorch's cuDNN) "
      "lets\n"
      "                            cuBLAS and cuDNN round inputs to TF32; bf16 "
      "lets\n"
      "                            cuBLAS round them to bf16 (fp32 tensors "
      "and sums)\n"
      "  --variant KERNEL=generated|cublas|cudnn\n"
      "                            run one GPU kernel's convolution or GEMM "
      "this way,\n"
      "                            whatever --gemm says (repeatable; "
      "--profile\n"
      "                            lists the kernels)\n"
      "  --tuning-cache FILE|off   where the GPU's measured choices (kernel "
      "variant,\n"
      "                            cuDNN algorithm) are kept for later runs\n"
      "                            (default: ~/.cache/alexc/tuning.txt)\n"
      "  --epochs N                number of epochs (default: %" PRId64 ")\n"
      "  --lr X                    learning rate (default: %g)\n"
      "  --seed N                  seed of initialization, shuffling and "
      "dropout (default: 0)\n"
      "  --threads N               CPU threads (default: all cores)\n"
      "  --limit-train N           use only the first N training examples\n"
      "  --limit-test N            evaluate only the first N test examples\n"
      "  --steps N                 stop once N training steps have run in "
      "total\n"
      "                            (counting the steps of a resumed run)\n"
      "  --no-shuffle              visit training examples in file order\n"
      "  --disable-dropout         train with dropout layers passing "
      "everything\n"
      "  --init FILE               start from the parameters in FILE "
      "(safetensors)\n"
      "  --save FILE               checkpoint to FILE after every epoch and at "
      "the end\n"
      "  --resume FILE             continue the run saved in FILE exactly "
      "where it stopped\n"
      "  --log FILE                write JSON Lines: one object per step and "
      "per epoch\n"
      "  --eval-only               evaluate the test set and exit\n"
      "  --profile                 print the time of every kernel at the end\n"
      "  --quiet                   no progress bar or notes\n"
      "  --help                    this text\n",
      program, c.name.c_str(), c.batchSize, c.channels, c.height, c.width,
      c.classes, c.dataset.c_str(), c.epochs, c.learningRate);
}

bool parseInt(const std::string &s, int64_t &out) {
  if (s.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end || errno)
    return false;
  out = v;
  return true;
}

bool parseOptions(int argc, char **argv, Options &o, std::string &error) {
  o.deviceOptions.tuningCache = TuningCache::defaultPath();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    bool hasValue = false;
    if (auto eq = arg.find('=');
        arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      hasValue = true;
    }
    auto flag = [&](bool &target, bool v) {
      if (hasValue) {
        error = arg + " takes no value";
        return false;
      }
      target = v;
      return true;
    };
    auto next = [&](std::string &target) {
      if (!hasValue) {
        if (i + 1 >= argc) {
          error = arg + " needs a value";
          return false;
        }
        value = argv[++i];
      }
      target = value;
      return true;
    };
    auto number = [&](int64_t &target, int64_t min) {
      std::string s;
      if (!next(s))
        return false;
      if (!parseInt(s, target) || target < min) {
        error = arg + " needs an integer >= " + std::to_string(min) +
                ", got '" + s + "'";
        return false;
      }
      return true;
    };
    bool ok = true;
    if (arg == "--help" || arg == "-h")
      ok = flag(o.help, true);
    else if (arg == "--data")
      ok = next(o.data);
    else if (arg == "--device") {
      ok = next(o.device);
      if (ok && o.device != "auto" && o.device != "cpu" && o.device != "cuda") {
        error = "--device must be auto, cpu or cuda, got '" + o.device + "'";
        ok = false;
      }
    } else if (arg == "--gemm") {
      ok = next(o.deviceOptions.gemm);
      if (ok && !isVariantName(o.deviceOptions.gemm) &&
          o.deviceOptions.gemm != "auto") {
        error = "--gemm must be generated, cublas, cudnn or auto";
        ok = false;
      }
    } else if (arg == "--precision") {
      ok = next(o.deviceOptions.precision);
      if (ok && !isPrecisionName(o.deviceOptions.precision)) {
        error = "--precision must be fp32, tf32 or bf16";
        ok = false;
      }
    } else if (arg == "--variant") {
      std::string v;
      ok = next(v);
      size_t eq = v.find('=');
      std::string variant = eq == std::string::npos ? "" : v.substr(eq + 1);
      if (ok &&
          (eq == std::string::npos || eq == 0 || !isVariantName(variant))) {
        error =
            "--variant needs KERNEL=generated|cublas|cudnn, got '" + v + "'";
        ok = false;
      }
      if (ok)
        o.variants.push_back({v.substr(0, eq), variant});
    } else if (arg == "--tuning-cache") {
      ok = next(o.deviceOptions.tuningCache);
      if (ok && o.deviceOptions.tuningCache.empty()) {
        error = "--tuning-cache needs a file name, or off";
        ok = false;
      }
      if (o.deviceOptions.tuningCache == "off")
        o.deviceOptions.tuningCache.clear();
    } else if (arg == "--epochs")
      ok = number(o.epochs, 0);
    else if (arg == "--lr") {
      std::string s;
      ok = next(s);
      char *end = nullptr;
      if (ok) {
        o.lr = std::strtod(s.c_str(), &end);
        if (s.empty() || *end || !(o.lr > 0)) {
          error = "--lr needs a positive number, got '" + s + "'";
          ok = false;
        }
      }
    } else if (arg == "--seed") {
      ok = number(o.seed, 0);
      o.seedGiven = true;
    } else if (arg == "--threads")
      ok = number(o.threads, 1);
    else if (arg == "--limit-train")
      ok = number(o.limitTrain, 1);
    else if (arg == "--limit-test")
      ok = number(o.limitTest, 1);
    else if (arg == "--steps")
      ok = number(o.steps, 0);
    else if (arg == "--no-shuffle")
      ok = flag(o.shuffle, false);
    else if (arg == "--disable-dropout")
      ok = flag(o.dropout, false);
    else if (arg == "--init")
      ok = next(o.init);
    else if (arg == "--save")
      ok = next(o.save);
    else if (arg == "--resume")
      ok = next(o.resume);
    else if (arg == "--log")
      ok = next(o.log);
    else if (arg == "--eval-only")
      ok = flag(o.evalOnly, true);
    else if (arg == "--profile")
      ok = flag(o.profile, true);
    else if (arg == "--quiet")
      ok = flag(o.quiet, true);
    else {
      error = "unknown option '" + arg + "' (see --help)";
      ok = false;
    }
    if (!ok)
      return false;
  }
  if (!o.init.empty() && !o.resume.empty()) {
    error = "--init and --resume cannot be used together";
    return false;
  }
  return true;
}

/// Where a run stands: what a checkpoint saves besides the tensors.
struct Progress {
  int64_t step = 0;         // training steps done in total
  int64_t epoch = 0;        // current epoch
  int64_t batchInEpoch = 0; // batches of the current epoch done
  uint64_t seed = 0;
  double lossSum = 0; // sum over the epoch's examples so far
  int64_t correct = 0, count = 0;
};

std::string hexDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%a", v);
  return buf;
}

bool saveCheckpoint(const std::string &path, Executor &ex, const ModelConfig &c,
                    const Progress &p, std::string &error) {
  Safetensors st;
  auto add = [&](const NamedShape &t) {
    std::vector<float> data(t.numElements());
    ex.readTensor(t.name, data.data());
    st.tensors[t.name] = StoredTensor::fromFloat(t.shape, data.data());
  };
  for (const NamedShape &t : c.params)
    add(t);
  for (const NamedShape &t : c.state)
    add(t);
  st.metadata = {{"format", "alexc-checkpoint-1"},
                 {"model", c.name},
                 {"spec_hash", c.specHash},
                 {"step", std::to_string(p.step)},
                 {"epoch", std::to_string(p.epoch)},
                 {"batch_in_epoch", std::to_string(p.batchInEpoch)},
                 {"seed", std::to_string(p.seed)},
                 {"loss_sum", hexDouble(p.lossSum)},
                 {"correct", std::to_string(p.correct)},
                 {"count", std::to_string(p.count)}};
  return writeSafetensors(path, st, error);
}

/// Loads tensors by name into the executor; with `progress`, a checkpoint
/// of this very model, else any file with the parameters (--init).
bool loadTensors(const std::string &path, Executor &ex, const ModelConfig &c,
                 Progress *progress, std::string &error) {
  Safetensors st;
  if (!readSafetensors(path, st, error))
    return false;
  if (progress) {
    auto meta = [&](const char *k) {
      auto it = st.metadata.find(k);
      return it == st.metadata.end() ? std::string() : it->second;
    };
    if (meta("format") != "alexc-checkpoint-1") {
      error = path + ": not an alexc checkpoint (no format metadata)";
      return false;
    }
    if (meta("spec_hash") != c.specHash) {
      error = path + ": checkpoint of model '" + meta("model") +
              "' (spec hash " + meta("spec_hash") +
              "), but this executable is model '" + c.name + "' (spec hash " +
              c.specHash + ")";
      return false;
    }
    int64_t v;
    auto num = [&](const char *k, int64_t &out) {
      if (!parseInt(meta(k), v)) {
        error = path + ": checkpoint metadata '" + k + "' is missing or bad";
        return false;
      }
      out = v;
      return true;
    };
    int64_t seed;
    if (!num("step", progress->step) || !num("epoch", progress->epoch) ||
        !num("batch_in_epoch", progress->batchInEpoch) || !num("seed", seed) ||
        !num("correct", progress->correct) || !num("count", progress->count))
      return false;
    progress->seed = uint64_t(seed);
    progress->lossSum = std::strtod(meta("loss_sum").c_str(), nullptr);
  }
  auto load = [&](const NamedShape &t) {
    auto it = st.tensors.find(t.name);
    if (it == st.tensors.end()) {
      error = path + ": has no tensor '" + t.name + "'";
      return false;
    }
    if (it->second.shape != t.shape) {
      std::string want, got;
      for (int64_t d : t.shape)
        want += (want.empty() ? "" : "x") + std::to_string(d);
      for (int64_t d : it->second.shape)
        got += (got.empty() ? "" : "x") + std::to_string(d);
      error = path + ": tensor '" + t.name + "' is " + got +
              ", the model needs " + want;
      return false;
    }
    std::vector<float> data = it->second.toFloat();
    ex.writeTensor(t.name, data.data());
    return true;
  };
  for (const NamedShape &t : c.params)
    if (!load(t))
      return false;
  if (progress)
    for (const NamedShape &t : c.state)
      if (!load(t))
        return false;
  return true;
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
  Run(const ModelConfig &c, const Options &o, Executor &ex)
      : c(c), o(o), ex(ex), progressLine(o.quiet) {}

  int main() {
    std::string error;
    std::string folder = resolveDataFolder(o.data.empty() ? c.dataset : o.data);
    if (c.channels != 1)
      return fail("the model expects " + std::to_string(c.channels) +
                  "-channel images; Fashion-MNIST has 1 channel");
    if (!o.evalOnly && !loadSplit(folder, "train", c.classes, train, error))
      return fail(error);
    if (!loadSplit(folder, "t10k", c.classes, test, error))
      return fail(error);
    Dataset &shape = test;
    if (!c.resize && (shape.rows != c.height || shape.cols != c.width))
      return fail("the model expects " + std::to_string(c.height) + "x" +
                  std::to_string(c.width) + " images, the data has " +
                  std::to_string(shape.rows) + "x" +
                  std::to_string(shape.cols) +
                  " (set data.resize in the spec)");
    plan = planResize(shape.rows, shape.cols, c.height, c.width);
    trainCount = std::min<int64_t>(train.count, o.limitTrain > 0 ? o.limitTrain
                                                                 : train.count);
    testCount = std::min<int64_t>(test.count,
                                  o.limitTest > 0 ? o.limitTest : test.count);
    images.resize(size_t(c.batchSize * c.channels * c.height * c.width));
    labels.resize(size_t(c.batchSize));

    p.seed = uint64_t(o.seed);
    if (!o.resume.empty()) {
      if (!loadTensors(o.resume, ex, c, &p, error))
        return fail(error);
      if (o.seedGiven && uint64_t(o.seed) != p.seed)
        note("using the checkpoint's seed " + std::to_string(p.seed));
      lastCheckpoint = o.resume;
      note("resumed " + o.resume + " at step " + std::to_string(p.step) +
           " (epoch " + std::to_string(p.epoch) + ", batch " +
           std::to_string(p.batchInEpoch) + ")");
    } else {
      ex.initialize(p.seed);
      if (!o.init.empty() && !loadTensors(o.init, ex, c, nullptr, error))
        return fail(error);
    }
    if (!o.log.empty()) {
      log.open(o.log, std::ios::app);
      if (!log)
        return fail(o.log + ": cannot open the log file for writing");
      log.precision(9);
    }
    ex.setProfiling(o.profile);
    if (ex.gathersOnDevice()) {
      if (!o.evalOnly)
        ex.uploadDataset(true, train, plan);
      ex.uploadDataset(false, test, plan);
    }
    if (!o.quiet)
      std::fprintf(stderr, "note: training '%s' on %s\n", c.name.c_str(),
                   ex.device().c_str());

    if (o.evalOnly) {
      EvalResult r = evaluate();
      std::printf("Test loss : %.6f, Test acc : %.6f\n", r.loss, r.acc);
      return 0;
    }
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

  EvalResult evaluate() {
    double lossSum = 0;
    int64_t correct = 0;
    std::vector<int64_t> order(testCount);
    std::iota(order.begin(), order.end(), 0);
    int64_t batches = (testCount + c.batchSize - 1) / c.batchSize;
    progressLine.start("test", p.epoch, batches, /*plain=*/false);
    for (int64_t b = 0; b < batches; ++b) {
      int64_t n = std::min(c.batchSize, testCount - b * c.batchSize);
      StepResult r;
      auto t0 = std::chrono::steady_clock::now();
      if (ex.gathersOnDevice()) {
        r = ex.evalStepIndices(order.data() + b * c.batchSize, n);
      } else {
        fillBatch(test, plan, order.data() + b * c.batchSize, n, c.batchSize,
                  images.data(), labels.data());
        r = ex.evalStep(images.data(), labels.data());
      }
      if (log)
        log << "{\"type\": \"eval_step\", \"epoch\": " << p.epoch
            << ", \"batch\": " << b << ", \"ms\": "
            << std::chrono::duration<double, std::milli>(
                   std::chrono::steady_clock::now() - t0)
                   .count()
            << "}\n";
      lossSum += double(r.loss) * n;
      correct += r.correct;
      progressLine.update(b + 1, lossSum / ((b * c.batchSize) + n),
                          double(correct) / ((b * c.batchSize) + n));
    }
    return {lossSum / double(testCount), double(correct) / double(testCount)};
  }

  bool checkpoint(const std::string &path) {
    std::string error;
    if (!saveCheckpoint(path, ex, c, p, error)) {
      std::fprintf(stderr, "error: %s\n", error.c_str());
      return false;
    }
    lastCheckpoint = path;
    return true;
  }

  int trainLoop() {
    int64_t epochs = o.epochs >= 0 ? o.epochs : c.epochs;
    float lr = float(o.lr > 0 ? o.lr : c.learningRate);
    int64_t batches = (trainCount + c.batchSize - 1) / c.batchSize;
    std::signal(SIGINT, onInterrupt);
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
        int64_t n = std::min(c.batchSize, trainCount - b * c.batchSize);
        auto t0 = std::chrono::steady_clock::now();
        StepResult r;
        if (ex.gathersOnDevice()) {
          r = ex.trainStepIndices(order.data() + b * c.batchSize, n, lr, p.seed,
                                  uint64_t(p.step), o.dropout);
        } else {
          fillBatch(train, plan, order.data() + b * c.batchSize, n, c.batchSize,
                    images.data(), labels.data());
          r = ex.trainStep(images.data(), labels.data(), lr, p.seed,
                           uint64_t(p.step), o.dropout);
        }
        double stepMs = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - t0)
                            .count();
        trainSeconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                .count();
        if (!std::isfinite(r.loss)) {
          std::fprintf(
              stderr,
              "\nerror: the loss is %s at step %" PRId64 " (epoch %" PRId64
              ", batch %" PRId64 "); stopping.%s%s\n",
              std::isnan(r.loss) ? "NaN" : "infinite", p.step, p.epoch, b,
              lastCheckpoint.empty() ? " No checkpoint of this run was written."
                                     : " The last good checkpoint is ",
              lastCheckpoint.c_str());
          return 3;
        }
        p.lossSum += double(r.loss) * n;
        p.correct += r.correct;
        p.count += n;
        ++p.step;
        if (log)
          log << "{\"type\": \"step\", \"step\": " << p.step - 1
              << ", \"epoch\": " << p.epoch << ", \"loss\": " << r.loss
              << ", \"correct\": " << r.correct << ", \"count\": " << n
              << ", \"lr\": " << lr << ", \"ms\": " << stepMs << "}\n";
        progressLine.update(b + 1, p.lossSum / p.count,
                            double(p.correct) / p.count);
        if (interrupted) {
          ++p.batchInEpoch;
          std::string path =
              o.save.empty() ? c.name + ".interrupted.safetensors" : o.save;
          std::fprintf(stderr, "\ninterrupted at step %" PRId64 "; ", p.step);
          if (checkpoint(path))
            std::fprintf(stderr, "saved %s (continue with --resume %s)\n",
                         path.c_str(), path.c_str());
          return 130;
        }
      }
      if (stoppedEarly)
        break;
      EvalResult test = evaluate();
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - epochStart)
                           .count();
      double trainLoss = p.count ? p.lossSum / p.count : 0;
      double trainAcc = p.count ? double(p.correct) / p.count : 0;
      double ips = trainSeconds > 0 ? p.count / trainSeconds : 0;
      std::printf("Epoch %" PRId64 ". Loss : %.6f, Train acc : %.6f, Test acc "
                  ": %.6f, Time : %.1f s, %.1f images/s\n",
                  p.epoch, trainLoss, trainAcc, test.acc, seconds, ips);
      std::fflush(stdout);
      if (log)
        log << "{\"type\": \"epoch\", \"epoch\": " << p.epoch
            << ", \"train_loss\": " << trainLoss
            << ", \"train_acc\": " << trainAcc
            << ", \"test_loss\": " << test.loss
            << ", \"test_acc\": " << test.acc << ", \"time_s\": " << seconds
            << ", \"images_per_s\": " << ips << "}\n"
            << std::flush;
      p.batchInEpoch = 0;
      p.lossSum = 0;
      p.correct = p.count = 0;
      if (!o.save.empty()) {
        ++p.epoch; // the checkpoint starts the next epoch
        bool ok = checkpoint(o.save);
        --p.epoch;
        if (!ok)
          return 1;
      }
    }
    if (stoppedEarly && !o.save.empty() && !checkpoint(o.save))
      return 1;
    if (o.profile) {
      std::string report = ex.profileReport();
      if (!report.empty())
        std::printf("\nPer-kernel time (--profile):%s", report.c_str());
    }
    return 0;
  }

  const ModelConfig &c;
  const Options &o;
  Executor &ex;
  Dataset train, test;
  ResizePlan plan;
  int64_t trainCount = 0, testCount = 0;
  std::vector<float> images;
  std::vector<int32_t> labels;
  Progress p;
  std::ofstream log;
  std::string lastCheckpoint;
  ProgressLine progressLine;
};

/// Checks each `--variant` against the model's kernels and passes them on
/// as DeviceOptions::variants.
bool checkVariants(const ModelConfig &c, Options &o, std::string &error) {
  std::string names;
  for (auto &[name, kind] : c.gemmKernels)
    names += (names.empty() ? "" : ", ") + name;
  for (auto &[kernel, variant] : o.variants) {
    const std::string *kind = nullptr;
    for (auto &[name, k] : c.gemmKernels)
      if (name == kernel)
        kind = &k;
    if (!kind) {
      error = "--variant " + kernel + "=" + variant + ": model '" + c.name +
              "' has no kernel '" + kernel +
              "' with a convolution or GEMM; it has " +
              (names.empty() ? std::string("none") : names);
      return false;
    }
    if (variant == "cudnn" && *kind != "conv") {
      error = "--variant " + kernel + "=cudnn: '" + kernel +
              "' is a dense layer's GEMM; cudnn covers convolutions only";
      return false;
    }
    o.deviceOptions.variants +=
        (o.deviceOptions.variants.empty() ? "" : ",") + kernel + "=" + variant;
  }
  return true;
}

} // namespace

int trainMain(int argc, char **argv, const ModelConfig &config,
              const ExecutorFactory &factory) {
  Options o;
  std::string error;
  if (!parseOptions(argc, argv, o, error)) {
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
  std::unique_ptr<Executor> ex;
  const DeviceOptions &dev = o.deviceOptions;
  if (o.device == "auto" && !config.hasCuda) {
    ex = factory("cpu", dev, error);
  } else if (o.device == "auto") {
    ex = factory("cuda", dev, error);
    if (!ex) {
      if (!o.quiet)
        std::fprintf(stderr, "note: %s; training on the CPU\n", error.c_str());
      ex = factory("cpu", dev, error);
    }
  } else {
    ex = factory(o.device, dev, error);
  }
  if (!ex) {
    std::fprintf(stderr, "error: --device %s: %s\n", o.device.c_str(),
                 error.c_str());
    return 1;
  }
  return Run(config, o, *ex).main();
}

} // namespace alexc::rt
