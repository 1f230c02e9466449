//===- alexc.cpp - The alexc compiler driver ------------------------------===//
//
//   alexc SPEC -o NAME                 build a training executable (SPEC:
//                                     JSON, or the model language in .nn)
//   alexc SPEC --emit=json|spec        the spec converted to either form
//   alexc SPEC --emit=mlir|cpp|dot     print the IR (any stage), the C++
//                                     or the compiled graph
//   alexc SPEC --emit=onnx --weights F -o M.onnx  the trained model as ONNX
//   alexc SPEC --stats                 counts, memory plan, FLOPs
//   alexc SPEC --interpret ...         train with the reference interpreter
//
// The options and the work are the driver library's (compiler/Driver);
// this file only dispatches.
//
//===----------------------------------------------------------------------===//
#include "Codegen/DotEmitter.h"
#include "Driver/Build.h"
#include "Driver/CommandLine.h"
#include "Driver/Interpret.h"
#include "Driver/Session.h"
#include "Driver/Stats.h"
#include "Export/OnnxExport.h"
#include "Frontend/SpecWriter.h"

#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace alexc;

namespace {

/// Writes what `print` prints to -o, or to stdout without it.
int emitToOutput(const Session &session, const DriverOptions &o,
                 llvm::function_ref<void(raw_ostream &)> print) {
  std::string error;
  auto output =
      openOutputFile(o.build.output.empty() ? "-" : o.build.output, &error);
  if (!output)
    return session.fail(error);
  print(output->os());
  output->keep();
  return 0;
}

int exportOnnx(Session &session, ModuleOp module, const DriverOptions &o) {
  if (o.weightsPath.empty())
    return session.fail("--emit=onnx needs --weights FILE (a checkpoint, or "
                        "the file of --save)");
  if (o.build.output.empty())
    return session.fail("--emit=onnx writes a binary file: give -o FILE.onnx");
  std::string error;
  if (!checkOutputFolder(o.build.output, error) ||
      !onnx_export::exportOnnxModel(module, session.spec(), session.hash(),
                                    o.weightsPath, o.build.output, error))
    return session.fail(error);
  return 0;
}

/// --emit=mlir, dot, cpp, cuda, or the executable.
int emitOrBuild(Session &session, ModuleOp module, const DriverOptions &o,
                const char *argv0) {
  if (o.emit == Emit::Dot) {
    std::string text;
    llvm::raw_string_ostream dot(text);
    if (failed(codegen::emitDot(module, o.dotFunction, dot)))
      return 1;
    return emitToOutput(session, o, [&](raw_ostream &os) { os << text; });
  }
  if (o.emit == Emit::MLIR)
    return emitToOutput(session, o, [&](raw_ostream &os) {
      OpPrintingFlags flags;
      if (o.printLocations)
        flags.enableDebugInfo();
      module->print(os, flags);
    });
  SourceUse use = o.emit == Emit::Cpp    ? SourceUse::PrintCpp
                  : o.emit == Emit::Cuda ? SourceUse::PrintCuda
                                         : SourceUse::Build;
  Sources src;
  std::string error;
  if (!generateSources(module, session.spec(), session.hash(), o.build, use,
                       src, error))
    return error.empty() ? 1 : session.fail(error);
  if (use != SourceUse::Build)
    return emitToOutput(session, o, [&](raw_ostream &os) {
      os << (use == SourceUse::PrintCpp ? src.cpp : src.cuda);
    });
  if (!buildModelExecutable(src, session.spec().name, argv0, o.build, error))
    return session.fail(error);
  return 0;
}

PipelineOptions pipelineOptions(const DriverOptions &o) {
  PipelineOptions p;
  p.stopAfter = o.emit == Emit::MLIR   ? o.emitStage
                : o.emit == Emit::Onnx ? Stage::Shapes
                                       : Stage::Planned;
  p.disableDropout = o.disableDropout;
  p.predict = o.build.mode == ExecutableMode::Inference;
  p.concatInPlace = o.concatInPlace;
  return p;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  DriverOptions o;
  parseDriverCommandLine(argc, argv, o);
  Session session;
  if (!session.load(o.specPath, o.overrides))
    return 1;
  if (o.emit == Emit::Json || o.emit == Emit::Spec)
    return emitToOutput(session, o, [&](raw_ostream &os) {
      os << (o.emit == Emit::Json ? writeSpecJson(session.spec())
                                  : writeSpecLanguage(session.spec()));
    });
  if (o.interpret)
    return interpretSpec(session, o.trainerArgs);
  if (o.emit == Emit::None && !o.stats && o.build.output.empty())
    return session.fail("nothing to do: give -o FILE to build a training "
                        "executable, or --emit, --stats, --interpret (see "
                        "--help)");
  OwningOpRef<ModuleOp> module = session.compile(pipelineOptions(o));
  if (!module)
    return 1;
  if (o.emit == Emit::Onnx)
    return exportOnnx(session, *module, o);
  if (o.stats) {
    if (!printStepStats(*module, session.spec().name, session.spec().batchSize,
                        llvm::outs()))
      return session.fail("--stats needs the planned stage (the default)");
    if (o.emit == Emit::None && o.build.output.empty())
      return 0;
  }
  return emitOrBuild(session, *module, o, argv[0]);
}
