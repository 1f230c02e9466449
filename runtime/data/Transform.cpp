//===- Transform.cpp - Reading and writing the spec's data transforms -----===//
#include "runtime/data/Transform.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace alexc::rt {

using json = nlohmann::json;

const std::vector<std::string> &transformNames() {
  static const std::vector<std::string> names = {"resize",
                                                 "center_crop",
                                                 "random_crop",
                                                 "random_resized_crop",
                                                 "random_horizontal_flip",
                                                 "color_jitter",
                                                 "normalize"};
  return names;
}

const std::vector<std::string> &transformFields(TransformKind kind) {
  static const std::vector<std::vector<std::string>> fields = {
      {"size"},
      {"size"},
      {"size", "padding"},
      {"size", "scale", "ratio"},
      {"p"},
      {"brightness", "contrast", "saturation"},
      {"mean", "std"}};
  return fields[size_t(kind)];
}

namespace {

/// A bound as people write it: 0, 1, 1e+06.
std::string bound(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

std::string describe(const json &v) {
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

/// Reads the fields of one transform; each failure names its field.
class FieldReader {
public:
  FieldReader(const json &obj, TransformError &error)
      : obj(obj), error(error) {}

  bool fail(const std::string &field, const std::string &message) {
    error = {field, message};
    return false;
  }

  /// `size`: a positive integer or [height, width].
  bool size(Transform &t, bool oneMeansSmallerEdge) {
    if (!obj.contains("size"))
      return fail("size", "is required");
    const json &v = obj["size"];
    auto positive = [](const json &x) {
      return x.is_number_integer() && x.get<int64_t>() > 0 &&
             x.get<int64_t>() <= (1 << 16);
    };
    if (positive(v)) {
      t.height = v.get<int64_t>();
      t.width = oneMeansSmallerEdge ? 0 : t.height;
      return true;
    }
    if (v.is_array() && v.size() == 2 && positive(v[0]) && positive(v[1])) {
      t.height = v[0].get<int64_t>();
      t.width = v[1].get<int64_t>();
      return true;
    }
    return fail("size", "must be an integer 1..65536 or [height, width], got " +
                            describe(v));
  }

  bool number(const char *key, double &out, double lo, double hi) {
    if (!obj.contains(key))
      return true;
    const json &v = obj[key];
    if (!v.is_number())
      return fail(key, "must be a number, got " + describe(v));
    out = v.get<double>();
    if (!(out >= lo && out <= hi))
      return fail(key, "must be in [" + bound(lo) + ", " + bound(hi) +
                           "], got " + describe(v));
    return true;
  }

  /// [low, high] with lo <= low <= high <= hi.
  bool range(const char *key, double (&out)[2], double lo, double hi) {
    if (!obj.contains(key))
      return true;
    const json &v = obj[key];
    if (!v.is_array() || v.size() != 2 || !v[0].is_number() ||
        !v[1].is_number())
      return fail(key, "must be [low, high], got " + describe(v));
    out[0] = v[0].get<double>();
    out[1] = v[1].get<double>();
    if (!(out[0] > lo && out[0] <= out[1] && out[1] <= hi))
      return fail(key, "must have " + bound(lo) + " < low <= high" +
                           (std::isinf(hi) ? "" : " <= " + bound(hi)) +
                           ", got " + describe(v));
    return true;
  }

  bool list(const char *key, std::vector<double> &out, bool positive) {
    if (!obj.contains(key))
      return fail(key, "is required");
    const json &v = obj[key];
    if (!v.is_array() || v.empty())
      return fail(key, "must be a list of numbers, one per channel, got " +
                           describe(v));
    for (const json &x : v) {
      if (!x.is_number() || (positive && !(x.get<double>() > 0)))
        return fail(key, std::string("must hold ") +
                             (positive ? "positive numbers" : "numbers") +
                             ", got " + describe(v));
      out.push_back(x.get<double>());
    }
    return true;
  }

private:
  const json &obj;
  TransformError &error;
};

bool readFields(FieldReader &r, const json &j, Transform &t) {
  switch (t.kind) {
  case TransformKind::Resize:
    return r.size(t, /*oneMeansSmallerEdge=*/true);
  case TransformKind::CenterCrop:
    return r.size(t, false);
  case TransformKind::RandomCrop: {
    if (!r.size(t, false))
      return false;
    if (!j.contains("padding"))
      return true;
    const json &v = j["padding"];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 ||
        v.get<int64_t>() > 4096)
      return r.fail("padding",
                    "must be an integer 0..4096, got " + describe(v));
    t.padding = v.get<int64_t>();
    return true;
  }
  case TransformKind::RandomResizedCrop:
    return r.size(t, false) && r.range("scale", t.scale, 0, 1) &&
           r.range("ratio", t.ratio, 0, INFINITY);
  case TransformKind::RandomHorizontalFlip:
    return r.number("p", t.p, 0, 1);
  case TransformKind::ColorJitter:
    // torchvision: a factor is drawn from [max(0, 1 - x), 1 + x].
    return r.number("brightness", t.brightness, 0, 1e6) &&
           r.number("contrast", t.contrast, 0, 1e6) &&
           r.number("saturation", t.saturation, 0, 1e6);
  case TransformKind::Normalize:
    return r.list("mean", t.mean, false) && r.list("std", t.std, true);
  }
  return false;
}

} // namespace

bool parseTransform(const json &j, Transform &out, TransformError &error) {
  if (!j.is_object()) {
    error = {"", "must be an object {\"type\": ...}, got " + describe(j)};
    return false;
  }
  if (!j.contains("type") || !j["type"].is_string()) {
    error = {"type", "is required: one of resize, center_crop, random_crop, "
                     "random_resized_crop, random_horizontal_flip, "
                     "color_jitter, normalize"};
    return false;
  }
  const std::vector<std::string> &names = transformNames();
  std::string type = j["type"].get<std::string>();
  auto it = std::find(names.begin(), names.end(), type);
  if (it == names.end()) {
    std::string list;
    for (const std::string &n : names)
      list += (list.empty() ? "" : ", ") + n;
    error = {"type", "is '" + type + "'; the transforms are " + list};
    return false;
  }
  out = Transform{};
  out.kind = TransformKind(it - names.begin());
  const std::vector<std::string> &fields = transformFields(out.kind);
  for (auto f = j.begin(); f != j.end(); ++f)
    if (f.key() != "type" &&
        std::find(fields.begin(), fields.end(), f.key()) == fields.end()) {
      std::string list;
      for (const std::string &n : fields)
        list += (list.empty() ? "" : ", ") + n;
      error = {f.key(),
               "is not a field of " + type + " (its fields: " + list + ")"};
      return false;
    }
  FieldReader reader(j, error);
  return readFields(reader, j, out);
}

nlohmann::ordered_json transformToJson(const Transform &t) {
  nlohmann::ordered_json j;
  j["type"] = transformNames()[size_t(t.kind)];
  Transform d;
  auto size = [&] {
    if (t.width == 0 || t.width == t.height)
      j["size"] = t.height;
    else
      j["size"] = {t.height, t.width};
  };
  switch (t.kind) {
  case TransformKind::Resize:
  case TransformKind::CenterCrop:
    size();
    break;
  case TransformKind::RandomCrop:
    size();
    if (t.padding)
      j["padding"] = t.padding;
    break;
  case TransformKind::RandomResizedCrop:
    size();
    if (t.scale[0] != d.scale[0] || t.scale[1] != d.scale[1])
      j["scale"] = {t.scale[0], t.scale[1]};
    if (t.ratio[0] != d.ratio[0] || t.ratio[1] != d.ratio[1])
      j["ratio"] = {t.ratio[0], t.ratio[1]};
    break;
  case TransformKind::RandomHorizontalFlip:
    if (t.p != d.p)
      j["p"] = t.p;
    break;
  case TransformKind::ColorJitter:
    for (auto [key, v] : {std::pair{"brightness", t.brightness},
                          {"contrast", t.contrast},
                          {"saturation", t.saturation}})
      if (v != 0)
        j[key] = v;
    break;
  case TransformKind::Normalize:
    j["mean"] = t.mean;
    j["std"] = t.std;
    break;
  }
  return j;
}

bool parseTransformLists(const json &j, TransformLists &out,
                         std::string &error) {
  for (auto [key, list] :
       {std::pair{"train", &out.train}, {"test", &out.test}}) {
    if (!j.contains(key))
      continue;
    const json &v = j[key];
    if (!v.is_array()) {
      error = std::string(key) + ": must be a list of transforms";
      return false;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      Transform t;
      TransformError e;
      if (!parseTransform(v[i], t, e)) {
        error = std::string(key) + "[" + std::to_string(i) + "]" +
                (e.field.empty() ? "" : "." + e.field) + ": " + e.message;
        return false;
      }
      list->push_back(t);
    }
  }
  return true;
}

nlohmann::ordered_json transformListsToJson(const TransformLists &lists) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (auto [key, list] :
       {std::pair{"train", &lists.train}, {"test", &lists.test}}) {
    if (list->empty())
      continue;
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const Transform &t : *list)
      a.push_back(transformToJson(t));
    j[key] = a;
  }
  return j;
}

bool checkTransformChannels(const std::vector<Transform> &list,
                            int64_t channels, std::string &error) {
  for (size_t i = 0; i < list.size(); ++i) {
    const Transform &t = list[i];
    std::string at = "[" + std::to_string(i) + "] " +
                     transformNames()[size_t(t.kind)] + ": ";
    if (t.kind == TransformKind::Normalize)
      for (auto [key, v] : {std::pair{"mean", &t.mean}, {"std", &t.std}})
        if (v->size() != 1 && int64_t(v->size()) != channels) {
          error = at + key + " has " + std::to_string(v->size()) +
                  " values for " + std::to_string(channels) +
                  "-channel images (give 1 or " + std::to_string(channels) +
                  ")";
          return false;
        }
    if (t.kind == TransformKind::ColorJitter && t.saturation != 0 &&
        channels != 3) {
      error = at + "saturation needs RGB images; the model's input has " +
              std::to_string(channels) + " channel(s)";
      return false;
    }
  }
  return true;
}

void transformOutputSize(const Transform &t, int64_t &h, int64_t &w) {
  switch (t.kind) {
  case TransformKind::Resize:
    if (t.width != 0) {
      h = t.height, w = t.width;
    } else if (h <= w) { // torchvision: the long edge keeps the aspect ratio
      w = int64_t(double(t.height) * double(w) / double(h));
      h = t.height;
    } else {
      h = int64_t(double(t.height) * double(h) / double(w));
      w = t.height;
    }
    return;
  case TransformKind::CenterCrop:
  case TransformKind::RandomCrop:
  case TransformKind::RandomResizedCrop:
    h = t.height, w = t.width;
    return;
  default:
    return;
  }
}

} // namespace alexc::rt
