//===- CppEmitter.cpp - Planned kernel IR to C++ --------------------------===//
//
// Each kernel.launch becomes one C++ function. Its anchor op (the first op
// of the body) picks a kernel template of runtime/cpu/Kernels.h; the
// elementwise ops after it become the template's epilogue, a loop over the
// finished range of the output that keeps the value in a register from op
// to op and stores only what the kernel yields.
//
//===----------------------------------------------------------------------===//
#include "Codegen/CppEmitter.h"
#include "Codegen/ElementwiseChain.h"
#include "Codegen/KernelParams.h"
#include "Codegen/Locations.h"
#include "Dialect/Kernel/IR/KernelOps.h"
#include "Dialect/NN/IR/NNOps.h"
#include "Driver/Stats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdio>

using namespace mlir;

namespace alexc::codegen {

std::string hashSpec(const std::string &text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return llvm::formatv("{0:x-16}", h).str();
}

namespace {

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}
int64_t numElements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

std::string quoted(StringRef s) {
  std::string r = "\"";
  for (char c : s)
    r += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return r + "\"";
}

class Emitter {
public:
  Emitter(raw_ostream &os) : os(os) {}

  LogicalResult emitFunction(func::FuncOp func) {
    FunctionLocations locs(func);
    std::string fname = func.getSymName().str();
    auto arena = func->getAttrOfType<IntegerAttr>("kernel.arena_bytes");
    auto persistent =
        func->getAttrOfType<IntegerAttr>("kernel.persistent_bytes");
    if (!arena || !persistent)
      return func.emitError()
             << "C++ emitter: @" << fname << " has no memory plan";
    os << "\n//===--- @" << fname << " ---===//\n";
    std::vector<std::pair<std::string, kernel::LaunchOp>> kernels;
    for (auto launch : func.getBody().front().getOps<kernel::LaunchOp>()) {
      std::string name = fname + "_" + launch.getName().str();
      os << "\n// " << launch.getName() << " (" << launch.getKind() << "):";
      for (Operation &op : launch.getBlock().without_terminator())
        os << " " << op.getName().getStringRef();
      os << "\nstatic void " << name << "(const Frame &f) {\n";
      if (failed(emitLaunch(launch, locs)))
        return failure();
      os << "}\n";
      kernels.push_back({name, launch});
    }

    // The step: every kernel in order, then results that live elsewhere
    // copied to the caller's buffers.
    os << "\nstatic void " << fname << "_run(const Frame &f) {\n";
    for (auto &[name, launch] : kernels)
      os << "  " << name << "(f);\n";
    Operation *ret = func.getBody().front().getTerminator();
    for (auto [k, v] : llvm::enumerate(ret->getOperands())) {
      auto loc = locs.lookup(v);
      if (!loc ||
          (loc->kind == ValueLocation::Result && loc->index == int64_t(k)))
        continue;
      std::string p = locs.pointer(v);
      os << llvm::formatv("  if (f.results[{0}] && f.results[{0}] != {1})\n"
                          "    std::memcpy(f.results[{0}], {1}, {2});\n",
                          k, p, numElements(v) * 4);
    }
    os << "}\n";

    os << "\nstatic const KernelInfo " << fname << "_kernels[] = {\n";
    for (auto &[name, launch] : kernels) {
      double flops = 0;
      launch.walk([&](Operation *op) { flops += flopsOf(op); });
      os << "    {" << quoted(launch.getName()) << ", "
         << quoted(launch.getKind()) << ", " << llvm::formatv("{0:e}", flops)
         << ", " << name << "},\n";
    }
    if (kernels.empty())
      os << "    {\"\", \"\", 0.0, nullptr},\n";
    os << "};\n";
    emitTensorTable(fname + "_args", func.getArgumentTypes(), [&](unsigned i) {
      return func.getArgAttrOfType<StringAttr>(i, "nn.name");
    });
    emitTensorTable(fname + "_results", func.getResultTypes(), [&](unsigned i) {
      return func.getResultAttrOfType<StringAttr>(i, "nn.name");
    });
    functions.push_back(llvm::formatv(
        "    {{{0}, {1}, {2}_args, {3}, {2}_results, {4}, {5}, {6}, "
        "{2}_kernels, {2}_run},\n",
        quoted(fname), func.getNumArguments(), fname, func.getNumResults(),
        arena.getInt(), persistent.getInt(), kernels.size()));
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
      os << "    {" << quoted(n ? n.getValue() : "") << ", " << elt << ", "
         << rank << ", " << dims << ", " << numel << "},\n";
    }
    if (types.empty())
      os << "    {\"\", kF32, 0, {0, 0, 0, 0}, 0},\n";
    os << "};\n";
  }

  const std::vector<std::string> &functionEntries() const { return functions; }

private:
  /// Declares `float *name = <pointer>;` for a value and returns the name.
  std::string bind(Value v, const FunctionLocations &locs,
                   const std::string &name) {
    os << "  " << cppElementType(v.getType()) << " *" << name << " = "
       << locs.pointer(v) << ";\n";
    return name;
  }

  /// The fused elementwise ops after the anchor, as an epilogue lambda over
  /// [b, e) of the flat output: `v` starts as `primary[i]` (what the anchor
  /// wrote, or the kernel's input for a standalone chain).
  LogicalResult emitEpilogue(kernel::LaunchOp launch,
                             ArrayRef<Operation *> chain, Value start,
                             const std::string &primary,
                             const FunctionLocations &locs, bool fromInput) {
    if (chain.empty() && !fromInput) {
      os << "NoEpilogue{}";
      return success();
    }
    // Dropout keep bits are drawn for the whole range before the loop.
    std::string masks;
    ChainNames names{"f.seed", "f.step", "f.dropout", nullptr};
    int maskCount = 0;
    names.keep = [&](int64_t stream, float rate) {
      std::string name = "keep" + std::to_string(maskCount++);
      masks += "    DropoutMask " + name + "(f.dropout, f.seed, f.step, " +
               std::to_string(stream) + "u, b, e, " + floatLiteral(rate) +
               ");\n";
      return name + ".test(i)";
    };
    auto code = elementwiseChain(
        launch, chain, start, [&](Value v) { return locs.pointer(v); }, names,
        /*storeStart=*/false);
    if (failed(code))
      return failure();
    os << "[&](int64_t b, int64_t e) {\n"
       << masks
       << "    for (int64_t i = b; i < e; ++i) {\n      float v = " << primary
       << "[i];\n";
    llvm::SmallVector<StringRef> lines;
    StringRef(*code).split(lines, '\n', -1, false);
    for (StringRef line : lines)
      os << "      " << line << "\n";
    os << "    }\n  }";
    return success();
  }

  /// The buffer the anchor writes: its own if it is yielded, else that of
  /// the last yielded value of its epilogue chain.
  std::string primaryBuffer(kernel::LaunchOp launch, Value anchor,
                            ArrayRef<Operation *> chain,
                            const FunctionLocations &locs) {
    auto yield = cast<kernel::YieldOp>(launch.getBlock().getTerminator());
    if (llvm::is_contained(yield.getValues(), anchor) || chain.empty())
      return locs.pointer(anchor);
    for (Operation *op : llvm::reverse(chain))
      if (llvm::is_contained(yield.getValues(), op->getResult(0)))
        return locs.pointer(op->getResult(0));
    return locs.pointer(anchor);
  }

  LogicalResult emitLaunch(kernel::LaunchOp launch,
                           const FunctionLocations &locs) {
    Operation *anchor = launch.getAnchor();
    SmallVector<Operation *> rest;
    for (Operation &op : launch.getBlock().without_terminator())
      if (&op != anchor)
        rest.push_back(&op);

    // Anchors with an epilogue.
    auto withEpilogue = [&](auto emitCall) -> LogicalResult {
      Value out = anchor->getResult(0);
      std::string primary = primaryBuffer(launch, out, rest, locs);
      os << "  float *out = " << primary << ";\n";
      emitCall();
      os << ",\n      ";
      if (failed(emitEpilogue(launch, rest, out, "out", locs, false)))
        return failure();
      os << ");\n";
      return success();
    };
    auto ptr = [&](Value v) { return locs.pointer(v); };

    return llvm::TypeSwitch<Operation *, LogicalResult>(anchor)
        .Case([&](nn::Conv2DOp op) {
          return withEpilogue([&] {
            os << "  conv2dForward(" << convGeometry(op) << ",\n      "
               << ptr(op.getInput()) << ", " << ptr(op.getWeight()) << ", "
               << (op.getBias() ? ptr(op.getBias()) : "nullptr") << ", out";
          });
        })
        .Case([&](nn::Conv2DInputGradOp op) {
          return withEpilogue([&] {
            os << "  conv2dInputGrad(" << convGeometry(op) << ",\n      "
               << ptr(op.getOutputGrad()) << ", " << ptr(op.getWeight())
               << ", out";
          });
        })
        .Case([&](nn::Conv2DWeightGradOp op) {
          std::string db = "nullptr";
          for (Operation *o : rest)
            if (auto bg = dyn_cast<nn::BiasGradOp>(o))
              db = ptr(bg);
          os << "  conv2dWeightGrad(" << convGeometry(op) << ",\n      "
             << ptr(op.getInput()) << ", " << ptr(op.getOutputGrad()) << ", "
             << ptr(op) << ", " << db << ");\n";
          return success();
        })
        .Case([&](nn::DenseOp op) {
          auto x = shapeOf(op.getInput()), w = shapeOf(op.getWeight());
          return withEpilogue([&] {
            os << llvm::formatv(
                "  denseForward({0}, {1}, {2}, {3}, {4}, {5}, out", x[0], x[1],
                w[0], ptr(op.getInput()), ptr(op.getWeight()),
                op.getBias() ? ptr(op.getBias()) : "nullptr");
          });
        })
        .Case([&](nn::DenseInputGradOp op) {
          auto dy = shapeOf(op.getOutputGrad()), w = shapeOf(op.getWeight());
          return withEpilogue([&] {
            os << llvm::formatv("  denseInputGrad({0}, {1}, {2}, {3}, {4}, out",
                                dy[0], w[1], w[0], ptr(op.getOutputGrad()),
                                ptr(op.getWeight()));
          });
        })
        .Case([&](nn::DenseWeightGradOp op) {
          auto x = shapeOf(op.getInput()), dy = shapeOf(op.getOutputGrad());
          std::string db = "nullptr";
          for (Operation *o : rest)
            if (auto bg = dyn_cast<nn::BiasGradOp>(o))
              db = ptr(bg);
          os << llvm::formatv(
              "  denseWeightGrad({0}, {1}, {2}, {3}, {4}, {5}, {6});\n", x[0],
              x[1], dy[1], ptr(op.getInput()), ptr(op.getOutputGrad()), ptr(op),
              db);
          return success();
        })
        .Case<nn::MaxPool2DOp, nn::AvgPool2DOp, nn::MaxPool2DGradOp,
              nn::AvgPool2DGradOp>([&](Operation *op) {
          std::string geom = poolGeometry(op);
          return withEpilogue([&] {
            if (isa<nn::MaxPool2DOp>(op))
              os << "  maxPoolForward(" << geom << ", "
                 << ptr(op->getOperand(0)) << ", out";
            else if (isa<nn::AvgPool2DOp>(op))
              os << "  avgPoolForward(" << geom << ", "
                 << ptr(op->getOperand(0)) << ", out";
            else if (isa<nn::MaxPool2DGradOp>(op))
              os << "  maxPoolGrad(" << geom << ", " << ptr(op->getOperand(0))
                 << ", " << ptr(op->getOperand(1)) << ", out";
            else
              os << "  avgPoolGrad(" << geom << ", " << ptr(op->getOperand(0))
                 << ", out";
          });
        })
        .Case<nn::SoftmaxCrossEntropyOp, nn::CountCorrectOp,
              nn::SoftmaxCrossEntropyGradOp>([&](Operation *) {
          os << "  softmaxCrossEntropy(" << lossArgs(launch, locs) << ");\n";
          return success();
        })
        .Case<nn::SGDUpdateOp, nn::SGDMomentumUpdateOp, nn::AdamUpdateOp>(
            [&](Operation *) { return emitOptimizer(launch, locs); })
        .Case<nn::RandomUniformOp, nn::RandomNormalOp, nn::ZerosOp>(
            [&](Operation *) {
              for (Operation &o : launch.getBlock().without_terminator()) {
                Value out = o.getResult(0);
                int64_t n = numElements(out);
                if (auto u = dyn_cast<nn::RandomUniformOp>(o))
                  os << "  fillUniform(" << ptr(out) << ", " << n << ", "
                     << locs.scalar(u.getSeed()) << ", " << u.getStream()
                     << "u, "
                     << llvm::formatv("{0:e17}", u.getBound().convertToDouble())
                     << ");\n";
                else if (auto r = dyn_cast<nn::RandomNormalOp>(o))
                  os << "  fillNormal(" << ptr(out) << ", " << n << ", "
                     << locs.scalar(r.getSeed()) << ", " << r.getStream()
                     << "u, "
                     << llvm::formatv("{0:e17}",
                                      r.getStddev().convertToDouble())
                     << ");\n";
                else
                  os << "  fillZero(" << ptr(out) << ", " << n << ");\n";
              }
              return success();
            })
        .Case([&](nn::BiasGradOp op) {
          os << "  biasGrad(" << biasGradArgs(op, locs) << ");\n";
          return success();
        })
        .Default([&](Operation *op) -> LogicalResult {
          // A standalone elementwise chain, read from its first input.
          SmallVector<Operation *> chain = {anchor};
          chain.append(rest);
          Value in = chainInput(op);
          auto yield = cast<kernel::YieldOp>(launch.getBlock().getTerminator());
          if (yield.getValues().empty())
            return success();
          Value last = yield.getValues().back();
          os << "  const float *in = " << ptr(in) << ";\n";
          os << "  float *out = " << ptr(last) << ";\n";
          os << "  parallelEpilogue(" << numElements(last) << ", ";
          // Start from the input: copy it in, then run the whole chain.
          std::string loop;
          if (failed(emitEpilogue(launch, chain, in, "in", locs, true)))
            return failure();
          os << ");\n";
          return success();
        });
  }

  LogicalResult emitOptimizer(kernel::LaunchOp launch,
                              const FunctionLocations &locs) {
    auto yield = cast<kernel::YieldOp>(launch.getBlock().getTerminator());
    // Results that do not live where their input does start as a copy.
    for (Value v : yield.getValues()) {
      Value in = updatedInput(cast<OpResult>(v));
      if (locs.lookup(in) != locs.lookup(v))
        os << "  std::memcpy(" << locs.pointer(v) << ", " << locs.pointer(in)
           << ", " << numElements(v) * 4 << ");\n";
    }
    int count = 0;
    os << "  const Update updates[] = {\n"
       << updateEntries(launch, locs, count);
    os << "  };\n  applyUpdates(updates, " << count << ", f.lr, f.step);\n";
    return success();
  }

  raw_ostream &os;
  std::vector<std::string> functions;
};

} // namespace

LogicalResult emitCpp(ModuleOp module, const ModelSpec &spec,
                      const std::string &specHash, raw_ostream &os) {
  os << "// Generated by alexc from the model spec '" << spec.name
     << "' (spec hash " << specHash << ").\n"
     << "// One function per kernel; the step functions call them in order.\n"
     << "#include \"runtime/Model.h\"\n#include \"runtime/cpu/Kernels.h\"\n\n"
     << "#include <cstring>\n\n"
     << "namespace {\nusing namespace alexc::cpu;\nusing namespace "
        "alexc::rt;\n";
  Emitter emitter(os);
  SmallVector<func::FuncOp> funcs;
  for (StringRef name : {"init", "train_step", "eval_step", "gradients"})
    if (auto f = module.lookupSymbol<func::FuncOp>(name)) {
      if (failed(emitter.emitFunction(f)))
        return failure();
      funcs.push_back(f);
    }
  auto train = module.lookupSymbol<func::FuncOp>("train_step");
  auto init = module.lookupSymbol<func::FuncOp>("init");
  if (!train || !init)
    return module.emitError() << "C++ emitter: no @train_step or @init";
  unsigned numParams = init.getNumResults();
  unsigned numState = 0;
  for (unsigned i = numParams; i < train.getNumArguments(); ++i) {
    auto n = train.getArgAttrOfType<StringAttr>(i, "nn.name");
    if (n && n.getValue() == "images")
      break;
    ++numState;
  }
  os << "\nstatic const FunctionInfo functions[] = {\n";
  for (const std::string &entry : emitter.functionEntries())
    os << entry;
  os << "};\n} // namespace\n\n";

  int64_t classes =
      cast<RankedTensorType>(train.getArgumentTypes()[numParams + numState + 1])
          .getDimSize(0);
  (void)classes;
  // The number of classes is the width of the logits (the loss gradient).
  int64_t numClasses = 0;
  train.walk([&](nn::SoftmaxCrossEntropyOp op) {
    numClasses = cast<RankedTensorType>(op.getLogits().getType()).getDimSize(1);
  });
  os << "extern \"C\" const ModelDescriptor *alexc_model() {\n"
     << "  static const ModelDescriptor model = {\n"
     << "      kModelAbiVersion, " << quoted(spec.name) << ", "
     << quoted(specHash) << ", \"cpu\",\n"
     << llvm::formatv(
            "      {0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9},\n",
            spec.batchSize, spec.channels, spec.height, spec.width, numClasses,
            spec.data.resize, spec.epochs,
            llvm::formatv("{0:e17}", spec.optimizer.learningRate).str(),
            quoted(spec.optimizer.type), quoted(spec.data.dataset))
     << "      " << numParams << ", train_step_args, " << numState
     << ", train_step_args + " << numParams << ",\n"
     << "      " << funcs.size() << ", functions};\n"
     << "  return &model;\n}\n";
  return success();
}

} // namespace alexc::codegen
