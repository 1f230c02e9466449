//===- BatchAssembler.cpp - Examples to the step's float batch ------------===//
#include "runtime/data/BatchAssembler.h"

#include <cstring>

namespace alexc::rt {

BatchAssembler::BatchAssembler(const Dataset &data,
                               const std::vector<Transform> &list,
                               TransformList which, int64_t channels,
                               int64_t height, int64_t width, int64_t resize)
    : data(data), list(list), which(which), channels(channels), height(height),
      width(width), resize(resize),
      plan(planResize(data.rows, data.cols, height, width)) {}

/// Where the images of `data` differ in size: "A is HxW, B is HxW".
static std::string sizeDifference(const Dataset &data) {
  auto name = [&](int64_t i) {
    return data.files[size_t(i)] + " is " + std::to_string(data.colsOf(i)) +
           "x" + std::to_string(data.rowsOf(i));
  };
  for (int64_t i = 1; i < data.count; ++i)
    if (data.sizes[size_t(i)] != data.sizes[0])
      return name(0) + ", " + name(i);
  return "";
}

bool BatchAssembler::checkSize(std::string &error) const {
  std::string split = which == TransformList::Train ? "train" : "test";
  if (!data.uniform() && list.empty()) {
    error = "the images differ in size (" + sizeDifference(data) +
            "): give data." + split +
            " transforms that end at the model's size, e.g. resize and "
            "center_crop";
    return false;
  }
  if (!data.uniform()) {
    // Every stored size must come out at the model's.
    for (int64_t i = 0; i < data.count; ++i) {
      int64_t h = data.rowsOf(i), w = data.colsOf(i);
      for (const Transform &t : list)
        transformOutputSize(t, h, w);
      if (h != height || w != width) {
        error = "the data." + split + " transforms turn " +
                data.files[size_t(i)] + " (" + std::to_string(data.colsOf(i)) +
                "x" + std::to_string(data.rowsOf(i)) + " pixels) into " +
                std::to_string(h) + "x" + std::to_string(w) +
                " images; the model expects " + std::to_string(height) + "x" +
                std::to_string(width);
        return false;
      }
    }
    return true;
  }
  int64_t h = data.rows, w = data.cols;
  if (list.empty()) {
    if (resize || (h == height && w == width))
      return true;
    error = "the model expects " + std::to_string(height) + "x" +
            std::to_string(width) + " images, the data has " +
            std::to_string(h) + "x" + std::to_string(w) +
            " (set data.resize, or give data." + split +
            " transforms that end at that size)";
    return false;
  }
  std::string steps = std::to_string(h) + "x" + std::to_string(w);
  for (const Transform &t : list) {
    transformOutputSize(t, h, w);
    steps += " -> " + transformNames()[size_t(t.kind)] + " -> " +
             std::to_string(h) + "x" + std::to_string(w);
  }
  if (h == height && w == width)
    return true;
  error = "the data." + split + " transforms give " + std::to_string(h) + "x" +
          std::to_string(w) + " images (" + steps + "), the model expects " +
          std::to_string(height) + "x" + std::to_string(width);
  return false;
}

void BatchAssembler::fillRow(int64_t example, uint64_t seed, uint64_t epoch,
                             float *out, Decision *decisions) const {
  const uint8_t *in = data.image(example);
  if (list.empty()) {
    int64_t plane = height * width;
    for (int64_t c = 0; c < channels; ++c)
      scaleImage(in + c * data.rows * data.cols, plan, out + c * plane);
    return;
  }
  thread_local FloatImage image, scratch;
  toFloatImage(in, data.channels, data.rowsOf(example), data.colsOf(example),
               image);
  DrawKey key{seed, epoch, uint64_t(example), which};
  runTransforms(list, key, image, scratch, decisions);
  std::memcpy(out, image.data.data(), image.data.size() * sizeof(float));
}

void BatchAssembler::fill(const int64_t *indices, int64_t count, int64_t batch,
                          uint64_t seed, uint64_t epoch, float *images,
                          int32_t *labels, Decision *decisions,
                          int threads) const {
  int64_t row = channels * height * width;
  int64_t t = int64_t(list.size());
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (int64_t b = 0; b < batch; ++b) {
    float *out = images + b * row;
    if (b >= count) {
      std::memset(out, 0, size_t(row) * sizeof(float));
      labels[b] = -1;
      continue;
    }
    labels[b] = data.labels[size_t(indices[b])];
    fillRow(indices[b], seed, epoch, out,
            decisions ? decisions + b * t : nullptr);
  }
}

} // namespace alexc::rt
