//===- LayerSchema.cpp - Each layer type's fields, described once ---------===//
#include "Frontend/LayerSchema.h"

#include <algorithm>
#include <charconv>

namespace alexc {

bool NumberRange::contains(double x) const {
  return hasHigh ? x >= low && x < high : x > low;
}

std::string shortestNumber(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string NumberRange::describe() const {
  if (!hasHigh)
    return low == 0 ? "positive" : "> " + shortestNumber(low);
  return "in [" + shortestNumber(low) + ", " + shortestNumber(high) + ")";
}

namespace {

const NumberRange kFraction{0, 1, true}; // [0, 1)
const NumberRange kPositive{0, 0, false};

/// Pools: padding at most half the window, as PyTorch requires.
const char *checkPoolPadding(const LayerSpec &l, std::string &message) {
  if (2 * l.padding.h <= l.kernel.h && 2 * l.padding.w <= l.kernel.w)
    return nullptr;
  message = "must be at most half of pool_size";
  return "padding";
}

FieldSchema activationField() {
  FieldSchema f{"activation", &LayerSpec::activation};
  f.activation = true;
  return f;
}

/// Each activation is also a layer of its own.
std::vector<LayerType> activationTypes() {
  std::vector<LayerType> types;
  for (const std::string &a : activationNames())
    types.push_back({a, LayerKind::Activation});
  return types;
}

std::vector<LayerSchema> buildSchemas() {
  FieldSchema strides{"strides", &LayerSpec::strides};
  strides.min = 1;
  FieldSchema padding{"padding", &LayerSpec::padding};
  FieldSchema useBias{"use_bias", &LayerSpec::useBias};
  FieldSchema channels{"channels", &LayerSpec::channels, true, 1};
  FieldSchema kernel{"kernel_size", &LayerSpec::kernel, true, 1};
  FieldSchema pool{"pool_size", &LayerSpec::kernel, true, 1};
  FieldSchema poolStrides = strides;
  poolStrides.defaultFrom = "pool_size";
  FieldSchema poolPadding = padding;
  poolPadding.note = "at most half the pool size";
  FieldSchema units{"units", &LayerSpec::units, true, 1};
  FieldSchema rate{"rate", &LayerSpec::rate, true, 0, kFraction};
  FieldSchema momentum{"momentum", &LayerSpec::momentum, false, 0, kFraction};
  FieldSchema epsilon{"epsilon", &LayerSpec::epsilon, false, 0, kPositive};
  FieldSchema center{"center", &LayerSpec::center};
  FieldSchema scale{"scale", &LayerSpec::scale};
  FieldSchema activation = activationField();
  return {
      {{{"conv2d", LayerKind::Conv2D}},
       {channels, kernel, strides, padding, activation, useBias},
       {"channels", "kernel_size", "strides", "padding"}},
      {{{"max_pool2d", LayerKind::MaxPool2D},
        {"avg_pool2d", LayerKind::AvgPool2D}},
       {pool, poolStrides, poolPadding},
       {"pool_size", "strides", "padding"},
       "",
       checkPoolPadding},
      {{{"dense", LayerKind::Dense}},
       {units, activation, useBias},
       {"units"},
       "a 4-D input is flattened first, as Gluon does"},
      {{{"dropout", LayerKind::Dropout}}, {rate}, {"rate"}},
      {{{"flatten", LayerKind::Flatten}}, {}, {}},
      {activationTypes(), {}, {}},
      {{{"global_avg_pool2d", LayerKind::GlobalAvgPool2D}},
       {},
       {},
       "the mean over height and width, giving batch x channels x 1 x 1"},
      {{{"add", LayerKind::Add}},
       {activation},
       {},
       "the elementwise sum of two or more `inputs` of one shape"},
      {{{"concat", LayerKind::Concat}},
       {},
       {},
       "two or more `inputs` joined along channels (4-D: equal batch, "
       "height and width) or features (2-D)"},
      {{{"batch_norm", LayerKind::BatchNorm}},
       {momentum, epsilon, center, scale, activation},
       {}},
  };
}

} // namespace

const std::vector<std::string> &activationNames() {
  static const std::vector<std::string> names = {"relu", "sigmoid", "tanh"};
  return names;
}

const std::vector<LayerSchema> &layerSchemas() {
  static const std::vector<LayerSchema> schemas = buildSchemas();
  return schemas;
}

const LayerSchema *findLayerSchema(const std::string &type) {
  for (const LayerSchema &s : layerSchemas())
    for (const LayerType &t : s.types)
      if (t.name == type)
        return &s;
  return nullptr;
}

std::vector<std::string> layerTypeNames() {
  std::vector<std::string> names;
  for (const LayerSchema &s : layerSchemas())
    for (const LayerType &t : s.types)
      names.push_back(t.name);
  std::sort(names.begin(), names.end());
  return names;
}

LayerKind layerKindOf(const std::string &type) {
  for (const LayerType &t : findLayerSchema(type)->types)
    if (t.name == type)
      return t.kind;
  return LayerKind::Flatten; // unreachable: `type` names a layer
}

nlohmann::ordered_json fieldValue(const LayerSpec &l, const FieldSchema &f) {
  return std::visit(
      [&](auto member) -> nlohmann::ordered_json {
        const auto &v = l.*member;
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, HW>)
          return v.h == v.w ? nlohmann::ordered_json(v.h)
                            : nlohmann::ordered_json::array({v.h, v.w});
        else
          return v;
      },
      f.member);
}

/// The field's default for `l`: LayerSpec's, or another field's value.
static nlohmann::ordered_json defaultValue(const LayerSpec &l,
                                           const LayerSchema &schema,
                                           const FieldSchema &f) {
  if (f.defaultFrom)
    for (const FieldSchema &other : schema.fields)
      if (std::string(other.key) == f.defaultFrom)
        return fieldValue(l, other);
  return fieldValue(LayerSpec(), f);
}

bool hasDefault(const LayerSpec &l, const FieldSchema &f) {
  const LayerSchema *schema = findLayerSchema(l.type);
  return !f.required && schema &&
         fieldValue(l, f) == defaultValue(l, *schema, f);
}

namespace {

/// "`strides` (= `pool_size`)", "`rate` (required, in [0, 1))", ...
std::string describeField(const FieldSchema &f) {
  std::vector<std::string> parts;
  if (f.required)
    parts.push_back("required");
  else if (f.defaultFrom)
    parts.push_back(std::string("= `") + f.defaultFrom + "`");
  else if (f.activation)
    parts.push_back("none");
  else {
    nlohmann::ordered_json def = fieldValue(LayerSpec(), f);
    parts.push_back(def.is_number_float() ? shortestNumber(def.get<double>())
                                          : def.dump());
  }
  if (f.range)
    parts.push_back(f.range->describe());
  if (f.note)
    parts.push_back(f.note);
  std::string s = std::string("`") + f.key + "` (";
  for (size_t i = 0; i < parts.size(); ++i)
    s += (i ? ", " : "") + parts[i];
  return s + ")";
}

std::string describeKeys(const LayerSchema &s) {
  std::string keys;
  for (const FieldSchema &f : s.fields)
    keys += (keys.empty() ? "" : ", ") + describeField(f);
  if (keys.empty())
    keys = "none";
  return *s.doc ? keys + ": " + s.doc : keys;
}

} // namespace

std::string layerTableMarkdown() {
  std::string out = "| type | keys (default) |\n|---|---|\n";
  std::vector<std::pair<std::string, std::string>> rows; // types, keys
  for (const LayerSchema &s : layerSchemas()) {
    std::string types;
    for (const LayerType &t : s.types)
      types += (types.empty() ? "`" : ", `") + t.name + "`";
    std::string keys = describeKeys(s);
    if (!rows.empty() && rows.back().second == keys)
      rows.back().first += ", " + types; // flatten and the activations
    else
      rows.push_back({types, keys});
  }
  for (const auto &[types, keys] : rows)
    out += "| " + types + " | " + keys + " |\n";
  return out;
}

} // namespace alexc
