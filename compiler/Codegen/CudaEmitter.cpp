//===- CudaEmitter.cpp - Planned kernel IR to CUDA ------------------------===//
//
// Each kernel.launch becomes a host function that launches the CUDA kernels
// of runtime/cuda, printed from its KernelCall by the shared lowering
// (KernelTarget.cpp). What is CUDA's own: the fused elementwise ops become a
// device functor `epi(i, v)` that the kernel calls on every output element
// as it is produced, so intermediates never reach memory; every call ends
// with the frame (stream, handles, step scalars) and, for convolutions and
// GEMMs, the variant to run.
//
//===----------------------------------------------------------------------===//
#include "Codegen/CudaEmitter.h"
#include "Codegen/ElementwiseChain.h"
#include "Codegen/KernelCall.h"
#include "Codegen/KernelTarget.h"
#include "Codegen/Locations.h"
#include "Dialect/Kernel/IR/KernelOps.h"
#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/IR/StepSignature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace alexc::codegen {
namespace {

/// CUDA's part of each kernel call (KernelTarget.h).
class CudaTarget : public KernelTarget {
public:
  /// `functors` maps each epilogue functor's text to its type name, across
  /// the file: kernels whose epilogues read the same way share one type.
  CudaTarget(const FunctionLocations &locs,
             llvm::StringMap<std::string> &functors)
      : locs(locs), functors(functors) {}

  std::string functionHeader(const std::string &name) override {
    return "static void " + name +
           "(const CudaFrame &f, int variant) {\n  (void)variant;\n";
  }
  std::string copyStatement(const std::string &dst, const std::string &src,
                            const std::string &bytes) override {
    return "ALEXC_CUDA_CHECK(cudaMemcpyAsync(" + dst + ", " + src + ", " +
           bytes + ", cudaMemcpyDeviceToDevice, streamOf(f)));";
  }
  std::string frameArguments(const KernelCall &call,
                             const RuntimeCall &) override {
    return call.variants > 1 ? "f, variant" : "f";
  }

  /// The epilogue functor, declared before the function; a standalone
  /// chain also passes the input it reads.
  FailureOr<std::string> epilogueArguments(const KernelCall &call,
                                           const std::string &name,
                                           raw_ostream &fileScope,
                                           raw_ostream &) override {
    if (call.epilogue == EpilogueMode::None)
      return std::string();
    bool standalone = call.epilogue == EpilogueMode::Standalone;
    auto init = declareFunctor(call, name, fileScope,
                               /*storeStart=*/!standalone);
    if (failed(init) || !standalone)
      return init;
    return locs.pointer(call.chainStart) + ", " + *init;
  }

private:
  /// Declares `struct EpilogueN`, unless an identical functor exists, and
  /// returns the brace initializer that builds it from the frame. Sharing
  /// the type keeps nvcc from compiling each kernel template once per call
  /// (GoogLeNet has 200 calls but a dozen distinct epilogues).
  FailureOr<std::string> declareFunctor(const KernelCall &call,
                                        const std::string &name,
                                        raw_ostream &os, bool storeStart) {
    llvm::MapVector<Value, std::string> pointers;
    auto pointerOf = [&](Value v) {
      auto it = pointers.find(v);
      if (it != pointers.end())
        return it->second;
      std::string p = "p" + std::to_string(pointers.size());
      pointers.insert({v, p});
      return p;
    };
    // Dropout keys its mask by the element's index in the global batch.
    ChainNames names{"sc->seed", "sc->step", "sc->dropout", nullptr};
    std::string first = firstGlobalElement("sc->rowOffset", call.chainStart);
    names.keep = [&](int64_t stream, float rate) {
      return "alexc::rng::dropoutKeep(sc->seed, sc->step, " +
             std::to_string(stream) + "u, uint64_t(" + first + " + i), " +
             floatLiteral(rate) + ")";
    };
    // A concat's slice is stored and read with its rows strided; its row
    // and stride are fields, so that slices of any concat share a functor
    // (as constants they doubled GoogLeNet's CUDA build time).
    auto slice = [&](Value v) {
      std::optional<ValueLocation> loc = locs.lookup(v);
      return loc && loc->isSlice() ? loc : std::nullopt;
    };
    auto elementOf = [&](Value v) {
      std::string p = pointerOf(v);
      auto loc = slice(v);
      if (!loc)
        return p + "[i]";
      // 32-bit division where the indices fit: 64-bit is emulated.
      bool narrow = cast<RankedTensorType>(v.getType()).getNumElements() <
                    (int64_t(1) << 32);
      return p +
             "[alexc::abi::" + (narrow ? "sliceElement32" : "sliceElement") +
             "(i, " + p + "Row, " + p + "Stride)]";
    };
    auto code = elementwiseChain(call.launch, call.chain, call.chainStart,
                                 elementOf, names, storeStart);
    if (failed(code))
      return failure();
    std::string body;
    llvm::raw_string_ostream bs(body);
    for (auto &[v, p] : pointers) {
      bs << "  float *" << p << ";\n";
      if (slice(v))
        bs << "  int64_t " << p << "Row, " << p << "Stride;\n";
    }
    bs << "  const StepScalars *sc;\n"
       << "  __device__ __forceinline__ void operator()(int64_t i, float v) "
          "const {\n";
    llvm::SmallVector<StringRef> lines;
    StringRef(*code).split(lines, '\n', -1, false);
    for (StringRef line : lines)
      bs << "    " << line << "\n";
    bs << "    (void)sc;\n  }\n};\n";
    auto [it, isNew] = functors.try_emplace(
        body, "Epilogue" + std::to_string(functors.size()));
    const std::string &type = it->second;
    if (isNew)
      os << "// First used by " << name << ".\nstruct " << type << " {\n"
         << body;
    std::string init = type + "{";
    for (auto &[v, p] : pointers) {
      init += "const_cast<float *>(" + locs.pointer(v) + "), ";
      if (auto loc = slice(v))
        init += std::to_string(loc->rowElements) + ", " +
                std::to_string(loc->rowStride) + ", ";
    }
    return init + "f.sc}";
  }

  const FunctionLocations &locs;
  llvm::StringMap<std::string> &functors;
};

class CudaEmitter {
public:
  explicit CudaEmitter(raw_ostream &os) : os(os) {}

  LogicalResult emitFunction(func::FuncOp func) {
    FunctionLocations locs(func);
    CudaTarget target(locs, functors);
    std::string fname = func.getSymName().str();
    os << "\n//===--- @" << fname << " ---===//\n";
    std::vector<std::pair<std::string, KernelCall>> kernels;
    int64_t scratch = 0;
    for (auto launch : func.getBody().front().getOps<kernel::LaunchOp>()) {
      std::string name = fname + "_" + launch.getName().str();
      auto call = describeLaunch(launch, locs);
      if (failed(call) || failed(printKernel(*call, name, target, os)))
        return failure();
      scratch = std::max(scratch, call->scratchFloats);
      kernels.push_back({name, *call});
    }
    os << "\nstatic void " << fname << "_finish(const CudaFrame &f) {\n";
    printResultCopies(func, locs, target, os);
    os << "}\n";
    os << "\nstatic const CudaKernelInfo " << fname << "_kernels[] = {\n";
    for (auto &[name, call] : kernels)
      os << "    {\"" << call.launch.getName() << "\", \""
         << nn::stringifyKernelKind(call.launch.getKind()) << "\", "
         << llvm::formatv("{0:e}", call.flops) << ", " << call.variants << ", "
         << name << "},\n";
    if (kernels.empty())
      os << "    {\"\", \"\", 0.0, 1, nullptr},\n";
    os << "};\n";
    functions.push_back(llvm::formatv("    {{\"{0}\", {1}, {0}_kernels, {2}, "
                                      "{0}_finish},\n",
                                      fname, kernels.size(), scratch * 4));
    return success();
  }

  const std::vector<std::string> &entries() const { return functions; }

private:
  raw_ostream &os;
  std::vector<std::string> functions;
  llvm::StringMap<std::string> functors;
};

} // namespace

LogicalResult emitCuda(ModuleOp module, const ModelSpec &spec,
                       raw_ostream &os) {
  os << "// Generated by alexc from the model spec '" << spec.name
     << "': the CUDA half.\n"
     << "#include \"runtime/gpu/CudaExecutor.cuh\"\n\n"
     << "namespace {\nusing namespace alexc::cuda;\n"
     << "using alexc::rt::CudaFrame;\nusing alexc::rt::CudaKernelInfo;\n"
     << "using alexc::rt::StepScalars;\nusing alexc::abi::BlockCopy;\nusing "
        "alexc::abi::FillKind;\nusing "
        "alexc::abi::PoolKind;\n";
  CudaEmitter emitter(os);
  for (StringRef name : {nn::step::kInit, nn::step::kTrainStep,
                         nn::step::kEvalStep, nn::step::kGradients})
    if (auto f = module.lookupSymbol<func::FuncOp>(name))
      if (failed(emitter.emitFunction(f)))
        return failure();
  os << "\nstatic const alexc::cuda::CudaFunction functions[] = {\n";
  for (const std::string &e : emitter.entries())
    os << e;
  os << "};\n} // namespace\n\n"
     << "extern \"C\" const alexc::cuda::CudaProgram *alexc_cuda_program() {\n"
     << "  static const alexc::cuda::CudaProgram program = {"
     << emitter.entries().size() << ", functions};\n"
     << "  return &program;\n}\n";
  return success();
}

} // namespace alexc::codegen
