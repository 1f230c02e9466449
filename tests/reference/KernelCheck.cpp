//===- KernelCheck.cpp - Every generated CPU kernel against the IR --------===//
//
//   alexc-kernel-check SPEC [--batch-size N]
//
// Compiles SPEC, generates its C++ and builds it as a shared library, then
// for every kernel of every step function: fills the kernel's inputs (at the
// places the memory plan gives them) with random data, runs the generated
// kernel alone, runs the kernel's body in the reference interpreter on the
// same inputs, and compares every output (max |ours - ref| / max |ref|
// below 1e-4). Prints one line per kernel; exits 1 if any differs.
//
//===----------------------------------------------------------------------===//
#include "Codegen/CppEmitter.h"
#include "Codegen/Locations.h"
#include "Dialect/Kernel/IR/KernelOps.h"
#include "Driver/Session.h"
#include "Driver/Toolchain.h"
#include "Interpreter/Interpreter.h"
#include "runtime/abi/KernelAbi.h"
#include "runtime/abi/Model.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <random>

using namespace mlir;
namespace cl = llvm::cl;
using Value32 = alexc::interp::RtValue<float>;
using Tensor32 = alexc::ref::Tensor<float>;
using alexc::codegen::ValueLocation;

static cl::opt<std::string> specPath(cl::Positional, cl::Required,
                                     cl::desc("<spec.json>"));
static cl::opt<int64_t> batchSize("batch-size", cl::init(0),
                                  cl::desc("Override the spec's batch size"));

static int fail(const std::string &msg) {
  llvm::errs() << "alexc-kernel-check: error: " << msg << "\n";
  return 1;
}

namespace {

/// Host memory for every place a function's values can live.
struct Storage {
  std::vector<std::vector<uint8_t>> args, results;
  std::vector<uint8_t> arena, persistent, scratch;
  std::vector<void *> argPtrs, resultPtrs;

  Storage(func::FuncOp f, const alexc::rt::FunctionInfo &info) {
    auto bytes = [](Type t) -> size_t {
      auto tt = dyn_cast<RankedTensorType>(t);
      return tt ? size_t(tt.getNumElements()) * 4 : 0;
    };
    for (Type t : f.getArgumentTypes())
      args.emplace_back(bytes(t));
    for (Type t : f.getResultTypes())
      results.emplace_back(bytes(t));
    arena.resize(info.arenaBytes + 64);
    persistent.resize(info.persistentBytes + 64);
    scratch.resize(info.scratchBytes + 64);
    for (auto &a : args)
      argPtrs.push_back(a.empty() ? nullptr : a.data());
    for (auto &r : results)
      resultPtrs.push_back(r.empty() ? nullptr : r.data());
  }

  uint8_t *address(const ValueLocation &loc) {
    switch (loc.kind) {
    case ValueLocation::Argument:
      return args[loc.index].data();
    case ValueLocation::Result:
      return results[loc.index].data();
    case ValueLocation::Arena:
      return arena.data() + loc.index;
    case ValueLocation::Persistent:
      return persistent.data() + loc.index;
    case ValueLocation::Scalar:
      return nullptr;
    }
    return nullptr;
  }

  /// Where element i of a value lives (a concat's slice strides its rows).
  uint8_t *element(const ValueLocation &loc, int64_t i) {
    int64_t e = loc.isSlice() ? alexc::abi::sliceElement(i, loc.rowElements,
                                                         loc.rowStride)
                              : i;
    return address(loc) + 4 * (loc.elementOffset + e);
  }
};

std::vector<int64_t> shapeOf(Type t) {
  auto s = cast<RankedTensorType>(t).getShape();
  return {s.begin(), s.end()};
}

bool isInt32(Type t) {
  return cast<RankedTensorType>(t).getElementType().isInteger(32);
}

/// Generates the model's C++, builds it as a shared library and loads it;
/// null (and `error`) on failure.
const alexc::rt::ModelDescriptor *loadModel(ModuleOp module,
                                            const alexc::ModelSpec &spec,
                                            const char *argv0,
                                            std::string &error) {
  std::string source;
  llvm::raw_string_ostream os(source);
  if (failed(alexc::codegen::emitCpp(module, spec, "check", os))) {
    error = "code generation failed";
    return nullptr;
  }
  llvm::SmallString<128> dir;
  llvm::sys::fs::createUniqueDirectory("alexc-kernel-check", dir);
  std::string src = (dir + "/model.cpp").str(), lib = (dir + "/model.so").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(src, ec);
    out << source;
  }
  alexc::RuntimePaths runtime;
  if (!alexc::findRuntime(argv0, runtime, error))
    return nullptr;
  alexc::BuildRequest req;
  req.sources = {src};
  req.output = lib;
  req.shared = true;
  req.withMain = false;
  if (!alexc::buildExecutable(req, runtime, error))
    return nullptr;
  void *handle = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  llvm::sys::fs::remove_directories(dir);
  if (!handle) {
    error = std::string("dlopen: ") + dlerror();
    return nullptr;
  }
  using ModelFn = const alexc::rt::ModelDescriptor *(*)();
  return reinterpret_cast<ModelFn>(dlsym(handle, "alexc_model"))();
}

/// Random inputs of a launch, written where the kernel will read them, and
/// the same values for the interpreter.
std::vector<Value32> randomInputs(alexc::kernel::LaunchOp launch,
                                  const alexc::codegen::FunctionLocations &locs,
                                  Storage &storage,
                                  const alexc::rt::Frame &frame,
                                  int64_t classes, std::mt19937 &rng) {
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  std::vector<Value32> inputs;
  for (Value in : launch.getInputs()) {
    if (!isa<RankedTensorType>(in.getType())) {
      std::string field = locs.scalar(in);
      inputs.push_back(field == "f.lr"     ? Value32::scalar(frame.lr)
                       : field == "f.seed" ? Value32::integer(frame.seed)
                                           : Value32::integer(frame.step));
      continue;
    }
    Tensor32 t(shapeOf(in.getType()));
    ValueLocation loc = *locs.lookup(in);
    bool labels = isInt32(in.getType());
    for (int64_t i = 0; i < t.size(); ++i) {
      if (labels) {
        int32_t v = i == 0 ? -1 : int32_t(rng() % uint32_t(classes));
        std::memcpy(storage.element(loc, i), &v, 4);
        t[i] = float(v);
      } else {
        float v = uniform(rng);
        std::memcpy(storage.element(loc, i), &v, 4);
        t[i] = v;
      }
    }
    inputs.push_back(std::move(t));
  }
  return inputs;
}

/// max |ours - ref| / max |ref| over the launch's results.
double relativeError(alexc::kernel::LaunchOp launch,
                     const std::vector<Value32> &expected,
                     const alexc::codegen::FunctionLocations &locs,
                     Storage &storage) {
  double worst = 0;
  for (auto [i, r] : llvm::enumerate(launch.getResults())) {
    const Tensor32 &ref = expected[i].tensor();
    ValueLocation loc = *locs.lookup(r);
    bool ints = isInt32(r.getType());
    double scale = 0, err = 0;
    for (int64_t e = 0; e < ref.size(); ++e) {
      float got;
      if (ints) {
        int32_t v;
        std::memcpy(&v, storage.element(loc, e), 4);
        got = float(v);
      } else {
        std::memcpy(&got, storage.element(loc, e), 4);
      }
      scale = std::max(scale, double(std::fabs(ref[e])));
      err = std::max(err, double(std::fabs(got - ref[e])));
    }
    worst = std::max(worst, scale > 0 ? err / scale : err);
  }
  return worst;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "generated kernels vs the IR\n");

  alexc::Session session("alexc-kernel-check");
  if (!session.load(specPath, {batchSize, 1}))
    return 1;
  auto module = session.compile({});
  if (!module)
    return 1;
  const alexc::ModelSpec &spec = session.spec();
  std::string error;

  const alexc::rt::ModelDescriptor *model =
      loadModel(*module, spec, argv[0], error);
  if (!model)
    return fail(error);

  std::mt19937 rng(7);
  int failures = 0, checked = 0;
  double worst = 0;
  for (int fi = 0; fi < model->numFunctions; ++fi) {
    const alexc::rt::FunctionInfo &info = model->functions[fi];
    auto func = module->lookupSymbol<func::FuncOp>(info.name);
    alexc::codegen::FunctionLocations locs(func);
    Storage storage(func, info);
    alexc::rt::Frame frame{storage.argPtrs.data(),
                           storage.resultPtrs.data(),
                           storage.arena.data(),
                           storage.persistent.data(),
                           0.01f,
                           1234,
                           3,
                           1};
    frame.scratch = storage.scratch.data();
    int k = 0;
    for (auto launch :
         func.getBody().front().getOps<alexc::kernel::LaunchOp>()) {
      std::vector<Value32> inputs =
          randomInputs(launch, locs, storage, frame, model->classes, rng);
      const alexc::rt::KernelInfo &kernel = info.kernels[k++];
      kernel.run(frame);
      auto expected = alexc::interp::interpretBlock<float>(launch.getBlock(),
                                                           std::move(inputs));
      if (!expected)
        return fail(llvm::toString(expected.takeError()));
      double rel = relativeError(launch, *expected, locs, storage);
      ++checked;
      worst = std::max(worst, rel);
      bool ok = rel < 1e-4;
      failures += !ok;
      llvm::outs() << llvm::format("%-4s %-12s %-34s rel err %.2e\n",
                                   ok ? "ok" : "FAIL", info.name, kernel.name,
                                   rel);
    }
  }
  llvm::outs() << checked << " kernels checked, " << failures
               << " failed; largest relative error "
               << llvm::format("%.2e", worst) << "\n";
  return failures ? 1 : 0;
}
