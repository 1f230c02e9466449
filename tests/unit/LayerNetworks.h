//===- LayerNetworks.h - A small network around each layer type -*- C++ -*-===//
//
// Specs built from the layer schema, so that tests driven by them cover a
// new layer type or field the day it is added.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_TESTS_UNIT_LAYERNETWORKS_H
#define ALEXC_TESTS_UNIT_LAYERNETWORKS_H

#include "Frontend/LayerSchema.h"

#include <nlohmann/json.hpp>
#include <string>

namespace alexc::testing {

/// A value for field `f` that is not its default and passes its checks
/// (pair fields keep a pool's padding within half its window).
inline nlohmann::json unusualValue(const alexc::FieldSchema &f) {
  if (f.activation)
    return "tanh";
  return std::visit(
      [&](auto member) -> nlohmann::json {
        using T = std::decay_t<decltype(alexc::LayerSpec().*member)>;
        alexc::LayerSpec defaults;
        if constexpr (std::is_same_v<T, int64_t>)
          return 3;
        else if constexpr (std::is_same_v<T, double>)
          return f.range && !f.range->hasHigh ? 0.01 : 0.5;
        else if constexpr (std::is_same_v<T, bool>)
          return !(defaults.*member);
        else if constexpr (std::is_same_v<T, alexc::HW>)
          return std::string(f.key) == "padding"   ? nlohmann::json{1, 0}
                 : std::string(f.key) == "strides" ? nlohmann::json{1, 2}
                                                   : nlohmann::json{3, 2};
        else
          return "?";
      },
      f.member);
}

/// A network around one layer of `type` with every field set: two inputs
/// for add and concat, a flatten and a dense layer after a 4-D result.
inline std::string networkAround(const std::string &type,
                                 const alexc::LayerSchema &schema) {
  nlohmann::json layer = {{"name", "x"}, {"type", type}};
  for (const alexc::FieldSchema &f : schema.fields)
    layer[f.key] = unusualValue(f);
  nlohmann::json layers = nlohmann::json::array();
  if (type == "add" || type == "concat") {
    layers.push_back(R"({"name": "a", "type": "conv2d", "channels": 2,
                         "kernel_size": 1})"_json);
    layers.push_back(R"({"name": "b", "type": "conv2d", "channels": 2,
                         "kernel_size": 1, "inputs": ["data"]})"_json);
    layer["inputs"] = {"a", "b"};
  }
  layers.push_back(layer);
  if (type != "dense" && type != "flatten")
    layers.push_back({{"type", "flatten"}});
  layers.push_back({{"type", "dense"}, {"units", 10}});
  return nlohmann::json{
      {"name", "one_" + type},
      {"input", {{"channels", 2}, {"height", 8}, {"width", 8}}},
      {"layers", layers}}
      .dump();
}

} // namespace alexc::testing

#endif
