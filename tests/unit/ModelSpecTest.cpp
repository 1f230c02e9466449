// Unit tests of the JSON model spec parser: the shipped specs parse to the
// intended networks, and every kind of malformed spec is refused with a
// message naming the layer and the field.
#include "Frontend/ModelSpec.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using alexc::LayerKind;
using alexc::ModelSpec;
using json = nlohmann::json;

namespace {

json minimalSpec() {
  return json::parse(R"({
    "name": "tiny",
    "input": {"channels": 1, "height": 28, "width": 28},
    "layers": [
      {"name": "conv1", "type": "conv2d", "channels": 4, "kernel_size": 3},
      {"name": "pool1", "type": "max_pool2d", "pool_size": 2},
      {"name": "fc1", "type": "dense", "units": 10}
    ]
  })");
}

/// Parses `text`, expects failure, returns the message.
std::string errorOfText(const std::string &text) {
  ModelSpec spec;
  std::string error;
  EXPECT_FALSE(alexc::parseModelSpec(text, spec, error)) << text;
  return error;
}
std::string errorOf(const json &j) { return errorOfText(j.dump()); }

TEST(ModelSpec, ParsesShippedAlexNet) {
  ModelSpec spec;
  std::string error;
  ASSERT_TRUE(
      alexc::loadModelSpec(ALEXC_MODELS_DIR "/alexnet.json", spec, error))
      << error;
  EXPECT_EQ(spec.name, "alexnet");
  ASSERT_EQ(spec.layers.size(), 13u);
  EXPECT_EQ(spec.layers[0].kind, LayerKind::Conv2D);
  EXPECT_EQ(spec.layers[0].channels, 96);
  EXPECT_EQ(spec.layers[0].kernel, (alexc::HW{11, 11}));
  EXPECT_EQ(spec.layers[0].strides, (alexc::HW{4, 4}));
  EXPECT_EQ(spec.layers[0].activation, "relu");
  EXPECT_EQ(spec.layers[1].strides, (alexc::HW{2, 2}));
  EXPECT_EQ(spec.layers[2].padding, (alexc::HW{2, 2}));
  EXPECT_EQ(spec.layers[9].kind, LayerKind::Dropout);
  EXPECT_DOUBLE_EQ(spec.layers[9].rate, 0.5);
  EXPECT_EQ(spec.layers[12].units, 10);
  EXPECT_EQ(spec.batchSize, 128);
  EXPECT_EQ(spec.data.resize, 224);
  EXPECT_DOUBLE_EQ(spec.optimizer.learningRate, 0.01);
}

TEST(ModelSpec, ParsesShippedLeNet) {
  ModelSpec spec;
  std::string error;
  ASSERT_TRUE(alexc::loadModelSpec(ALEXC_MODELS_DIR "/lenet.json", spec, error))
      << error;
  EXPECT_EQ(spec.height, 28);
  EXPECT_EQ(spec.layers.size(), 6u);
  EXPECT_EQ(spec.data.resize, 0);
}

TEST(ModelSpec, DefaultsFollowGluon) {
  json j = minimalSpec();
  j["layers"][1].erase("name");
  ModelSpec spec;
  std::string error;
  ASSERT_TRUE(alexc::parseModelSpec(j.dump(), spec, error)) << error;
  // Pool strides default to the pool size; names to type + count.
  EXPECT_EQ(spec.layers[1].strides, (alexc::HW{2, 2}));
  EXPECT_EQ(spec.layers[1].name, "max_pool2d_0");
  EXPECT_EQ(spec.layers[0].strides, (alexc::HW{1, 1}));
  EXPECT_TRUE(spec.layers[0].useBias);
  EXPECT_EQ(spec.initializer.type, "xavier");
  EXPECT_EQ(spec.optimizer.type, "sgd");
  EXPECT_EQ(spec.batchSize, 128);
}

TEST(ModelSpec, AcceptsPairsAndAdam) {
  json j = minimalSpec();
  j["layers"][0]["kernel_size"] = {3, 5};
  j["layers"][0]["padding"] = {1, 2};
  j["optimizer"] = {
      {"type", "adam"}, {"learning_rate", 0.001}, {"beta2", 0.99}};
  ModelSpec spec;
  std::string error;
  ASSERT_TRUE(alexc::parseModelSpec(j.dump(), spec, error)) << error;
  EXPECT_EQ(spec.layers[0].kernel, (alexc::HW{3, 5}));
  EXPECT_EQ(spec.layers[0].padding, (alexc::HW{1, 2}));
  EXPECT_EQ(spec.optimizer.type, "adam");
  EXPECT_DOUBLE_EQ(spec.optimizer.beta2, 0.99);
}

// --- Malformed specs: each checked for its own message. ---

TEST(ModelSpecErrors, NotJsonReportsLineAndColumn) {
  std::string e =
      errorOfText("{\n  \"name\": \"x\",\n  \"input\": {channels: 1}\n}");
  EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e;
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  EXPECT_NE(e.find("column"), std::string::npos) << e;
}

TEST(ModelSpecErrors, NumberPastDoubleRangeIsAnError) {
  EXPECT_EQ(errorOfText("{\"name\": 1e999}"),
            "not valid JSON: number overflow parsing '1e999'");
}

TEST(ModelSpecErrors, TopLevelNotObject) {
  EXPECT_NE(errorOfText("[1, 2]").find("must be a JSON object, got array"),
            std::string::npos);
}

TEST(ModelSpecErrors, MissingRequiredField) {
  json j = minimalSpec();
  j.erase("input");
  EXPECT_EQ(errorOf(j), "field 'input' is required");
}

TEST(ModelSpecErrors, MissingLayerField) {
  json j = minimalSpec();
  j["layers"][0].erase("channels");
  EXPECT_EQ(errorOf(j),
            "layer 'conv1' (conv2d, #0): field 'channels' is required");
}

TEST(ModelSpecErrors, MisspeltKeyIsNotIgnored) {
  json j = minimalSpec();
  j["layers"][0]["kernal_size"] = 3;
  EXPECT_EQ(errorOf(j),
            "layer 'conv1' (conv2d, #0): unknown key "
            "'kernal_size' for conv2d (did you mean 'kernel_size'?)");
}

TEST(ModelSpecErrors, UnknownTopLevelKey) {
  json j = minimalSpec();
  j["bacth_size"] = 64;
  EXPECT_EQ(
      errorOf(j),
      "unknown key 'bacth_size' for the spec (did you mean 'batch_size'?)");
}

TEST(ModelSpecErrors, UnknownLayerType) {
  json j = minimalSpec();
  j["layers"][1]["type"] = "maxpool";
  std::string e = errorOf(j);
  EXPECT_EQ(e.rfind("layer 'pool1' (#1): field 'type' must be one of", 0), 0u)
      << e;
  EXPECT_NE(e.find("got 'maxpool'"), std::string::npos) << e;
  // A layer without a name is named by its position.
  j["layers"][1].erase("name");
  e = errorOf(j);
  EXPECT_EQ(e.rfind("layer #1: field 'type' must be one of", 0), 0u) << e;
}

TEST(ModelSpecErrors, WrongFieldType) {
  json j = minimalSpec();
  j["layers"][2]["units"] = "ten";
  EXPECT_EQ(errorOf(j), "layer 'fc1' (dense, #2): field 'units' must be an "
                        "integer, got string \"ten\"");
}

TEST(ModelSpecErrors, FractionalInteger) {
  json j = minimalSpec();
  j["batch_size"] = 12.5;
  EXPECT_EQ(errorOf(j),
            "field 'batch_size' must be an integer, got number 12.5");
}

TEST(ModelSpecErrors, NonPositiveSize) {
  json j = minimalSpec();
  j["layers"][0]["channels"] = 0;
  EXPECT_EQ(
      errorOf(j),
      "layer 'conv1' (conv2d, #0): field 'channels' must be positive, got 0");
}

TEST(ModelSpecErrors, NegativePadding) {
  json j = minimalSpec();
  j["layers"][0]["padding"] = {1, -1};
  EXPECT_EQ(errorOf(j),
            "layer 'conv1' (conv2d, #0): field 'padding' must be a "
            "non-negative integer or [height, width], got array [1,-1]");
}

TEST(ModelSpecErrors, PairOfWrongLength) {
  json j = minimalSpec();
  j["layers"][1]["pool_size"] = {2, 2, 2};
  EXPECT_EQ(errorOf(j),
            "layer 'pool1' (max_pool2d, #1): field 'pool_size' must "
            "have 2 values [height, width], got 3");
}

TEST(ModelSpecErrors, DuplicateNames) {
  json j = minimalSpec();
  j["layers"][2]["name"] = "conv1";
  EXPECT_EQ(errorOf(j), "layer 'conv1' (dense, #2): field 'name' 'conv1' is "
                        "already used by layer #0");
}

TEST(ModelSpecErrors, DefaultNameCollidesWithExplicitOne) {
  json j = minimalSpec();
  j["layers"][0]["name"] = "max_pool2d_0";
  j["layers"][1].erase("name");
  EXPECT_EQ(errorOf(j), "layer 'max_pool2d_0' (max_pool2d, #1): field 'name' "
                        "'max_pool2d_0' is already used by layer #0");
}

TEST(ModelSpecErrors, DropoutRateOutOfRange) {
  json j = minimalSpec();
  j["layers"].insert(j["layers"].begin() + 2,
                     json::object({{"type", "dropout"}, {"rate", 1.0}}));
  EXPECT_EQ(errorOf(j), "layer 'dropout_0' (dropout, #2): field 'rate' must be "
                        "in [0, 1), got 1.0");
}

TEST(ModelSpecErrors, UnknownActivation) {
  json j = minimalSpec();
  j["layers"][0]["activation"] = "gelu";
  EXPECT_EQ(errorOf(j),
            "layer 'conv1' (conv2d, #0): field 'activation' must be "
            "one of 'relu', 'sigmoid', 'tanh', got 'gelu'");
}

TEST(ModelSpecErrors, EmptyLayers) {
  json j = minimalSpec();
  j["layers"] = json::array();
  EXPECT_EQ(errorOf(j), "field 'layers' must not be empty");
}

TEST(ModelSpecErrors, LayerNotAnObject) {
  json j = minimalSpec();
  j["layers"][1] = "pool";
  EXPECT_EQ(errorOf(j), "layer #1: must be an object, got string \"pool\"");
}

TEST(ModelSpecErrors, ConvAfterFlatten) {
  json j = minimalSpec();
  j["layers"].insert(j["layers"].begin() + 1,
                     json::object({{"type", "flatten"}}));
  EXPECT_EQ(errorOf(j), "layer 'pool1' (max_pool2d, #2): needs a 4-D input "
                        "(channels, height, width) but its input 'flatten_0' "
                        "has been flattened (by a dense or flatten layer)");
}

TEST(ModelSpecErrors, NetworkMustEndInClasses) {
  json j = minimalSpec();
  j["layers"].erase(2);
  EXPECT_EQ(errorOf(j),
            "layer 'pool1' (max_pool2d, #1): the last layer must "
            "give [batch, classes]; end the network with a dense layer");
}

TEST(ModelSpecErrors, UnknownOptimizer) {
  json j = minimalSpec();
  j["optimizer"] = {{"type", "rmsprop"}};
  EXPECT_EQ(errorOf(j), "field 'optimizer.type' must be one of 'sgd', 'adam', "
                        "got 'rmsprop'");
}

TEST(ModelSpecErrors, OptimizerKeyOfTheOtherOptimizer) {
  json j = minimalSpec();
  j["optimizer"] = {{"type", "sgd"}, {"beta1", 0.9}};
  std::string e = errorOf(j);
  EXPECT_EQ(e.rfind("unknown key 'optimizer.beta1' for sgd", 0), 0u) << e;
}

TEST(ModelSpecErrors, NegativeLearningRate) {
  json j = minimalSpec();
  j["optimizer"] = {{"learning_rate", -0.1}};
  EXPECT_EQ(errorOf(j), "field 'optimizer.learning_rate' must be positive");
}

TEST(ModelSpecErrors, ResizeDisagreesWithInput) {
  json j = minimalSpec();
  j["data"] = {{"resize", 224}};
  EXPECT_EQ(errorOf(j), "field 'data.resize' is 224 but the input is 28x28");
}

TEST(ModelSpecErrors, UnsupportedLoss) {
  json j = minimalSpec();
  j["loss"] = "mse";
  EXPECT_EQ(errorOf(j), "field 'loss' must be one of 'softmax_cross_entropy', "
                        "got 'mse'");
}

TEST(ModelSpecErrors, MissingFileNamesThePath) {
  ModelSpec spec;
  std::string error;
  EXPECT_FALSE(alexc::loadModelSpec("/nonexistent/spec.json", spec, error));
  EXPECT_EQ(error.rfind("/nonexistent/spec.json: cannot open", 0), 0u) << error;
}

//===----------------------------------------------------------------------===//
// Graphs: "inputs", add, concat, global_avg_pool2d
//===----------------------------------------------------------------------===//

/// conv1 -> {a, b} -> join -> fc1, with `join` of the given type.
json branchingSpec(const std::string &join) {
  return json::parse(R"({
    "name": "branches",
    "input": {"channels": 1, "height": 8, "width": 8},
    "layers": [
      {"name": "conv1", "type": "conv2d", "channels": 4, "kernel_size": 3},
      {"name": "a", "type": "conv2d", "channels": 4, "kernel_size": 1},
      {"name": "b", "type": "conv2d", "channels": 4, "kernel_size": 1,
       "inputs": ["conv1"]},
      {"name": "join", "type": ")" +
                     join + R"(", "inputs": ["a", "b"]},
      {"name": "gap", "type": "global_avg_pool2d"},
      {"name": "fc1", "type": "dense", "units": 10}
    ]
  })");
}

TEST(ModelSpec, ResolvesInputsOfAGraph) {
  ModelSpec spec;
  std::string error;
  ASSERT_TRUE(alexc::parseModelSpec(branchingSpec("add").dump(), spec, error))
      << error;
  ASSERT_EQ(spec.layers.size(), 6u);
  EXPECT_EQ(spec.layers[0].inputs, std::vector<int64_t>{-1}); // data
  EXPECT_EQ(spec.layers[1].inputs, std::vector<int64_t>{0});  // previous
  EXPECT_EQ(spec.layers[2].inputs, std::vector<int64_t>{0});
  EXPECT_EQ(spec.layers[3].inputs, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(spec.layers[3].kind, LayerKind::Add);
  EXPECT_EQ(spec.layers[4].kind, LayerKind::GlobalAvgPool2D);
  ASSERT_TRUE(
      alexc::parseModelSpec(branchingSpec("concat").dump(), spec, error))
      << error;
  EXPECT_EQ(spec.layers[3].kind, LayerKind::Concat);
}

TEST(ModelSpecErrors, InputThatIsNoLayer) {
  json j = branchingSpec("add");
  j["layers"][3]["inputs"] = {"a", "bb"};
  EXPECT_EQ(errorOf(j), "layer 'join' (add, #3): input 'bb' is not the name "
                        "of a layer (nor 'data', the network's input)");
}

TEST(ModelSpecErrors, InputThatComesLater) {
  json j = branchingSpec("add");
  j["layers"][1]["inputs"] = {"b"};
  EXPECT_EQ(errorOf(j), "layer 'a' (conv2d, #1): input 'b' is layer #2, "
                        "which does not come before it; inputs must be "
                        "earlier layers");
  j["layers"][1]["inputs"] = {"a"}; // itself: a cycle
  EXPECT_EQ(errorOf(j), "layer 'a' (conv2d, #1): input 'a' is layer #1, "
                        "which does not come before it; inputs must be "
                        "earlier layers");
}

TEST(ModelSpecErrors, LayerWhoseResultIsUnused) {
  json j = branchingSpec("add");
  j["layers"][3]["inputs"] = {"a", "conv1"};
  EXPECT_EQ(errorOf(j), "layer 'b' (conv2d, #2): its result is used by no "
                        "layer; every layer but the last (the network's "
                        "output) must be an input of another");
}

TEST(ModelSpecErrors, JoinWithOneInput) {
  for (std::string type : {"add", "concat"}) {
    json j = branchingSpec(type);
    j["layers"][3]["inputs"] = {"a"};
    j["layers"][2]["inputs"] = {"a"};
    EXPECT_EQ(errorOf(j), "layer 'join' (" + type +
                              ", #3): field 'inputs' must name two or more "
                              "layers for " +
                              type + ", got 1");
  }
}

TEST(ModelSpecErrors, TwoInputsToAConvolution) {
  json j = branchingSpec("add");
  j["layers"][2]["inputs"] = {"conv1", "a"};
  EXPECT_EQ(errorOf(j), "layer 'b' (conv2d, #2): field 'inputs' must name one "
                        "layer for conv2d, got 2");
}

TEST(ModelSpecErrors, DataIsReserved) {
  json j = branchingSpec("add");
  j["layers"][1]["name"] = "data";
  EXPECT_EQ(errorOf(j), "layer 'data' (#1): field 'name' 'data' is reserved "
                        "for the network's input");
}

TEST(ModelSpecErrors, InputsMustBeNames) {
  json j = branchingSpec("add");
  j["layers"][3]["inputs"] = "a";
  EXPECT_EQ(errorOf(j), "layer 'join' (add, #3): field 'inputs' must be a "
                        "non-empty array of layer names, got string \"a\"");
  j["layers"][3]["inputs"] = {"a", 3};
  EXPECT_EQ(errorOf(j), "layer 'join' (add, #3): field 'inputs' must list "
                        "layer names (strings), got number 3");
}

TEST(ModelSpecErrors, JoinOfDifferentRanks) {
  json j = branchingSpec("concat");
  j["layers"][2] = json::parse(
      R"({"name": "b", "type": "dense", "units": 4, "inputs": ["conv1"]})");
  EXPECT_EQ(errorOf(j), "layer 'join' (concat, #3): inputs 'a' (4-D) and 'b' "
                        "(2-D) have different ranks");
}

TEST(ModelSpecErrors, GlobalPoolOfFlatData) {
  json j = branchingSpec("add");
  j["layers"][4]["inputs"] = {"fc0"};
  j["layers"].insert(
      j["layers"].begin() + 4,
      json::parse(R"({"name": "fc0", "type": "dense", "units": 4})"));
  EXPECT_EQ(errorOf(j), "layer 'gap' (global_avg_pool2d, #5): needs a 4-D "
                        "input (channels, height, width) but its input 'fc0' "
                        "has been flattened (by a dense or flatten layer)");
}

TEST(ModelSpec, BatchNormDefaultsAndKeys) {
  json j = branchingSpec("add");
  j["layers"][1] = json::parse(R"({"name": "a", "type": "batch_norm"})");
  ModelSpec spec;
  std::string error;
  ASSERT_TRUE(alexc::parseModelSpec(j.dump(), spec, error)) << error;
  EXPECT_EQ(spec.layers[1].kind, LayerKind::BatchNorm);
  EXPECT_DOUBLE_EQ(spec.layers[1].momentum, 0.9);
  EXPECT_DOUBLE_EQ(spec.layers[1].epsilon, 1e-5);
  EXPECT_TRUE(spec.layers[1].center && spec.layers[1].scale);
  j["layers"][1]["momentum"] = 1.0;
  EXPECT_EQ(errorOf(j), "layer 'a' (batch_norm, #1): field 'momentum' must be "
                        "in [0, 1), got 1.0");
  j["layers"][1]["momentum"] = 0.5;
  j["layers"][1]["epsilon"] = 0;
  EXPECT_EQ(errorOf(j), "layer 'a' (batch_norm, #1): field 'epsilon' must be "
                        "positive, got 0");
  j["layers"][1]["epsilon"] = 1e-3;
  j["layers"][1]["channels"] = 4;
  EXPECT_EQ(errorOf(j), "layer 'a' (batch_norm, #1): unknown key 'channels' "
                        "for batch_norm (allowed: name type inputs momentum "
                        "epsilon center scale activation)");
}

} // namespace
