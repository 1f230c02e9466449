//===- Data.h - Fashion-MNIST from IDX files, resized per batch -*- C++ -*-===//
#ifndef ALEXC_RUNTIME_DATA_H
#define ALEXC_RUNTIME_DATA_H

#include <cstdint>
#include <string>
#include <vector>

namespace alexc::rt {

/// One split of a dataset, decoded once into uint8 [channels, rows, cols]
/// images, one after the other: all of one size (rows, cols), or, for an
/// image folder of mixed sizes, each of its own (`sizes`, `offsets`).
struct Dataset {
  int64_t count = 0, rows = 0, cols = 0, channels = 1;
  std::vector<uint8_t> images;
  std::vector<int32_t> labels; // count
  /// The class names by label (empty where the source has none, as IDX).
  std::vector<std::string> classNames;
  /// Image folders: each example's file.
  std::vector<std::string> files;
  /// Mixed sizes only: image i is sizes[i] (rows, cols) at offsets[i].
  std::vector<std::pair<int32_t, int32_t>> sizes;
  std::vector<int64_t> offsets;

  bool uniform() const { return sizes.empty(); }
  int64_t imageBytes() const { return channels * rows * cols; }
  int64_t rowsOf(int64_t i) const { return uniform() ? rows : sizes[i].first; }
  int64_t colsOf(int64_t i) const { return uniform() ? cols : sizes[i].second; }
  const uint8_t *image(int64_t i) const {
    return images.data() + (uniform() ? i * imageBytes() : offsets[i]);
  }
};

/// Where `--data VALUE` points: "fashion-mnist" is Debian's
/// dataset-fashion-mnist folder; anything else is a folder with the four
/// files.
std::string resolveDataFolder(const std::string &value);

/// Reads `<folder>/<prefix>-images-idx3-ubyte.gz` and the labels beside it
/// (prefix "train" or "t10k"), checking magic numbers, sizes and that every
/// label is below `classes`. Errors name the file and the problem.
bool loadSplit(const std::string &folder, const std::string &prefix,
               int64_t classes, Dataset &out, std::string &error);

/// Bilinear resize with PyTorch's align_corners=False semantics, as tables:
/// output row y reads input rows y0[y], y0[y] + dy[y] with weight wy[y] on
/// the second (the same for columns).
struct ResizePlan {
  int64_t inRows = 0, inCols = 0, outRows = 0, outCols = 0;
  std::vector<int32_t> y0, dy, x0, dx;
  std::vector<float> wy, wx;
};
ResizePlan planResize(int64_t inRows, int64_t inCols, int64_t outRows,
                      int64_t outCols);

/// Reads an IDX image file (magic 0x00000803; gzip-compressed or not) into
/// `out` (no labels). Errors name the file and the problem.
bool readIdxImages(const std::string &path, Dataset &out, std::string &error);

/// One image of planResize's input size, scaled to [0, 1] and resized.
void scaleImage(const uint8_t *in, const ResizePlan &plan, float *out);

/// Writes `indices.size()` examples (scaled to [0, 1] and resized) to
/// `images` ([batch, 1, outRows, outCols]) and their labels; rows past the
/// given indices, up to `batch`, are zero images with label -1 (padding
/// that neither the loss nor the accuracy counts).
void fillBatch(const Dataset &data, const ResizePlan &plan,
               const int64_t *indices, int64_t count, int64_t batch,
               float *images, int32_t *labels);

} // namespace alexc::rt

#endif
