// Unit tests of the model language: every shipped model reads the same from
// its .nn and its .json file, both writers read back to the spec they were
// written from, and the language's own forms (inputs, tuples, quoted names,
// comments) mean what docs/language.md says.
#include "Frontend/LayerSchema.h"
#include "Frontend/ModelSpec.h"
#include "Frontend/SpecWriter.h"
#include "LayerNetworks.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

using alexc::ModelSpec;
using alexc::SpecFormat;

namespace {

ModelSpec read(const std::string &text, SpecFormat format) {
  ModelSpec spec;
  alexc::SpecDiagnostic diag;
  EXPECT_TRUE(alexc::readModelSpec(text, format, spec, diag))
      << diag.loc.line << ":" << diag.loc.col << ": " << diag.message << "\n"
      << text;
  return spec;
}

alexc::SpecDiagnostic errorOf(const std::string &text) {
  ModelSpec spec;
  alexc::SpecDiagnostic diag;
  EXPECT_FALSE(alexc::readModelSpec(text, SpecFormat::Language, spec, diag))
      << text;
  return diag;
}

/// Every field of a spec, written out independently of the writers under
/// test, so that a field a writer drops shows as a difference.
std::string fingerprint(const ModelSpec &s) {
  std::ostringstream o;
  o.precision(17);
  o << s.name << " " << s.channels << "x" << s.height << "x" << s.width << "\n";
  for (const alexc::LayerSpec &l : s.layers) {
    o << l.name << " " << l.type << " " << int(l.kind) << " " << l.index
      << " in";
    for (int64_t i : l.inputs)
      o << " " << i;
    o << " c" << l.channels << " u" << l.units << " k" << l.kernel.h << ","
      << l.kernel.w << " s" << l.strides.h << "," << l.strides.w << " p"
      << l.padding.h << "," << l.padding.w << " a" << l.activation << " b"
      << l.useBias << " r" << l.rate << " m" << l.momentum << " e" << l.epsilon
      << " " << l.center << l.scale << "\n";
  }
  const auto &i = s.initializer;
  const auto &p = s.optimizer;
  o << s.loss << " " << i.type << " " << i.distribution << " " << i.magnitude
    << " " << i.sigma << " " << p.type << " " << p.learningRate << " "
    << p.momentum << " " << p.weightDecay << " " << p.nesterov << " " << p.beta1
    << " " << p.beta2 << " " << p.epsilon << " " << s.batchSize << " "
    << s.epochs << " " << s.data.dataset << " " << s.data.resize << " "
    << alexc::rt::transformListsToJson(s.data.transforms).dump();
  return o.str();
}

/// Both writers, read back, give the spec they were written from.
void expectRoundTrips(const ModelSpec &spec) {
  std::string json = alexc::writeSpecJson(spec);
  std::string language = alexc::writeSpecLanguage(spec);
  EXPECT_EQ(fingerprint(read(json, SpecFormat::Json)), fingerprint(spec))
      << json;
  EXPECT_EQ(fingerprint(read(language, SpecFormat::Language)),
            fingerprint(spec))
      << language;
}

TEST(ModelLanguage, ShippedModelsReadTheSameInBothForms) {
  int models = 0;
  for (const auto &entry :
       std::filesystem::directory_iterator(ALEXC_MODELS_DIR)) {
    if (entry.path().extension() != ".json")
      continue;
    SCOPED_TRACE(entry.path().string());
    ModelSpec fromJson, fromLanguage;
    std::string error;
    ASSERT_TRUE(alexc::loadModelSpec(entry.path(), fromJson, error)) << error;
    auto nn = std::filesystem::path(entry.path()).replace_extension(".nn");
    ASSERT_TRUE(alexc::loadModelSpec(nn, fromLanguage, error)) << error;
    EXPECT_EQ(fingerprint(fromLanguage), fingerprint(fromJson));
    expectRoundTrips(fromJson);
    ++models;
  }
  EXPECT_GE(models, 8);
}

// Driven by the layer schema, so that a new layer type or field is
// covered the day it is added: every field set to a value other than its
// default reads, holds that value, and round-trips through both writers.
TEST(LayerSchema, EveryTypeAndFieldRoundTrips) {
  int types = 0;
  for (const alexc::LayerSchema &schema : alexc::layerSchemas())
    for (const alexc::LayerType &t : schema.types) {
      SCOPED_TRACE(t.name);
      ModelSpec spec =
          read(alexc::testing::networkAround(t.name, schema), SpecFormat::Json);
      auto it = std::find_if(spec.layers.begin(), spec.layers.end(),
                             [](const auto &l) { return l.name == "x"; });
      ASSERT_NE(it, spec.layers.end());
      EXPECT_EQ(it->kind, t.kind);
      for (const alexc::FieldSchema &f : schema.fields)
        EXPECT_FALSE(alexc::hasDefault(*it, f)) << f.key;
      expectRoundTrips(spec);
      ++types;
    }
  EXPECT_EQ(size_t(types), alexc::layerTypeNames().size());
}

// docs/spec.md's layer table is the schema's, generated: a changed field,
// default or bound changes the docs in the same commit.
TEST(LayerSchema, DocsTableIsTheSchemas) {
  std::ifstream in(ALEXC_MODELS_DIR "/../docs/spec.md");
  std::stringstream docs;
  docs << in.rdbuf();
  std::string table = alexc::layerTableMarkdown();
  EXPECT_NE(docs.str().find(table), std::string::npos)
      << "docs/spec.md should hold this table (the layer schema's):\n"
      << table;
}

TEST(ModelLanguage, EveryFieldRoundTrips) {
  ModelSpec spec = read(R"(
    model "odd name"(data: 3x32x30) {
      c1 = conv2d(8, (3, 5), strides=(1, 2), padding=(1, 2), use_bias=false)
      bn = batch_norm(momentum=0.8, epsilon=0.001, center=false, scale=false,
                      activation=tanh)
      "pool 1" = avg_pool2d((2, 3), strides=1, padding=1)
      skip = conv2d(c1, 8, 1, padding=(0, 1))
      both = concat("pool 1", skip)
      gap = global_avg_pool2d()
      d = dropout(0.25)
      fc = dense(10, activation=none, use_bias=false)
    }
    train {
      loss = softmax_cross_entropy
      initializer = normal(sigma=0.02)
      optimizer = adam(learning_rate=0.001, beta1=0.8, beta2=0.99,
                       epsilon=1e-7, weight_decay=0.0005)
      batch_size = 32; epochs = 2
      data = "my-data"
    })",
                        SpecFormat::Language);
  ASSERT_EQ(spec.layers.size(), 8u);
  EXPECT_EQ(spec.name, "odd name");
  EXPECT_EQ(spec.layers[0].kernel, (alexc::HW{3, 5}));
  EXPECT_EQ(spec.layers[0].strides, (alexc::HW{1, 2}));
  EXPECT_FALSE(spec.layers[0].useBias);
  EXPECT_DOUBLE_EQ(spec.layers[1].momentum, 0.8);
  EXPECT_FALSE(spec.layers[1].center);
  EXPECT_EQ(spec.layers[2].name, "pool 1");
  EXPECT_EQ(spec.layers[3].inputs, (std::vector<int64_t>{0}));
  EXPECT_EQ(spec.layers[4].inputs, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(spec.layers[7].activation, "");
  EXPECT_EQ(spec.optimizer.type, "adam");
  EXPECT_DOUBLE_EQ(spec.optimizer.epsilon, 1e-7);
  EXPECT_EQ(spec.initializer.type, "normal");
  EXPECT_EQ(spec.batchSize, 32);
  EXPECT_EQ(spec.data.dataset, "my-data");
  expectRoundTrips(spec);
}

TEST(ModelLanguage, DefaultsAndLocations) {
  ModelSpec spec = read("# a comment\nmodel m(data: 1x28x28) {\n"
                        "  conv2d(6, 5)   # unnamed: conv2d_0\n"
                        "  flatten()\n"
                        "  out = dense(10)\n}\n",
                        SpecFormat::Language);
  ASSERT_EQ(spec.layers.size(), 3u);
  EXPECT_EQ(spec.layers[0].name, "conv2d_0");
  EXPECT_EQ(spec.layers[1].name, "flatten_0");
  EXPECT_EQ(spec.layers[0].inputs, (std::vector<int64_t>{-1}));
  EXPECT_EQ(spec.batchSize, 128);
  EXPECT_DOUBLE_EQ(spec.optimizer.learningRate, 0.01);
  EXPECT_EQ(spec.layers[0].loc.line, 3);
  EXPECT_EQ(spec.layers[0].loc.col, 3);
  EXPECT_EQ(spec.layers[2].loc.line, 5);
}

TEST(ModelLanguage, JsonLayersHaveLocations) {
  ModelSpec spec = read("{\"name\": \"m\",\n \"input\": {\"channels\": 1, "
                        "\"height\": 8, \"width\": 8},\n \"layers\": [\n"
                        "   {\"type\": \"dense\", \"units\": 10}]}",
                        SpecFormat::Json);
  ASSERT_EQ(spec.layers.size(), 1u);
  EXPECT_EQ(spec.layers[0].loc.line, 4);
  EXPECT_EQ(spec.layers[0].loc.col, 4);
}

TEST(ModelLanguage, ErrorsPointAtTheToken) {
  auto e = errorOf("model m(data: 1x28x28) {\n  fc = dense(units=0)\n}");
  EXPECT_EQ(e.message,
            "layer 'fc' (dense, #0): field 'units' must be positive, got 0");
  EXPECT_EQ(e.loc.line, 2);
  EXPECT_EQ(e.loc.col, 14);
  e = errorOf("model m(data: 1x28x28) {\n  fc = dense(10,\n");
  EXPECT_EQ(e.message, "the '(' of 'dense' has no closing ')'");
  e = errorOf(
      "model m(data: 1x28x28) {\n  fc = dense(99999999999999999999)\n}");
  EXPECT_EQ(e.message, "the integer 99999999999999999999 is too large");
  e = errorOf("model m(data: 1x28x28) {\n  fc = dense(10)\n} extra");
  EXPECT_EQ(e.message,
            "expected 'train {' or the end of the file, got 'extra'");
  e = errorOf("");
  EXPECT_EQ(e.message, "a model file starts with 'model NAME(data: CxHxW) {', "
                       "got the end of the file");
}

// Every transform with every field set away from its default reads, holds
// its values and round-trips through both writers; the list of names is
// the reader's, so a new transform is covered the day it is added.
TEST(DataTransforms, EveryTransformAndFieldRoundTrips) {
  std::string train = R"([
    {"type": "resize", "size": [40, 36]},
    {"type": "random_resized_crop", "size": 34, "scale": [0.5, 0.9],
     "ratio": [0.8, 1.25]},
    {"type": "random_crop", "size": [33, 32], "padding": 3},
    {"type": "random_horizontal_flip", "p": 0.25},
    {"type": "color_jitter", "brightness": 0.1, "contrast": 0.2,
     "saturation": 0.3},
    {"type": "center_crop", "size": 32},
    {"type": "normalize", "mean": [0.4, 0.5, 0.6], "std": [0.2, 0.25, 0.3]}])";
  ModelSpec spec = read(R"({"name": "m", "input": {"channels": 3,
      "height": 32, "width": 32}, "layers": [{"type": "dense", "units": 10}],
      "data": {"dataset": "d", "train": )" +
                            train + R"(, "test": [{"type": "resize", "size": 32},
      {"type": "normalize", "mean": [0.5], "std": [0.25]}]}})",
                        SpecFormat::Json);
  const auto &t = spec.data.transforms.train;
  ASSERT_EQ(t.size(), alexc::rt::transformNames().size());
  for (size_t i = 0; i < t.size(); ++i) // one of each, in the names' order
    EXPECT_NE(std::find(alexc::rt::transformNames().begin(),
                        alexc::rt::transformNames().end(),
                        alexc::rt::transformNames()[size_t(t[i].kind)]),
              alexc::rt::transformNames().end());
  EXPECT_EQ(t[0].height, 40);
  EXPECT_EQ(t[0].width, 36);
  EXPECT_DOUBLE_EQ(t[1].scale[0], 0.5);
  EXPECT_DOUBLE_EQ(t[1].ratio[1], 1.25);
  EXPECT_EQ(t[2].padding, 3);
  EXPECT_DOUBLE_EQ(t[3].p, 0.25);
  EXPECT_DOUBLE_EQ(t[4].saturation, 0.3);
  EXPECT_EQ(t[5].width, 32);
  EXPECT_EQ(t[6].std.size(), 3u);
  EXPECT_EQ(spec.data.transforms.test[0].width, 0); // the smaller edge
  for (const alexc::rt::Transform &x : t)
    for (const std::string &field : alexc::rt::transformFields(x.kind))
      EXPECT_TRUE(alexc::rt::transformToJson(x).contains(field))
          << field << " of " << alexc::rt::transformNames()[size_t(x.kind)]
          << " was left at its default";
  expectRoundTrips(spec);
}

TEST(DataTransforms, ErrorsNameTheListPositionAndField) {
  auto e = errorOf("model m(data: 3x8x8) {\n  fc = dense(2)\n}\ntrain {\n"
                   "  data = d(train=(random_crop(size=8, pading=1)))\n}");
  EXPECT_EQ(e.message, "field 'data.train[0].pading' is not a field of "
                       "random_crop (its fields: size, padding)");
  EXPECT_EQ(e.loc.line, 5);
  EXPECT_EQ(e.loc.col, 39);
  e = errorOf("model m(data: 3x8x8) {\n  fc = dense(2)\n}\ntrain {\n"
              "  data = d(test=(normalize(mean=(0.5, 0.5), std=(1))))\n}");
  EXPECT_EQ(e.message, "field 'data.test' [0] normalize: mean has 2 values for "
                       "3-channel images (give 1 or 3)");
  e = errorOf("model m(data: 3x8x8) {\n  fc = dense(2)\n}\ntrain {\n"
              "  data = d(train=(random_flip()))\n}");
  EXPECT_EQ(e.message, "field 'data.train[0].type' is 'random_flip'; the "
                       "transforms are resize, center_crop, random_crop, "
                       "random_resized_crop, random_horizontal_flip, "
                       "color_jitter, normalize");
  e = errorOf("model m(data: 3x8x8) {\n  fc = dense(2)\n}\ntrain {\n"
              "  data = d(train=(random_resized_crop(size=8, scale=(0.9, "
              "0.1))))\n}");
  EXPECT_EQ(e.message, "field 'data.train[0].scale' must have 0 < low <= "
                       "high <= 1, got [0.9,0.1]");
}

} // namespace
