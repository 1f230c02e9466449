//===- Transform.h - The spec's data transforms, as plain data --*- C++ -*-===//
//
// The transforms of a spec's `data.train` and `data.test` lists, with
// torchvision's names and meanings (docs/data.md). One reader and one
// writer serve the compiler (which checks the spec) and the executables
// (which receive the lists as JSON in the model descriptor).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_DATA_TRANSFORM_H
#define ALEXC_RUNTIME_DATA_TRANSFORM_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace alexc::rt {

enum class TransformKind {
  Resize,
  CenterCrop,
  RandomCrop,
  RandomResizedCrop,
  RandomHorizontalFlip,
  ColorJitter,
  Normalize
};

struct Transform {
  TransformKind kind = TransformKind::Normalize;
  /// `size`: [height, width]; resize with one number sets the smaller edge
  /// (width 0), as torchvision's Resize(int) does.
  int64_t height = 0, width = 0;
  int64_t padding = 0;                                 // random_crop
  double scale[2] = {0.08, 1.0};                       // random_resized_crop
  double ratio[2] = {3.0 / 4.0, 4.0 / 3.0};            // random_resized_crop
  double p = 0.5;                                      // random_horizontal_flip
  double brightness = 0, contrast = 0, saturation = 0; // color_jitter
  std::vector<double> mean, std;                       // normalize
};

/// The transforms applied to training and to test examples, in order.
struct TransformLists {
  std::vector<Transform> train, test;
  bool empty() const { return train.empty() && test.empty(); }
};

/// Every transform's name, in the order of TransformKind.
const std::vector<std::string> &transformNames();
/// The fields `name` takes besides "type".
const std::vector<std::string> &transformFields(TransformKind kind);

/// An error in a transform: the field it concerns ("" for the object) and
/// what is wrong.
struct TransformError {
  std::string field, message;
};

/// Reads one transform object ({"type": ..., fields}); false with `error`.
bool parseTransform(const nlohmann::json &j, Transform &out,
                    TransformError &error);

/// The transform as JSON: its type and every field that differs from the
/// default (in transformFields order).
nlohmann::ordered_json transformToJson(const Transform &t);

/// Reads {"train": [...], "test": [...]} (either may be missing); false
/// with `error` naming the list and position ("train[2]: ...").
bool parseTransformLists(const nlohmann::json &j, TransformLists &out,
                         std::string &error);
nlohmann::ordered_json transformListsToJson(const TransformLists &lists);

/// Checks `list` against images of `channels` channels: normalize's mean
/// and std have one value or one per channel, color_jitter's saturation
/// needs 3. False with `error` naming the transform.
bool checkTransformChannels(const std::vector<Transform> &list,
                            int64_t channels, std::string &error);

/// The (height, width) `t` gives for an input of (h, w).
void transformOutputSize(const Transform &t, int64_t &h, int64_t &w);

} // namespace alexc::rt

#endif
