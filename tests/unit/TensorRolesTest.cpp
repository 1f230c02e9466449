// The start-up check that a model's tensor lists agree with the names the
// compiler gives optimizer state and running statistics.
#include "runtime/abi/TensorRoles.h"
#include "runtime/train/Executor.h"

#include <gtest/gtest.h>
#include <string>

using namespace alexc::rt;

namespace {

ModelConfig batchNormWithMomentum() {
  ModelConfig c;
  c.params = {{"conv.weight", {2, 1, 3, 3}}, {"bn.weight", {2}}};
  c.state = {{"conv.weight.momentum", {2, 1, 3, 3}},
             {"bn.weight.momentum", {2}}};
  c.statistics = {{"bn.running_mean", {2}}, {"bn.running_var", {2}}};
  return c;
}

TEST(TensorRoles, NamesSayTheRole) {
  EXPECT_EQ(roleOfName("conv1.weight"), TensorRole::Parameter);
  EXPECT_EQ(roleOfName("momentum.weight"), TensorRole::Parameter);
  EXPECT_EQ(roleOfName("fc.bias.momentum"), TensorRole::OptimizerState);
  EXPECT_EQ(roleOfName("fc.bias.exp_avg"), TensorRole::OptimizerState);
  EXPECT_EQ(roleOfName("fc.bias.exp_avg_sq"), TensorRole::OptimizerState);
  EXPECT_EQ(roleOfName("bn.running_var"), TensorRole::RunningStatistic);
  EXPECT_EQ(roleOfName("running_var"), TensorRole::Parameter); // no owner
}

TEST(TensorRoles, AgreeingListsPass) {
  std::string error;
  EXPECT_TRUE(checkTensorRoles(batchNormWithMomentum(), error)) << error;
}

// The split a descriptor gave before the step signature was read by role:
// the parameters' count included the running statistics, so the first
// optimizer state tensors were listed as parameters.
TEST(TensorRoles, AShiftedSplitFailsNamingTheTensor) {
  ModelConfig c = batchNormWithMomentum();
  c.params.push_back(c.state.front());
  c.state.erase(c.state.begin());
  c.state.push_back(c.statistics.front());
  c.statistics.erase(c.statistics.begin());
  std::string error;
  EXPECT_FALSE(checkTensorRoles(c, error));
  EXPECT_NE(error.find("'conv.weight.momentum' as parameter"),
            std::string::npos)
      << error;
}

TEST(TensorRoles, StatisticsListedAsStateFail) {
  ModelConfig c = batchNormWithMomentum();
  c.state.push_back(c.statistics.back());
  c.statistics.pop_back();
  std::string error;
  EXPECT_FALSE(checkTensorRoles(c, error));
  EXPECT_NE(error.find("'bn.running_var' as optimizer_state"),
            std::string::npos)
      << error;
}

} // namespace
