//===- Optimizer.cuh - The multi-tensor optimizer update ------------------===//
//
// One launch over every tensor, its table a kernel argument; the
// per-element formulas are the CPU's (KernelAbi.h).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_OPTIMIZER_CUH
#define ALEXC_RUNTIME_CUDA_OPTIMIZER_CUH

#include "runtime/cuda/Elementwise.cuh"

namespace alexc::cuda {

using abi::Update;
using abi::UpdateKind;

constexpr int kMaxUpdates = 40; // per launch; the table must fit in 4 KB
/// Elements one block of applyUpdatesKernel updates: 256 threads, 4 float4
/// each, so every thread has four independent loads of each operand in
/// flight.
constexpr int64_t kUpdateChunk = 4096;

struct UpdateTable {
  int32_t count;
  int32_t firstBlock[kMaxUpdates + 1]; // blocks of tensor e: [e], [e + 1])
  Update u[kMaxUpdates];
};

/// The table for `count` updates from `updates` (at most kMaxUpdates): each
/// tensor gets its own blocks, kUpdateChunk elements each.
inline UpdateTable updateTable(const Update *updates, int count) {
  UpdateTable t{};
  t.count = count;
  t.firstBlock[0] = 0;
  for (int i = 0; i < count; ++i) {
    t.u[i] = updates[i];
    t.firstBlock[i + 1] =
        t.firstBlock[i] +
        int32_t((updates[i].n + kUpdateChunk - 1) / kUpdateChunk);
  }
  return t;
}

/// Every tensor of the table in one launch (grid: t.firstBlock[t.count]).
/// A block finds its tensor once and updates one contiguous chunk of it,
/// by float4 where the tensor's arrays are 16-byte aligned.
__global__ void applyUpdatesKernel(UpdateTable t, const StepScalars *sc) {
  int e = 0;
  while (e + 1 < t.count && t.firstBlock[e + 1] <= int32_t(blockIdx.x))
    ++e;
  const Update &up = t.u[e];
  int64_t begin = int64_t(int32_t(blockIdx.x) - t.firstBlock[e]) * kUpdateChunk;
  int64_t end = begin + kUpdateChunk < up.n ? begin + kUpdateChunk : up.n;
  float lr = sc->lr;
  abi::AdamCorrection c = abi::adamCorrection(up, double(sc->step + 1));
  bool s1Used = up.kind != UpdateKind::SGD,
       s2Used = up.kind == UpdateKind::Adam;
  auto aligned = [](const float *p) {
    return reinterpret_cast<uintptr_t>(p) % 16 == 0;
  };
  int64_t vectorEnd = begin;
  if (aligned(up.param) && aligned(up.grad) && (!s1Used || aligned(up.s1)) &&
      (!s2Used || aligned(up.s2))) {
    vectorEnd = begin + ((end - begin) & ~int64_t(3));
    for (int64_t k = begin + 4 * int64_t(threadIdx.x); k < vectorEnd;
         k += 4 * int64_t(blockDim.x)) {
      float4 w = *reinterpret_cast<const float4 *>(up.param + k);
      float4 g = *reinterpret_cast<const float4 *>(up.grad + k);
      float4 a =
          s1Used ? *reinterpret_cast<const float4 *>(up.s1 + k) : float4{};
      float4 b =
          s2Used ? *reinterpret_cast<const float4 *>(up.s2 + k) : float4{};
      w.x = abi::updatedWeight(up, c, w.x, g.x, a.x, b.x, lr);
      w.y = abi::updatedWeight(up, c, w.y, g.y, a.y, b.y, lr);
      w.z = abi::updatedWeight(up, c, w.z, g.z, a.z, b.z, lr);
      w.w = abi::updatedWeight(up, c, w.w, g.w, a.w, b.w, lr);
      *reinterpret_cast<float4 *>(up.param + k) = w;
      if (s1Used)
        *reinterpret_cast<float4 *>(up.s1 + k) = a;
      if (s2Used)
        *reinterpret_cast<float4 *>(up.s2 + k) = b;
    }
  }
  for (int64_t k = vectorEnd + threadIdx.x; k < end; k += blockDim.x) {
    float a = s1Used ? up.s1[k] : 0.f, b = s2Used ? up.s2[k] : 0.f;
    up.param[k] = abi::updatedWeight(up, c, up.param[k], up.grad[k], a, b, lr);
    if (s1Used)
      up.s1[k] = a;
    if (s2Used)
      up.s2[k] = b;
  }
}

#ifdef __CUDACC__

inline void applyUpdates(const Update *updates, int count, const CudaFrame &f) {
  for (int first = 0; first < count; first += kMaxUpdates) {
    UpdateTable t =
        updateTable(updates + first,
                    count - first < kMaxUpdates ? count - first : kMaxUpdates);
    if (t.firstBlock[t.count] == 0)
      continue;
    applyUpdatesKernel<<<unsigned(t.firstBlock[t.count]), 256, 0,
                         streamOf(f)>>>(t, f.sc);
    ALEXC_CUDA_CHECK(cudaGetLastError());
  }
}

#endif // __CUDACC__

} // namespace alexc::cuda

#endif
