//===- CommandLine.h - alexc's options --------------------------*- C++ -*-===//
//
// Every option of alexc, parsed into one struct that the driver's library
// functions take, so that alexc.cpp keeps only the dispatch (as mlir-opt's
// options live in MlirOptMainConfig).
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_DRIVER_COMMANDLINE_H
#define ALEXC_DRIVER_COMMANDLINE_H

#include "Dialect/NN/IR/StepSignature.h"
#include "Driver/Build.h"
#include "Driver/Pipeline.h"
#include "Driver/Session.h"

#include <string>
#include <vector>

namespace alexc {

/// What alexc prints instead of building (--emit).
enum class Emit { None, MLIR, Cpp, Cuda, Dot, Json, Spec, Onnx };

struct DriverOptions {
  std::string specPath;
  Emit emit = Emit::None;
  Stage emitStage = Stage::Planned;
  std::string dotFunction = nn::step::kEvalStep.str(); // --emit=dot
  std::string weightsPath;                             // --emit=onnx
  BuildOptions build;      // -o and the build's settings
  SpecOverrides overrides; // --batch-size, --ranks
  bool disableDropout = false;
  bool concatInPlace = true;
  bool printLocations = false;
  bool stats = false;
  /// --interpret: the training loop's flags follow, argv[0] first.
  bool interpret = false;
  std::vector<char *> trainerArgs;
};

/// Parses alexc's command line into `options`; --help, --version and a
/// bad option print and exit, as LLVM's parser does.
void parseDriverCommandLine(int argc, char **argv, DriverOptions &options);

} // namespace alexc

#endif
