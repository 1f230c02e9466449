//===- Build.cpp - Generated sources to an executable ---------------------===//
#include "Driver/Build.h"
#include "Codegen/CppEmitter.h"
#include "Codegen/CudaEmitter.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace alexc {

bool writeTextFile(const std::string &path, const std::string &text,
                   std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    error = path + ": " + ec.message();
    return false;
  }
  os << text;
  return true;
}

bool checkOutputFolder(const std::string &output, std::string &error) {
  llvm::StringRef outDir = llvm::sys::path::parent_path(output);
  if (!outDir.empty() && !llvm::sys::fs::is_directory(outDir))
    error = "-o " + output + ": the folder " + outDir.str() + " does not exist";
  else if (!outDir.empty() &&
           llvm::sys::fs::access(outDir, llvm::sys::fs::AccessMode::Write))
    error =
        "-o " + output + ": the folder " + outDir.str() + " is not writable";
  return error.empty();
}

bool generateSources(mlir::ModuleOp module, const ModelSpec &spec,
                     const std::string &hash, const BuildOptions &options,
                     SourceUse use, Sources &src, std::string &error) {
  llvm::raw_string_ostream cppStream(src.cpp), cudaStream(src.cuda);
  if (failed(codegen::emitCpp(module, spec, hash, cppStream)))
    return false;
  bool train = options.mode == ExecutableMode::Train;
  Target target = options.target;
  if (!train && (target == Target::Cuda || target == Target::All)) {
    error = "--mode=inference builds CPU code only (--target cpu)";
    return false;
  }
  bool haveCuda = train && findCuda(options.nvcc, src.toolkit);
  src.withCuda = target == Target::All || target == Target::Cuda ||
                 (target == Target::Default && haveCuda);
  bool build = use == SourceUse::Build;
  if ((use == SourceUse::PrintCuda || (build && src.withCuda)) &&
      failed(codegen::emitCuda(module, spec, cudaStream)))
    return false;
  if (!build || !src.withCuda) {
    if (build && target == Target::Default && !haveCuda && train)
      llvm::errs() << "alexc: note: nvcc not found; building CPU code only\n";
    return true;
  }
  if (!parseCudaArchs(options.cudaArch, src.archs, error))
    return false;
  if (!haveCuda)
    error = "--target " + std::string(target == Target::Cuda ? "cuda" : "all") +
            " needs nvcc, which was not found (see --nvcc)";
  return haveCuda;
}

namespace {

/// A path in `dir`.
std::string inFolder(llvm::StringRef dir, const std::string &file) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, file);
  return path.str().str();
}

/// The CUDA object becomes a shared library that the executable carries
/// (opened when a run asks for the GPU), embedded by an assembly file;
/// `req` then links the executable from `hostObj` and it.
bool linkCudaHalf(const Sources &src, const std::string &name,
                  llvm::StringRef dir, const RuntimePaths &runtime,
                  const std::string &cudaObj, const std::string &hostObj,
                  BuildRequest &req, std::string &error) {
  // The kernel check (--check-kernels) is in the runtime library.
  std::string checkLib = runtime.libDir + "/libalexc_runtime_cuda.a";
  if (!llvm::sys::fs::exists(checkLib)) {
    error = checkLib + " is missing: this alexc was built without the CUDA "
                       "toolkit (rebuild it where nvcc is, or use --target "
                       "cpu)";
    return false;
  }
  std::string so = inFolder(dir, name + "_cuda.so"),
              embed = inFolder(dir, name + "_cuda_embed.S"),
              embedObj = inFolder(dir, name + "_cuda_embed.o");
  if (!linkCudaLibrary(req, src.toolkit, runtime, cudaObj, so, error) ||
      !writeTextFile(embed, embeddingAssembly(so), error) ||
      !compileHostObject(req, runtime, embed, embedObj, error))
    return false;
  req.sources.clear();
  req.objects = {hostObj, embedObj};
  // The CUDA library resolves the runtime's symbols against the executable.
  req.linkFlags = {"-rdynamic", "-ldl"};
  return true;
}

/// nvcc (about twice as long as the C++) runs beside the host compiler,
/// then the CUDA half is linked in.
bool compileSideBySide(const Sources &src, const std::string &name,
                       llvm::StringRef dir, const RuntimePaths &runtime,
                       const BuildOptions &options, BuildRequest &req,
                       std::string &error) {
  std::string cu = inFolder(dir, name + "_cuda.cu"),
              obj = inFolder(dir, name + "_cuda.o"),
              hostObj = inFolder(dir, name + "_cpu.o");
  if (!writeTextFile(cu, src.cuda, error))
    return false;
  // The tuning cache's key for measured kernel variants.
  std::string codeHash =
      codegen::hashText(src.cuda + runtimeHeaderText(runtime));
  llvm::errs() << "alexc: compiling the CUDA code (" << src.toolkit.nvcc << ", "
               << options.cudaArch << (src.toolkit.nccl ? ", with NCCL" : "")
               << ", kernel code " << codeHash << ") and the C++ code ("
               << req.cxx << " " << req.cxxflags << ") side by side\n";
  BackgroundCommand nvcc;
  std::string hostError;
  bool ok = startCudaCompile(src.toolkit, cu, obj, src.archs, codeHash, runtime,
                             nvcc, error);
  bool hostOk =
      ok && compileHostObject(req, runtime, req.sources[0], hostObj, hostError);
  ok = ok && nvcc.finish(error);
  if (ok && !hostOk) {
    error = hostError;
    return false;
  }
  return ok && linkCudaHalf(src, name, dir, runtime, obj, hostObj, req, error);
}

/// The folder the sources are written to: --keep-sources, or a new
/// temporary one.
bool sourceFolder(const BuildOptions &options, llvm::SmallString<256> &dir,
                  std::string &error) {
  if (options.keepSources.empty()) {
    if (auto ec = llvm::sys::fs::createUniqueDirectory("alexc", dir))
      error = "cannot create a temporary folder: " + ec.message();
  } else {
    dir = options.keepSources;
    if (auto ec = llvm::sys::fs::create_directories(dir))
      error = options.keepSources + ": cannot create: " + ec.message();
  }
  return error.empty();
}

} // namespace

bool buildModelExecutable(const Sources &src, const std::string &name,
                          const char *argv0, const BuildOptions &options,
                          std::string &error) {
  RuntimePaths runtime;
  llvm::SmallString<256> dir;
  if (!checkOutputFolder(options.output, error) ||
      !findRuntime(argv0, runtime, error) || !sourceFolder(options, dir, error))
    return false;
  std::string sourcePath = inFolder(dir, name + "_cpu.cpp");
  if (!writeTextFile(sourcePath, src.cpp, error))
    return false;
  BuildRequest req;
  req.cxx = options.cxx;
  req.cxxflags = options.cxxflags;
  req.sources = {sourcePath};
  req.output = options.output;
  req.inference = options.mode == ExecutableMode::Inference;
  auto start = std::chrono::steady_clock::now();
  bool ok = true;
  if (src.withCuda) {
    ok = compileSideBySide(src, name, dir, runtime, options, req, error);
    if (ok)
      llvm::errs() << "alexc: linking " << options.output << "\n";
  } else {
    llvm::errs() << "alexc: building " << options.output << " (" << req.cxx
                 << " " << req.cxxflags << ")\n";
  }
  ok = ok && buildExecutable(req, runtime, error);
  if (options.keepSources.empty())
    llvm::sys::fs::remove_directories(dir);
  if (!ok)
    return false;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  llvm::errs() << "alexc: wrote " << options.output << " in "
               << llvm::format("%.1f", seconds) << " s; run ./"
               << llvm::sys::path::filename(options.output)
               << " --help for its options\n";
  return true;
}

} // namespace alexc
