//===- CudaEmitter.cpp - Planned kernel IR to CUDA ------------------------===//
//
// Each kernel.launch becomes a host function that launches the CUDA kernel
// templates of runtime/cuda/CudaKernels.cuh. The fused elementwise ops
// become a device functor `epi(i, v)` that the template calls on every
// output element as it is produced, so intermediates never reach memory.
//
//===----------------------------------------------------------------------===//
#include "Codegen/CudaEmitter.h"
#include "Codegen/ElementwiseChain.h"
#include "Codegen/KernelParams.h"
#include "Codegen/Locations.h"
#include "Dialect/Kernel/IR/KernelOps.h"
#include "Dialect/NN/IR/NNOps.h"
#include "Driver/Stats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace alexc::codegen {
namespace {

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}
int64_t numElements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

class CudaEmitter {
public:
  explicit CudaEmitter(raw_ostream &os) : os(os) {}

  LogicalResult emitFunction(func::FuncOp func) {
    FunctionLocations locs(func);
    std::string fname = func.getSymName().str();
    os << "\n//===--- @" << fname << " ---===//\n";
    struct Entry {
      std::string fn;
      kernel::LaunchOp launch;
      int variants;
    };
    std::vector<Entry> kernels;
    int64_t scratch = 0;
    for (auto launch : func.getBody().front().getOps<kernel::LaunchOp>()) {
      std::string name = fname + "_" + launch.getName().str();
      int variants = 1;
      if (failed(emitLaunch(launch, locs, name, variants, scratch)))
        return failure();
      kernels.push_back({name, launch, variants});
    }
    // Results computed elsewhere than the caller's buffer are copied.
    os << "\nstatic void " << fname << "_finish(const CudaFrame &f) {\n";
    Operation *ret = func.getBody().front().getTerminator();
    for (auto [k, v] : llvm::enumerate(ret->getOperands())) {
      auto loc = locs.lookup(v);
      if (!loc ||
          (loc->kind == ValueLocation::Result && loc->index == int64_t(k)))
        continue;
      os << llvm::formatv(
          "  if (f.results[{0}] && f.results[{0}] != (void *)({1}))\n"
          "    ALEXC_CUDA_CHECK(cudaMemcpyAsync(f.results[{0}], {1}, {2}, "
          "cudaMemcpyDeviceToDevice, streamOf(f)));\n",
          k, locs.pointer(v), numElements(v) * 4);
    }
    os << "}\n";
    os << "\nstatic const CudaKernelInfo " << fname << "_kernels[] = {\n";
    for (Entry &e : kernels) {
      double flops = 0;
      e.launch.walk([&](Operation *op) { flops += flopsOf(op); });
      os << "    {\"" << e.launch.getName() << "\", \"" << e.launch.getKind()
         << "\", " << llvm::formatv("{0:e}", flops) << ", " << e.variants
         << ", " << e.fn << "},\n";
    }
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
  /// Declares the epilogue functor of a launch and returns its type name;
  /// `init` receives the brace initializer that builds it from the frame.
  FailureOr<std::string> emitEpilogue(kernel::LaunchOp launch,
                                      ArrayRef<Operation *> chain, Value start,
                                      const FunctionLocations &locs,
                                      const std::string &name, bool storeStart,
                                      std::string &init) {
    llvm::MapVector<Value, std::string> pointers;
    auto pointerOf = [&](Value v) {
      auto it = pointers.find(v);
      if (it != pointers.end())
        return it->second;
      std::string p = "p" + std::to_string(pointers.size());
      pointers.insert({v, p});
      return p;
    };
    auto code =
        elementwiseChain(launch, chain, start, pointerOf,
                         {"sc->seed", "sc->step", "sc->dropout"}, storeStart);
    if (failed(code))
      return failure();
    std::string type = name + "_Epi";
    os << "struct " << type << " {\n";
    for (auto &[v, p] : pointers)
      os << "  float *" << p << ";\n";
    os << "  const StepScalars *sc;\n"
       << "  __device__ __forceinline__ void operator()(int64_t i, float v) "
          "const {\n";
    llvm::SmallVector<StringRef> lines;
    StringRef(*code).split(lines, '\n', -1, false);
    for (StringRef line : lines)
      os << "    " << line << "\n";
    os << "    (void)sc;\n  }\n};\n";
    init = type + "{";
    for (auto &[v, p] : pointers)
      init += "const_cast<float *>(" + locs.pointer(v) + "), ";
    init += "f.sc}";
    return type;
  }

  LogicalResult emitLaunch(kernel::LaunchOp launch,
                           const FunctionLocations &locs,
                           const std::string &name, int &variants,
                           int64_t &scratch) {
    Operation *anchor = launch.getAnchor();
    SmallVector<Operation *> rest;
    for (Operation &op : launch.getBlock().without_terminator())
      if (&op != anchor)
        rest.push_back(&op);
    auto ptr = [&](Value v) { return locs.pointer(v); };
    os << "\n// " << launch.getName() << " (" << launch.getKind() << "):";
    for (Operation &op : launch.getBlock().without_terminator())
      os << " " << op.getName().getStringRef();
    os << "\n";

    // The anchor's value flows into the epilogue, which stores it and
    // every yielded value after it.
    std::string init;
    auto epilogue = [&]() -> FailureOr<std::string> {
      return emitEpilogue(launch, rest, anchor->getResult(0), locs, name,
                          /*storeStart=*/true, init);
    };
    auto body = [&](const std::string &text) {
      os << "static void " << name
         << "(const CudaFrame &f, int variant) {\n  (void)variant;\n"
         << text << "}\n";
    };
    auto convScratch = [&](ArrayRef<int64_t> x, ArrayRef<int64_t> w,
                           ArrayRef<int64_t> y) {
      int64_t ckk = x[1] * w[2] * w[3], cols = x[0] * y[2] * y[3];
      scratch = std::max(
          {scratch, ckk * cols + w[0] * cols, x[0] * x[1] * x[2] * x[3]});
      variants = 3; // generated, cuBLAS, cuDNN
    };

    return llvm::TypeSwitch<Operation *, LogicalResult>(anchor)
        .Case([&](nn::Conv2DOp op) -> LogicalResult {
          auto type = epilogue();
          if (failed(type))
            return failure();
          auto x = shapeOf(op.getInput()), w = shapeOf(op.getWeight()),
               y = shapeOf(op.getOutput());
          convScratch(x, w, y);
          body("  convForward(" + convGeometry(op) + ",\n      " +
               ptr(op.getInput()) + ", " + ptr(op.getWeight()) + ", " +
               (op.getBias() ? ptr(op.getBias()) : "nullptr") + ",\n      " +
               init + ", f, variant);\n");
          return success();
        })
        .Case([&](nn::Conv2DInputGradOp op) -> LogicalResult {
          auto type = epilogue();
          if (failed(type))
            return failure();
          auto x = shapeOf(op.getInputGrad()), w = shapeOf(op.getWeight()),
               y = shapeOf(op.getOutputGrad());
          convScratch(x, w, y);
          body("  convInputGrad(" + convGeometry(op) + ",\n      " +
               ptr(op.getOutputGrad()) + ", " + ptr(op.getWeight()) +
               ",\n      " + init + ", f, variant);\n");
          return success();
        })
        .Case([&](nn::Conv2DWeightGradOp op) -> LogicalResult {
          auto x = shapeOf(op.getInput()), w = shapeOf(op.getWeightGrad()),
               y = shapeOf(op.getOutputGrad());
          convScratch(x, w, y);
          std::string db = "nullptr";
          for (Operation *o : rest)
            if (auto bg = dyn_cast<nn::BiasGradOp>(o))
              db = ptr(bg);
          body("  convWeightGrad(" + convGeometry(op) + ",\n      " +
               ptr(op.getInput()) + ", " + ptr(op.getOutputGrad()) + ", " +
               ptr(op) + ", " + db + ", f, variant);\n");
          return success();
        })
        .Case([&](nn::DenseOp op) -> LogicalResult {
          auto type = epilogue();
          if (failed(type))
            return failure();
          auto x = shapeOf(op.getInput()), w = shapeOf(op.getWeight());
          scratch = std::max(scratch, x[0] * w[0]);
          variants = 2;
          body(llvm::formatv("  denseForward({0}, {1}, {2}, {3}, {4}, {5},\n"
                             "      {6}, f, variant);\n",
                             x[0], x[1], w[0], ptr(op.getInput()),
                             ptr(op.getWeight()),
                             op.getBias() ? ptr(op.getBias()) : "nullptr", init)
                   .str());
          return success();
        })
        .Case([&](nn::DenseInputGradOp op) -> LogicalResult {
          auto type = epilogue();
          if (failed(type))
            return failure();
          auto dy = shapeOf(op.getOutputGrad()), w = shapeOf(op.getWeight());
          scratch = std::max(scratch, dy[0] * w[1]);
          variants = 2;
          body(llvm::formatv("  denseInputGrad({0}, {1}, {2}, {3}, {4},\n"
                             "      {5}, f, variant);\n",
                             dy[0], w[1], w[0], ptr(op.getOutputGrad()),
                             ptr(op.getWeight()), init)
                   .str());
          return success();
        })
        .Case([&](nn::DenseWeightGradOp op) -> LogicalResult {
          auto x = shapeOf(op.getInput()), dy = shapeOf(op.getOutputGrad());
          std::string db = "nullptr";
          for (Operation *o : rest)
            if (auto bg = dyn_cast<nn::BiasGradOp>(o))
              db = ptr(bg);
          variants = 2;
          body(llvm::formatv("  denseWeightGrad({0}, {1}, {2}, {3}, {4}, {5}, "
                             "{6}, f, variant);\n",
                             x[0], x[1], dy[1], ptr(op.getInput()),
                             ptr(op.getOutputGrad()), ptr(op), db)
                   .str());
          return success();
        })
        .Case<nn::MaxPool2DOp, nn::AvgPool2DOp, nn::MaxPool2DGradOp,
              nn::AvgPool2DGradOp>([&](Operation *op) -> LogicalResult {
          auto type = epilogue();
          if (failed(type))
            return failure();
          bool grad = isa<nn::MaxPool2DGradOp, nn::AvgPool2DGradOp>(op);
          bool isMax = isa<nn::MaxPool2DOp, nn::MaxPool2DGradOp>(op);
          std::string geom = poolGeometry(op);
          std::string b = isMax ? "true" : "false";
          if (grad && isMax) // the scatter accumulates in scratch
            scratch = std::max(scratch, numElements(op->getResult(0)));
          if (!grad)
            body("  poolForward<" + b + ">(" + geom + ", " +
                 ptr(op->getOperand(0)) + ", " + init + ", f);\n");
          else if (isMax)
            body("  poolGrad<true>(" + geom + ", " + ptr(op->getOperand(0)) +
                 ", " + ptr(op->getOperand(1)) + ", " + init + ", f);\n");
          else
            body("  poolGrad<false>(" + geom + ", nullptr, " +
                 ptr(op->getOperand(0)) + ", " + init + ", f);\n");
          return success();
        })
        .Case<nn::SoftmaxCrossEntropyOp, nn::CountCorrectOp,
              nn::SoftmaxCrossEntropyGradOp>([&](Operation *) {
          body("  softmaxCrossEntropy(" + lossArgs(launch, locs) + ", f);\n");
          return success();
        })
        .Case<nn::SGDUpdateOp, nn::SGDMomentumUpdateOp, nn::AdamUpdateOp>(
            [&](Operation *) {
              std::string text;
              llvm::raw_string_ostream s(text);
              auto yield =
                  cast<kernel::YieldOp>(launch.getBlock().getTerminator());
              for (Value v : yield.getValues()) {
                Value in = updatedInput(cast<OpResult>(v));
                if (locs.lookup(in) != locs.lookup(v))
                  s << "  ALEXC_CUDA_CHECK(cudaMemcpyAsync(" << ptr(v) << ", "
                    << ptr(in) << ", " << numElements(v) * 4
                    << ", cudaMemcpyDeviceToDevice, streamOf(f)));\n";
              }
              int count = 0;
              s << "  const Update updates[] = {\n"
                << updateEntries(launch, locs, count);
              s << "  };\n  applyUpdates(updates, " << count << ", f);\n";
              body(s.str());
              return success();
            })
        .Case<nn::RandomUniformOp, nn::RandomNormalOp, nn::ZerosOp>(
            [&](Operation *) {
              std::string text;
              llvm::raw_string_ostream s(text);
              for (Operation &o : launch.getBlock().without_terminator()) {
                Value out = o.getResult(0);
                if (auto u = dyn_cast<nn::RandomUniformOp>(o))
                  s << "  fill(" << ptr(out) << ", " << numElements(out) << ", "
                    << u.getStream() << "u, "
                    << llvm::formatv("{0:e17}", u.getBound().convertToDouble())
                    << ", 0, f);\n";
                else if (auto r = dyn_cast<nn::RandomNormalOp>(o))
                  s << "  fill(" << ptr(out) << ", " << numElements(out) << ", "
                    << r.getStream() << "u, "
                    << llvm::formatv("{0:e17}", r.getStddev().convertToDouble())
                    << ", 1, f);\n";
                else
                  s << "  fill(" << ptr(out) << ", " << numElements(out)
                    << ", 0u, 0.0, 2, f);\n";
              }
              body(s.str());
              return success();
            })
        .Case([&](nn::BiasGradOp op) {
          body("  biasGrad(" + biasGradArgs(op, locs) + ", f);\n");
          return success();
        })
        .Default([&](Operation *op) -> LogicalResult {
          // A standalone elementwise chain, read from its input.
          SmallVector<Operation *> chain = {anchor};
          chain.append(rest);
          Value in = chainInput(op);
          auto type = emitEpilogue(launch, chain, in, locs, name,
                                   /*storeStart=*/false, init);
          if (failed(type))
            return failure();
          body("  elementwise(" + std::to_string(numElements(in)) + ", " +
               ptr(in) + ", " + init + ", f);\n");
          return success();
        });
  }

  raw_ostream &os;
  std::vector<std::string> functions;
};

} // namespace

LogicalResult emitCuda(ModuleOp module, const ModelSpec &spec,
                       raw_ostream &os) {
  os << "// Generated by alexc from the model spec '" << spec.name
     << "': the CUDA half.\n"
     << "#include \"runtime/cuda/CudaExecutor.cuh\"\n\n"
     << "namespace {\nusing namespace alexc::cuda;\n"
     << "using alexc::rt::CudaFrame;\nusing alexc::rt::CudaKernelInfo;\n"
     << "using alexc::rt::StepScalars;\n";
  CudaEmitter emitter(os);
  for (StringRef name : {"init", "train_step", "eval_step", "gradients"})
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
