//===- CudaExecutor.cuh - Runs a model's generated CUDA code --------------===//
//
// Included once, by the generated .cu file. Parameters, optimizer state, the
// arena and the whole uint8 dataset live on the GPU; each batch is gathered,
// resized and scaled there from a list of example indices. A step is
// captured once as a CUDA graph and replayed; its scalars (learning rate,
// seed, step) and indices are copied in before each replay, and the only
// synchronization is reading the loss and the count at the end. Kernels
// with a GEMM have two variants (generated, cuBLAS); `--gemm auto` times both
// once at start-up and keeps the faster.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_CUDAEXECUTOR_CUH
#define ALEXC_RUNTIME_CUDA_CUDAEXECUTOR_CUH

#include "runtime/abi/Model.h"
#include "runtime/cuda/CudaCheck.h"
#include "runtime/cuda/Kernels.cuh"
#include "runtime/dist/Communicator.h"
#include "runtime/gpu/KernelCheck.h"
#include "runtime/train/Data.h"
#include "runtime/train/Executor.h"
#ifdef ALEXC_HAVE_NCCL
#include "runtime/gpu/NcclSync.cuh"
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

// What alexc passes to nvcc: the hash of the kernels' code.
#ifndef ALEXC_KERNEL_HASH
#define ALEXC_KERNEL_HASH "unhashed"
#endif

namespace alexc::cuda {

struct DeviceSplit {
  uint8_t *images = nullptr;
  int32_t *labels = nullptr;
  int64_t rows = 0, cols = 0;
  int32_t *y0 = nullptr, *dy = nullptr, *x0 = nullptr, *dx = nullptr;
  float *wy = nullptr, *wx = nullptr;
};

class CudaExecutor : public rt::Executor {
public:
  /// `variants`: "KERNEL=VARIANT,..." (`--variant`, checked by the
  /// trainer), kernels that run that variant whatever `gemm` says.
  CudaExecutor(const rt::ModelDescriptor &model, const CudaProgram &program,
               std::string gemm, const std::string &variants,
               std::string precision, std::string tuningFile,
               bool deterministic)
      : model(model), program(program), gemmMode(std::move(gemm)),
        deterministic(deterministic), tuning(std::move(tuningFile)) {
    reportTuningProblems();
    for (size_t at = 0; at < variants.size();) {
      size_t comma = std::min(variants.find(',', at), variants.size());
      std::string item = variants.substr(at, comma - at);
      size_t eq = item.find('=');
      for (int v = 0; eq != std::string::npos && v < 3; ++v)
        if (item.substr(eq + 1) == kVariantNames[v])
          forced[item.substr(0, eq)] = v;
      at = comma + 1;
    }
    ALEXC_CUDA_CHECK(cudaStreamCreate(&stream));
    cublasHandle_t h;
    ALEXC_CUBLAS_CHECK(cublasCreate(&h));
    cublas = h;
    ALEXC_CUBLAS_CHECK(cublasSetStream(h, stream));
    // A fixed workspace keeps cuBLAS from allocating while a graph records.
    workspace = deviceAlloc<uint8_t>(64 << 20);
    ALEXC_CUBLAS_CHECK(cublasSetWorkspace(h, workspace, 64 << 20));
    mathPrecision = rt::precisionNamed(precision.c_str());
    ALEXC_CUBLAS_CHECK(cublasSetMathMode(h, cublasMathFor(mathPrecision)));
    cudnnHandle_t dnn;
    ALEXC_CUDNN_CHECK(cudnnCreate(&dnn));
    ALEXC_CUDNN_CHECK(cudnnSetStream(dnn, stream));
    cudnn = dnn;
    cudnnWorkspaceBytes = cudnnWorkspaceBytesForTraining();
    cudnnWorkspace = deviceAlloc<uint8_t>(cudnnWorkspaceBytes);
    int64_t arenaBytes = 0, scratchBytes = 0;
    for (int i = 0; i < model.numFunctions; ++i)
      arenaBytes = std::max(arenaBytes, model.functions[i].arenaBytes);
    for (int i = 0; i < program.numFunctions; ++i)
      scratchBytes = std::max(scratchBytes, program.functions[i].scratchBytes);
    arena = deviceAlloc<uint8_t>(arenaBytes + 64);
    scratch = deviceAlloc<float>(scratchBytes / 4 + 16);
    for (int i = 0; i < model.numFunctions; ++i)
      persistent[model.functions[i].name] =
          deviceAlloc<uint8_t>(model.functions[i].persistentBytes + 64);
    for (const rt::TensorInfo &t : rt::carriedTensors(model))
      tensors[t.name] = {deviceAlloc<float>(t.numElements), t.numElements};
    scalars = deviceAlloc<rt::StepScalars>(1);
    ALEXC_CUDA_CHECK(cudaMallocHost(&hostScalars, sizeof(rt::StepScalars)));
    ALEXC_CUDA_CHECK(
        cudaMallocHost(&hostIndices, model.batchSize * sizeof(int64_t)));
    ALEXC_CUDA_CHECK(cudaMallocHost(&hostResult, 2 * sizeof(float)));
    indices = deviceAlloc<int64_t>(model.batchSize);
    images = deviceAlloc<float>(model.batchSize * model.channels *
                                model.height * model.width);
    labels = deviceAlloc<int32_t>(model.batchSize);
    loss = deviceAlloc<float>(1);
    correct = deviceAlloc<int32_t>(1);
  }

  /// One rank per GPU, its gradients summed by NCCL.
  const rt::GradientSync *joinRanks(rt::Communicator &comm,
                                    std::string &error) override {
#ifdef ALEXC_HAVE_NCCL
    return nccl.start(comm, stream, error) ? nccl.sync() : nullptr;
#else
    (void)comm;
    error = "this executable was built without NCCL, which data-parallel "
            "training on GPUs needs (alexc compiles it in when the CUDA "
            "toolkit has nccl.h)";
    return nullptr;
#endif
  }

  std::string device() const override {
    return "cuda (" + cuda::deviceName() + ", " +
           rt::precisionName(mathPrecision) + " math)";
  }

  bool gathersOnDevice() const override { return true; }

  void uploadDataset(bool train, const rt::Dataset &d,
                     const rt::ResizePlan &plan) override {
    DeviceSplit &s = train ? trainData : testData;
    s.images = upload(d.images);
    s.labels = upload(d.labels);
    s.rows = d.rows;
    s.cols = d.cols;
    s.y0 = upload(plan.y0);
    s.dy = upload(plan.dy);
    s.x0 = upload(plan.x0);
    s.dx = upload(plan.dx);
    s.wy = upload(plan.wy);
    s.wx = upload(plan.wx);
  }

  void initialize(uint64_t seed) override {
    setScalars(0.f, seed, 0, false);
    const rt::FunctionInfo &info = *function("init");
    std::vector<void *> args(info.numArgs, nullptr), results;
    for (int i = 0; i < info.numResults; ++i)
      results.push_back(tensors.at(info.results[i].name).ptr);
    // Optimizer state starts at zero; @init then sets what it returns
    // (parameters, and batch norm's running statistics).
    for (int i = 0; i < model.numState; ++i) {
      auto &t = tensors.at(model.state[i].name);
      ALEXC_CUDA_CHECK(cudaMemsetAsync(t.ptr, 0, t.n * 4, stream));
    }
    runDirect("init", args, results);
    ALEXC_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  rt::StepResult trainStep(const float *img, const int32_t *lab, float lr,
                           uint64_t seed, uint64_t step,
                           bool dropout) override {
    ALEXC_CUDA_CHECK(cudaMemcpyAsync(images, img, imageBytes(),
                                     cudaMemcpyHostToDevice, stream));
    ALEXC_CUDA_CHECK(cudaMemcpyAsync(labels, lab, model.batchSize * 4,
                                     cudaMemcpyHostToDevice, stream));
    setScalars(lr, seed, step, dropout);
    return replay("train_step", nullptr);
  }

  rt::StepResult evalStep(const float *img, const int32_t *lab) override {
    ALEXC_CUDA_CHECK(cudaMemcpyAsync(images, img, imageBytes(),
                                     cudaMemcpyHostToDevice, stream));
    ALEXC_CUDA_CHECK(cudaMemcpyAsync(labels, lab, model.batchSize * 4,
                                     cudaMemcpyHostToDevice, stream));
    setScalars(0.f, 0, 0, false);
    return replay("eval_step", nullptr);
  }

  rt::StepResult trainStepIndices(const int64_t *idx, int64_t count, float lr,
                                  uint64_t seed, uint64_t step,
                                  bool dropout) override {
    setIndices(idx, count);
    setScalars(lr, seed, step, dropout);
    return replay("train_step", &trainData);
  }

  rt::StepResult evalStepIndices(const int64_t *idx, int64_t count) override {
    setIndices(idx, count);
    setScalars(0.f, 0, 0, false);
    return replay("eval_step", &testData);
  }

  void readTensor(const std::string &name, float *data) override {
    auto &t = tensors.at(name);
    ALEXC_CUDA_CHECK(cudaStreamSynchronize(stream));
    ALEXC_CUDA_CHECK(cudaMemcpy(data, t.ptr, t.n * 4, cudaMemcpyDeviceToHost));
  }
  void writeTensor(const std::string &name, const float *data) override {
    auto &t = tensors.at(name);
    ALEXC_CUDA_CHECK(cudaStreamSynchronize(stream));
    ALEXC_CUDA_CHECK(cudaMemcpy(t.ptr, data, t.n * 4, cudaMemcpyHostToDevice));
  }

  void setProfiling(bool on) override { profiling = on; }

  /// `--profile`: for each step function run so far, every kernel's time
  /// (the chosen variant, run one by one between events, mean of
  /// kProfileRuns runs) next to the time of the captured graph; then the
  /// start-up timing of each variant when `--gemm auto` chose them.
  std::string profileReport() override {
    std::string out;
    if (profiling)
      for (const std::string &key : graphOrder)
        out += kernelTable(key);
    if (!variantReport.empty())
      out += "\nStart-up timing of each variant (--gemm auto keeps the "
             "fastest):\n" +
             variantReport;
    if (variantsFromCache)
      out += "\n" + std::to_string(variantsFromCache) +
             " kernel variants were chosen as kept in " + tuning.file() +
             " (--tuning-cache off measures them again)\n";
    return out;
  }

private:
  struct DeviceTensor {
    float *ptr;
    int64_t n;
  };

  size_t imageBytes() const {
    return size_t(model.batchSize * model.channels * model.height *
                  model.width) *
           4;
  }

  const rt::FunctionInfo *function(const char *name) const {
    for (int i = 0; i < model.numFunctions; ++i)
      if (!std::strcmp(model.functions[i].name, name))
        return &model.functions[i];
    return nullptr;
  }
  const CudaFunction *program_(const char *name) const {
    for (int i = 0; i < program.numFunctions; ++i)
      if (!std::strcmp(program.functions[i].name, name))
        return &program.functions[i];
    return nullptr;
  }

  void setScalars(float lr, uint64_t seed, uint64_t step, bool dropout) {
    ALEXC_CUDA_CHECK(cudaStreamSynchronize(stream)); // host buffer reuse
    *hostScalars = rt::StepScalars{lr,      dropout ? 1 : 0, seed,        step,
                                   dp.rows, dp.lossRows,     dp.rowOffset};
    ALEXC_CUDA_CHECK(cudaMemcpyAsync(scalars, hostScalars,
                                     sizeof(rt::StepScalars),
                                     cudaMemcpyHostToDevice, stream));
  }

  void setIndices(const int64_t *idx, int64_t count) {
    ALEXC_CUDA_CHECK(cudaStreamSynchronize(stream));
    for (int64_t b = 0; b < model.batchSize; ++b)
      hostIndices[b] = b < count ? idx[b] : -1;
    ALEXC_CUDA_CHECK(cudaMemcpyAsync(indices, hostIndices,
                                     model.batchSize * sizeof(int64_t),
                                     cudaMemcpyHostToDevice, stream));
  }

  /// The frame of a step function: its tensors bound by name.
  rt::CudaFrame frame(const rt::FunctionInfo &info, std::vector<void *> &args,
                      std::vector<void *> &results) {
    args.assign(info.numArgs, nullptr);
    results.assign(info.numResults, nullptr);
    for (int i = 0; i < info.numArgs; ++i) {
      std::string n = info.args[i].name;
      if (n == "images")
        args[i] = images;
      else if (n == "labels")
        args[i] = labels;
      else if (auto it = tensors.find(n); it != tensors.end())
        args[i] = it->second.ptr;
    }
    for (int i = 0; i < info.numResults; ++i) {
      std::string n = info.results[i].name;
      results[i] = n == "loss"      ? static_cast<void *>(loss)
                   : n == "correct" ? static_cast<void *>(correct)
                                    : tensors.at(n).ptr;
    }
    return frameOver(info, args, results);
  }

  /// A frame of this executor's buffers, handles and settings.
  rt::CudaFrame frameOver(const rt::FunctionInfo &info,
                          std::vector<void *> &args,
                          std::vector<void *> &results) {
    return rt::CudaFrame{args.data(),
                         results.data(),
                         arena,
                         persistent.at(info.name),
                         scalars,
                         stream,
                         cublas,
                         scratch,
                         cudnn,
                         cudnnWorkspace,
                         cudnnWorkspaceBytes,
                         mathPrecision,
                         &tuning,
                         deterministic ? 1 : 0};
  }

  void runDirect(const char *name, std::vector<void *> &args,
                 std::vector<void *> &results) {
    const rt::FunctionInfo &info = *function(name);
    const CudaFunction &fn = *program_(name);
    rt::CudaFrame f = frameOver(info, args, results);
    for (int k = 0; k < fn.numKernels; ++k)
      fn.kernels[k].run(f, 0);
    fn.finish(f);
  }

  static constexpr const char *kVariantNames[] = {"generated", "cublas",
                                                  "cudnn"};

  /// The tuning cache's key for the variant of one kernel of this program:
  /// the GPU, the precision and the hash of the kernels' code (generated
  /// and runtime), so that a changed kernel is timed again.
  std::string variantKey(const CudaFunction &fn, int k) const {
    return "variant " + cuda::deviceName() + " " +
           rt::precisionName(mathPrecision) +
           (deterministic ? " deterministic" : "") + " code " +
           ALEXC_KERNEL_HASH + " batch " + std::to_string(model.batchSize) +
           " " + fn.name + " " + fn.kernels[k].name;
  }

  /// Picks each kernel's variant: as asked, or (`--gemm auto`) the fastest,
  /// as kept in the tuning cache or else timed now and kept there.
  std::vector<int> chooseVariants(const CudaFunction &fn,
                                  const rt::CudaFrame &f) {
    int asked = gemmMode == "cublas" ? 1 : gemmMode == "cudnn" ? 2 : 0;
    std::vector<int> chosen(fn.numKernels, 0);
    std::vector<bool> toTime(fn.numKernels, false);
    for (int k = 0; k < fn.numKernels; ++k) { // cuDNN: convolutions only
      int variants = fn.kernels[k].numVariants;
      chosen[k] = std::min(asked, variants - 1);
      if (auto it = forced.find(fn.kernels[k].name); it != forced.end()) {
        chosen[k] = std::min(it->second, variants - 1);
        continue;
      }
      if (gemmMode != "auto" || variants < 2)
        continue;
      const std::string *kept = tuning.find(variantKey(fn, k));
      int v = -1;
      for (int i = 0; kept && i < variants; ++i)
        if (*kept == kVariantNames[i])
          v = i;
      if (v >= 0)
        chosen[k] = v, ++variantsFromCache;
      else
        toTime[k] = true;
    }
    // One run outside capture lets cuDNN measure its algorithms and gives
    // each kernel to be timed the inputs a step gives it; the optimizer is
    // left out so that this changes no parameter.
    for (int k = 0; k < fn.numKernels; ++k)
      if (std::strcmp(fn.kernels[k].kind, "optimizer"))
        fn.kernels[k].run(f, chosen[k]);
    if (std::find(toTime.begin(), toTime.end(), true) == toTime.end())
      return chosen;
    cudaEvent_t a, b;
    ALEXC_CUDA_CHECK(cudaEventCreate(&a));
    ALEXC_CUDA_CHECK(cudaEventCreate(&b));
    for (int k = 0; k < fn.numKernels; ++k) {
      if (!toTime[k])
        continue;
      float best = 1e30f;
      for (int v = 0; v < fn.kernels[k].numVariants; ++v) {
        fn.kernels[k].run(f, v); // warm-up
        ALEXC_CUDA_CHECK(cudaEventRecord(a, stream));
        for (int r = 0; r < 3; ++r)
          fn.kernels[k].run(f, v);
        ALEXC_CUDA_CHECK(cudaEventRecord(b, stream));
        ALEXC_CUDA_CHECK(cudaEventSynchronize(b));
        float ms;
        ALEXC_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
        char line[160];
        std::snprintf(line, sizeof(line), "%-12s %-28s %-9s %9.3f ms\n",
                      fn.name, fn.kernels[k].name, kVariantNames[v], ms / 3);
        variantReport += line;
        if (ms < best)
          best = ms, chosen[k] = v;
      }
      tuning.put(variantKey(fn, k), kVariantNames[chosen[k]]);
    }
    ALEXC_CUDA_CHECK(cudaEventDestroy(a));
    ALEXC_CUDA_CHECK(cudaEventDestroy(b));
    return chosen;
  }

  /// Runs a step function through its captured graph (captured on first
  /// use, with the data preparation in front when `split` is given).
  rt::StepResult replay(const char *name, DeviceSplit *split) {
    std::string key = std::string(name) + (split ? "+data" : "");
    auto it = graphs.find(key);
    if (it == graphs.end()) {
      const rt::FunctionInfo &info = *function(name);
      const CudaFunction &fn = *program_(name);
      auto &store = frames[key];
      rt::CudaFrame f = frame(info, store.first, store.second);
      if (!variants.count(name)) {
        if (split)
          prepare(*split);
        variants[name] = chooseVariants(fn, f);
        tuning.save();
        reportTuningProblems();
      }
      const std::vector<int> &chosen = variants[name];
      // Gradient sums over ranks are captured with the step; timing the
      // variants above ran without them.
      f.sync = dp.sync;
      ALEXC_CUDA_CHECK(cudaStreamSynchronize(stream));
      cudaGraph_t graph;
      ALEXC_CUDA_CHECK(
          cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
      if (split)
        prepare(*split);
      for (int k = 0; k < fn.numKernels; ++k)
        fn.kernels[k].run(f, chosen[k]);
      fn.finish(f);
      ALEXC_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
      cudaGraphExec_t exec;
      ALEXC_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
      it = graphs.emplace(key, exec).first;
      graphOrder.push_back(key);
    }
    ALEXC_CUDA_CHECK(cudaGraphLaunch(it->second, stream));
    ALEXC_CUDA_CHECK(
        cudaMemcpyAsync(hostResult, loss, 4, cudaMemcpyDeviceToHost, stream));
    ALEXC_CUDA_CHECK(cudaMemcpyAsync(hostResult + 1, correct, 4,
                                     cudaMemcpyDeviceToHost, stream));
    ALEXC_CUDA_CHECK(cudaStreamSynchronize(stream));
    rt::StepResult r;
    r.loss = hostResult[0];
    std::memcpy(&r.correct, hostResult + 1, 4);
    return r;
  }

  void reportTuningProblems() {
    for (size_t i = reportedProblems; i < tuning.warnings().size(); ++i)
      std::fprintf(stderr, "note: %s\n", tuning.warnings()[i].c_str());
    reportedProblems = tuning.warnings().size();
  }

  static constexpr int kProfileRuns = 10;

  /// The per-kernel table of one captured step function (graph key). Runs
  /// the step's kernels on the arena as the last step left it; parameters
  /// and optimizer state are copied aside first and back after, so that
  /// profiling changes no weight.
  std::string kernelTable(const std::string &key) {
    std::string name = key.substr(0, key.find('+'));
    const CudaFunction &fn = *program_(name.c_str());
    const std::vector<int> &chosen = variants.at(name);
    auto &store = frames.at(key);
    rt::CudaFrame f = frame(*function(name.c_str()), store.first, store.second);
    std::vector<DeviceTensor> saved; // copies of tensors, in map order
    for (auto &[tensorName, t] : tensors) {
      saved.push_back({deviceAlloc<float>(t.n), t.n});
      ALEXC_CUDA_CHECK(cudaMemcpyAsync(saved.back().ptr, t.ptr, t.n * 4,
                                       cudaMemcpyDeviceToDevice, stream));
    }
    std::vector<cudaEvent_t> marks(fn.numKernels + 1);
    for (cudaEvent_t &e : marks)
      ALEXC_CUDA_CHECK(cudaEventCreate(&e));
    std::vector<double> ms(fn.numKernels, 0.0);
    for (int k = 0; k < fn.numKernels; ++k) // warm-up
      fn.kernels[k].run(f, chosen[k]);
    for (int r = 0; r < kProfileRuns; ++r) {
      ALEXC_CUDA_CHECK(cudaEventRecord(marks[0], stream));
      for (int k = 0; k < fn.numKernels; ++k) {
        fn.kernels[k].run(f, chosen[k]);
        ALEXC_CUDA_CHECK(cudaEventRecord(marks[k + 1], stream));
      }
      ALEXC_CUDA_CHECK(cudaEventSynchronize(marks[fn.numKernels]));
      for (int k = 0; k < fn.numKernels; ++k) {
        float t;
        ALEXC_CUDA_CHECK(cudaEventElapsedTime(&t, marks[k], marks[k + 1]));
        ms[k] += t / kProfileRuns;
      }
    }
    // The same step as the training loop runs it: the graph, replayed.
    ALEXC_CUDA_CHECK(cudaEventRecord(marks[0], stream));
    for (int r = 0; r < kProfileRuns; ++r)
      ALEXC_CUDA_CHECK(cudaGraphLaunch(graphs.at(key), stream));
    ALEXC_CUDA_CHECK(cudaEventRecord(marks[1], stream));
    ALEXC_CUDA_CHECK(cudaEventSynchronize(marks[1]));
    float graphMs;
    ALEXC_CUDA_CHECK(cudaEventElapsedTime(&graphMs, marks[0], marks[1]));
    graphMs /= kProfileRuns;
    auto copy = saved.begin();
    for (auto &[tensorName, t] : tensors) {
      ALEXC_CUDA_CHECK(cudaMemcpyAsync(t.ptr, copy->ptr, t.n * 4,
                                       cudaMemcpyDeviceToDevice, stream));
      ++copy;
    }
    ALEXC_CUDA_CHECK(cudaStreamSynchronize(stream));
    for (DeviceTensor &c : saved)
      ALEXC_CUDA_CHECK(cudaFree(c.ptr));
    for (cudaEvent_t e : marks)
      ALEXC_CUDA_CHECK(cudaEventDestroy(e));

    double total = 0, flops = 0;
    for (int k = 0; k < fn.numKernels; ++k)
      total += ms[k], flops += fn.kernels[k].flops;
    std::string out;
    char line[256];
    std::snprintf(line, sizeof(line),
                  "\n%s on the GPU (kernels one by one, mean of %d runs):\n",
                  name.c_str(), kProfileRuns);
    out += line;
    std::snprintf(line, sizeof(line), "%-30s %-9s %9s %9s %9s %7s\n", "kernel",
                  "variant", "ms/step", "GFLOP/s", "kind", "share");
    out += line;
    for (int k = 0; k < fn.numKernels; ++k) {
      const rt::CudaKernelInfo &info = fn.kernels[k];
      std::snprintf(line, sizeof(line), "%-30s %-9s %9.3f %9.0f %9s %6.1f%%\n",
                    info.name, kVariantNames[chosen[k]], ms[k],
                    ms[k] > 0 ? info.flops / ms[k] / 1e6 : 0.0, info.kind,
                    total > 0 ? 100.0 * ms[k] / total : 0.0);
      out += line;
    }
    std::snprintf(line, sizeof(line), "%-30s %-9s %9.3f %9.0f\n",
                  "total, one by one", "", total,
                  total > 0 ? flops / total / 1e6 : 0.0);
    out += line;
    std::snprintf(
        line, sizeof(line), "%-30s %-9s %9.3f %9.0f\n",
        ("graph replay" + std::string(key.find('+') != std::string::npos
                                          ? " (with batch prep)"
                                          : ""))
            .c_str(),
        "", graphMs, graphMs > 0 ? flops / graphMs / 1e6 : 0.0);
    out += line;
    return out;
  }

  void prepare(const DeviceSplit &s) {
    int64_t total = model.batchSize * model.height * model.width;
    prepareBatchKernel<<<gridFor(total), 256, 0, stream>>>(
        s.images, s.labels, s.rows, s.cols, indices, model.batchSize,
        model.height, model.width, s.y0, s.dy, s.wy, s.x0, s.dx, s.wx, images,
        labels);
    ALEXC_CUDA_CHECK(cudaGetLastError());
  }

  size_t cudnnWorkspaceBytes = 0;
  const rt::ModelDescriptor &model;
  const CudaProgram &program;
  std::string gemmMode, variantReport;
  bool deterministic = false; // --deterministic
  int32_t mathPrecision = rt::kMathTf32;
  void *cudnn;
  uint8_t *cudnnWorkspace;
  cudaStream_t stream;
  void *cublas;
  uint8_t *workspace, *arena;
  float *scratch, *images, *loss;
  int32_t *labels, *correct;
  int64_t *indices, *hostIndices;
  rt::StepScalars *scalars, *hostScalars;
  float *hostResult;
  std::map<std::string, uint8_t *> persistent;
  std::map<std::string, DeviceTensor> tensors;
  std::map<std::string, std::vector<int>> variants;
  std::map<std::string, cudaGraphExec_t> graphs;
  std::vector<std::string> graphOrder; // keys of graphs, first use first
  bool profiling = false;
  rt::TuningCache tuning;
  std::map<std::string, int> forced; // --variant: kernel name -> variant
  size_t reportedProblems = 0;
  int variantsFromCache = 0;
  std::map<std::string, std::pair<std::vector<void *>, std::vector<void *>>>
      frames;
  DeviceSplit trainData, testData;
#ifdef ALEXC_HAVE_NCCL
  NcclGradientSync nccl;
#endif
};

} // namespace alexc::cuda

extern "C" alexc::rt::Executor *
alexc_create_cuda_executor(const char *gemm, const char *variants,
                           const char *precision, const char *tuningCache,
                           int deterministic, const char **error) {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    static std::string message;
    message = err != cudaSuccess ? std::string("no usable CUDA device: ") +
                                       cudaGetErrorString(err)
                                 : "no CUDA device found";
    *error = message.c_str();
    return nullptr;
  }
  // Data-parallel ranks on one node take one GPU each.
  ALEXC_CUDA_CHECK(cudaSetDevice(alexc::rt::localRank() % count));
  return new alexc::cuda::CudaExecutor(
      *alexc_model(), *alexc_cuda_program(), gemm, variants ? variants : "",
      precision, tuningCache ? tuningCache : "", deterministic != 0);
}

extern "C" int alexc_check_cuda_kernels(const char *precision) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::fprintf(stderr, "error: --check-kernels needs a CUDA device\n");
    return 1;
  }
  return alexc::cuda::checkKernels(*alexc_model(), *alexc_cuda_program(),
                                   alexc::rt::precisionNamed(precision));
}

#endif
