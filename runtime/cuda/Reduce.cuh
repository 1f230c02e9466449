//===- Reduce.cuh - Bias gradients: sums over all but the channel ---------===//
//
// One block per channel (or 32 channels of short rows), lanes and warps
// added in a fixed order, so that a run repeats bit for bit.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_REDUCE_CUH
#define ALEXC_RUNTIME_CUDA_REDUCE_CUH

#include "runtime/cuda/Elementwise.cuh"

namespace alexc::cuda {

/// One warp lane's share of a bias gradient, the sum over n, k of
/// dy[n][o][k]: rows n = warp, warp + warps, ...; elements k = lane,
/// lane + 32, ..., as 16-byte loads when rows are 16-byte aligned (each
/// warp load then reads 512 contiguous bytes).
__device__ inline float channelRowPartial(int64_t N, int64_t O, int64_t inner,
                                          const float *dy, int64_t o, int warp,
                                          int warps, int lane) {
  bool aligned = inner % 4 == 0 && reinterpret_cast<uintptr_t>(dy) % 16 == 0;
  int64_t quads = aligned ? inner / 4 : 0;
  float s = 0.f;
  for (int64_t n = warp; n < N; n += warps) {
    const float *row = dy + (n * O + o) * inner;
    const float4 *row4 = reinterpret_cast<const float4 *>(row);
    for (int64_t k = lane; k < quads; k += 32) {
      float4 v = row4[k];
      s += (v.x + v.y) + (v.z + v.w);
    }
    for (int64_t k = 4 * quads + lane; k < inner; k += 32)
      s += row[k];
  }
  return s;
}

/// One thread's share of a bias gradient for short rows: channel o, images
/// n = slice, slice + slices, ... (consecutive threads on consecutive
/// channels read consecutive addresses when inner = 1).
__device__ inline float channelColumnPartial(int64_t N, int64_t O,
                                             int64_t inner, const float *dy,
                                             int64_t o, int slice, int slices) {
  float s = 0.f;
  for (int64_t n = slice; n < N; n += slices)
    for (int64_t k = 0; k < inner; ++k)
      s += dy[(n * O + o) * inner + k];
  return s;
}

/// The bias gradient db[o] = sum over n, k of dy[n][o][k] (inner = OH * OW
/// for convolutions): one block per channel, each warp on whole rows with
/// its lanes on consecutive elements (channelRowPartial), then the lanes'
/// and warps' sums in a fixed order, so every run gives the same bits.
constexpr int kRowSumWarps = 16;
__global__ void __launch_bounds__(kRowSumWarps * 32)
    channelRowSumKernel(int64_t N, int64_t O, int64_t inner, const float *dy,
                        float *db) {
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float s =
      channelRowPartial(N, O, inner, dy, blockIdx.x, warp, kRowSumWarps, lane);
  for (int offset = 16; offset > 0; offset /= 2)
    s += __shfl_down_sync(0xffffffffu, s, offset);
  __shared__ float part[kRowSumWarps];
  if (lane == 0)
    part[warp] = s;
  __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0.f;
    for (int w = 0; w < kRowSumWarps; ++w)
      total += part[w];
    db[blockIdx.x] = total;
  }
}

/// The same for short rows (dense layers, inner = 1): 32 channels x 8
/// slices of the batch per block (channelColumnPartial).
__global__ void __launch_bounds__(256)
    channelColumnSumKernel(int64_t N, int64_t O, int64_t inner, const float *dy,
                           float *db) {
  int c = threadIdx.x % 32, slice = threadIdx.x / 32;
  int64_t o = int64_t(blockIdx.x) * 32 + c;
  __shared__ float part[8][32];
  part[slice][c] =
      o < O ? channelColumnPartial(N, O, inner, dy, o, slice, 8) : 0.f;
  __syncthreads();
  if (slice == 0 && o < O) {
    float total = 0.f;
    for (int i = 0; i < 8; ++i)
      total += part[i][c];
    db[o] = total;
  }
}

#ifdef __CUDACC__

inline void biasGrad(int64_t N, int64_t O, int64_t inner, const float *dy,
                     float *db, const CudaFrame &f) {
  if (inner >= 32)
    channelRowSumKernel<<<unsigned(O), kRowSumWarps * 32, 0, streamOf(f)>>>(
        N, O, inner, dy, db);
  else
    channelColumnSumKernel<<<unsigned((O + 31) / 32), 256, 0, streamOf(f)>>>(
        N, O, inner, dy, db);
  ALEXC_CUDA_CHECK(cudaGetLastError());
}

#endif // __CUDACC__

} // namespace alexc::cuda

#endif
