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
};

/// Runs the host C++ compiler on the generated sources and links the
/// runtime. On failure `error` holds the command and the compiler's output.
bool buildExecutable(const BuildRequest &req, const RuntimePaths &runtime,
                     std::string &error);

} // namespace alexc

#endif
