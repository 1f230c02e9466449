//===- ReferenceStep.cpp - One training step in the reference interpreter -===//
//
//   alexc-reference-step SPEC IN.safetensors OUT.safetensors
//       [--batch-size N] [--disable-dropout] [--skip-gradients] [--double]
//
// Compiles SPEC through nn-autodiff, then runs in float32 with the reference
// interpreter:
//   @gradients(params, images, labels, seed, step)  -> "loss", "correct",
//                                                       "<param>.grad"
//   @train_step(params, zero state, ..., lr, seed, step)
//                                                    -> "<param>.updated",
//                                                       "<param>.<state>"
// IN holds every parameter by name, "images" [N,C,H,W] and "labels" [N]
// (I32); optional "seed" and "step" (I64 scalars, default 0).
// Used by the PyTorch comparison (torch_compare.py).
//
//===----------------------------------------------------------------------===//
#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/IR/StepSignature.h"
#include "Driver/Session.h"
#include "Interpreter/Interpreter.h"
#include "runtime/train/Safetensors.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> specPath(cl::Positional, cl::Required,
                                     cl::desc("<spec.json>"));
static cl::opt<std::string> inPath(cl::Positional, cl::Required,
                                   cl::desc("<in.safetensors>"));
static cl::opt<std::string> outPath(cl::Positional, cl::Required,
                                    cl::desc("<out.safetensors>"));
static cl::opt<int64_t> batchSize("batch-size", cl::init(0),
                                  cl::desc("Override the spec's batch size"));
static cl::opt<bool> skipGradients("skip-gradients", cl::init(false),
                                   cl::desc("Run only @train_step"));
static cl::opt<bool> disableDropout("disable-dropout", cl::init(false),
                                    cl::desc("Train without dropout"));
static cl::opt<bool> inDouble(
    "double", cl::init(false),
    cl::desc("Compute in double (the inputs and outputs stay float32): "
             "tells float32 rounding from a wrong result in deep networks"));

static int fail(const std::string &msg) {
  llvm::errs() << "alexc-reference-step: error: " << msg << "\n";
  return 1;
}

static std::string argName(func::FuncOp f, unsigned i) {
  return alexc::nn::step::argumentName(f, i).str();
}
static std::string resultName(func::FuncOp f, unsigned i) {
  auto a = f.getResultAttrOfType<StringAttr>(i, alexc::nn::step::kNameAttr);
  return a ? a.str() : "";
}

static std::vector<int64_t> shapeOf(Type t) {
  auto s = cast<RankedTensorType>(t).getShape();
  return {s.begin(), s.end()};
}

template <typename T>
static alexc::rt::StoredTensor store(const alexc::ref::Tensor<T> &t) {
  std::vector<float> data(t.data.begin(), t.data.end());
  return alexc::rt::StoredTensor::fromFloat(t.shape, data.data());
}

/// Builds the argument list of `f` from the named inputs; state tensors
/// (not in the inputs) start at zero.
template <typename T>
static bool gatherArgs(func::FuncOp f, const alexc::rt::Safetensors &in,
                       float lr, std::vector<alexc::interp::RtValue<T>> &args,
                       std::string &error) {
  for (unsigned i = 0; i < f.getNumArguments(); ++i) {
    std::string name = argName(f, i);
    Type type = f.getArgumentTypes()[i];
    if (name == "seed" || name == "step") {
      int64_t v = 0;
      if (auto it = in.tensors.find(name); it != in.tensors.end())
        v = int64_t(it->second.toFloat().at(0));
      args.push_back(alexc::interp::RtValue<T>::integer(v));
      continue;
    }
    if (name == "lr") {
      args.push_back(alexc::interp::RtValue<T>::scalar(T(lr)));
      continue;
    }
    auto it = in.tensors.find(name);
    alexc::ref::Tensor<T> t(shapeOf(type));
    if (it == in.tensors.end()) {
      if (name.find('.') == std::string::npos ||
          in.tensors.count(name.substr(0, name.rfind('.'))) == 0) {
        error = "input '" + name + "' is missing";
        return false;
      }
      args.push_back(std::move(t)); // optimizer state: zeros
      continue;
    }
    if (it->second.shape != t.shape) {
      error = "input '" + name + "' has the wrong shape";
      return false;
    }
    std::vector<float> data = it->second.toFloat();
    t.data.assign(data.begin(), data.end());
    args.push_back(std::move(t));
  }
  return true;
}

/// Runs @gradients and @train_step in precision T; results go to `out`.
template <typename T>
static bool runSteps(ModuleOp module, const alexc::rt::Safetensors &in,
                     float lr, alexc::rt::Safetensors &out,
                     std::string &error) {
  for (StringRef fname : {"gradients", "train_step"}) {
    if (skipGradients && fname == "gradients")
      continue;
    auto f = module.lookupSymbol<func::FuncOp>(fname);
    std::vector<alexc::interp::RtValue<T>> args;
    if (!gatherArgs(f, in, lr, args, error))
      return false;
    auto results = alexc::interp::interpret<T>(f, std::move(args));
    if (!results) {
      error = llvm::toString(results.takeError());
      return false;
    }
    for (unsigned i = 0; i < results->size(); ++i) {
      std::string name = resultName(f, i);
      const alexc::ref::Tensor<T> &t = (*results)[i].tensor();
      if (fname == "train_step") {
        if (name == "loss" || name == "correct")
          continue;
        // Updated parameters share their input's name; mark them.
        if (in.tensors.count(name))
          name += ".updated";
      }
      out.tensors[name] = store(t);
    }
  }
  return true;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "reference training step\n");

  alexc::Session session("alexc-reference-step");
  if (!session.load(specPath, {batchSize, 1}))
    return 1;
  alexc::PipelineOptions options;
  options.disableDropout = disableDropout;
  auto module = session.compile(options);
  if (!module)
    return 1;
  const alexc::ModelSpec &spec = session.spec();
  std::string error;

  alexc::rt::Safetensors in, out;
  if (!alexc::rt::readSafetensors(inPath, in, error))
    return fail(error);

  float lr = float(spec.optimizer.learningRate);
  bool ok = inDouble ? runSteps<double>(*module, in, lr, out, error)
                     : runSteps<float>(*module, in, lr, out, error);
  if (!ok)
    return fail(error);
  if (!alexc::rt::writeSafetensors(outPath, out, error))
    return fail(error);
  return 0;
}
