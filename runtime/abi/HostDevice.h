//===- HostDevice.h - Functions for both the host and CUDA devices --------===//
//
// ALEXC_HD marks a function that the runtime's header-only pieces share
// between the CPU code and the CUDA kernels (Philox.h, Select.h,
// SoftmaxCrossEntropy.h): host and device under nvcc, plain inline under
// the host compiler.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_HOSTDEVICE_H
#define ALEXC_RUNTIME_HOSTDEVICE_H

#if defined(__CUDACC__)
#define ALEXC_HD __host__ __device__ __forceinline__
#else
#define ALEXC_HD inline
#endif

#endif
