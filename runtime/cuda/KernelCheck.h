//===- KernelCheck.h - Host-side helpers of --check-kernels
//----------------===//
//
// What `--check-kernels` (CudaExecutor.cuh) needs on the host, kept free of
// CUDA so that the unit tests can check it.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_KERNELCHECK_H
#define ALEXC_RUNTIME_CUDA_KERNELCHECK_H

#include <algorithm>
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

} // namespace alexc::cuda

#endif
