//===- alexc.cpp - The alexc compiler driver ------------------------------===//
//
//   alexc SPEC.json --emit=mlir [--emit-stage=parsed|shapes]
//
// Parses the model spec, builds the nn dialect module and runs the pipeline
// up to the requested stage.
//
//===----------------------------------------------------------------------===//
#include "Dialect/NN/IR/NNOps.h"
#include "Dialect/NN/Transforms/Passes.h"
#include "Driver/Pipeline.h"
#include "Driver/Stats.h"
#include "Frontend/ModelSpec.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <vector>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("alexc options");

cl::opt<std::string> specPath(cl::Positional, cl::desc("<model spec .json>"),
                              cl::Required, cl::cat(category));

enum class Emit { None, MLIR };
cl::opt<Emit>
    emit("emit",
         cl::desc("Print an intermediate form instead of "
                  "building an executable"),
         cl::init(Emit::None),
         cl::values(clEnumValN(Emit::MLIR, "mlir", "the nn dialect module")),
         cl::cat(category));

using alexc::Stage;
cl::opt<Stage> emitStage(
    "emit-stage", cl::desc("With --emit=mlir: the pipeline stage to print"),
    cl::init(Stage::Planned),
    cl::values(clEnumValN(Stage::Parsed, "parsed",
                          "as built from the spec, before shape inference"),
               clEnumValN(Stage::Shapes, "shapes",
                          "after nn-shape-inference: every shape static"),
               clEnumValN(Stage::Autodiff, "autodiff",
                          "after nn-autodiff: @init, @gradients, "
                          "@train_step, @eval_step"),
               clEnumValN(Stage::Fused, "fused",
                          "after kernel-fusion: kernel.launch groups"),
               clEnumValN(Stage::Planned, "planned",
                          "after kernel-memory-plan: offsets in the arena "
                          "(default)")),
    cl::cat(category));

cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(category));

cl::opt<int64_t> batchSize("batch-size",
                           cl::desc("Override the spec's batch_size"),
                           cl::init(0), cl::cat(category));

// `--stats` is taken out of argv before LLVM's parser sees it: LLVM
// registers an option of that name (its pass statistics) itself.
bool stats = false;

cl::opt<bool> disableDropout("disable-dropout",
                             cl::desc("Train without dropout"), cl::init(false),
                             cl::cat(category));

cl::opt<bool> printDebugInfo("print-locations",
                             cl::desc("Print op locations (the spec layer "
                                      "each op comes from)"),
                             cl::init(false), cl::cat(category));

int fail(const std::string &message) {
  llvm::errs() << "alexc: error: " << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  std::vector<char *> args;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && (!strcmp(argv[i], "--stats") || !strcmp(argv[i], "-stats")))
      stats = true;
    else
      args.push_back(argv[i]);
  }
  argc = static_cast<int>(args.size());
  argv = args.data();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "alexc: compile a neural-network model spec into a training program\n\n"
      "  alexc models/alexnet.json --emit=mlir     print the planned IR\n"
      "  alexc models/alexnet.json --stats         op and kernel counts, "
      "memory plan,\n"
      "                                            FLOPs of the training "
      "step\n");

  alexc::ModelSpec spec;
  std::string error;
  if (!alexc::loadModelSpec(specPath, spec, error))
    return fail(error);
  if (batchSize < 0)
    return fail("--batch-size must be positive");
  if (batchSize > 0)
    spec.batchSize = batchSize;

  if (emit == Emit::None && !stats)
    return fail("building a training executable is not implemented yet; "
                "use --emit=mlir to print the compiled IR");

  MLIRContext ctx;
  ctx.printOpOnDiagnostic(false);
  // Diagnostics from verifiers and passes: one line each, naming the spec.
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    llvm::errs() << "alexc: "
                 << (diag.getSeverity() == DiagnosticSeverity::Error ? "error"
                                                                     : "note")
                 << ": " << specPath << ": " << diag << "\n";
    for (Diagnostic &note : diag.getNotes())
      llvm::errs() << "alexc: note: " << note << "\n";
    return success();
  });

  alexc::PipelineOptions options;
  options.stopAfter = emitStage;
  options.disableDropout = disableDropout;
  OwningOpRef<ModuleOp> module = alexc::compileSpec(ctx, spec, options);
  if (!module)
    return 1;

  if (stats) {
    for (StringRef name : {"train_step", "eval_step"}) {
      auto func = module->lookupSymbol<func::FuncOp>(name);
      if (!func || !func->hasAttr("kernel.arena_bytes"))
        return fail("--stats needs the planned stage (the default)");
      alexc::printStats(llvm::outs(),
                        ("@" + name + " of '" + spec.name + "' at batch " +
                         std::to_string(spec.batchSize) + ":")
                            .str(),
                        alexc::collectStats(func));
    }
    if (emit == Emit::None)
      return 0;
  }

  std::string errorMessage;
  auto output = openOutputFile(outputPath, &errorMessage);
  if (!output)
    return fail(errorMessage);
  OpPrintingFlags flags;
  if (printDebugInfo)
    flags.enableDebugInfo();
  module->print(output->os(), flags);
  output->keep();
  return 0;
}
