//===- ImageTransforms.h - Applying the data transforms to one image -*- C++
//-*-===//
//
// Each transform acts on a float image ([C, H, W], values as ToTensor gives
// them) exactly as torchvision.transforms.functional does on a tensor, with
// antialiasing on for resizes (as for PIL images). A random transform first
// draws its decision (the crop box, the flip, the jitter factors) from the
// counter-based Philox stream keyed by (seed, epoch, example, list,
// position), so an example's decision depends on nothing else: not on the
// thread, the rank, the batch it falls in or a resume.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_DATA_IMAGETRANSFORMS_H
#define ALEXC_RUNTIME_DATA_IMAGETRANSFORMS_H

#include "runtime/data/Transform.h"

#include <cstdint>
#include <vector>

namespace alexc::rt {

/// What a transform decided for one example; `--dump-batches` records it.
///   crops (center, random, resized): v = {top, left, height, width}
///     (random_crop's box is in the padded image's coordinates)
///   random_horizontal_flip: v[0] = 1 flipped, 0 not
///   color_jitter: v[0..3] = the order (0 brightness, 1 contrast,
///     2 saturation, 3 hue, as torchvision's randperm), v[4..6] = the
///     factors, -1 where the transform has none
struct Decision {
  float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
};

/// Which list a transform belongs to (it keys the random stream).
enum class TransformList : uint32_t { Train = 0, Test = 1 };

/// Where the random draws of one example come from.
struct DrawKey {
  uint64_t seed = 0, epoch = 0, example = 0;
  TransformList list = TransformList::Train;
};

/// An image being transformed: [channels, height, width] floats.
struct FloatImage {
  int64_t channels = 0, height = 0, width = 0;
  std::vector<float> data;
};

/// Draws `t`'s decision (position `position` in its list) for an input of
/// the image's size.
Decision decideTransform(const Transform &t, uint32_t position,
                         const DrawKey &key, int64_t height, int64_t width);

/// Applies `t` with `d` to `image`, using `scratch` as working memory.
void applyTransform(const Transform &t, const Decision &d, FloatImage &image,
                    FloatImage &scratch);

/// Converts a stored uint8 image ([C, H, W]) to floats in [0, 1], as
/// ToTensor does.
void toFloatImage(const uint8_t *pixels, int64_t channels, int64_t height,
                  int64_t width, FloatImage &out);

/// Runs `list` on `image`, keeping each transform's decision when
/// `decisions` is given (one per transform).
void runTransforms(const std::vector<Transform> &list, const DrawKey &key,
                   FloatImage &image, FloatImage &scratch,
                   Decision *decisions = nullptr);

/// Antialiased bilinear resize (torch's _upsample_bilinear2d_aa with
/// align_corners=False, which torchvision's resize uses with antialias).
void resizeAntialiased(const FloatImage &in, int64_t height, int64_t width,
                       FloatImage &out, FloatImage &scratch);

} // namespace alexc::rt

#endif
