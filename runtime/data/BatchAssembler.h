//===- BatchAssembler.h - Examples to the step's float batch ----*- C++ -*-===//
//
// A batch row is an example's uint8 image scaled to [0, 1] (ToTensor), then
// either run through the split's transform list or, without one, resized
// bilinearly to the model's input when the spec's data.resize asks.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_DATA_BATCHASSEMBLER_H
#define ALEXC_RUNTIME_DATA_BATCHASSEMBLER_H

#include "runtime/data/ImageTransforms.h"
#include "runtime/train/Data.h"

#include <string>
#include <vector>

namespace alexc::rt {

class BatchAssembler {
public:
  /// `resize` is the spec's data.resize (0: none).
  BatchAssembler(const Dataset &data, const std::vector<Transform> &list,
                 TransformList which, int64_t channels, int64_t height,
                 int64_t width, int64_t resize);

  /// Whether the examples come out at the model's input size; else an
  /// error saying what size the data and the transforms give.
  bool checkSize(std::string &error) const;

  /// Fills rows [0, count) of `images` ([batch, C, H, W]) and `labels`
  /// with examples `indices` (their transforms keyed by seed and epoch);
  /// rows past `count` are zeros with label -1. `decisions`, when given,
  /// receives [batch, transforms] decisions. Runs on `threads` threads.
  void fill(const int64_t *indices, int64_t count, int64_t batch, uint64_t seed,
            uint64_t epoch, float *images, int32_t *labels, Decision *decisions,
            int threads) const;

  size_t transformCount() const { return list.size(); }

private:
  void fillRow(int64_t example, uint64_t seed, uint64_t epoch, float *out,
               Decision *decisions) const;

  const Dataset &data;
  std::vector<Transform> list;
  TransformList which;
  int64_t channels, height, width, resize;
  ResizePlan plan;
};

} // namespace alexc::rt

#endif
