//===- KernelCheck.h - --check-kernels: CUDA kernels against the CPU ------===//
//
// The check lives in the runtime library (KernelCheck.cpp, built where the
// CUDA toolkit is), not in each model's generated code. This header is free
// of CUDA so that the unit tests can check its helpers.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_KERNELCHECK_H
#define ALEXC_RUNTIME_CUDA_KERNELCHECK_H

#include "runtime/abi/Model.h"
#include "runtime/cuda/CudaModel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

namespace alexc::cuda {

/// The first and one-past-the-last element where a and b differ bit for
/// bit ({0, 0} when they are equal); a block-wise memcmp finds both ends.
inline std::pair<size_t, size_t> changedRange(const std::vector<float> &a,
                                              const std::vector<float> &b) {
  constexpr size_t kSpan = 4096;
  size_t n = std::min(a.size(), b.size()), lo = 0, hi = n;
  while (lo < n && !std::memcmp(&a[lo], &b[lo], std::min(kSpan, n - lo) * 4))
    lo += std::min(kSpan, n - lo);
  if (lo >= n)
    return {0, 0};
  while (!std::memcmp(&a[lo], &b[lo], 4))
    ++lo;
  while (hi > lo) {
    size_t s = hi - lo > kSpan ? hi - kSpan : lo;
    if (std::memcmp(&a[s], &b[s], (hi - s) * 4))
      break;
    hi = s;
  }
  while (!std::memcmp(&a[hi - 1], &b[hi - 1], 4))
    --hi;
  return {lo, hi};
}

/// Folds one compared element into a variant's error: the largest
/// difference from the CPU's value and the largest CPU value. A non-finite
/// GPU value makes the error infinite (std::max would pass over a NaN).
inline void accumulateError(float got, float want, double &err,
                            double &scale) {
  double diff = std::isfinite(got) ? std::fabs(double(got) - double(want))
                                   : HUGE_VAL;
  err = std::max(err, diff);
  scale = std::max(scale, double(std::fabs(want)));
}

/// `--check-kernels`: every CUDA kernel (each variant) of `program` against
/// the CPU kernel of the same plan in `model`, on random inputs. Prints a
/// line per variant; returns the exit status.
int checkKernels(const rt::ModelDescriptor &model, const CudaProgram &program,
                 int32_t precision);

} // namespace alexc::cuda

#endif
