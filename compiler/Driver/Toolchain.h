//===- Toolchain.h - Build generated sources into an executable -*- C++ -*-===//
#ifndef ALEXC_DRIVER_TOOLCHAIN_H
#define ALEXC_DRIVER_TOOLCHAIN_H

#include "llvm/Support/Program.h"

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

/// The host compiler's default flags; a sanitizer build of alexc adds its
/// sanitizers, so that what it builds links with its sanitized runtime.
#ifdef ALEXC_SANITIZE_FLAGS
inline constexpr const char *kDefaultCxxFlags =
    "-O3 -march=native -fopenmp " ALEXC_SANITIZE_FLAGS;
#else
inline constexpr const char *kDefaultCxxFlags = "-O3 -march=native -fopenmp";
#endif

struct BuildRequest {
  std::string cxx = "c++";
  std::string cxxflags = kDefaultCxxFlags;
  std::vector<std::string> sources;
  std::string output;
  bool shared = false; // a shared library instead of an executable
  bool withMain = true;
  bool inference = false; // the inference main (and libpng), not training's
  std::vector<std::string> objects;   // already compiled (the CUDA half)
  std::vector<std::string> linkFlags; // after the runtime libraries
};

/// The CUDA toolkit: nvcc and the folder of its libraries.
struct CudaToolkit {
  std::string nvcc, libDir;
  // nccl.h: data-parallel training on GPUs (libnccl is opened at run time).
  bool nccl = false;
};

/// Finds nvcc (`hint` if given, else PATH, else /usr/local/cuda/bin).
bool findCuda(const std::string &hint, CudaToolkit &cuda);

/// A compiler run in the background, its output in a log file.
class BackgroundCommand {
public:
  BackgroundCommand() = default;
  BackgroundCommand(const BackgroundCommand &) = delete;
  BackgroundCommand &operator=(const BackgroundCommand &) = delete;
  ~BackgroundCommand(); // waits for a command still running

  /// Starts args[0] with args; false (and `error`) when it cannot start.
  bool start(std::vector<std::string> args, std::string &error);
  /// Waits for it to end. On failure `error` holds the command and the end
  /// of its output.
  bool finish(std::string &error);

private:
  std::vector<std::string> args_;
  std::string log_;
  llvm::sys::ProcessInfo process_;
  bool running_ = false;
};

/// The architectures of a --cuda-arch list ("sm_80,sm_90,sm_100"), sorted
/// and without repeats; false (with `error`) for anything else.
bool parseCudaArchs(const std::string &list, std::vector<std::string> &codes,
                    std::string &error);

/// Every runtime header generated code is compiled with, in path order:
/// with the generated source, what a kernel code hash covers (the kernels
/// themselves live in the headers).
std::string runtimeHeaderText(const RuntimePaths &runtime);

/// Starts nvcc -c on a generated .cu file for the architectures `codes`
/// (parseCudaArchs);
/// `codeHash` (of the source and the headers) keys the executable's
/// measured kernel choices, so that a changed kernel is timed again.
bool startCudaCompile(const CudaToolkit &cuda, const std::string &source,
                      const std::string &object,
                      const std::vector<std::string> &codes,
                      const std::string &codeHash, const RuntimePaths &runtime,
                      BackgroundCommand &nvcc, std::string &error);

/// Links the CUDA half of an executable (the nvcc object `object` and the
/// CUDA runtime library) into the shared library `output`, with cuBLAS,
/// cuDNN and the CUDA runtime: the executable carries it (see
/// embeddingAssembly) and opens it at run time, so that it starts, and
/// trains on the CPU, where those libraries are missing.
bool linkCudaLibrary(const BuildRequest &req, const CudaToolkit &cuda,
                     const RuntimePaths &runtime, const std::string &object,
                     const std::string &output, std::string &error);

/// An assembler source that holds the bytes of `file` between the symbols
/// alexc_cuda_library and alexc_cuda_library_end (runtime/gpu/CudaHalf.cpp
/// opens them).
std::string embeddingAssembly(const std::string &file);

/// Compiles one generated C++ source to an object file with the host
/// compiler and req's flags.
bool compileHostObject(const BuildRequest &req, const RuntimePaths &runtime,
                       const std::string &source, const std::string &object,
                       std::string &error);

/// Runs the host C++ compiler on the generated sources (none: only links
/// req.objects) and links the runtime. On failure `error` holds the command
/// and the compiler's output.
bool buildExecutable(const BuildRequest &req, const RuntimePaths &runtime,
                     std::string &error);

} // namespace alexc

#endif
