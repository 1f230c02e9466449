//===- CudaHalf.cpp - The CUDA half of an executable, opened on demand ----===//
//
// The embedded library is written to an anonymous memory file (memfd) and
// opened from /proc/self/fd: nothing lands on disk, and the executable
// stays one file. The library's dependencies (libcublas, libcudnn) are
// found as the dynamic loader finds any: its run path (the CUDA toolkit's
// lib64), LD_LIBRARY_PATH, ld.so.cache.
//
//===----------------------------------------------------------------------===//
#include "runtime/gpu/CudaHalf.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

// The library's bytes, from the assembler source alexc generates; absent
// (null) in executables without CUDA code.
extern "C" __attribute__((weak)) const char alexc_cuda_library[];
extern "C" __attribute__((weak)) const char alexc_cuda_library_end[];

namespace alexc::rt {

bool hasCudaHalf() { return alexc_cuda_library != nullptr; }

namespace {

/// Opens the library from a memory file; null with `error` otherwise.
void *openEmbedded(std::string &error) {
  int fd = memfd_create("alexc-cuda", MFD_CLOEXEC);
  if (fd < 0) {
    error = "cannot create a memory file for the CUDA code";
    return nullptr;
  }
  const char *p = alexc_cuda_library;
  size_t left = size_t(alexc_cuda_library_end - alexc_cuda_library);
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n <= 0) {
      close(fd);
      error = "cannot write the CUDA code to a memory file";
      return nullptr;
    }
    p += n;
    left -= size_t(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  close(fd); // the mapping stays
  if (!lib)
    error = std::string("the CUDA code cannot be loaded: ") + dlerror();
  return lib;
}

} // namespace

const CudaHalf *openCudaHalf(std::string &error) {
  static CudaHalf half{};
  static std::string openError = [] {
    if (!hasCudaHalf())
      return std::string("this executable was built without CUDA code "
                         "(alexc --target all, with nvcc present, adds it)");
    std::string e;
    void *lib = openEmbedded(e);
    if (!lib)
      return e;
    half.createExecutor = reinterpret_cast<decltype(half.createExecutor)>(
        dlsym(lib, "alexc_create_cuda_executor"));
    half.checkKernels = reinterpret_cast<decltype(half.checkKernels)>(
        dlsym(lib, "alexc_check_cuda_kernels"));
    if (!half.createExecutor || !half.checkKernels)
      return std::string("the CUDA code lacks its entry points");
    return std::string();
  }();
  error = openError;
  return openError.empty() ? &half : nullptr;
}

} // namespace alexc::rt
