//===- ModelSpec.cpp - Parse and validate the JSON model spec ------------===//
//
// Every check throws a SpecError carrying one message; parseModelSpec catches
// it (and nlohmann's own errors), so no exception leaves this file.
//
//===----------------------------------------------------------------------===//
#include "Frontend/ModelSpec.h"
#include "Frontend/JsonLocations.h"
#include "Frontend/LayerSchema.h"
#include "Frontend/ModelLanguage.h"
#include "runtime/train/JsonDepth.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

using json = nlohmann::json;

namespace alexc {
namespace {

/// A failed check: its message and the JSON pointer of what it is about.
struct SpecError {
  std::string message;
  std::string pointer;
};

/// Levenshtein distance, for "did you mean" hints on misspelt keys.
size_t editDistance(const std::string &a, const std::string &b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min(
          {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string describe(const json &v) {
  std::string dumped = v.dump();
  if (dumped.size() > 40)
    dumped = dumped.substr(0, 37) + "...";
  return std::string(v.type_name()) + " " + dumped;
}

/// One JSON object being read, with the words that name it in messages
/// ("layer 'conv1' (conv2d, #0)", "optimizer", or "" for the top level).
class ObjectReader {
public:
  ObjectReader(const json &obj, std::string context, std::string pointer,
               std::string prefix = "")
      : obj(obj), context(std::move(context)), pointer(std::move(pointer)),
        prefix(std::move(prefix)) {}

  [[noreturn]] void fail(const std::string &key, const std::string &msg) const {
    std::string where = context.empty() ? "" : context + ": ";
    throw SpecError{where + "field '" + prefix + key + "' " + msg,
                    has(key) ? childPointer(pointer, key) : pointer};
  }

  /// Fails at element `index` of the list `key` (at its `field`, when it
  /// has one): "field 'data.train[2].size' ...".
  [[noreturn]] void failInList(const std::string &key, size_t index,
                               const std::string &field,
                               const std::string &msg) const {
    std::string where = context.empty() ? "" : context + ": ";
    std::string at =
        childPointer(childPointer(pointer, key), std::to_string(index));
    const json &element = obj.at(key).at(index);
    if (!field.empty() && element.is_object() && element.contains(field))
      at = childPointer(at, field);
    throw SpecError{where + "field '" + prefix + key + "[" +
                        std::to_string(index) + "]" +
                        (field.empty() ? "" : "." + field) + "' " + msg,
                    at};
  }

  bool has(const std::string &key) const { return obj.contains(key); }
  const json &at(const std::string &key) const { return obj.at(key); }

  /// Rejects keys outside `allowed`, suggesting the nearest allowed one.
  void checkKeys(const std::vector<std::string> &allowed,
                 const std::string &what) const {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const std::string &key = it.key();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end())
        continue;
      std::string best;
      size_t bestDist = 3; // suggest only close matches
      for (const auto &a : allowed) {
        size_t d = editDistance(key, a);
        if (d < bestDist)
          bestDist = d, best = a;
      }
      std::string where = context.empty() ? "" : context + ": ";
      std::string msg = where + "unknown key '" + prefix + key + "'" +
                        (what.empty() ? "" : " for " + what);
      if (!best.empty())
        msg += " (did you mean '" + best + "'?)";
      else {
        msg += " (allowed:";
        for (const auto &a : allowed)
          msg += " " + a;
        msg += ")";
      }
      throw SpecError{msg, childPointer(pointer, key)};
    }
  }

  void require(const std::string &key) const {
    if (!has(key))
      fail(key, "is required");
  }

  int64_t integer(const std::string &key, int64_t def, int64_t min) const {
    if (!has(key))
      return def;
    const json &v = at(key);
    if (!v.is_number_integer())
      fail(key, "must be an integer, got " + describe(v));
    int64_t x = v.get<int64_t>();
    if (x < min)
      fail(key, std::string("must be ") +
                    (min == 1   ? "positive"
                     : min == 0 ? "non-negative"
                                : ">= " + std::to_string(min)) +
                    ", got " + std::to_string(x));
    return x;
  }

  double number(const std::string &key, double def) const {
    if (!has(key))
      return def;
    const json &v = at(key);
    if (!v.is_number())
      fail(key, "must be a number, got " + describe(v));
    return v.get<double>();
  }

  bool boolean(const std::string &key, bool def) const {
    if (!has(key))
      return def;
    const json &v = at(key);
    if (!v.is_boolean())
      fail(key, "must be true or false, got " + describe(v));
    return v.get<bool>();
  }

  std::string string(const std::string &key, const std::string &def,
                     const std::vector<std::string> &choices = {}) const {
    if (!has(key))
      return def;
    const json &v = at(key);
    if (!v.is_string())
      fail(key, "must be a string, got " + describe(v));
    std::string s = v.get<std::string>();
    if (!choices.empty() &&
        std::find(choices.begin(), choices.end(), s) == choices.end()) {
      std::string list;
      for (const auto &c : choices)
        list += (list.empty() ? "'" : ", '") + c + "'";
      fail(key, "must be one of " + list + ", got '" + s + "'");
    }
    return s;
  }

  /// An int for both dimensions or [h, w].
  HW pair(const std::string &key, HW def, int64_t min) const {
    if (!has(key))
      return def;
    const json &v = at(key);
    std::string bound = min == 1 ? "positive" : "non-negative";
    auto check = [&](const json &x) {
      if (!x.is_number_integer() || x.get<int64_t>() < min)
        fail(key, "must be a " + bound + " integer or [height, width], got " +
                      describe(v));
      return x.get<int64_t>();
    };
    if (v.is_array()) {
      if (v.size() != 2)
        fail(key, "must have 2 values [height, width], got " +
                      std::to_string(v.size()));
      return HW{check(v[0]), check(v[1])};
    }
    int64_t x = check(v);
    return HW{x, x};
  }

  ObjectReader object(const std::string &key) const {
    const json &v = at(key);
    if (!v.is_object())
      fail(key, "must be an object, got " + describe(v));
    return ObjectReader(v, context, childPointer(pointer, key),
                        prefix + key + ".");
  }

private:
  const json &obj;
  std::string context;
  std::string pointer; // of `obj` in the document
  std::string prefix;
};

std::string layerContext(const LayerSpec &l) {
  return "layer '" + l.name + "' (" + l.type + ", #" + std::to_string(l.index) +
         ")";
}

/// The names in a layer's "inputs" (empty when it has none).
std::vector<std::string> readInputs(const ObjectReader &r) {
  if (!r.has("inputs"))
    return {};
  const json &v = r.at("inputs");
  if (!v.is_array() || v.empty())
    r.fail("inputs",
           "must be a non-empty array of layer names, got " + describe(v));
  std::vector<std::string> names;
  for (const json &x : v) {
    if (!x.is_string() || x.get<std::string>().empty())
      r.fail("inputs", "must list layer names (strings), got " + describe(x));
    names.push_back(x.get<std::string>());
  }
  return names;
}

std::string layerPointer(int64_t index) {
  return "/layers/" + std::to_string(index);
}

/// Reads one field of a layer as its schema says, leaving LayerSpec's
/// default (or the field it defaults to) when the key is absent.
void readField(const ObjectReader &r, const LayerSchema &schema,
               const FieldSchema &f, LayerSpec &l) {
  if (f.required)
    r.require(f.key);
  std::visit(
      [&](auto member) {
        using T = std::decay_t<decltype(l.*member)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          l.*member = r.integer(f.key, l.*member, f.min);
        } else if constexpr (std::is_same_v<T, double>) {
          l.*member = r.number(f.key, l.*member);
          if (f.range && r.has(f.key) && !f.range->contains(l.*member))
            r.fail(f.key, "must be " + f.range->describe() + ", got " +
                              r.at(f.key).dump());
        } else if constexpr (std::is_same_v<T, bool>) {
          l.*member = r.boolean(f.key, l.*member);
        } else if constexpr (std::is_same_v<T, HW>) {
          HW def = l.*member;
          for (const FieldSchema &other : schema.fields)
            if (f.defaultFrom && std::string(other.key) == f.defaultFrom)
              def = l.*std::get<HW LayerSpec::*>(other.member);
          l.*member = r.pair(f.key, def, f.min);
        } else if (r.has(f.key) && !r.at(f.key).is_null()) {
          l.*member = r.string(f.key, "", activationNames());
        }
      },
      f.member);
}

LayerSpec parseLayer(const json &v, int64_t index,
                     std::map<std::string, int> &typeCounts,
                     std::vector<std::string> &inputNames) {
  std::string anon = "layer #" + std::to_string(index);
  if (!v.is_object())
    throw SpecError{anon + ": must be an object, got " + describe(v),
                    layerPointer(index)};
  // Until the type is known, a layer is named by its name when it has one.
  if (auto name = v.find("name");
      name != v.end() && name->is_string() && !name->get<std::string>().empty())
    anon = "layer '" + name->get<std::string>() + "' (#" +
           std::to_string(index) + ")";
  LayerSpec l;
  l.index = index;
  ObjectReader first(v, anon, layerPointer(index));
  first.require("type");
  l.type = first.string("type", "", layerTypeNames());
  l.kind = layerKindOf(l.type);
  l.name =
      first.string("name", l.type + "_" + std::to_string(typeCounts[l.type]++));
  if (l.name.empty())
    first.fail("name", "must not be empty");
  if (l.name == kDataInput)
    first.fail("name", "'data' is reserved for the network's input");

  ObjectReader r(v, layerContext(l), layerPointer(index));
  inputNames = readInputs(r);
  const LayerSchema &schema = *findLayerSchema(l.type);
  std::vector<std::string> keys = {"name", "type", "inputs"};
  for (const FieldSchema &f : schema.fields)
    keys.push_back(f.key);
  r.checkKeys(keys, l.type);
  for (const FieldSchema &f : schema.fields)
    readField(r, schema, f, l);
  std::string message;
  if (schema.check)
    if (const char *key = schema.check(l, message))
      r.fail(key, message);
  return l;
}

bool joinsInputs(LayerKind kind) {
  return kind == LayerKind::Add || kind == LayerKind::Concat;
}

/// Resolves a layer's input names to earlier layers (-1 for "data"); the
/// default is the previous layer. Earlier-only rules out cycles.
void resolveInputs(LayerSpec &l, const std::vector<std::string> &names,
                   const std::map<std::string, int64_t> &indexOf) {
  std::string where = layerContext(l) + ": ";
  std::string at = layerPointer(l.index) + (names.empty() ? "" : "/inputs");
  if (names.empty())
    l.inputs = {l.index - 1};
  for (size_t k = 0; k < names.size(); ++k) {
    const std::string &n = names[k];
    std::string at = layerPointer(l.index) + "/inputs/" + std::to_string(k);
    if (n == kDataInput) {
      l.inputs.push_back(-1);
      continue;
    }
    auto it = indexOf.find(n);
    if (it == indexOf.end())
      throw SpecError{where + "input '" + n +
                          "' is not the name of a layer (nor 'data', the "
                          "network's input)",
                      at};
    if (it->second >= l.index)
      throw SpecError{where + "input '" + n + "' is layer #" +
                          std::to_string(it->second) +
                          ", which does not come before it; inputs must be "
                          "earlier layers",
                      at};
    l.inputs.push_back(it->second);
  }
  size_t count = l.inputs.size();
  if (joinsInputs(l.kind) && count < 2)
    throw SpecError{where + "field 'inputs' must name two or more layers for " +
                        l.type + ", got " + std::to_string(count),
                    at};
  if (!joinsInputs(l.kind) && count != 1)
    throw SpecError{where + "field 'inputs' must name one layer for " + l.type +
                        ", got " + std::to_string(count),
                    at};
}

/// The name of input `i` of `l` as the spec writes it.
std::string inputName(const ModelSpec &spec, int64_t i) {
  return i < 0 ? std::string(kDataInput) : spec.layers[i].name;
}

/// Rank bookkeeping over the graph: conv and pools need a 4-D input, the
/// inputs of add and concat share a rank, the network ends in
/// [batch, classes], and every layer but the last feeds another.
void checkGraph(const ModelSpec &spec) {
  std::vector<int> rank(spec.layers.size());
  std::vector<int> users(spec.layers.size());
  auto rankOf = [&](int64_t i) { return i < 0 ? 4 : rank[i]; };
  for (const LayerSpec &l : spec.layers) {
    int in = rankOf(l.inputs[0]);
    for (int64_t i : l.inputs) {
      if (i >= 0)
        ++users[i];
      if (rankOf(i) != in)
        throw SpecError{
            layerContext(l) + ": inputs '" + inputName(spec, l.inputs[0]) +
                "' (" + std::to_string(in) + "-D) and '" + inputName(spec, i) +
                "' (" + std::to_string(rankOf(i)) + "-D) have different ranks",
            layerPointer(l.index)};
    }
    bool needsSpatial =
        l.kind == LayerKind::Conv2D || l.kind == LayerKind::MaxPool2D ||
        l.kind == LayerKind::AvgPool2D || l.kind == LayerKind::GlobalAvgPool2D;
    if (needsSpatial && in != 4)
      throw SpecError{layerContext(l) +
                          ": needs a 4-D input (channels, height, width) but "
                          "its input '" +
                          inputName(spec, l.inputs[0]) +
                          "' has been flattened (by a dense or flatten layer)",
                      layerPointer(l.index)};
    rank[l.index] =
        l.kind == LayerKind::Dense || l.kind == LayerKind::Flatten ? 2 : in;
  }
  for (const LayerSpec &l : spec.layers)
    if (l.index + 1 < int64_t(spec.layers.size()) && users[l.index] == 0)
      throw SpecError{layerContext(l) +
                          ": its result is used by no layer; every layer but "
                          "the last (the network's output) must be an input of "
                          "another",
                      layerPointer(l.index)};
  if (rank.back() != 2)
    throw SpecError{layerContext(spec.layers.back()) +
                        ": the last layer must give [batch, classes]; end the "
                        "network with a dense layer",
                    layerPointer(spec.layers.back().index)};
}

/// The network: every layer, then their inputs resolved and the graph
/// checked.
void readLayers(const ObjectReader &r, ModelSpec &spec) {
  const json &layers = r.at("layers");
  if (!layers.is_array())
    r.fail("layers", "must be an array, got " + describe(layers));
  if (layers.empty())
    r.fail("layers", "must not be empty");
  std::map<std::string, int> typeCounts;
  std::map<std::string, int64_t> seen;
  std::vector<std::vector<std::string>> inputNames(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerSpec l = parseLayer(layers[i], int64_t(i), typeCounts, inputNames[i]);
    auto [it, inserted] = seen.emplace(l.name, l.index);
    if (!inserted)
      throw SpecError{layerContext(l) + ": field 'name' '" + l.name +
                          "' is already used by layer #" +
                          std::to_string(it->second),
                      layerPointer(l.index) + "/name"};
    spec.layers.push_back(std::move(l));
  }
  for (LayerSpec &l : spec.layers)
    resolveInputs(l, inputNames[l.index], seen);
  checkGraph(spec);
}

void readInitializer(const ObjectReader &init, InitializerSpec &s) {
  s.type = init.string("type", s.type, {"xavier", "normal"});
  if (s.type == "xavier") {
    init.checkKeys({"type", "distribution", "magnitude"}, "xavier");
    s.distribution =
        init.string("distribution", s.distribution, {"uniform", "normal"});
    s.magnitude = init.number("magnitude", s.magnitude);
    if (!(s.magnitude > 0))
      init.fail("magnitude", "must be positive");
  } else {
    init.checkKeys({"type", "sigma"}, "normal");
    s.sigma = init.number("sigma", s.sigma);
    if (!(s.sigma > 0))
      init.fail("sigma", "must be positive");
  }
}

void readOptimizer(const ObjectReader &opt, OptimizerSpec &s) {
  s.type = opt.string("type", s.type, {"sgd", "adam"});
  if (s.type == "sgd")
    opt.checkKeys(
        {"type", "learning_rate", "momentum", "weight_decay", "nesterov"},
        "sgd");
  else
    opt.checkKeys(
        {"type", "learning_rate", "beta1", "beta2", "epsilon", "weight_decay"},
        "adam");
  s.learningRate = opt.number("learning_rate", s.learningRate);
  if (!(s.learningRate > 0))
    opt.fail("learning_rate", "must be positive");
  s.weightDecay = opt.number("weight_decay", s.weightDecay);
  if (!(s.weightDecay >= 0))
    opt.fail("weight_decay", "must be non-negative");
  s.momentum = opt.number("momentum", s.momentum);
  if (!(s.momentum >= 0 && s.momentum < 1))
    opt.fail("momentum", "must be in [0, 1)");
  s.nesterov = opt.boolean("nesterov", s.nesterov);
  if (s.nesterov && s.momentum == 0)
    opt.fail("nesterov", "needs a positive momentum");
  s.beta1 = opt.number("beta1", s.beta1);
  s.beta2 = opt.number("beta2", s.beta2);
  if (!(s.beta1 >= 0 && s.beta1 < 1))
    opt.fail("beta1", "must be in [0, 1)");
  if (!(s.beta2 >= 0 && s.beta2 < 1))
    opt.fail("beta2", "must be in [0, 1)");
  s.epsilon = opt.number("epsilon", s.epsilon);
  if (!(s.epsilon > 0))
    opt.fail("epsilon", "must be positive");
}

/// data.train or data.test: a list of transform objects.
void readTransformList(const ObjectReader &data, const std::string &key,
                       int64_t channels, std::vector<rt::Transform> &out) {
  if (!data.has(key))
    return;
  const json &list = data.at(key);
  if (!list.is_array())
    data.fail(key, "must be a list of transforms, got " + describe(list));
  for (size_t i = 0; i < list.size(); ++i) {
    rt::Transform t;
    rt::TransformError e;
    if (!rt::parseTransform(list[i], t, e))
      data.failInList(key, i, e.field, e.message);
    out.push_back(t);
  }
  std::string error;
  if (!rt::checkTransformChannels(out, channels, error))
    data.fail(key, error);
}

void readData(const ObjectReader &data, ModelSpec &spec) {
  data.checkKeys({"dataset", "resize", "train", "test"}, "data");
  readTransformList(data, "train", spec.channels, spec.data.transforms.train);
  readTransformList(data, "test", spec.channels, spec.data.transforms.test);
  if (spec.data.resize == 0 && data.has("resize") &&
      !spec.data.transforms.empty())
    data.fail("resize", "cannot be combined with transform lists; put a "
                        "resize transform in data.train and data.test");
  spec.data.dataset = data.string("dataset", spec.data.dataset);
  spec.data.resize = data.integer("resize", spec.data.resize, 0);
  if (spec.data.resize &&
      (spec.height != spec.data.resize || spec.width != spec.data.resize))
    data.fail("resize", "is " + std::to_string(spec.data.resize) +
                            " but the input is " + std::to_string(spec.height) +
                            "x" + std::to_string(spec.width));
}

void parseSpec(const json &root, ModelSpec &spec) {
  if (!root.is_object())
    throw SpecError{"the spec must be a JSON object, got " + describe(root),
                    ""};
  ObjectReader r(root, "", "");
  r.checkKeys({"name", "input", "layers", "loss", "initializer", "optimizer",
               "batch_size", "epochs", "data"},
              "the spec");
  r.require("name");
  r.require("input");
  r.require("layers");
  spec.name = r.string("name", "");
  if (spec.name.empty())
    r.fail("name", "must not be empty");

  ObjectReader in = r.object("input");
  in.checkKeys({"channels", "height", "width"}, "input");
  for (const char *k : {"channels", "height", "width"})
    in.require(k);
  spec.channels = in.integer("channels", 0, 1);
  spec.height = in.integer("height", 0, 1);
  spec.width = in.integer("width", 0, 1);

  readLayers(r, spec);
  spec.loss = r.string("loss", spec.loss, {"softmax_cross_entropy"});
  if (r.has("initializer"))
    readInitializer(r.object("initializer"), spec.initializer);
  if (r.has("optimizer"))
    readOptimizer(r.object("optimizer"), spec.optimizer);
  spec.batchSize = r.integer("batch_size", spec.batchSize, 1);
  spec.epochs = r.integer("epochs", spec.epochs, 1);
  if (r.has("data"))
    readData(r.object("data"), spec);
}

/// Validates a parsed document; failures carry the location of the value
/// they are about.
bool validateSpecDocument(const json &root, const SpecLocations &locations,
                          ModelSpec &spec, SpecDiagnostic &diag) {
  try {
    spec = ModelSpec();
    parseSpec(root, spec);
    for (LayerSpec &l : spec.layers)
      l.loc = findLocation(locations, layerPointer(l.index));
    return true;
  } catch (const SpecError &e) {
    diag = {e.message, findLocation(locations, e.pointer)};
  } catch (const std::exception &e) {
    diag = {std::string("invalid spec: ") + e.what(), {}};
  }
  return false;
}

bool readJsonSpec(const std::string &text, ModelSpec &spec,
                  SpecDiagnostic &diag) {
  // Refused before anything recursive (printing, hashing) sees the value.
  if (size_t deep = rt::findJsonTooDeep(text); deep != std::string::npos) {
    diag = {"JSON nested deeper than " + std::to_string(rt::kMaxJsonDepth) +
                " levels",
            locationOfOffset(text, deep)};
    return false;
  }
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error &e) {
    // what() is "[json.exception.parse_error.101] parse error at line L,
    // column C: ..."; the location goes in front, so keep what follows.
    std::string what = e.what();
    size_t colon = what.find(": ", what.find("] "));
    size_t tag = what.find("] ");
    std::string detail = colon != std::string::npos ? what.substr(colon + 2)
                         : tag != std::string::npos ? what.substr(tag + 2)
                                                    : what;
    diag = {"not valid JSON: " + detail,
            locationOfOffset(text, e.byte > 0 ? e.byte - 1 : 0)};
    return false;
  } catch (const json::exception &e) {
    // A number past double's range: "[json.exception.out_of_range.406]
    // number overflow parsing '1E999'".
    std::string what = e.what();
    size_t tag = what.find("] ");
    diag = {"not valid JSON: " +
                (tag == std::string::npos ? what : what.substr(tag + 2)),
            {}};
    return false;
  }
  return validateSpecDocument(root, locateJsonValues(text), spec, diag);
}

} // namespace

std::string nearestName(const std::string &word,
                        const std::vector<std::string> &names) {
  std::string best;
  size_t bestDistance = 3;
  for (const std::string &n : names)
    if (size_t d = editDistance(word, n); d < bestDistance)
      bestDistance = d, best = n;
  return best;
}

/// The file's suffix, from its last dot, in lower case ("" when none).
static std::string suffixOf(const std::string &path) {
  size_t slash = path.rfind('/'), dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return "";
  std::string suffix = path.substr(dot);
  for (char &c : suffix)
    c = char(std::tolower(static_cast<unsigned char>(c)));
  return suffix;
}

std::optional<SpecFormat> specFormatOf(const std::string &path) {
  std::string suffix = suffixOf(path);
  if (suffix == ".json")
    return SpecFormat::Json;
  if (suffix == ".nn")
    return SpecFormat::Language;
  return std::nullopt;
}

std::string unknownSpecSuffixError(const std::string &path) {
  std::string suffix = suffixOf(path);
  return path + ": " +
         (suffix.empty() ? std::string("has no suffix")
                         : "the suffix '" + suffix + "' names no spec form") +
         "; alexc reads model specs in JSON (.json) and in the model "
         "language (.nn)";
}

bool readModelSpec(const std::string &text, SpecFormat format, ModelSpec &spec,
                   SpecDiagnostic &diag) {
  if (format == SpecFormat::Json)
    return readJsonSpec(text, spec, diag);
  json document;
  SpecLocations locations;
  if (!parseModelLanguage(text, document, locations, diag))
    return false;
  return validateSpecDocument(document, locations, spec, diag);
}

bool parseModelSpec(const std::string &text, ModelSpec &spec,
                    std::string &error) {
  SpecDiagnostic diag;
  if (readModelSpec(text, SpecFormat::Json, spec, diag))
    return true;
  // Validation messages name the layer and field; a syntax error has only
  // its position to go by.
  error = diag.message;
  if (diag.loc.known() && error.rfind("not valid JSON", 0) == 0)
    error += " (line " + std::to_string(diag.loc.line) + ", column " +
             std::to_string(diag.loc.col) + ")";
  return false;
}

bool loadModelSpec(const std::string &path, ModelSpec &spec,
                   std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open the spec file";
    return false;
  }
  std::optional<SpecFormat> format = specFormatOf(path);
  if (!format) {
    error = unknownSpecSuffixError(path);
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  SpecDiagnostic diag;
  if (!readModelSpec(buffer.str(), *format, spec, diag)) {
    error = formatDiagnostic(path, buffer.str(), diag.loc, diag.message);
    return false;
  }
  spec.sourcePath = path;
  return true;
}

} // namespace alexc
