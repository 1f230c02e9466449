//===- HostEmulation.h - Compile CUDA device code for the host ------------===//
//
// Include before runtime/cuda/Kernels.cuh in a host-only test: the CUDA
// keywords disappear, so the device code compiles with the host compiler.
//
// - A grid-stride kernel called directly (gridDim = blockDim = 1) runs its
//   whole grid in the calling thread.
// - launchOnHost(grid, threads, kernel, args...) runs a kernel whose threads
//   cooperate. The blocks run one after another; each CUDA thread of a
//   block is a fiber (ucontext) of the calling thread, run until it ends or
//   waits at __syncthreads() or a warp shuffle. A barrier opens when every
//   thread of the block that has not ended waits at it, a shuffle when all
//   32 lanes of the warp wait at it; threads that wait forever, or wait at
//   different kinds of barrier, abort the test with a message. __shared__
//   variables become statics (one block runs at a time). Fibers make it
//   fast (a switch costs well under a microsecond, where a block of 256 OS
//   threads took milliseconds per barrier) and repeatable.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CUDA_HOSTEMULATION_H
#define ALEXC_RUNTIME_CUDA_HOSTEMULATION_H

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <ucontext.h>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

namespace alexc::cuda {
struct EmulatedDim3 {
  unsigned x = 0, y = 0, z = 0;
};
inline EmulatedDim3 threadIdx, blockIdx, blockDim{1, 1, 1}, gridDim{1, 1, 1};
struct alignas(16) float4 {
  float x, y, z, w;
};
using std::isnan;

[[noreturn]] inline void emulationFailure(const char *what) {
  std::fprintf(stderr, "CUDA host emulation: %s (block %u,%u,%u)\n", what,
               blockIdx.x, blockIdx.y, blockIdx.z);
  std::abort();
}

/// The running block: one fiber per thread and where each one stands.
struct EmulatedBlock {
  enum State { Runnable, AtBarrier, AtShuffle, Ended };
  static constexpr size_t kStack = 64 * 1024;

  EmulatedBlock(unsigned threads, std::function<void()> body)
      : body(std::move(body)), fibers(threads), state(threads, Runnable),
        slots(threads), stacks(new char[threads * kStack]) {}

  /// Runs every thread to its end, opening barriers as they fill.
  void run() {
    unsigned n = unsigned(fibers.size());
    for (unsigned t = 0; t < n; ++t) {
      getcontext(&fibers[t]);
      fibers[t].uc_stack.ss_sp = stacks.get() + size_t(t) * kStack;
      fibers[t].uc_stack.ss_size = kStack;
      fibers[t].uc_link = &scheduler;
      makecontext(&fibers[t], &EmulatedBlock::threadMain, 0);
    }
    for (;;) {
      for (unsigned t = 0; t < n; ++t)
        if (state[t] == Runnable) {
          threadIdx = {t, 0, 0};
          swapcontext(&scheduler, &fibers[t]);
        }
      // Open every warp whose 32 lanes wait at a shuffle.
      bool opened = false;
      for (unsigned w = 0; w * 32 < n; ++w) {
        unsigned waiting = 0, lanes = n - 32 * w < 32 ? n - 32 * w : 32;
        for (unsigned l = 0; l < lanes; ++l)
          waiting += state[32 * w + l] == AtShuffle;
        if (waiting == 0)
          continue;
        if (waiting != 32)
          emulationFailure("a warp shuffle without all 32 lanes");
        for (unsigned l = 0; l < 32; ++l)
          state[32 * w + l] = Runnable;
        opened = true;
      }
      if (opened)
        continue;
      unsigned ended = 0, atBarrier = 0;
      for (State s : state)
        ended += s == Ended, atBarrier += s == AtBarrier;
      if (ended == n)
        return;
      if (ended + atBarrier != n)
        emulationFailure("threads wait at different barriers");
      for (State &s : state)
        if (s == AtBarrier)
          s = Runnable;
    }
  }

  /// Parks the calling thread until the scheduler opens its barrier.
  void wait(State why) {
    unsigned t = threadIdx.x;
    state[t] = why;
    swapcontext(&fibers[t], &scheduler);
    threadIdx = {t, 0, 0};
  }

  static void threadMain();

  std::function<void()> body;
  std::vector<ucontext_t> fibers;
  ucontext_t scheduler;
  std::vector<State> state;
  std::vector<float> slots; // shuffle values, one per thread
  std::unique_ptr<char[]> stacks;
};
inline EmulatedBlock *emulatedBlock = nullptr;

inline void EmulatedBlock::threadMain() {
  emulatedBlock->body();
  emulatedBlock->state[threadIdx.x] = Ended; // uc_link resumes the scheduler
}

inline void __syncthreads() {
  if (!emulatedBlock)
    emulationFailure("__syncthreads outside launchOnHost");
  emulatedBlock->wait(EmulatedBlock::AtBarrier);
}

/// Every lane of the warp takes part (full mask), as in the kernels.
inline float __shfl_down_sync(unsigned mask, float v, unsigned offset) {
  if (!emulatedBlock || mask != 0xffffffffu)
    emulationFailure("__shfl_down_sync needs launchOnHost and a full mask");
  unsigned t = threadIdx.x, lane = t % 32;
  emulatedBlock->slots[t] = v;
  emulatedBlock->wait(EmulatedBlock::AtShuffle);
  float got = lane + offset < 32 ? emulatedBlock->slots[t + offset] : v;
  emulatedBlock->wait(EmulatedBlock::AtShuffle); // all read before rewrites
  return got;
}

inline float atomicAdd(float *p, float v) {
  float old = *p; // fibers of one OS thread: nothing interleaves here
  *p += v;
  return old;
}

/// kernel<<<grid, threads>>>(args...) on the host (one-dimensional blocks).
template <class Kernel, class... Args>
void launchOnHost(EmulatedDim3 grid, unsigned threads, Kernel kernel,
                  const Args &...args) {
  gridDim = grid;
  blockDim = {threads, 1, 1};
  EmulatedBlock block(threads, [&] { kernel(args...); });
  emulatedBlock = &block;
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        blockIdx = {x, y, z};
        std::fill(block.state.begin(), block.state.end(),
                  EmulatedBlock::Runnable);
        block.run();
      }
  emulatedBlock = nullptr;
  threadIdx = blockIdx = {};
  gridDim = blockDim = {1, 1, 1};
}
} // namespace alexc::cuda

#endif
