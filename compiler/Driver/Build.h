//===- Build.h - Generated sources to an executable -------------*- C++ -*-===//
//
// The back half of `alexc SPEC -o NAME`: the planned module's C++ (and,
// where nvcc is, CUDA) sources, compiled side by side and linked with the
// runtime into one executable.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_DRIVER_BUILD_H
#define ALEXC_DRIVER_BUILD_H

#include "Driver/Toolchain.h"
#include "Frontend/ModelSpec.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace alexc {

/// What the executable does: the training loop, or classify images.
enum class ExecutableMode { Train, Inference };

/// Code to generate; Default: C++ and CUDA when nvcc is found, else C++.
enum class Target { Default, Cpu, Cuda, All };

struct BuildOptions {
  std::string output;      // the executable
  std::string keepSources; // a folder to keep the sources in ("": none)
  std::string cxx = "c++";
  std::string cxxflags = kDefaultCxxFlags;
  std::string cudaArch = "sm_80,sm_90,sm_100";
  std::string nvcc; // "": on PATH or in /usr/local/cuda/bin
  ExecutableMode mode = ExecutableMode::Train;
  Target target = Target::Default;
};

/// The C++ and CUDA sources of a planned module.
struct Sources {
  std::string cpp, cuda;
  bool withCuda = false;
  CudaToolkit toolkit;
  std::vector<std::string> archs; // BuildOptions::cudaArch, parsed
};

/// What the sources are for: an executable, or printing (--emit=cpp|cuda).
enum class SourceUse { Build, PrintCpp, PrintCuda };

/// Generates the C++ source and, when the build carries CUDA code or it
/// is to be printed, the CUDA source; for a build, checks that the target
/// can be built. False (and `error`) when not.
bool generateSources(mlir::ModuleOp module, const ModelSpec &spec,
                     const std::string &hash, const BuildOptions &options,
                     SourceUse use, Sources &src, std::string &error);

/// Compiles `src` with the runtime into options.output, saying what it
/// runs and how long it took.
bool buildModelExecutable(const Sources &src, const std::string &name,
                          const char *argv0, const BuildOptions &options,
                          std::string &error);

/// A bad output path is reported before minutes of compiling.
bool checkOutputFolder(const std::string &output, std::string &error);

/// Writes `text` to `path`; false (and `error`) when it cannot.
bool writeTextFile(const std::string &path, const std::string &text,
                   std::string &error);

} // namespace alexc

#endif
