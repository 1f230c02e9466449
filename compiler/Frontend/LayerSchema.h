//===- LayerSchema.h - Each layer type's fields, described once -*- C++ -*-===//
//
// One table says, for every layer type, which fields it takes, of what
// kind, required or with which default, within which bounds, and in which
// order the model language takes them without names. The JSON and language
// readers (through one validator), both writers and docs/spec.md's layer
// table are driven by it; a default is the value of a default-constructed
// LayerSpec (ModelSpec.h), so it too is written once.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_FRONTEND_LAYERSCHEMA_H
#define ALEXC_FRONTEND_LAYERSCHEMA_H

#include "Frontend/ModelSpec.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace alexc {

/// Where a field's value lives in a LayerSpec.
using FieldMember =
    std::variant<int64_t LayerSpec::*, double LayerSpec::*, bool LayerSpec::*,
                 HW LayerSpec::*, std::string LayerSpec::*>;

/// A closed or half-open interval a number must lie in.
struct NumberRange {
  double low = 0, high = 0;
  bool hasHigh = false; // else: no upper bound (and `low` excluded)
  bool contains(double x) const;
  std::string describe() const; // "in [0, 1)", "positive"
};

struct FieldSchema {
  const char *key;
  FieldMember member;
  bool required = false;
  /// Integers and pairs: the least value (1: positive, 0: non-negative).
  int64_t min = 0;
  /// Numbers: the range they must lie in (none when unset).
  std::optional<NumberRange> range;
  /// A field whose value is the default instead of LayerSpec's (pools'
  /// strides default to their pool_size).
  const char *defaultFrom = nullptr;
  /// An activation name (a string field that takes activationNames()).
  bool activation = false;
  /// A bound that involves another field, in docs words ("at most half the
  /// pool size"); checked by LayerSchema::check.
  const char *note = nullptr;
};

/// A type name and the kind of layer it makes.
struct LayerType {
  std::string name;
  LayerKind kind;
};

struct LayerSchema {
  std::vector<LayerType> types;    // max_pool2d and avg_pool2d share a schema
  std::vector<FieldSchema> fields; // in docs order, positional ones first
  /// The fields the model language takes without names, in order.
  std::vector<std::string> positional;
  /// What docs/spec.md says of the layer after its keys ("" for nothing).
  const char *doc = "";
  /// Checks across fields; returns the key at fault and sets `message`.
  const char *(*check)(const LayerSpec &l, std::string &message) = nullptr;
};

/// Every layer type, in docs order.
const std::vector<LayerSchema> &layerSchemas();

/// The schema of `type`, or null when no layer has that type.
const LayerSchema *findLayerSchema(const std::string &type);

/// Every layer type name, sorted.
std::vector<std::string> layerTypeNames();

/// The kind of layer `type` makes (`type` must name one).
LayerKind layerKindOf(const std::string &type);

/// A double as the shortest text that reads back to it ("1e-05", "0.9").
std::string shortestNumber(double v);

/// Activation names: a layer's `activation`, and each a layer of its own.
const std::vector<std::string> &activationNames();

/// The field's value in `l` as the spec writes it (a number, a bool, a
/// string, or [h, w] for a pair whose dimensions differ).
nlohmann::ordered_json fieldValue(const LayerSpec &l, const FieldSchema &f);

/// Whether `l` holds the field's default (so a writer leaves it out).
bool hasDefault(const LayerSpec &l, const FieldSchema &f);

/// docs/spec.md's table of layer types and their keys, generated.
std::string layerTableMarkdown();

} // namespace alexc

#endif
