//===- SoftmaxCrossEntropy.h - One row of the loss, for every backend -----===//
//
// The row computation of the softmax cross-entropy, shared by the CPU loss
// kernel and the CUDA one (which differ only in how rows are spread and
// summed). Header-only and dependency-free so that generated code can
// include it.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_SOFTMAXCROSSENTROPY_H
#define ALEXC_RUNTIME_SOFTMAXCROSSENTROPY_H

#include "runtime/abi/HostDevice.h"

#include <cmath>
#include <cstdint>

namespace alexc::rt {

/// A row's loss (0 for a padding row, label < 0) and whether its first
/// maximum is the label.
struct LossRow {
  float loss;
  bool right;
};

/// Row `row` of K logits with `label`; when drow is set, also its gradient
/// of the mean loss over `count` labelled rows (zero for a padding row).
ALEXC_HD LossRow softmaxCrossEntropyRow(const float *row, int64_t K,
                                        int64_t label, int64_t count,
                                        float *drow) {
  int64_t best = 0;
  for (int64_t k = 1; k < K; ++k)
    if (row[k] > row[best])
      best = k;
  float mx = row[best], z = 0.f;
  for (int64_t k = 0; k < K; ++k)
    z += expf(row[k] - mx);
  if (drow)
    for (int64_t k = 0; k < K; ++k)
      drow[k] = label < 0 || count == 0
                    ? 0.f
                    : (expf(row[k] - mx) / z - (k == label ? 1.f : 0.f)) /
                          float(count);
  if (label < 0)
    return {0.f, false};
  return {logf(z) + mx - row[label], best == label};
}

} // namespace alexc::rt

#endif
