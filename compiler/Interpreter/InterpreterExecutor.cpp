//===- InterpreterExecutor.cpp - The training loop on the IR --------------===//
#include "Interpreter/InterpreterExecutor.h"
#include "Interpreter/Interpreter.h"

#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/IR/StepSignature.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstring>
#include <map>

using namespace mlir;

namespace alexc::interp {

static std::vector<int64_t> shapeOf(Type t) {
  auto s = cast<RankedTensorType>(t).getShape();
  return {s.begin(), s.end()};
}

rt::ModelConfig configFromModule(ModuleOp module, const ModelSpec &spec,
                                 const std::string &specHash) {
  rt::ModelConfig c;
  c.name = spec.name;
  c.specHash = specHash;
  c.optimizer = spec.optimizer.type;
  c.dataset = spec.data.dataset;
  c.batchSize = spec.stepBatch();
  c.globalBatch = spec.batchSize;
  c.channels = spec.channels;
  c.height = spec.height;
  c.width = spec.width;
  c.resize = spec.data.resize;
  c.transforms = spec.data.transforms;
  c.epochs = spec.epochs;
  c.learningRate = spec.optimizer.learningRate;
  // The pipeline verified the module, so its signature reads back.
  nn::step::StepSignature signature = *nn::step::readStepSignature(module);
  auto add = [](std::vector<rt::NamedShape> &list,
                const std::vector<nn::step::CarriedTensor> &tensors) {
    for (const nn::step::CarriedTensor &t : tensors)
      list.push_back({t.name, shapeOf(t.type)});
  };
  add(c.params, signature.parameters);
  add(c.state, signature.optimizerState);
  add(c.statistics, signature.runningStatistics);
  c.classes = signature.classes;
  return c;
}

namespace {

using Value32 = RtValue<float>;
using Tensor32 = ref::Tensor<float>;

class InterpreterExecutor : public rt::Executor {
public:
  InterpreterExecutor(ModuleOp withDropout, ModuleOp withoutDropout,
                      const rt::ModelConfig &config)
      : withDropout(withDropout), withoutDropout(withoutDropout),
        config(config) {
    for (const auto *list : {&config.params, &config.state, &config.statistics})
      for (const auto &t : *list)
        tensors[t.name] = Tensor32(t.shape);
  }

  std::string device() const override { return "interpreter"; }

  void initialize(uint64_t seed) override {
    auto init = withDropout.lookupSymbol<func::FuncOp>(nn::step::kInit);
    auto results =
        check(interpret<float>(init, {Value32::integer(int64_t(seed))}));
    // Optimizer state starts at zero; @init sets the parameters and batch
    // norm's running statistics.
    for (const auto &t : config.state)
      tensors[t.name] = Tensor32(t.shape);
    for (unsigned i = 0; i < results.size(); ++i)
      tensors[init.getResultAttrOfType<StringAttr>(i, nn::step::kNameAttr)
                  .str()] = results[i].tensor();
  }

  rt::StepResult trainStep(const float *images, const int32_t *labels, float lr,
                           uint64_t seed, uint64_t step,
                           bool dropout) override {
    auto f = (dropout ? withDropout : withoutDropout)
                 .lookupSymbol<func::FuncOp>(nn::step::kTrainStep);
    auto results = check(
        interpret<float>(f, arguments(f, images, labels, lr, seed, step)));
    for (unsigned i = 2; i < results.size(); ++i)
      tensors[f.getResultAttrOfType<StringAttr>(i, nn::step::kNameAttr).str()] =
          std::move(results[i].tensor());
    return {results[0].tensor()[0], int32_t(results[1].tensor()[0])};
  }

  rt::StepResult evalStep(const float *images, const int32_t *labels) override {
    auto f = withDropout.lookupSymbol<func::FuncOp>(nn::step::kEvalStep);
    auto results =
        check(interpret<float>(f, arguments(f, images, labels, 0, 0, 0)));
    return {results[0].tensor()[0], int32_t(results[1].tensor()[0])};
  }

  void readTensor(const std::string &name, float *data) override {
    const Tensor32 &t = tensors.at(name);
    std::memcpy(data, t.data.data(), t.data.size() * 4);
  }
  void writeTensor(const std::string &name, const float *data) override {
    Tensor32 &t = tensors.at(name);
    std::memcpy(t.data.data(), data, t.data.size() * 4);
  }

private:
  std::vector<Value32> arguments(func::FuncOp f, const float *images,
                                 const int32_t *labels, float lr, uint64_t seed,
                                 uint64_t step) {
    std::vector<Value32> args;
    for (unsigned i = 0; i < f.getNumArguments(); ++i) {
      std::string name = nn::step::argumentName(f, i).str();
      Type type = f.getArgumentTypes()[i];
      if (name == nn::step::kLearningRate)
        args.push_back(Value32::scalar(lr));
      else if (name == nn::step::kSeed)
        args.push_back(Value32::integer(int64_t(seed)));
      else if (name == nn::step::kStep)
        args.push_back(Value32::integer(int64_t(step)));
      else if (name == nn::step::kImages || name == nn::step::kLabels) {
        Tensor32 t(shapeOf(type));
        for (int64_t k = 0; k < t.size(); ++k)
          t[k] = name == nn::step::kImages ? images[k] : float(labels[k]);
        args.push_back(std::move(t));
      } else {
        args.push_back(tensors.at(name));
      }
    }
    return args;
  }

  static std::vector<Value32> check(llvm::Expected<std::vector<Value32>> r) {
    if (!r) {
      std::fprintf(stderr, "error: %s\n",
                   llvm::toString(r.takeError()).c_str());
      std::exit(1);
    }
    return std::move(*r);
  }

  ModuleOp withDropout, withoutDropout;
  rt::ModelConfig config;
  std::map<std::string, Tensor32> tensors;
};

} // namespace

std::unique_ptr<rt::Executor>
createInterpreterExecutor(ModuleOp withDropout, ModuleOp withoutDropout,
                          const rt::ModelConfig &config) {
  return std::make_unique<InterpreterExecutor>(withDropout, withoutDropout,
                                               config);
}

} // namespace alexc::interp
