//===- TensorRoles.h - Parameters, optimizer state, running statistics ----===//
//
// A compiled model keeps three kinds of tensors between steps: parameters
// (trained), optimizer state ("<param>.momentum", "<param>.exp_avg", ...)
// and batch norm's running statistics ("<layer>.running_mean", ...). The
// compiler names them with the suffixes below and says each one's role;
// the runtime checks at start-up that names and roles agree, so that a
// wrong split fails loudly instead of loading weights into the wrong place.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_TENSORROLES_H
#define ALEXC_RUNTIME_TENSORROLES_H

#include <cstdint>
#include <string>
#include <string_view>

namespace alexc::rt {

enum class TensorRole : int32_t {
  Parameter = 0,
  OptimizerState = 1,
  RunningStatistic = 2,
};

/// Name suffixes, after the owner's name and a dot.
namespace suffix {
inline constexpr const char *kMomentum = "momentum"; // SGD's buffer
inline constexpr const char *kExpAvg = "exp_avg";    // Adam's moments
inline constexpr const char *kExpAvgSq = "exp_avg_sq";
inline constexpr const char *kRunningMean = "running_mean";
inline constexpr const char *kRunningVar = "running_var";
} // namespace suffix

/// "parameter", "optimizer_state", "running_statistic".
inline const char *roleName(TensorRole role) {
  switch (role) {
  case TensorRole::Parameter:
    return "parameter";
  case TensorRole::OptimizerState:
    return "optimizer_state";
  case TensorRole::RunningStatistic:
    return "running_statistic";
  }
  return "?";
}

/// The role a tensor's name says it has: a parameter unless it ends in a
/// dot and one of the suffixes above.
inline TensorRole roleOfName(std::string_view name) {
  auto hasSuffix = [&](std::string_view s) {
    return name.size() > s.size() + 1 &&
           name.substr(name.size() - s.size()) == s &&
           name[name.size() - s.size() - 1] == '.';
  };
  for (const char *s : {suffix::kMomentum, suffix::kExpAvg, suffix::kExpAvgSq})
    if (hasSuffix(s))
      return TensorRole::OptimizerState;
  for (const char *s : {suffix::kRunningMean, suffix::kRunningVar})
    if (hasSuffix(s))
      return TensorRole::RunningStatistic;
  return TensorRole::Parameter;
}

struct ModelConfig;

/// False, with `error` naming the first tensor whose list (parameters,
/// optimizer state, running statistics) disagrees with its name.
bool checkTensorRoles(const ModelConfig &config, std::string &error);

} // namespace alexc::rt

#endif
