//===- Toolchain.h - Build generated sources into an executable -*- C++ -*-===//
#ifndef ALEXC_DRIVER_TOOLCHAIN_H
#define ALEXC_DRIVER_TOOLCHAIN_H

#include <string>
#include <vector>

namespace alexc {

/// Where the runtime library and its headers are, found from the location
/// of the running alexc: <dir>/../lib/alexc and <dir>/../include/alexc, the
/// same layout in the build tree and in an install prefix.
struct RuntimePaths {
  std::string libDir, includeDir;
};
bool findRuntime(const char *argv0, RuntimePaths &paths, std::string &error);

struct BuildRequest {
  std::string cxx = "c++";
  std::string cxxflags = "-O3 -march=native -fopenmp";
  std::vector<std::string> sources;
  std::string output;
  bool shared = false; // a shared library instead of an executable
  bool withMain = true;
  std::vector<std::string> objects;   // already compiled (the CUDA half)
  std::vector<std::string> linkFlags; // after the runtime libraries
};

/// The CUDA toolkit: nvcc and the folder of its libraries.
struct CudaToolkit {
  std::string nvcc, libDir;
};

/// Finds nvcc (`hint` if given, else PATH, else /usr/local/cuda/bin).
bool findCuda(const std::string &hint, CudaToolkit &cuda);

/// nvcc -c on a generated .cu file, for `arch` (e.g. sm_90) plus PTX.
bool compileCuda(const CudaToolkit &cuda, const std::string &source,
                 const std::string &object, const std::string &arch,
                 const RuntimePaths &runtime, std::string &error);

/// Runs the host C++ compiler on the generated sources and links the
/// runtime. On failure `error` holds the command and the compiler's output.
bool buildExecutable(const BuildRequest &req, const RuntimePaths &runtime,
                     std::string &error);

} // namespace alexc

#endif
