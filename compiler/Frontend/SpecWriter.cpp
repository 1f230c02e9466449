//===- SpecWriter.cpp - A spec written back as JSON or as the language ----===//
//
// Both writers go through one ordered list of (key, value) fields per layer
// and section, so the two forms cannot drift apart.
//
//===----------------------------------------------------------------------===//
#include "Frontend/SpecWriter.h"
#include "Frontend/LayerSchema.h"
#include "Frontend/ModelLanguage.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

using ordered_json = nlohmann::ordered_json;

namespace alexc {
namespace {

using Fields = std::vector<std::pair<std::string, ordered_json>>;

/// The fields of a layer other than name, type and inputs, in the
/// schema's order: the required ones and those that differ from their
/// default.
Fields layerFields(const LayerSpec &l) {
  Fields f;
  for (const FieldSchema &field : findLayerSchema(l.type)->fields)
    if (field.required || !hasDefault(l, field))
      f.push_back({field.key, fieldValue(l, field)});
  return f;
}

/// Input names when they are not the default (the previous layer).
std::vector<std::string> explicitInputs(const ModelSpec &spec,
                                        const LayerSpec &l) {
  if (l.inputs.size() == 1 && l.inputs[0] == l.index - 1)
    return {};
  std::vector<std::string> names;
  for (int64_t i : l.inputs)
    names.push_back(i < 0 ? kDataInput : spec.layers[i].name);
  return names;
}

Fields initializerFields(const InitializerSpec &s) {
  if (s.type == "normal")
    return {{"sigma", s.sigma}};
  return {{"distribution", s.distribution}, {"magnitude", s.magnitude}};
}

Fields optimizerFields(const OptimizerSpec &s) {
  Fields f = {{"learning_rate", s.learningRate}};
  if (s.type == "sgd") {
    if (s.momentum != 0)
      f.push_back({"momentum", s.momentum});
    if (s.nesterov)
      f.push_back({"nesterov", true});
  } else {
    f.push_back({"beta1", s.beta1});
    f.push_back({"beta2", s.beta2});
    f.push_back({"epsilon", s.epsilon});
  }
  if (s.weightDecay != 0)
    f.push_back({"weight_decay", s.weightDecay});
  return f;
}

Fields dataFields(const DataSpec &s) {
  Fields f;
  if (s.resize)
    f.push_back({"resize", s.resize});
  ordered_json lists = rt::transformListsToJson(s.transforms);
  for (auto it = lists.begin(); it != lists.end(); ++it)
    f.push_back({it.key(), it.value()});
  return f;
}

/// A number as the shortest text that reads back to the same double.
std::string number(const ordered_json &v) {
  if (!v.is_number_float())
    return v.dump();
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v.get<double>());
  return std::string(buf, r.ptr);
}

/// A value on one line, with spaces as in models/*.json.
std::string flatValue(const ordered_json &v) {
  std::string s;
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      s += (s.empty() ? "" : ", ") + ordered_json(it.key()).dump() + ": " +
           flatValue(it.value());
    return "{" + s + "}";
  }
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i)
      s += (i ? ", " : "") + flatValue(v[i]);
    return "[" + s + "]";
  }
  return number(v);
}

/// {"a": 1, "b": [2, 3]} on one line.
std::string flatJson(const Fields &fields) {
  ordered_json o = ordered_json::object();
  for (const auto &[k, v] : fields)
    o[k] = v;
  return flatValue(o);
}

bool isKeyword(const std::string &s) {
  return s == "model" || s == "train" || s == "data" || s == "true" ||
         s == "false" || s == "none";
}

/// A name as the language writes it: bare when it is an identifier.
std::string languageName(const std::string &s) {
  bool bare = !s.empty() && (std::isalpha((unsigned char)s[0]) || s[0] == '_');
  for (size_t i = 0; i < s.size() && bare; ++i)
    bare = std::isalnum((unsigned char)s[i]) || s[i] == '_' ||
           (s[i] == '-' && i + 1 < s.size() &&
            (std::isalpha((unsigned char)s[i + 1]) || s[i + 1] == '_'));
  if (bare && (!isKeyword(s) || s == "data"))
    return s;
  std::string q = "\"";
  for (char c : s)
    q += c == '"' || c == '\\' ? std::string("\\") + c
         : c == '\n'           ? std::string("\\n")
         : c == '\t'           ? std::string("\\t")
         : c == '\r'           ? std::string("\\r")
                               : std::string(1, c);
  return q + "\"";
}

std::string languageArguments(const Fields &fields, size_t positional);

std::string languageValue(const ordered_json &v) {
  if (v.is_object()) { // a transform: type(field=value, ...)
    Fields f;
    for (auto it = v.begin(); it != v.end(); ++it)
      if (it.key() != "type")
        f.push_back({it.key(), it.value()});
    return v["type"].get<std::string>() + "(" + languageArguments(f, 0) + ")";
  }
  if (v.is_string())
    return languageName(v.get<std::string>());
  if (v.is_boolean())
    return v.get<bool>() ? "true" : "false";
  if (v.is_array()) {
    std::string s = "(";
    for (size_t i = 0; i < v.size(); ++i)
      s += (i ? ", " : "") + languageValue(v[i]);
    return s + ")";
  }
  return number(v);
}

/// "k=v, k=v" of `fields`, the first `positional` of them unnamed.
std::string languageArguments(const Fields &fields, size_t positional) {
  std::string s;
  for (size_t i = 0; i < fields.size(); ++i) {
    s += i ? ", " : "";
    if (i >= positional)
      s += fields[i].first + "=";
    s += languageValue(fields[i].second);
  }
  return s;
}

/// How many leading fields are the type's positional parameters, in order.
size_t positionalCount(const LayerSpec &l, const Fields &fields) {
  const std::vector<std::string> &params = findLayerSchema(l.type)->positional;
  size_t n = 0;
  // Channels and kernel size, or the one main parameter: more reads as a
  // puzzle.
  size_t most = l.kind == LayerKind::Conv2D ? 2 : 1;
  while (n < fields.size() && n < params.size() && n < most &&
         fields[n].first == params[n])
    ++n;
  return n;
}

} // namespace

std::string writeSpecJson(const ModelSpec &spec) {
  std::string s = "{\n  \"name\": " + ordered_json(spec.name).dump() + ",\n";
  s += "  \"input\": " +
       flatJson({{"channels", spec.channels},
                 {"height", spec.height},
                 {"width", spec.width}}) +
       ",\n  \"layers\": [\n";
  for (const LayerSpec &l : spec.layers) {
    Fields f = {{"name", l.name}, {"type", l.type}};
    std::vector<std::string> inputs = explicitInputs(spec, l);
    if (!inputs.empty())
      f.push_back({"inputs", inputs});
    for (auto &field : layerFields(l))
      f.push_back(field);
    s += "    " + flatJson(f) +
         (l.index + 1 < int64_t(spec.layers.size()) ? ",\n" : "\n");
  }
  s += "  ],\n  \"loss\": " + ordered_json(spec.loss).dump() + ",\n";
  Fields init = initializerFields(spec.initializer);
  init.insert(init.begin(), {"type", spec.initializer.type});
  Fields opt = optimizerFields(spec.optimizer);
  opt.insert(opt.begin(), {"type", spec.optimizer.type});
  Fields data = dataFields(spec.data);
  data.insert(data.begin(), {"dataset", spec.data.dataset});
  s += "  \"initializer\": " + flatJson(init) + ",\n";
  s += "  \"optimizer\": " + flatJson(opt) + ",\n";
  s += "  \"batch_size\": " + std::to_string(spec.batchSize) + ",\n";
  s += "  \"epochs\": " + std::to_string(spec.epochs) + ",\n";
  s += "  \"data\": " + flatJson(data) + "\n}\n";
  return s;
}

std::string writeSpecLanguage(const ModelSpec &spec) {
  std::string s = "model " + languageName(spec.name) +
                  "(data: " + std::to_string(spec.channels) + "x" +
                  std::to_string(spec.height) + "x" +
                  std::to_string(spec.width) + ") {\n";
  for (const LayerSpec &l : spec.layers) {
    Fields f = layerFields(l);
    std::string args;
    for (const std::string &in : explicitInputs(spec, l))
      args += (args.empty() ? "" : ", ") + languageName(in);
    std::string rest = languageArguments(f, positionalCount(l, f));
    if (!rest.empty())
      args += (args.empty() ? "" : ", ") + rest;
    s += "  " + languageName(l.name) + " = " + l.type + "(" + args + ")\n";
  }
  s += "}\n\ntrain {\n";
  s += "  loss = " + languageName(spec.loss) + "\n";
  s += "  initializer = " + spec.initializer.type + "(" +
       languageArguments(initializerFields(spec.initializer), 0) + ")\n";
  s += "  optimizer = " + spec.optimizer.type + "(" +
       languageArguments(optimizerFields(spec.optimizer), 0) + ")\n";
  s += "  batch_size = " + std::to_string(spec.batchSize) + "\n";
  s += "  epochs = " + std::to_string(spec.epochs) + "\n";
  std::string data = languageArguments(dataFields(spec.data), 0);
  s += "  data = " + languageName(spec.data.dataset) +
       (data.empty() ? "" : "(" + data + ")") + "\n}\n";
  return s;
}

} // namespace alexc
