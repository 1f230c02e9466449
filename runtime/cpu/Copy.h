//===- Copy.h - Strided block copies (concat and its gradient) ------------===//
#ifndef ALEXC_RUNTIME_CPU_COPY_H
#define ALEXC_RUNTIME_CPU_COPY_H

#include "runtime/abi/KernelAbi.h"

#include <cstring>

namespace alexc::cpu {

/// One row per iteration; a row is one image's channels, long enough that
/// memcpy runs at memory speed.
inline void copyBlocks(const abi::BlockCopy &c, const float *src, float *dst) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < c.rows; ++r)
    std::memcpy(dst + r * c.dstStride + c.dstOffset,
                src + r * c.srcStride + c.srcOffset,
                size_t(c.count) * sizeof(float));
}

} // namespace alexc::cpu

#endif
