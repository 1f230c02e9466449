//===- KernelCheck.cpp - --check-kernels: CUDA kernels against the CPU ----===//
//
// For each step function: random data once; then the CPU runs the step
// kernel by kernel and, before each kernel, every GPU variant gets the
// CPU's state, so that each kernel sees the inputs a real step gives it.
// Only the elements the CPU changed are compared one by one; elsewhere the
// GPU's copy must still equal the state before, which a block-wise memcmp
// shows.
//
//===----------------------------------------------------------------------===//
#include "runtime/gpu/KernelCheck.h"
#include "runtime/cuda/CudaCheck.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>

namespace alexc::cuda {
namespace {

/// The libraries' GPU handles, created once for the whole check.
struct Handles {
  cudaStream_t stream;
  cublasHandle_t cublas;
  cudnnHandle_t cudnn;
  size_t workspaceBytes;
  uint8_t *workspace;
  int32_t precision;

  explicit Handles(int32_t precision) : precision(precision) {
    ALEXC_CUDA_CHECK(cudaStreamCreate(&stream));
    ALEXC_CUBLAS_CHECK(cublasCreate(&cublas));
    ALEXC_CUBLAS_CHECK(cublasSetStream(cublas, stream));
    ALEXC_CUBLAS_CHECK(cublasSetMathMode(cublas, cublasMathFor(precision)));
    ALEXC_CUDNN_CHECK(cudnnCreate(&cudnn));
    ALEXC_CUDNN_CHECK(cudnnSetStream(cudnn, stream));
    workspaceBytes = cudnnWorkspaceBytesForTraining();
    workspace = deviceAlloc<uint8_t>(workspaceBytes);
  }
};

/// One buffer of a step function, on the host and on the GPU.
struct Buffer {
  std::vector<float> host;
  float *dev;
  bool labels;      // int32 class indices
  bool nonNegative; // Adam's exp_avg_sq
  bool argument;    // written only by the optimizer
};

/// Checks the kernels of one step function.
class FunctionCheck {
public:
  FunctionCheck(const rt::FunctionInfo &info, const CudaFunction &fn,
                int64_t classes, Handles &h, std::mt19937 &rng)
      : info(info), fn(fn), h(h) {
    allocate();
    randomize(classes, rng);
    for (Buffer &b : buffers)
      ALEXC_CUDA_CHECK(cudaMemcpy(b.dev, b.host.data(), b.host.size() * 4,
                                  cudaMemcpyHostToDevice));
  }

  /// Runs and compares every kernel; returns the number that failed.
  int run(double libraryTolerance, int &checked) {
    int failures = 0;
    for (int k = 0; k < info.numKernels; ++k)
      failures += checkKernel(k, libraryTolerance, checked);
    return failures;
  }

private:
  size_t add(int64_t floats, bool labels, bool nonNegative, bool argument) {
    buffers.push_back({std::vector<float>(floats + 16),
                       deviceAlloc<float>(floats + 16), labels, nonNegative,
                       argument});
    return buffers.size() - 1;
  }

  /// Host and device copies of every buffer, and the two frames over them.
  void allocate() {
    std::vector<size_t> argIdx, resIdx;
    for (int i = 0; i < info.numArgs; ++i) {
      std::string n = info.args[i].name;
      argIdx.push_back(
          add(info.args[i].rank ? info.args[i].numElements : 0,
              info.args[i].elementType == rt::kI32,
              n.size() > 10 && n.substr(n.size() - 10) == "exp_avg_sq", true));
    }
    for (int i = 0; i < info.numResults; ++i)
      resIdx.push_back(
          add(info.results[i].rank ? info.results[i].numElements : 1, false,
              false, false));
    size_t arena = add(info.arenaBytes / 4, false, false, false);
    size_t persistent = add(info.persistentBytes / 4, false, false, false);
    for (int i = 0; i < info.numArgs; ++i) {
      bool tensor = info.args[i].rank > 0;
      hArgs.push_back(tensor ? buffers[argIdx[i]].host.data() : nullptr);
      dArgs.push_back(tensor ? buffers[argIdx[i]].dev : nullptr);
    }
    for (int i = 0; i < info.numResults; ++i) {
      hRes.push_back(buffers[resIdx[i]].host.data());
      dRes.push_back(buffers[resIdx[i]].dev);
    }
    // Results that alias arguments (in-place updates) share buffers.
    for (int i = 0; i < info.numResults; ++i)
      for (int j = 0; j < info.numArgs; ++j)
        if (!std::strcmp(info.results[i].name, info.args[j].name))
          hRes[i] = hArgs[j], dRes[i] = dArgs[j];
    float *scratch = deviceAlloc<float>(fn.scratchBytes / 4 + 16);
    rt::StepScalars *sc = deviceAlloc<rt::StepScalars>(1);
    ALEXC_CUDA_CHECK(
        cudaMemcpy(sc, &hostSc, sizeof(hostSc), cudaMemcpyHostToDevice));
    auto bytes = [&](size_t b) {
      return reinterpret_cast<uint8_t *>(buffers[b].host.data());
    };
    auto devBytes = [&](size_t b) {
      return reinterpret_cast<uint8_t *>(buffers[b].dev);
    };
    cpuScratch.resize(info.scratchBytes / 4 + 16);
    cpu = {hArgs.data(), hRes.data(), bytes(arena), bytes(persistent),
           hostSc.lr,    hostSc.seed, hostSc.step,  hostSc.dropout};
    cpu.scratch = reinterpret_cast<uint8_t *>(cpuScratch.data());
    gpu = {dArgs.data(), dRes.data(), devBytes(arena),  devBytes(persistent),
           sc,           h.stream,    h.cublas,         scratch,
           h.cudnn,      h.workspace, h.workspaceBytes, h.precision};
  }

  void randomize(int64_t classes, std::mt19937 &rng) {
    for (Buffer &b : buffers) {
      std::uniform_real_distribution<float> u(b.nonNegative ? 0.f : -1.f, 1.f);
      for (float &x : b.host) {
        if (b.labels) {
          int32_t l = int32_t(rng() % uint32_t(classes));
          std::memcpy(&x, &l, 4);
        } else {
          x = u(rng);
        }
      }
    }
  }

  /// Largest difference and largest value of one variant's buffer against
  /// the CPU's; puts back the state the next variant or kernel starts from.
  void compareBuffer(Buffer &b, const std::vector<float> &was,
                     std::pair<size_t, size_t> changed, bool lastVariant,
                     double &err, double &scale) {
    const std::vector<float> &want = b.host;
    auto [lo, hi] = changed;
    dev.resize(want.size());
    ALEXC_CUDA_CHECK(
        cudaMemcpy(dev.data(), b.dev, dev.size() * 4, cudaMemcpyDeviceToHost));
    auto compare = [&](size_t e) {
      bool differs =
          std::memcmp(&want[e], &was[e], 4) || std::memcmp(&dev[e], &was[e], 4);
      if (!differs || b.labels)
        return;
      accumulateError(dev[e], want[e], err, scale);
    };
    for (size_t e = lo; e < hi; ++e)
      compare(e);
    // Outside [lo, hi) the CPU left the state alone: any GPU write there is
    // an error, and the whole buffer is sent again.
    bool stray = false;
    constexpr size_t kSpan = 4096;
    for (auto [from, to] :
         {std::pair{size_t(0), lo}, std::pair{hi, want.size()}})
      for (size_t s = from; s < to; s += kSpan) {
        size_t n = std::min(kSpan, to - s);
        if (!std::memcmp(&dev[s], &was[s], n * 4))
          continue;
        stray = true;
        for (size_t e = s; e < s + n; ++e)
          compare(e);
      }
    const std::vector<float> &next = lastVariant ? want : was;
    size_t from = stray ? 0 : lo, to = stray ? next.size() : hi;
    if (to > from)
      ALEXC_CUDA_CHECK(cudaMemcpy(b.dev + from, next.data() + from,
                                  (to - from) * 4, cudaMemcpyHostToDevice));
  }

  /// The CPU runs kernel k once; each GPU variant starts from the state
  /// before it. Arguments (parameters: most of the bytes) are written only
  /// by the optimizer, so only its check compares them.
  int checkKernel(int k, double libraryTolerance, int &checked) {
    bool touchesArgs = !std::strcmp(info.kernels[k].kind, "optimizer");
    auto tracked = [&](const Buffer &b) { return touchesArgs || !b.argument; };
    std::vector<std::vector<float>> before(buffers.size());
    for (size_t bi = 0; bi < buffers.size(); ++bi)
      if (tracked(buffers[bi]))
        before[bi] = buffers[bi].host;
    info.kernels[k].run(cpu);
    std::vector<std::pair<size_t, size_t>> changed(buffers.size());
    for (size_t bi = 0; bi < buffers.size(); ++bi)
      if (tracked(buffers[bi]))
        changed[bi] = changedRange(before[bi], buffers[bi].host);
    int variants = fn.kernels[k].numVariants, failures = 0;
    for (int v = 0; v < variants; ++v) {
      fn.kernels[k].run(gpu, v);
      ALEXC_CUDA_CHECK(cudaStreamSynchronize(h.stream));
      double err = 0, scale = 0;
      for (size_t bi = 0; bi < buffers.size(); ++bi)
        if (tracked(buffers[bi]))
          compareBuffer(buffers[bi], before[bi], changed[bi], v + 1 == variants,
                        err, scale);
      double rel = scale > 0 ? err / scale : err;
      double tol = v >= 1 ? libraryTolerance : 1e-4;
      bool ok = rel <= tol;
      failures += !ok;
      ++checked;
      std::printf("%-12s %-28s %-9s %10.2e %10.0e %s\n", info.name,
                  info.kernels[k].name,
                  v == 2   ? "cudnn"
                  : v == 1 ? "cublas"
                           : "generated",
                  rel, tol, ok ? "ok" : "FAIL");
      std::fflush(stdout);
    }
    return failures;
  }

  const rt::FunctionInfo &info;
  const CudaFunction &fn;
  Handles &h;
  std::vector<Buffer> buffers;
  std::vector<void *> hArgs, dArgs, hRes, dRes;
  rt::StepScalars hostSc{0.01f, 1, 1234, 3};
  rt::Frame cpu;
  std::vector<float> cpuScratch; // the CPU's staging (not compared)
  rt::CudaFrame gpu;
  std::vector<float> dev;
};

} // namespace

int checkKernels(const rt::ModelDescriptor &model, const CudaProgram &program,
                 int32_t precision) {
  // Relative to the largest output: fp32 kernels differ from the CPU by
  // summation order and by the CPU's Winograd transforms (up to 2e-5 where
  // the host has AVX-512); TF32 rounds inputs to 10 bits (seen on an H100:
  // at most 7.9e-4).
  const double libraryTolerance = precision == rt::kMathTf32 ? 2e-2 : 1e-4;
  std::printf("math precision: %s\n", rt::precisionName(precision));
  Handles h(precision);
  std::mt19937 rng(11);
  int failures = 0, checked = 0;
  std::printf("%-12s %-28s %-9s %10s %10s\n", "function", "kernel", "variant",
              "rel err", "tolerance");
  for (int fi = 0; fi < model.numFunctions; ++fi) {
    const rt::FunctionInfo &info = model.functions[fi];
    const CudaFunction *fn = nullptr;
    for (int i = 0; i < program.numFunctions; ++i)
      if (!std::strcmp(program.functions[i].name, info.name))
        fn = &program.functions[i];
    if (!fn) {
      std::printf("%-12s has no CUDA code\n", info.name);
      ++failures;
      continue;
    }
    FunctionCheck check(info, *fn, model.classes, h, rng);
    failures += check.run(libraryTolerance, checked);
  }
  std::printf("%d CUDA kernel variants checked against the CPU, %d failed\n",
              checked, failures);
  return failures ? 1 : 0;
}

} // namespace alexc::cuda
