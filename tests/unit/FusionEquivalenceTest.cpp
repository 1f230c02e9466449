// Fusion and memory planning never change results: the fused, planned
// training and evaluation steps of LeNet and AlexNet, run in the reference
// interpreter, give exactly the outputs of the unfused steps.
#include "Dialect/Kernel/Transforms/Passes.h"
#include "Dialect/NN/IR/StepSignature.h"
#include "Driver/Pipeline.h"
#include "Interpreter/Interpreter.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>
#include <random>

using namespace mlir;
using V = alexc::interp::RtValue<float>;
using T = alexc::ref::Tensor<float>;
namespace step = alexc::nn::step;

namespace {

std::vector<V> randomArgs(func::FuncOp f, std::mt19937 &rng) {
  std::vector<V> args;
  std::uniform_real_distribution<float> u(-0.05f, 0.05f);
  for (unsigned i = 0; i < f.getNumArguments(); ++i) {
    StringRef name = step::argumentName(f, i);
    Type type = f.getArgumentTypes()[i];
    if (name == "lr") {
      args.push_back(V::scalar(0.01f));
      continue;
    }
    if (!isa<RankedTensorType>(type)) {
      args.push_back(V::integer(name == step::kSeed ? 17 : 5));
      continue;
    }
    auto s = cast<RankedTensorType>(type).getShape();
    T t({s.begin(), s.end()});
    // Second moments (Adam's exp_avg_sq) are never negative.
    bool nonNegative = name == step::kImages || name.ends_with("exp_avg_sq");
    for (int64_t k = 0; k < t.size(); ++k)
      t[k] = name == step::kLabels ? float(k % 10)
             : nonNegative         ? std::abs(u(rng)) * 20
                                   : u(rng);
    args.push_back(V(std::move(t)));
  }
  return args;
}

void checkSpec(const std::string &path, int64_t batch) {
  alexc::ModelSpec spec;
  std::string error;
  ASSERT_TRUE(alexc::loadModelSpec(path, spec, error)) << error;
  spec.batchSize = batch;
  MLIRContext ctx;
  alexc::PipelineOptions unfusedOptions;
  unfusedOptions.stopAfter = alexc::Stage::Autodiff;
  auto unfused = alexc::compileSpec(ctx, spec, unfusedOptions);
  auto planned = alexc::compileSpec(ctx, spec, {});
  ASSERT_TRUE(unfused && planned);
  {
    PassManager pm(&ctx);
    pm.addPass(alexc::kernel::createKernelCheckPlan());
    ASSERT_TRUE(succeeded(pm.run(*planned)));
  }
  for (StringRef name : {step::kTrainStep, step::kEvalStep}) {
    auto a = unfused->lookupSymbol<func::FuncOp>(name);
    auto b = planned->lookupSymbol<func::FuncOp>(name);
    std::mt19937 rng(3);
    std::vector<V> args = randomArgs(a, rng);
    auto ra = alexc::interp::interpret<float>(a, args);
    auto rb = alexc::interp::interpret<float>(b, args);
    ASSERT_TRUE(ra && rb);
    ASSERT_EQ(ra->size(), rb->size());
    for (size_t i = 0; i < ra->size(); ++i)
      EXPECT_EQ((*ra)[i].tensor().data, (*rb)[i].tensor().data)
          << name.str() << " result #" << i;
  }
}

TEST(FusionEquivalence, LeNet) { checkSpec(ALEXC_MODELS_DIR "/lenet.json", 8); }

TEST(FusionEquivalence, AlexNet) {
  checkSpec(ALEXC_MODELS_DIR "/alexnet.json", 2);
}

} // namespace
