//===- Elementwise.h - The epilogue contract of the CPU kernels -----------===//
//
// Every CPU kernel with an output calls `epilogue(begin, end)` on each
// finished range of its flat output: the generated code applies the fused
// elementwise ops there while the data is still in cache.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_CPU_ELEMENTWISE_H
#define ALEXC_RUNTIME_CPU_ELEMENTWISE_H

#include "runtime/cpu/Gemm.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace alexc::cpu {

inline int threadId() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

struct NoEpilogue {
  void operator()(int64_t, int64_t) const {}
};

/// A fused epilogue passed by reference. The generated code wraps each of
/// its epilogues in one, so that one instantiation of a kernel template
/// serves every call in the file (GoogLeNet's 57 convolutions compiled the
/// convolution code 171 times), for one indirect call per finished range:
/// an image, a block of channels, or 16K elements.
class EpilogueRef {
public:
  template <typename F, typename = std::enable_if_t<
                            !std::is_same_v<std::decay_t<F>, EpilogueRef>>>
  EpilogueRef(F &&f)
      : object(const_cast<void *>(static_cast<const void *>(&f))),
        call([](void *o, int64_t b, int64_t e) {
          (*static_cast<std::remove_reference_t<F> *>(o))(b, e);
        }) {}
  void operator()(int64_t b, int64_t e) const { call(object, b, e); }

private:
  void *object; // the caller's lambda, alive for the whole kernel call
  void (*call)(void *, int64_t, int64_t);
};

/// A standalone elementwise kernel, and the epilogue pass of kernels that
/// finish their output first: `epilogue(begin, end)` on [0, n) in parallel
/// chunks.
template <typename Epi> void elementwise(int64_t n, Epi &&epilogue) {
  constexpr int64_t chunk = 1 << 14;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < n; b += chunk)
    epilogue(b, std::min(n, b + chunk));
}

} // namespace alexc::cpu

#endif
