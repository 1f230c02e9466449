//===- Select.h - Branch-free selects for the generated epilogues ---------===//
//
// The fused epilogues zero elements on data-dependent tests: ReLU (v > 0),
// its gradient (y > 0) and dropout (a random keep bit). About half of them
// go each way, and GCC compiles `cond ? v : 0.f` in those loops as a branch
// that mispredicts about half the time; these masks select without one.
// Header-only and dependency-free so that generated code (C++ and CUDA) can
// include it.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_SELECT_H
#define ALEXC_RUNTIME_SELECT_H

#include "runtime/abi/HostDevice.h"

#include <cstdint>
#include <cstring>

namespace alexc::rt {

/// `keep ? v : 0.f`, bit for bit (+0 when not kept, whatever v is), by
/// masking v's bits: no branch on the CPU. The GPU selects anyway.
ALEXC_HD float keepIf(bool keep, float v) {
#if defined(__CUDA_ARCH__)
  return keep ? v : 0.f;
#else
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  bits &= 0u - uint32_t(keep);
  std::memcpy(&v, &bits, sizeof v);
  return v;
#endif
}

} // namespace alexc::rt

#endif
