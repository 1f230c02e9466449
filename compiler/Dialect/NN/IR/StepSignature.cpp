//===- StepSignature.cpp - The step functions nn-autodiff builds ----------===//
#include "Dialect/NN/IR/StepSignature.h"
#include "Dialect/NN/IR/NNOps.h"

#include <optional>

using namespace mlir;

namespace alexc::nn::step {

StringRef argumentName(func::FuncOp f, unsigned i) {
  auto name = f.getArgAttrOfType<StringAttr>(i, kNameAttr);
  return name ? name.getValue() : StringRef();
}

void setArgumentRole(func::FuncOp f, unsigned i, rt::TensorRole role) {
  f.setArgAttr(i, kRoleAttr,
               StringAttr::get(f.getContext(), rt::roleName(role)));
}

std::optional<rt::TensorRole> argumentRole(func::FuncOp f, unsigned i) {
  auto text = f.getArgAttrOfType<StringAttr>(i, kRoleAttr);
  if (!text)
    return std::nullopt;
  for (rt::TensorRole r :
       {rt::TensorRole::Parameter, rt::TensorRole::OptimizerState,
        rt::TensorRole::RunningStatistic})
    if (text.getValue() == rt::roleName(r))
      return r;
  return std::nullopt;
}

FailureOr<StepSignature> readStepSignature(ModuleOp module) {
  auto train = module.lookupSymbol<func::FuncOp>(kTrainStep);
  if (!train)
    return module.emitError() << "no @" << kTrainStep << " (run nn-autodiff)";
  StepSignature s;
  std::vector<CarriedTensor> *lists[] = {&s.parameters, &s.optimizerState,
                                         &s.runningStatistics};
  int last = 0;
  for (unsigned i = 0; i < train.getNumArguments(); ++i) {
    StringRef name = argumentName(train, i);
    if (name == kImages)
      break; // the data arguments follow the carried tensors
    std::optional<rt::TensorRole> role = argumentRole(train, i);
    auto type = dyn_cast<RankedTensorType>(train.getArgumentTypes()[i]);
    if (!role || !type || int(*role) < last)
      return train.emitError()
             << "argument " << i << " ('" << name
             << "') of @train_step has no tensor role, an unknown one, or "
                "one out of order (parameters, optimizer state, running "
                "statistics)";
    last = int(*role);
    lists[last]->push_back({name.str(), type});
  }
  train.walk([&](SoftmaxCrossEntropyOp op) {
    s.classes = cast<RankedTensorType>(op.getLogits().getType()).getDimSize(1);
  });
  return s;
}

} // namespace alexc::nn::step
