//===- Data.h - Fashion-MNIST from IDX files, resized per batch -*- C++ -*-===//
#ifndef ALEXC_RUNTIME_DATA_H
#define ALEXC_RUNTIME_DATA_H

#include <cstdint>
#include <string>
#include <vector>

namespace alexc::rt {

/// One split of an IDX dataset, kept as the raw bytes of the files.
struct Dataset {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> images; // count * rows * cols
  std::vector<uint8_t> labels; // count
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
