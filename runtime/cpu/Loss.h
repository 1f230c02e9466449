//===- Loss.h - CPU softmax cross-entropy ---------------------------------===//
//
// The loss, the count of correct argmaxes and the loss gradient in one
// pass over the logits (rows computed by SoftmaxCrossEntropy.h).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_LOSS_H
#define ALEXC_RUNTIME_CPU_LOSS_H

#include "runtime/abi/SoftmaxCrossEntropy.h"

#include <cstdint>

namespace alexc::cpu {

/// Softmax cross-entropy over rows with a label >= 0 divided by `meanRows`
/// (0: the number of such rows; a data-parallel rank divides by the
/// global batch's), the number of correct argmaxes, and (when dlogits is
/// set) the gradient of that mean.
inline void softmaxCrossEntropy(int64_t N, int64_t K, const float *logits,
                                const int32_t *labels, float *loss,
                                int32_t *correct, float *dlogits,
                                int64_t meanRows = 0) {
  double sum = 0;
  int64_t count = 0, right = 0;
  for (int64_t n = 0; n < N; ++n)
    count += labels[n] >= 0;
  if (meanRows > 0)
    count = meanRows;
  for (int64_t n = 0; n < N; ++n) {
    rt::LossRow r =
        rt::softmaxCrossEntropyRow(logits + n * K, K, labels[n], count,
                                   dlogits ? dlogits + n * K : nullptr);
    sum += double(r.loss);
    right += r.right;
  }
  if (loss)
    *loss = count ? float(sum / double(count)) : 0.f;
  if (correct)
    *correct = int32_t(right);
}

} // namespace alexc::cpu

#endif
