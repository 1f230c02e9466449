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
                        "(channels, height, width) but the layers before it "
                        "have flattened the data");
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

} // namespace
