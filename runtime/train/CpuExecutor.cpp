//===- CpuExecutor.cpp - Runs a model's generated CPU code ----------------===//
#include "runtime/train/CpuExecutor.h"
#include "runtime/dist/Communicator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>

namespace alexc::rt {

const FunctionInfo *findFunction(const ModelDescriptor &model,
                                 const std::string &name) {
  for (int i = 0; i < model.numFunctions; ++i)
    if (name == model.functions[i].name)
      return &model.functions[i];
  return nullptr;
}

static std::vector<int64_t> shapeOf(const TensorInfo &t) {
  return std::vector<int64_t>(t.shape, t.shape + t.rank);
}

ModelConfig configFromDescriptor(const ModelDescriptor &m) {
  ModelConfig c;
  c.name = m.name;
  c.specHash = m.specHash;
  c.optimizer = m.optimizer;
  c.dataset = m.dataset;
  c.batchSize = m.batchSize;
  c.globalBatch = m.globalBatch;
  c.channels = m.channels;
  c.height = m.height;
  c.width = m.width;
  c.classes = m.classes;
  c.resize = m.resize;
  c.epochs = m.epochs;
  c.learningRate = m.learningRate;
  // The compiler wrote the lists from a checked spec, so they read back.
  std::string unused;
  parseTransformLists(nlohmann::json::parse(m.transforms), c.transforms,
                      unused);
  for (int i = 0; i < m.numParams; ++i)
    c.params.push_back({m.params[i].name, shapeOf(m.params[i])});
  for (int i = 0; i < m.numState; ++i)
    c.state.push_back({m.state[i].name, shapeOf(m.state[i])});
  for (int i = 0; i < m.numStatistics; ++i)
    c.statistics.push_back({m.statistics[i].name, shapeOf(m.statistics[i])});
  for (int i = 0; i < m.numFunctions; ++i)
    for (int k = 0; k < m.functions[i].numKernels; ++k) {
      const KernelInfo &kernel = m.functions[i].kernels[k];
      std::string kind = kernel.kind;
      bool known = false;
      for (auto &[name, _] : c.gemmKernels)
        known |= name == kernel.name;
      if ((kind == "conv" || kind == "gemm") && !known)
        c.gemmKernels.push_back({kernel.name, kind});
    }
  return c;
}

namespace {

/// 64-byte aligned, zeroed float storage.
struct Buffer {
  void *data = nullptr;
  size_t bytes = 0;
  explicit Buffer(size_t n = 0) : bytes((n + 63) / 64 * 64) {
    if (bytes) {
      data = std::aligned_alloc(64, bytes);
      if (!data)
        throw std::runtime_error(
            "cannot allocate " + std::to_string(bytes >> 20) +
            " MiB of memory for the model (a smaller --batch-size in alexc "
            "needs less)");
      std::memset(data, 0, bytes);
    }
  }
  Buffer(Buffer &&o) noexcept : data(o.data), bytes(o.bytes) {
    o.data = nullptr;
  }
  Buffer &operator=(Buffer &&o) noexcept {
    std::swap(data, o.data);
    std::swap(bytes, o.bytes);
    return *this;
  }
  ~Buffer() { std::free(data); }
  float *f() { return static_cast<float *>(data); }
};

class CpuExecutor : public Executor {
public:
  explicit CpuExecutor(const ModelDescriptor &m) : model(m) {
    init = findFunction(m, "init");
    train = findFunction(m, "train_step");
    eval = findFunction(m, "eval_step");
    predictFn = findFunction(m, "predict"); // inference executables only
    int64_t arenaBytes = 0, scratchBytes = 0;
    for (int i = 0; i < m.numFunctions; ++i) {
      arenaBytes = std::max(arenaBytes, m.functions[i].arenaBytes);
      scratchBytes = std::max(scratchBytes, m.functions[i].scratchBytes);
    }
    arena = Buffer(arenaBytes);
    scratch = Buffer(scratchBytes);
    persistentTrain = Buffer(train->persistentBytes);
    persistentOther =
        Buffer(std::max({init->persistentBytes, eval->persistentBytes,
                         predictFn ? predictFn->persistentBytes : int64_t(0)}));
    for (const TensorInfo &t : carriedTensors(m))
      tensors.emplace(t.name, Buffer(t.numElements * 4));
  }

  std::string device() const override { return "cpu"; }
  const GradientSync *joinRanks(Communicator &comm, std::string &) override {
    return comm.gradientSync();
  }

  void initialize(uint64_t seed) override {
    std::vector<void *> args(init->numArgs, nullptr), results;
    for (int i = 0; i < init->numResults; ++i)
      results.push_back(tensors.at(init->results[i].name).data);
    Frame f{args.data(),
            results.data(),
            static_cast<uint8_t *>(arena.data),
            static_cast<uint8_t *>(persistentOther.data),
            0.f,
            seed,
            0,
            0,
            0,
            0,
            0,
            nullptr,
            static_cast<uint8_t *>(scratch.data)};
    // Optimizer state starts at zero; @init then sets what it returns
    // (parameters, and batch norm's running statistics).
    for (int i = 0; i < model.numState; ++i) {
      Buffer &b = tensors.at(model.state[i].name);
      std::memset(b.data, 0, b.bytes);
    }
    run(*init, f);
  }

  StepResult trainStep(const float *images, const int32_t *labels, float lr,
                       uint64_t seed, uint64_t step, bool dropout) override {
    return call(*train, images, labels, lr, seed, step, dropout,
                persistentTrain);
  }

  StepResult evalStep(const float *images, const int32_t *labels) override {
    return call(*eval, images, labels, 0.f, 0, 0, false, persistentOther);
  }

  bool predict(const float *images, float *logits) override {
    if (!predictFn)
      return false;
    call(*predictFn, images, nullptr, 0.f, 0, 0, false, persistentOther,
         logits);
    return true;
  }

  void readTensor(const std::string &name, float *data) override {
    Buffer &b = tensors.at(name);
    std::memcpy(data, b.data, size(name) * 4);
  }
  void writeTensor(const std::string &name, const float *data) override {
    Buffer &b = tensors.at(name);
    std::memcpy(b.data, data, size(name) * 4);
  }

  void setProfiling(bool on) override { profiling = on; }

  /// One table per profiled function (training step, evaluation step):
  /// each kernel's mean time per call, GFLOP/s and share of that step.
  std::string profileReport() override {
    std::string out;
    char line[256];
    for (const FunctionInfo *fn : functionOrder) {
      double total = 0, flops = 0;
      int64_t calls = 1;
      for (int k = 0; k < fn->numKernels; ++k) {
        total += kernelSeconds[&fn->kernels[k]];
        flops += fn->kernels[k].flops;
        calls = std::max(calls, kernelCalls[&fn->kernels[k]]);
      }
      std::snprintf(line, sizeof(line), "\n%s (mean of %lld calls):\n",
                    fn->name, static_cast<long long>(calls));
      out += line;
      std::snprintf(line, sizeof(line), "%-34s %10s %10s %9s %7s\n", "kernel",
                    "ms/step", "GFLOP/s", "kind", "share");
      out += line;
      for (int k = 0; k < fn->numKernels; ++k) {
        const KernelInfo *info = &fn->kernels[k];
        double s =
            kernelSeconds[info] / std::max<int64_t>(1, kernelCalls[info]);
        std::snprintf(line, sizeof(line), "%-34s %10.2f %10.1f %9s %6.1f%%\n",
                      info->name, s * 1e3, s > 0 ? info->flops / s / 1e9 : 0.0,
                      info->kind,
                      total > 0 ? 100.0 * kernelSeconds[info] / total : 0.0);
        out += line;
      }
      double perCall = total / double(calls);
      std::snprintf(line, sizeof(line), "%-34s %10.2f %10.1f %9s %6.1f%%\n",
                    "total", perCall * 1e3,
                    perCall > 0 ? flops / perCall / 1e9 : 0.0, "", 100.0);
      out += line;
    }
    out += "(GFLOP/s: each kernel's FLOPs as a direct convolution or GEMM; "
           "stride-1 3x3 and 5x5\nconvolutions run by Winograd's method "
           "(4x and 6.25x fewer multiplications), so\ntheir rate can pass "
           "the machine's FMA peak.)\n";
    return out;
  }

private:
  int64_t size(const std::string &name) {
    for (const TensorInfo &t : carriedTensors(model))
      if (name == t.name)
        return t.numElements;
    throw std::out_of_range(name);
  }

  void run(const FunctionInfo &fn, const Frame &f) {
    if (!profiling) {
      fn.run(f);
      return;
    }
    if (std::find(functionOrder.begin(), functionOrder.end(), &fn) ==
        functionOrder.end())
      functionOrder.push_back(&fn);
    for (int k = 0; k < fn.numKernels; ++k) {
      const KernelInfo *info = &fn.kernels[k];
      auto t0 = std::chrono::steady_clock::now();
      info->run(f);
      double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      kernelSeconds[info] += s;
      kernelCalls[info] += 1;
    }
  }

  StepResult call(const FunctionInfo &fn, const float *images,
                  const int32_t *labels, float lr, uint64_t seed, uint64_t step,
                  bool dropout, Buffer &persistent, float *logits = nullptr) {
    std::vector<void *> args(fn.numArgs, nullptr), results(fn.numResults);
    for (int i = 0; i < fn.numArgs; ++i) {
      std::string name = fn.args[i].name;
      if (name == "images")
        args[i] = const_cast<float *>(images);
      else if (name == "labels")
        args[i] = const_cast<int32_t *>(labels);
      else if (auto it = tensors.find(name); it != tensors.end())
        args[i] = it->second.data;
    }
    StepResult r;
    for (int i = 0; i < fn.numResults; ++i) {
      std::string name = fn.results[i].name;
      if (name == "loss")
        results[i] = &r.loss;
      else if (name == "correct")
        results[i] = &r.correct;
      else if (name == "logits")
        results[i] = logits;
      else
        results[i] = tensors.at(name).data; // updated in place
    }
    Frame f{args.data(),
            results.data(),
            static_cast<uint8_t *>(arena.data),
            static_cast<uint8_t *>(persistent.data),
            lr,
            seed,
            step,
            dropout ? 1 : 0,
            dp.rows,
            dp.rowOffset,
            dp.lossRows,
            dp.sync,
            static_cast<uint8_t *>(scratch.data)};
    run(fn, f);
    return r;
  }

  const ModelDescriptor &model;
  const FunctionInfo *init, *train, *eval, *predictFn;
  Buffer arena, scratch, persistentTrain, persistentOther;
  std::map<std::string, Buffer> tensors;
  bool profiling = false;
  std::map<const KernelInfo *, double> kernelSeconds;
  std::vector<const FunctionInfo *> functionOrder;
  std::map<const KernelInfo *, int64_t> kernelCalls;
};

} // namespace

std::unique_ptr<Executor> createCpuExecutor(const ModelDescriptor &model) {
  return std::make_unique<CpuExecutor>(model);
}

} // namespace alexc::rt
