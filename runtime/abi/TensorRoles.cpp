//===- TensorRoles.cpp - Parameters, optimizer state, running statistics --===//
#include "runtime/abi/TensorRoles.h"
#include "runtime/train/Executor.h"

namespace alexc::rt {

bool checkTensorRoles(const ModelConfig &config, std::string &error) {
  auto check = [&](const std::vector<NamedShape> &list, TensorRole role) {
    for (const NamedShape &t : list)
      if (roleOfName(t.name) != role) {
        error = "the model lists '" + t.name + "' as " + roleName(role) +
                ", but its name says " + roleName(roleOfName(t.name)) +
                " (a compiler defect: the executable's tensor lists are "
                "out of step with its functions)";
        return false;
      }
    return true;
  };
  return check(config.params, TensorRole::Parameter) &&
         check(config.state, TensorRole::OptimizerState) &&
         check(config.statistics, TensorRole::RunningStatistic);
}

} // namespace alexc::rt
