//===- Copy.cuh - Strided block copies (concat and its gradient) ----------===//
#ifndef ALEXC_RUNTIME_CUDA_COPY_CUH
#define ALEXC_RUNTIME_CUDA_COPY_CUH

#include "runtime/cuda/Elementwise.cuh"

namespace alexc::cuda {

using abi::BlockCopy;

/// Element i of the copy (row i / count, column i % count).
__device__ inline void copyBlockElement(const BlockCopy &c, const float *src,
                                        float *dst, int64_t i) {
  int64_t r = i / c.count, k = i % c.count;
  dst[r * c.dstStride + c.dstOffset + k] =
      src[r * c.srcStride + c.srcOffset + k];
}

__global__ void copyBlocksKernel(BlockCopy c, const float *src, float *dst) {
  int64_t n = c.rows * c.count;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    copyBlockElement(c, src, dst, i);
}

#ifdef __CUDACC__

inline void copyBlocks(const BlockCopy &c, const float *src, float *dst,
                       const CudaFrame &f) {
  copyBlocksKernel<<<gridFor(c.rows * c.count), 256, 0, streamOf(f)>>>(c, src,
                                                                       dst);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

#endif // __CUDACC__

} // namespace alexc::cuda

#endif
