//===- alexc.cpp - The alexc compiler driver ------------------------------===//
//
//   alexc SPEC -o NAME                 build a training executable (SPEC:
//                                     JSON, or the model language in .nn)
//   alexc SPEC --emit=json|spec        the spec converted to either form
//   alexc SPEC.json --emit=mlir|cpp|dot  print the IR (any stage), the C++
//                                     or the compiled graph
//   alexc SPEC --emit=onnx --weights F -o M.onnx  the trained model as ONNX
//   alexc SPEC.json --stats            counts, memory plan, FLOPs
//   alexc SPEC.json --interpret ...    train with the reference interpreter
//
//===----------------------------------------------------------------------===//
#include "Codegen/CppEmitter.h"
#include "Codegen/CudaEmitter.h"
#include "Codegen/DotEmitter.h"
#include "Dialect/NN/IR/LayerInfo.h"
#include "Dialect/NN/IR/NNOps.h"
#include "Driver/Pipeline.h"
#include "Driver/Stats.h"
#include "Driver/Toolchain.h"
#include "Export/OnnxFromNN.h"
#include "Frontend/ModelSpec.h"
#include "Frontend/SpecWriter.h"
#include "Interpreter/InterpreterExecutor.h"
#include "runtime/Safetensors.h"
#include "runtime/Trainer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstring>
#include <vector>

using namespace mlir;
namespace cl = llvm::cl;
using alexc::Stage;

namespace {

cl::OptionCategory category("alexc options");

cl::opt<std::string> specPath(cl::Positional,
                              cl::desc("<model spec: .json, or .nn for the "
                                       "model language>"),
                              cl::Required, cl::cat(category));

enum class Emit { None, MLIR, Cpp, Cuda, Dot, Json, Spec, Onnx };
cl::opt<Emit>
    emit("emit", cl::desc("Print an intermediate form instead of building"),
         cl::init(Emit::None),
         cl::values(clEnumValN(Emit::MLIR, "mlir", "the IR at --emit-stage"),
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
         cl::cat(category));

cl::opt<std::string> dotFunction(
    "dot-function",
    cl::desc("With --emit=dot: the step to draw (eval_step, the forward "
             "pass, by default; train_step, gradients, init)"),
    cl::init("eval_step"), cl::cat(category));

cl::opt<std::string>
    weightsPath("weights",
                cl::desc("With --emit=onnx: the trained tensors (a "
                         "checkpoint, or the file of --save)"),
                cl::value_desc("file"), cl::cat(category));

cl::opt<Stage> emitStage(
    "emit-stage", cl::desc("With --emit=mlir: the pipeline stage to print"),
    cl::init(Stage::Planned),
    cl::values(
        clEnumValN(Stage::Parsed, "parsed",
                   "as built from the spec, before shape inference"),
        clEnumValN(Stage::Shapes, "shapes",
                   "after nn-shape-inference: every shape static"),
        clEnumValN(Stage::Autodiff, "autodiff",
                   "after nn-autodiff: @init, @gradients, @train_step, "
                   "@eval_step"),
        clEnumValN(Stage::Fused, "fused",
                   "after kernel-fusion: kernel.launch groups"),
        clEnumValN(Stage::Planned, "planned",
                   "after kernel-memory-plan: offsets in the arena (default)")),
    cl::cat(category));

cl::opt<std::string> outputPath(
    "o",
    cl::desc("The training executable to build (with --emit: the file "
             "to print to, default stdout)"),
    cl::value_desc("file"), cl::cat(category));

cl::opt<std::string>
    keepSources("keep-sources",
                cl::desc("Write the generated sources to this folder and "
                         "keep them"),
                cl::value_desc("dir"), cl::cat(category));

cl::opt<std::string> cxx("cxx", cl::desc("Host C++ compiler (default c++)"),
                         cl::init("c++"), cl::cat(category));

cl::opt<std::string>
    cxxflags("cxxflags",
             cl::desc("Flags for the host compiler (default: -O3 -march=native "
                      "-fopenmp)"),
             cl::init(alexc::kDefaultCxxFlags), cl::cat(category));

enum class Mode { Train, Inference };
cl::opt<Mode> mode(
    "mode", cl::desc("What the executable at -o does (default train)"),
    cl::init(Mode::Train),
    cl::values(clEnumValN(Mode::Train, "train",
                          "train and evaluate (the whole training loop)"),
               clEnumValN(Mode::Inference, "inference",
                          "classify images with trained weights (--weights); "
                          "CPU code only")),
    cl::cat(category));

enum class Target { Default, Cpu, Cuda, All };
cl::opt<Target>
    target("target",
           cl::desc("Code to generate (default: all when nvcc is found, "
                    "else cpu)"),
           cl::init(Target::Default),
           cl::values(clEnumValN(Target::Cpu, "cpu", "C++ with OpenMP"),
                      clEnumValN(Target::Cuda, "cuda",
                                 "CUDA, with the C++ code as the CPU fallback "
                                 "(the same as all)"),
                      clEnumValN(Target::All, "all",
                                 "C++ and CUDA in one executable")),
           cl::cat(category));

cl::opt<std::string>
    cudaArch("cuda-arch",
             cl::desc("GPU architectures, comma-separated (default "
                      "sm_80,sm_90,sm_100: A100, H100, B200; plus the newest "
                      "one's PTX for later GPUs)"),
             cl::init("sm_80,sm_90,sm_100"), cl::cat(category));

cl::opt<std::string> nvccPath("nvcc",
                              cl::desc("The CUDA compiler (default: "
                                       "nvcc on PATH or in "
                                       "/usr/local/cuda/bin)"),
                              cl::init(""), cl::cat(category));

cl::opt<int64_t> batchSize("batch-size",
                           cl::desc("Override the spec's batch_size"),
                           cl::init(0), cl::cat(category));

cl::opt<int64_t>
    ranks("ranks",
          cl::desc("Data-parallel ranks the executable is built for: each "
                   "rank's step takes ceil(batch_size / N) rows (default 1; "
                   "mpirun -np N runs it)"),
          cl::init(1), cl::cat(category));

cl::opt<bool> disableDropout(
    "disable-dropout",
    cl::desc("With --emit: build the IR without dropout (executables take "
             "--disable-dropout at run time)"),
    cl::init(false), cl::cat(category));

cl::opt<bool> concatInPlace(
    "concat-in-place",
    cl::desc("Have each concat input's producer write it into the concat's "
             "buffer where it can (default true; =false copies every "
             "input, for comparison)"),
    cl::init(true), cl::cat(category));

cl::opt<bool> printDebugInfo("print-locations",
                             cl::desc("Print op locations (the spec layer "
                                      "each op comes from)"),
                             cl::init(false), cl::cat(category));

// Taken out of argv before LLVM's parser sees them: LLVM registers a
// `-stats` option of its own, and everything after --interpret belongs to
// the training loop.
bool stats = false;
bool interpretMode = false;

int fail(const std::string &message) {
  llvm::errs() << "alexc: error: " << message << "\n";
  return 1;
}

/// An error in the spec: "spec:line:col: error: message", the line and a
/// caret; without a line, "alexc: error: spec: message".
int reportAt(const std::string &specText, alexc::SourceLoc loc,
             const std::string &message, const char *severity = "error") {
  if (!loc.known())
    return fail(specPath + ": " + message);
  llvm::errs() << alexc::formatDiagnostic(specPath, specText, loc, message,
                                          severity);
  return 1;
}

/// A verifier's "'nn.conv2d' op MESSAGE" names the layer instead, as the
/// spec's user wrote it.
std::string layerMessage(Diagnostic &diag) {
  std::string message = diag.str();
  auto info = alexc::nn::getLayerInfo(diag.getLocation());
  size_t op = message.find("' op ");
  if (!info || message.rfind("'nn.", 0) != 0 || op == std::string::npos)
    return message;
  return "layer '" + info->name + "' (" + info->type + ", #" +
         std::to_string(info->index) + "): " + message.substr(op + 5);
}

/// The spec position an op's location carries, if any.
alexc::SourceLoc specLocation(Location loc) {
  alexc::SourceLoc out;
  loc->walk([&](Location l) {
    if (auto file = dyn_cast<FileLineColLoc>(l)) {
      out = {int64_t(file.getLine()), int64_t(file.getColumn())};
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return out;
}

bool readFile(const std::string &path, std::string &text) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return false;
  text = (*buf)->getBuffer().str();
  return true;
}

int interpret(const alexc::ModelSpec &spec, const std::string &hash,
              MLIRContext &ctx, std::vector<char *> trainerArgs) {
  alexc::PipelineOptions on, off;
  off.disableDropout = true;
  auto withDropout = alexc::compileSpec(ctx, spec, on);
  auto withoutDropout = alexc::compileSpec(ctx, spec, off);
  if (!withDropout || !withoutDropout)
    return 1;
  alexc::rt::ModelConfig config =
      alexc::interp::configFromModule(*withDropout, spec, hash);
  return alexc::rt::trainMain(
      int(trainerArgs.size()), trainerArgs.data(), config,
      [&](const std::string &device, const alexc::rt::DeviceOptions &,
          std::string &error) -> std::unique_ptr<alexc::rt::Executor> {
        if (device != "cpu") {
          error = "--interpret runs on the CPU only";
          return nullptr;
        }
        return alexc::interp::createInterpreterExecutor(
            *withDropout, *withoutDropout, config);
      });
}

/// The C++ and CUDA sources of a planned module.
struct Sources {
  std::string cpp, cuda;
  bool withCuda = false;
  alexc::CudaToolkit toolkit;
  std::vector<std::string> archs; // --cuda-arch, parsed
};

/// Writes `text` to `path`; false (and `error`) when it cannot.
bool writeFile(const llvm::Twine &path, const std::string &text,
               std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path.str(), ec);
  if (ec) {
    error = path.str() + ": " + ec.message();
    return false;
  }
  os << text;
  return true;
}

/// A bad output path is reported before minutes of compiling.
int checkOutputFolder() {
  llvm::StringRef outDir = llvm::sys::path::parent_path(outputPath.getValue());
  if (!outDir.empty() && !llvm::sys::fs::is_directory(outDir))
    return fail("-o " + outputPath + ": the folder " + outDir.str() +
                " does not exist");
  if (!outDir.empty() &&
      llvm::sys::fs::access(outDir, llvm::sys::fs::AccessMode::Write))
    return fail("-o " + outputPath + ": the folder " + outDir.str() +
                " is not writable");
  return 0;
}

/// nvcc (about twice as long as the C++) runs beside the host compiler;
/// the CUDA object becomes a shared library that the executable carries
/// (opened when a run asks for the GPU); then `req` links the executable.
bool compileSideBySide(const Sources &src, const std::string &name,
                       llvm::StringRef dir, const alexc::RuntimePaths &runtime,
                       alexc::BuildRequest &req, std::string &error) {
  llvm::SmallString<256> cu(dir), obj(dir), hostObj(dir);
  llvm::sys::path::append(cu, name + "_cuda.cu");
  llvm::sys::path::append(obj, name + "_cuda.o");
  llvm::sys::path::append(hostObj, name + "_cpu.o");
  if (!writeFile(cu, src.cuda, error))
    return false;
  // The tuning cache's key for measured kernel variants.
  std::string codeHash =
      alexc::codegen::hashText(src.cuda + alexc::runtimeHeaderText(runtime));
  llvm::errs() << "alexc: compiling the CUDA code (" << src.toolkit.nvcc << ", "
               << cudaArch << (src.toolkit.nccl ? ", with NCCL" : "")
               << ", kernel code " << codeHash << ") and the C++ code ("
               << req.cxx << " " << req.cxxflags << ") side by side\n";
  alexc::BackgroundCommand nvcc;
  std::string hostError;
  bool ok =
      alexc::startCudaCompile(src.toolkit, cu.str().str(), obj.str().str(),
                              src.archs, codeHash, runtime, nvcc, error);
  bool hostOk = ok && alexc::compileHostObject(req, runtime, req.sources[0],
                                               hostObj.str().str(), hostError);
  ok = ok && nvcc.finish(error);
  if (ok && !hostOk) {
    ok = false;
    error = hostError;
  }
  // The kernel check (--check-kernels) is in the runtime library.
  std::string checkLib = runtime.libDir + "/libalexc_runtime_cuda.a";
  if (ok && !llvm::sys::fs::exists(checkLib)) {
    error = checkLib +
            " is missing: this alexc was built without the CUDA "
            "toolkit (rebuild it where nvcc is, or use --target cpu)";
    ok = false;
  }
  llvm::SmallString<256> so(dir), embed(dir), embedObj(dir);
  llvm::sys::path::append(so, name + "_cuda.so");
  llvm::sys::path::append(embed, name + "_cuda_embed.S");
  llvm::sys::path::append(embedObj, name + "_cuda_embed.o");
  ok = ok &&
       alexc::linkCudaLibrary(req, src.toolkit, runtime, obj.str().str(),
                              so.str().str(), error) &&
       writeFile(embed, alexc::embeddingAssembly(so.str().str()), error) &&
       alexc::compileHostObject(req, runtime, embed.str().str(),
                                embedObj.str().str(), error);
  req.sources.clear();
  req.objects = {hostObj.str().str(), embedObj.str().str()};
  // The CUDA library resolves the runtime's symbols against the executable.
  req.linkFlags = {"-rdynamic", "-ldl"};
  return ok;
}

/// Compiles the sources with the runtime into the executable at -o.
int buildTrainingExecutable(const Sources &src, const std::string &name,
                            const char *argv0) {
  if (int rc = checkOutputFolder())
    return rc;
  std::string error;
  alexc::RuntimePaths runtime;
  if (!alexc::findRuntime(argv0, runtime, error))
    return fail(error);
  llvm::SmallString<256> dir;
  if (!keepSources.empty()) {
    dir = keepSources;
    if (auto ec = llvm::sys::fs::create_directories(dir))
      return fail(keepSources + ": cannot create: " + ec.message());
  } else if (auto ec = llvm::sys::fs::createUniqueDirectory("alexc", dir)) {
    return fail("cannot create a temporary folder: " + ec.message());
  }
  llvm::SmallString<256> sourcePath(dir);
  llvm::sys::path::append(sourcePath, name + "_cpu.cpp");
  if (!writeFile(sourcePath, src.cpp, error))
    return fail(error);
  alexc::BuildRequest req;
  req.cxx = cxx;
  req.cxxflags = cxxflags;
  req.sources = {sourcePath.str().str()};
  req.output = outputPath;
  req.inference = mode == Mode::Inference;
  auto start = std::chrono::steady_clock::now();
  bool ok = true;
  if (src.withCuda) {
    ok = compileSideBySide(src, name, dir, runtime, req, error);
    if (ok)
      llvm::errs() << "alexc: linking " << outputPath << "\n";
  } else {
    llvm::errs() << "alexc: building " << outputPath << " (" << req.cxx << " "
                 << req.cxxflags << ")\n";
  }
  ok = ok && alexc::buildExecutable(req, runtime, error);
  if (keepSources.empty())
    llvm::sys::fs::remove_directories(dir);
  if (!ok)
    return fail(error);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  llvm::errs() << "alexc: wrote " << outputPath << " in "
               << llvm::format("%.1f", seconds) << " s; run ./"
               << llvm::sys::path::filename(outputPath)
               << " --help for its options\n";
  return 0;
}

/// `--stats` for the training and evaluation steps.
int printStepStats(ModuleOp module, const alexc::ModelSpec &spec) {
  for (StringRef name : {"train_step", "eval_step"}) {
    auto func = module.lookupSymbol<func::FuncOp>(name);
    if (!func || !func->hasAttr("kernel.arena_bytes"))
      return fail("--stats needs the planned stage (the default)");
    alexc::printStats(llvm::outs(),
                      ("@" + name + " of '" + spec.name + "' at batch " +
                       std::to_string(spec.batchSize) + ":")
                          .str(),
                      alexc::collectStats(func));
  }
  return 0;
}

/// Writes `text` to -o, or to stdout without it (--emit).
int emitToOutput(llvm::function_ref<void(raw_ostream &)> print) {
  std::string errorMessage;
  auto output = openOutputFile(outputPath.empty() ? "-" : outputPath.getValue(),
                               &errorMessage);
  if (!output)
    return fail(errorMessage);
  print(output->os());
  output->keep();
  return 0;
}

/// --emit=onnx: the shape-inferred forward graph with the tensors of
/// --weights, checked by ONNX itself, written to -o.
int exportOnnx(ModuleOp module, const alexc::ModelSpec &spec,
               const std::string &hash) {
  namespace ox = alexc::onnx_export;
  if (weightsPath.empty())
    return fail("--emit=onnx needs --weights FILE (a checkpoint, or the "
                "file of --save)");
  if (outputPath.empty())
    return fail("--emit=onnx writes a binary file: give -o FILE.onnx");
  if (int rc = checkOutputFolder())
    return rc;
  alexc::rt::Safetensors weights;
  std::string error, bytes;
  ox::OnnxGraph graph;
  if (!alexc::rt::readSafetensors(weightsPath, weights, error) ||
      !ox::buildOnnxGraph(module, weights, weightsPath, graph, error))
    return fail(error);
  auto saved = weights.metadata.find("spec_hash");
  if (saved != weights.metadata.end() && saved->second != hash)
    llvm::errs() << "alexc: note: " << weightsPath
                 << " was saved by another spec; its tensors are taken by "
                    "name\n";
  graph.docString = "alexc " + spec.sourcePath + " with the weights of " +
                    weightsPath +
                    ". Input 'images': N x C x H x W float32, pixels / 255, "
                    "resized bilinearly to the model's size as in training. "
                    "Output 'logits': N x classes, before softmax.";
  graph.metadata = {{"alexc.spec_hash", hash}, {"alexc.model", spec.name}};
  if (!ox::writeOnnxModel(graph, ALEXC_VERSION, bytes, error))
    return fail("--emit=onnx: " + error);
  if (!writeFile(outputPath, bytes, error))
    return fail(error);
  llvm::errs() << "alexc: wrote " << outputPath << " (ONNX opset "
               << ox::kOnnxOpset << ", " << graph.nodes.size() << " nodes, "
               << graph.initializers.size() << " tensors, "
               << llvm::format("%.1f", bytes.size() / 1e6) << " MB)\n";
  return 0;
}

/// Generates the C++ and, when wanted and possible, the CUDA sources.
int generateSources(ModuleOp module, const alexc::ModelSpec &spec,
                    const std::string &hash, Sources &src) {
  llvm::raw_string_ostream cppStream(src.cpp), cudaStream(src.cuda);
  if (failed(alexc::codegen::emitCpp(module, spec, hash, cppStream)))
    return 1;
  if (mode == Mode::Inference &&
      (target == Target::Cuda || target == Target::All))
    return fail("--mode=inference builds CPU code only (--target cpu)");
  bool haveCuda = mode == Mode::Train && alexc::findCuda(nvccPath, src.toolkit);
  src.withCuda = target == Target::All || target == Target::Cuda ||
                 (target == Target::Default && haveCuda);
  if (emit == Emit::Cuda || (emit == Emit::None && src.withCuda))
    if (failed(alexc::codegen::emitCuda(module, spec, cudaStream)))
      return 1;
  std::string archError;
  if (emit == Emit::None && src.withCuda &&
      !alexc::parseCudaArchs(cudaArch, src.archs, archError))
    return fail(archError);
  if (emit == Emit::None && src.withCuda && !haveCuda)
    return fail("--target " +
                std::string(target == Target::Cuda ? "cuda" : "all") +
                " needs nvcc, which was not found (see --nvcc)");
  if (emit == Emit::None && target == Target::Default && !haveCuda &&
      mode == Mode::Train)
    llvm::errs() << "alexc: note: nvcc not found; building CPU code only\n";
  return 0;
}

/// Splits alexc's own flags from those after --interpret (the trainer's)
/// and takes out --stats, which cl::opt would read as -s -t -a ...
void splitArguments(int argc, char **argv, std::vector<char *> &args,
                    std::vector<char *> &trainerArgs) {
  for (int i = 0; i < argc; ++i) {
    if (interpretMode) {
      trainerArgs.push_back(argv[i]);
    } else if (i > 0 && !strcmp(argv[i], "--interpret")) {
      interpretMode = true;
      trainerArgs.push_back(argv[0]);
    } else if (i > 0 &&
               (!strcmp(argv[i], "--stats") || !strcmp(argv[i], "-stats"))) {
      stats = true;
    } else {
      args.push_back(argv[i]);
    }
  }
}

/// Reads the spec (with --batch-size applied) and its hash.
int loadSpec(alexc::ModelSpec &spec, std::string &specText, std::string &hash) {
  std::optional<alexc::SpecFormat> format = alexc::specFormatOf(specPath);
  if (!format)
    return fail(alexc::unknownSpecSuffixError(specPath));
  if (!readFile(specPath, specText))
    return fail(specPath + ": cannot open the spec file");
  alexc::SpecDiagnostic diag;
  if (!alexc::readModelSpec(specText, *format, spec, diag))
    return reportAt(specText, diag.loc, diag.message);
  spec.sourcePath = specPath;
  if (batchSize < 0)
    return fail("--batch-size must be positive");
  if (batchSize > 0)
    spec.batchSize = batchSize;
  if (ranks < 1 || ranks > spec.batchSize)
    return fail("--ranks must be between 1 and the batch size (" +
                std::to_string(spec.batchSize) + "), got " +
                std::to_string(ranks));
  spec.ranks = ranks;
  // The canonical form: a checkpoint resumes under the same model written
  // in the other form, reformatted, or with comments changed.
  hash = alexc::codegen::hashText(alexc::writeSpecJson(spec));
  return 0;
}

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

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  const char *argv0 = argv[0];
  std::vector<char *> args, trainerArgs;
  splitArguments(argc, argv, args, trainerArgs);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "alexc " << ALEXC_VERSION << "\n  built with MLIR "
       << LLVM_VERSION_STRING << ", CUDA " << ALEXC_BUILT_CUDA << ", MPI "
       << ALEXC_BUILT_MPI << "\n";
  });
  cl::ParseCommandLineOptions(int(args.size()), args.data(), kOverview);

  alexc::ModelSpec spec;
  std::string specText, hash;
  if (int rc = loadSpec(spec, specText, hash))
    return rc;
  if (emit == Emit::Json || emit == Emit::Spec)
    return emitToOutput([&](raw_ostream &os) {
      os << (emit == Emit::Json ? alexc::writeSpecJson(spec)
                                : alexc::writeSpecLanguage(spec));
    });
  MLIRContext ctx;
  ctx.printOpOnDiagnostic(false);
  // Diagnostics from verifiers and passes: at the layer's line in the spec
  // when the op came from one, else one line naming the spec.
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    bool error = diag.getSeverity() == DiagnosticSeverity::Error;
    alexc::SourceLoc at = specLocation(diag.getLocation());
    if (at.known())
      reportAt(specText, at, layerMessage(diag), error ? "error" : "note");
    else
      llvm::errs() << "alexc: " << (error ? "error" : "note") << ": "
                   << specPath << ": " << diag << "\n";
    for (Diagnostic &note : diag.getNotes())
      llvm::errs() << "alexc: note: " << note << "\n";
    return success();
  });
  if (interpretMode)
    return interpret(spec, hash, ctx, trainerArgs);
  if (emit == Emit::None && !stats && outputPath.empty())
    return fail("nothing to do: give -o FILE to build a training executable, "
                "or --emit, --stats, --interpret (see --help)");

  alexc::PipelineOptions options;
  options.stopAfter = emit == Emit::MLIR   ? emitStage.getValue()
                      : emit == Emit::Onnx ? Stage::Shapes
                                           : Stage::Planned;
  options.disableDropout = disableDropout;
  options.predict = mode == Mode::Inference;
  options.concatInPlace = concatInPlace;
  OwningOpRef<ModuleOp> module = alexc::compileSpec(ctx, spec, options);
  if (!module)
    return 1;
  if (emit == Emit::Onnx)
    return exportOnnx(*module, spec, hash);
  if (stats) {
    if (int rc = printStepStats(*module, spec))
      return rc;
    if (emit == Emit::None && outputPath.empty())
      return 0;
  }
  if (emit == Emit::Dot) {
    std::string text;
    llvm::raw_string_ostream dot(text);
    if (failed(alexc::codegen::emitDot(*module, dotFunction, dot)))
      return 1;
    return emitToOutput([&](raw_ostream &os) { os << text; });
  }
  if (emit == Emit::MLIR)
    return emitToOutput([&](raw_ostream &os) {
      OpPrintingFlags flags;
      if (printDebugInfo)
        flags.enableDebugInfo();
      module->print(os, flags);
    });
  Sources src;
  if (int rc = generateSources(*module, spec, hash, src))
    return rc;
  if (emit == Emit::Cpp || emit == Emit::Cuda)
    return emitToOutput([&](raw_ostream &os) {
      os << (emit == Emit::Cpp ? src.cpp : src.cuda);
    });
  return buildTrainingExecutable(src, spec.name, argv0);
}
