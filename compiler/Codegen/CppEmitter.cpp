//===- CppEmitter.cpp - Planned kernel IR to C++ --------------------------===//
//
// Each kernel.launch becomes one C++ function, printed from its KernelCall
// by the shared lowering (KernelTarget.cpp). What is the CPU's own: the
// fused ops become a lambda over a finished range [b, e) of the output,
// which keeps the value in a register from op to op and stores only what
// the kernel yields; the step's scalars are passed by value. An anchor
// whose output is a concat's slice writes the frame's scratch first.
//
//===----------------------------------------------------------------------===//
#include "Codegen/CppEmitter.h"
#include "Codegen/ElementwiseChain.h"
#include "Codegen/KernelCall.h"
#include "Codegen/KernelTarget.h"
#include "Codegen/Locations.h"
#include "Dialect/Kernel/IR/KernelOps.h"
#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/IR/StepSignature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdio>

using namespace mlir;

namespace alexc::codegen {

std::string hashText(const std::string &text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return llvm::formatv("{0:x-16}", h).str();
}

namespace {

std::string cString(StringRef s) {
  std::string r = "\"";
  for (char c : s)
    r += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return r + "\"";
}

/// The CPU's part of each kernel call (KernelTarget.h).
class CpuTarget : public KernelTarget {
public:
  explicit CpuTarget(const FunctionLocations &locs) : locs(locs) {}

  std::string functionHeader(const std::string &name) override {
    return "static void " + name + "(const Frame &f) {\n";
  }
  std::string copyStatement(const std::string &dst, const std::string &src,
                            const std::string &bytes) override {
    return "std::memcpy(" + dst + ", " + src + ", " + bytes + ");";
  }
  std::string frameArguments(const KernelCall &,
                             const RuntimeCall &rc) override {
    switch (rc.frame) {
    case FrameUse::None:
      return "";
    case FrameUse::Seed:
      return rc.seed ? locs.scalar(rc.seed) : "0";
    case FrameUse::LrAndStep:
      return "f.lr, f.step";
    case FrameUse::LossRows:
      return "f.lossRows";
    case FrameUse::Rows:
      return "f.rows";
    }
    return "";
  }

  /// The output pointer and the epilogue lambda over [b, e) of the flat
  /// output: `v` starts as what the anchor wrote, or as the input of a
  /// standalone chain.
  FailureOr<std::string> epilogueArguments(const KernelCall &call,
                                           const std::string &, raw_ostream &,
                                           raw_ostream &body) override {
    switch (call.epilogue) {
    case EpilogueMode::None:
      return std::string();
    case EpilogueMode::AfterAnchor: {
      // An output written into a concat's slice is strided: the anchor
      // writes the frame's scratch and the epilogue stores from there.
      Value primary = primaryOutput(call);
      bool staged = locs.isSlice(primary);
      if (staged) {
        body << "  float *out = reinterpret_cast<float *>(f.scratch);\n";
        scratchBytes = std::max<int64_t>(
            scratchBytes,
            cast<RankedTensorType>(primary.getType()).getNumElements() * 4);
      } else {
        body << "  float *out = " << locs.pointer(primary) << ";\n";
      }
      if (call.chain.empty() && !staged)
        return std::string("out, NoEpilogue{}");
      auto lambda = rangeLambda(call, "out", /*storeStart=*/staged);
      if (failed(lambda))
        return failure();
      return "out, " + *lambda;
    }
    case EpilogueMode::Standalone:
      body << "  const float *in = " << locs.pointer(call.chainStart) << ";\n";
      return rangeLambda(call, "in", /*storeStart=*/false);
    }
    return failure();
  }

  /// The most any kernel stages in the frame's scratch.
  int64_t scratchBytes = 0;

private:
  FailureOr<std::string> rangeLambda(const KernelCall &call,
                                     const std::string &source,
                                     bool storeStart) {
    // Dropout keep bits are drawn for the whole range before the loop,
    // keyed by the element's index in the global batch (a data-parallel
    // rank's rows start at f.rowOffset), so masks do not depend on ranks.
    std::string masks;
    ChainNames names{"f.seed", "f.step", "f.dropout", nullptr};
    int maskCount = 0;
    std::string first = firstGlobalElement("f.rowOffset", call.chainStart);
    names.keep = [&](int64_t stream, float rate) {
      std::string name = "keep" + std::to_string(maskCount++);
      masks += "    const int64_t " + name + "First = " + first + ";\n" +
               "    DropoutMask " + name + "(f.dropout, f.seed, f.step, " +
               std::to_string(stream) + "u, " + name + "First + b, " + name +
               "First + e, " + floatLiteral(rate) + ");\n";
      return name + ".test(" + name + "First + i)";
    };
    // A concat's slice is addressed through a pointer per row: within row
    // r, element i of the slice lies at i + r * (stride - row) from its
    // start, so the inner loop stays contiguous (and vectorized).
    int64_t row = 0;
    std::string rowPointers;
    llvm::DenseMap<Value, std::string> sliceRows;
    auto elementOf = [&](Value v) {
      std::optional<ValueLocation> loc = locs.lookup(v);
      if (!loc || !loc->isSlice() || (row && row != loc->rowElements))
        return locs.element(v, "i");
      auto [it, isNew] =
          sliceRows.try_emplace(v, "slice" + std::to_string(sliceRows.size()));
      if (isNew) {
        row = loc->rowElements;
        rowPointers += "      " + cppElementType(v.getType()) + " *const " +
                       it->second + " = " + locs.pointer(v) + " + r * " +
                       std::to_string(loc->rowStride - row) + ";\n";
      }
      return it->second + "[i]";
    };
    auto code = elementwiseChain(call.launch, call.chain, call.chainStart,
                                 elementOf, names, storeStart);
    if (failed(code))
      return failure();
    std::string text;
    llvm::raw_string_ostream s(text);
    s << "EpilogueRef([&](int64_t b, int64_t e) {\n" << masks;
    std::string indent = "      ";
    if (row) {
      s << "    for (int64_t r = b / " << row << ", lo = b; lo < e; ++r) {\n"
        << "      const int64_t hi = std::min<int64_t>(e, (r + 1) * " << row
        << ");\n"
        << rowPointers << "      for (int64_t i = lo; i < hi; ++i) {\n";
      indent = "        ";
    } else {
      s << "    for (int64_t i = b; i < e; ++i) {\n";
    }
    s << indent << "float v = " << source << "[i];\n";
    llvm::SmallVector<StringRef> lines;
    StringRef(*code).split(lines, '\n', -1, false);
    for (StringRef line : lines)
      s << indent << line << "\n";
    if (row)
      s << "      }\n      lo = hi;\n";
    s << "    }\n  })";
    return text;
  }

  const FunctionLocations &locs;
};

class Emitter {
public:
  Emitter(raw_ostream &os) : os(os) {}

  LogicalResult emitFunction(func::FuncOp func) {
    FunctionLocations locs(func);
    CpuTarget target(locs);
    std::string fname = func.getSymName().str();
    auto arena = func->getAttrOfType<IntegerAttr>("kernel.arena_bytes");
    auto persistent =
        func->getAttrOfType<IntegerAttr>("kernel.persistent_bytes");
    if (!arena || !persistent)
      return func.emitError()
             << "C++ emitter: @" << fname << " has no memory plan";
    os << "\n//===--- @" << fname << " ---===//\n";
    std::vector<std::pair<std::string, KernelCall>> kernels;
    for (auto launch : func.getBody().front().getOps<kernel::LaunchOp>()) {
      std::string name = fname + "_" + launch.getName().str();
      auto call = describeLaunch(launch, locs);
      if (failed(call) || failed(printKernel(*call, name, target, os)))
        return failure();
      kernels.push_back({name, *call});
    }

    // The step: every kernel in order, then results that live elsewhere
    // copied to the caller's buffers.
    os << "\nstatic void " << fname << "_run(const Frame &f) {\n";
    for (auto &[name, call] : kernels)
      os << "  " << name << "(f);\n";
    printResultCopies(func, locs, target, os);
    os << "}\n";

    os << "\nstatic const KernelInfo " << fname << "_kernels[] = {\n";
    for (auto &[name, call] : kernels)
      os << "    {" << cString(call.launch.getName()) << ", "
         << cString(nn::stringifyKernelKind(call.launch.getKind())) << ", "
         << llvm::formatv("{0:e}", call.flops) << ", " << name << "},\n";
    if (kernels.empty())
      os << "    {\"\", \"\", 0.0, nullptr},\n";
    os << "};\n";
    emitTensorTable(fname + "_args", func.getArgumentTypes(), [&](unsigned i) {
      return func.getArgAttrOfType<StringAttr>(i, nn::step::kNameAttr);
    });
    emitTensorTable(fname + "_results", func.getResultTypes(), [&](unsigned i) {
      return func.getResultAttrOfType<StringAttr>(i, nn::step::kNameAttr);
    });
    functions.push_back(llvm::formatv(
        "    {{{0}, {1}, {2}_args, {3}, {2}_results, {4}, {5}, {6}, "
        "{2}_kernels, {2}_run, {7}},\n",
        cString(fname), func.getNumArguments(), fname, func.getNumResults(),
        arena.getInt(), persistent.getInt(), kernels.size(),
        target.scratchBytes));
    return success();
  }

  template <typename NameFn>
  void emitTensorTable(const std::string &name, TypeRange types,
                       NameFn nameOf) {
    os << "static const TensorInfo " << name << "[] = {\n";
    for (auto [i, t] : llvm::enumerate(types)) {
      StringAttr n = nameOf(i);
      std::string elt = "kF32";
      int64_t rank = 0, numel = 1;
      std::string dims = "{0, 0, 0, 0}";
      if (auto tt = dyn_cast<RankedTensorType>(t)) {
        rank = tt.getRank();
        numel = tt.getNumElements();
        if (tt.getElementType().isInteger(32))
          elt = "kI32";
        SmallVector<int64_t, 4> d(tt.getShape());
        d.resize(4, 0);
        dims = llvm::formatv("{{{0}, {1}, {2}, {3}}", d[0], d[1], d[2], d[3]);
      } else if (t.isInteger(64)) {
        elt = "kI64";
      }
      os << "    {" << cString(n ? n.getValue() : "") << ", " << elt << ", "
         << rank << ", " << dims << ", " << numel << "},\n";
    }
    if (types.empty())
      os << "    {\"\", kF32, 0, {0, 0, 0, 0}, 0},\n";
    os << "};\n";
  }

  const std::vector<std::string> &functionEntries() const { return functions; }

private:
  raw_ostream &os;
  std::vector<std::string> functions;
};

} // namespace

LogicalResult emitCpp(ModuleOp module, const ModelSpec &spec,
                      const std::string &specHash, raw_ostream &os) {
  os << "// Generated by alexc from the model spec '" << spec.name
     << "' (spec hash " << specHash << ").\n"
     << "// One function per kernel; the step functions call them in order.\n"
     << "#include \"runtime/abi/Model.h\"\n#include "
        "\"runtime/cpu/Kernels.h\"\n\n"
     << "#include <cstring>\n\n"
     << "namespace {\nusing namespace alexc::cpu;\nusing namespace "
        "alexc::rt;\nusing alexc::abi::BlockCopy;\nusing "
        "alexc::abi::FillKind;\nusing "
        "alexc::abi::PoolKind;\n";
  Emitter emitter(os);
  SmallVector<func::FuncOp> funcs;
  for (StringRef name :
       {nn::step::kInit, nn::step::kTrainStep, nn::step::kEvalStep,
        nn::step::kGradients, nn::step::kPredict})
    if (auto f = module.lookupSymbol<func::FuncOp>(name)) {
      if (failed(emitter.emitFunction(f)))
        return failure();
      funcs.push_back(f);
    }
  FailureOr<nn::step::StepSignature> signature =
      nn::step::readStepSignature(module);
  if (failed(signature))
    return failure();
  os << "\nstatic const FunctionInfo functions[] = {\n";
  for (const std::string &entry : emitter.functionEntries())
    os << entry;
  os << "};\n} // namespace\n\n";

  // The carried tensors are @train_step's first arguments, in the order of
  // the descriptor's three lists.
  size_t numParams = signature->parameters.size(),
         numState = signature->optimizerState.size(),
         numStatistics = signature->runningStatistics.size();
  os << "extern \"C\" const ModelDescriptor *alexc_model() {\n"
     << "  static const ModelDescriptor model = {\n"
     << "      kModelAbiVersion, " << cString(spec.name) << ", "
     << cString(specHash) << ", \"cpu\",\n"
     << llvm::formatv(
            "      {0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9},\n",
            spec.stepBatch(), spec.channels, spec.height, spec.width,
            signature->classes, spec.data.resize, spec.epochs,
            llvm::formatv("{0:e17}", spec.optimizer.learningRate).str(),
            cString(spec.optimizer.type), cString(spec.data.dataset))
     << llvm::formatv("      {0}, train_step_args, {1}, train_step_args + "
                      "{0}, {2}, train_step_args + {3},\n",
                      numParams, numState, numStatistics, numParams + numState)
     << "      " << funcs.size() << ", functions, " << spec.batchSize << ",\n"
     << "      "
     << cString(rt::transformListsToJson(spec.data.transforms).dump()) << "};\n"
     << "  return &model;\n}\n";
  return success();
}

} // namespace alexc::codegen
