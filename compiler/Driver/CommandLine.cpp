//===- CommandLine.cpp - alexc's options ----------------------------------===//
//
// The options are LLVM cl::opts bound to a DriverOptions (cl::location),
// created for one parse: a library must not register options when it is
// loaded, since the tools that link it have options of their own.
//
//===----------------------------------------------------------------------===//
#include "Driver/CommandLine.h"
#include "Dialect/NN/IR/StepSignature.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace cl = llvm::cl;

namespace alexc {
namespace {

cl::OptionCategory category("alexc options");

/// What to print instead of building, and how.
struct EmitOptions {
  explicit EmitOptions(DriverOptions &o)
      : specPath(cl::Positional,
                 cl::desc("<model spec: .json, or .nn for the model language>"),
                 cl::Required, cl::location(o.specPath), cl::cat(category)),
        emit("emit", cl::desc("Print an intermediate form instead of building"),
             cl::location(o.emit), cl::init(Emit::None),
             cl::values(
                 clEnumValN(Emit::MLIR, "mlir", "the IR at --emit-stage"),
                 clEnumValN(Emit::Cpp, "cpp", "the generated C++ source"),
                 clEnumValN(Emit::Cuda, "cuda", "the generated CUDA source"),
                 clEnumValN(Emit::Dot, "dot",
                            "the compiled graph as Graphviz dot (layers and "
                            "shapes, kernels as clusters)"),
                 clEnumValN(Emit::Json, "json", "the spec as JSON"),
                 clEnumValN(Emit::Spec, "spec",
                            "the spec in the model language (.nn)"),
                 clEnumValN(Emit::Onnx, "onnx",
                            "the forward graph with trained weights "
                            "(--weights) as an ONNX model (-o)")),
             cl::cat(category)),
        dotFunction("dot-function",
                    cl::desc("With --emit=dot: the step to draw (eval_step, "
                             "the forward pass, by default; train_step, "
                             "gradients, init)"),
                    cl::location(o.dotFunction),
                    cl::init(nn::step::kEvalStep.str()), cl::cat(category)),
        weights("weights",
                cl::desc("With --emit=onnx: the trained tensors (a "
                         "checkpoint, or the file of --save)"),
                cl::value_desc("file"), cl::location(o.weightsPath),
                cl::cat(category)),
        stage("emit-stage",
              cl::desc("With --emit=mlir: the pipeline stage to print"),
              cl::location(o.emitStage), cl::init(Stage::Planned),
              cl::values(
                  clEnumValN(Stage::Parsed, "parsed",
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
              cl::cat(category)),
        printLocations("print-locations",
                       cl::desc("Print op locations (the spec layer each op "
                                "comes from)"),
                       cl::location(o.printLocations), cl::init(false),
                       cl::cat(category)) {}

  cl::opt<std::string, true> specPath;
  cl::opt<Emit, true> emit;
  cl::opt<std::string, true> dotFunction, weights;
  cl::opt<Stage, true> stage;
  cl::opt<bool, true> printLocations;
};

/// The executable and how it is compiled.
struct OutputOptions {
  explicit OutputOptions(BuildOptions &b)
      : output("o",
               cl::desc("The training executable to build (with --emit: the "
                        "file to print to, default stdout)"),
               cl::value_desc("file"), cl::location(b.output),
               cl::cat(category)),
        keepSources("keep-sources",
                    cl::desc("Write the generated sources to this folder and "
                             "keep them"),
                    cl::value_desc("dir"), cl::location(b.keepSources),
                    cl::cat(category)),
        cxx("cxx", cl::desc("Host C++ compiler (default c++)"),
            cl::location(b.cxx), cl::init("c++"), cl::cat(category)),
        cxxflags("cxxflags",
                 cl::desc("Flags for the host compiler (default: -O3 "
                          "-march=native -fopenmp)"),
                 cl::location(b.cxxflags), cl::init(kDefaultCxxFlags),
                 cl::cat(category)),
        mode("mode", cl::desc("What the executable at -o does (default train)"),
             cl::location(b.mode), cl::init(ExecutableMode::Train),
             cl::values(clEnumValN(ExecutableMode::Train, "train",
                                   "train and evaluate (the whole training "
                                   "loop)"),
                        clEnumValN(ExecutableMode::Inference, "inference",
                                   "classify images with trained weights "
                                   "(--weights); CPU code only")),
             cl::cat(category)) {}

  cl::opt<std::string, true> output, keepSources, cxx, cxxflags;
  cl::opt<ExecutableMode, true> mode;
};

/// Which code, for which GPUs.
struct TargetOptions {
  explicit TargetOptions(BuildOptions &b)
      : target("target",
               cl::desc("Code to generate (default: all when nvcc is found, "
                        "else cpu)"),
               cl::location(b.target), cl::init(Target::Default),
               cl::values(clEnumValN(Target::Cpu, "cpu", "C++ with OpenMP"),
                          clEnumValN(Target::Cuda, "cuda",
                                     "CUDA, with the C++ code as the CPU "
                                     "fallback (the same as all)"),
                          clEnumValN(Target::All, "all",
                                     "C++ and CUDA in one executable")),
               cl::cat(category)),
        cudaArch("cuda-arch",
                 cl::desc("GPU architectures, comma-separated (default "
                          "sm_80,sm_90,sm_100: A100, H100, B200; plus the "
                          "newest one's PTX for later GPUs)"),
                 cl::location(b.cudaArch), cl::init("sm_80,sm_90,sm_100"),
                 cl::cat(category)),
        nvcc("nvcc",
             cl::desc("The CUDA compiler (default: nvcc on PATH or in "
                      "/usr/local/cuda/bin)"),
             cl::location(b.nvcc), cl::init(""), cl::cat(category)) {}

  cl::opt<Target, true> target;
  cl::opt<std::string, true> cudaArch, nvcc;
};

/// Settings that change the compiled model.
struct ModelOptions {
  explicit ModelOptions(DriverOptions &o)
      : batchSize("batch-size", cl::desc("Override the spec's batch_size"),
                  cl::location(o.overrides.batchSize), cl::init(0),
                  cl::cat(category)),
        ranks("ranks",
              cl::desc("Data-parallel ranks the executable is built for: "
                       "each rank's step takes ceil(batch_size / N) rows "
                       "(default 1; mpirun -np N runs it)"),
              cl::location(o.overrides.ranks), cl::init(1), cl::cat(category)),
        disableDropout("disable-dropout",
                       cl::desc("With --emit: build the IR without dropout "
                                "(executables take --disable-dropout at run "
                                "time)"),
                       cl::location(o.disableDropout), cl::init(false),
                       cl::cat(category)),
        concatInPlace("concat-in-place",
                      cl::desc("Have each concat input's producer write it "
                               "into the concat's buffer where it can "
                               "(default true; =false copies every input, "
                               "for comparison)"),
                      cl::location(o.concatInPlace), cl::init(true),
                      cl::cat(category)) {}

  cl::opt<int64_t, true> batchSize, ranks;
  cl::opt<bool, true> disableDropout, concatInPlace;
};

const char *const kOverview =
    "alexc: compile a neural-network model spec into a training program\n\n"
    "  alexc models/alexnet.json -o alexnet_train   build; then run\n"
    "                                               ./alexnet_train --help\n"
    "  alexc models/alexnet.json --emit=mlir        print the planned IR\n"
    "  alexc models/alexnet.json --emit=cpp         print the generated C++\n"
    "  alexc models/alexnet.nn --emit=json          the spec in the other\n"
    "                                               form (--emit=spec: the\n"
    "                                               model language)\n"
    "  alexc models/alexnet.json --emit=onnx --weights run.safetensors\n"
    "        -o alexnet.onnx                        the trained model as ONNX\n"
    "  alexc models/alexnet.json --stats            op and kernel counts,\n"
    "                                               memory plan, FLOPs\n"
    "  alexc models/lenet.json --interpret [FLAGS]  train in the reference\n"
    "                                               interpreter; FLAGS as for\n"
    "                                               the executable (--epochs, "
    "...)\n";

/// Takes out what LLVM's parser must not see: --stats (LLVM has a -stats
/// of its own) and everything from --interpret on (the training loop's).
std::vector<char *> splitArguments(int argc, char **argv, DriverOptions &o) {
  std::vector<char *> args;
  for (int i = 0; i < argc; ++i) {
    if (o.interpret) {
      o.trainerArgs.push_back(argv[i]);
    } else if (i > 0 && !std::strcmp(argv[i], "--interpret")) {
      o.interpret = true;
      o.trainerArgs.push_back(argv[0]);
    } else if (i > 0 && (!std::strcmp(argv[i], "--stats") ||
                         !std::strcmp(argv[i], "-stats"))) {
      o.stats = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  return args;
}

} // namespace

void parseDriverCommandLine(int argc, char **argv, DriverOptions &options) {
  std::vector<char *> args = splitArguments(argc, argv, options);
  EmitOptions emit(options);
  OutputOptions output(options.build);
  TargetOptions target(options.build);
  ModelOptions model(options);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "alexc " << ALEXC_VERSION << "\n  built with MLIR "
       << LLVM_VERSION_STRING << ", CUDA " << ALEXC_BUILT_CUDA << ", MPI "
       << ALEXC_BUILT_MPI << "\n";
  });
  cl::ParseCommandLineOptions(int(args.size()), args.data(), kOverview);
}

} // namespace alexc
