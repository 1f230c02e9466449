//===- Toolchain.cpp - Build generated sources into an executable ---------===//
#include "Driver/Toolchain.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <algorithm>

namespace alexc {

/// Runs a command; on failure `error` holds it and the end of its output.
static bool run(const std::vector<std::string> &args, std::string &error);

bool findRuntime(const char *argv0, RuntimePaths &paths, std::string &error) {
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable(argv0, &anchor);
  llvm::SmallString<256> prefix(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::SmallString<256> lib(prefix), inc(prefix);
  llvm::sys::path::append(lib, "lib", "alexc");
  llvm::sys::path::append(inc, "include", "alexc");
  llvm::SmallString<256> probe(lib);
  llvm::sys::path::append(probe, "libalexc_runtime.a");
  if (!llvm::sys::fs::exists(probe)) {
    error = "cannot find the alexc runtime (looked for " + probe.str().str() +
            "); is alexc installed with its lib/alexc folder?";
    return false;
  }
  paths = {lib.str().str(), inc.str().str()};
  return true;
}

/// The host compiler with req's flags and the runtime's headers.
static bool hostCompiler(const BuildRequest &req, const RuntimePaths &runtime,
                         std::vector<std::string> &args, std::string &error) {
  auto cxx = llvm::sys::findProgramByName(req.cxx);
  if (!cxx) {
    error = "cannot find the C++ compiler '" + req.cxx + "' (see --cxx)";
    return false;
  }
  args = {*cxx};
  llvm::SmallVector<llvm::StringRef> flags;
  llvm::StringRef(req.cxxflags).split(flags, ' ', -1, false);
  for (llvm::StringRef f : flags)
    args.push_back(f.str());
  args.push_back("-std=c++17");
  args.push_back("-I" + runtime.includeDir);
  return true;
}

bool compileHostObject(const BuildRequest &req, const RuntimePaths &runtime,
                       const std::string &source, const std::string &object,
                       std::string &error) {
  std::vector<std::string> args;
  if (!hostCompiler(req, runtime, args, error))
    return false;
  args.insert(args.end(), {"-c", source, "-o", object});
  return run(args, error);
}

/// Appends a comma-separated library list (CMake's, as CMake passes it).
[[maybe_unused]] static void appendLibraries(llvm::StringRef list,
                                             std::vector<std::string> &args) {
  llvm::SmallVector<llvm::StringRef> libs;
  list.split(libs, ',', -1, false);
  for (llvm::StringRef lib : libs)
    args.push_back(lib.str());
}

bool buildExecutable(const BuildRequest &req, const RuntimePaths &runtime,
                     std::string &error) {
  std::vector<std::string> args;
  if (!hostCompiler(req, runtime, args, error))
    return false;
  if (req.shared) {
    args.push_back("-shared");
    args.push_back("-fPIC");
  }
  for (const std::string &s : req.sources)
    args.push_back(s);
  args.push_back("-o");
  args.push_back(req.output);
  if (req.withMain && !req.shared)
    args.push_back(runtime.libDir + (req.inference
                                         ? "/libalexc_runtime_infer.a"
                                         : "/libalexc_runtime_main.a"));
  for (const std::string &o : req.objects)
    args.push_back(o);
  args.push_back(runtime.libDir + "/libalexc_runtime.a");
  args.push_back("-lz");
  args.push_back("-fopenmp");
#ifdef ALEXC_PNG_LIBRARIES
  appendLibraries(ALEXC_PNG_LIBRARIES, args);
#endif
#ifdef ALEXC_MPI_LIBRARIES
  appendLibraries(ALEXC_MPI_LIBRARIES, args);
#endif
  for (const std::string &f : req.linkFlags)
    args.push_back(f);
  return run(args, error);
}

bool linkCudaLibrary(const BuildRequest &req, const CudaToolkit &cuda,
                     const RuntimePaths &runtime, const std::string &object,
                     const std::string &output, std::string &error) {
  std::vector<std::string> args;
  if (!hostCompiler(req, runtime, args, error))
    return false;
  // Symbols of the executable's runtime (the model, the tuning cache) are
  // resolved against it when the library is opened.
  args.insert(args.end(),
              {"-shared", "-fPIC", "-o", output, object,
               runtime.libDir + "/libalexc_runtime_cuda.a", "-L" + cuda.libDir,
               "-lcudart_static", "-lcublas", "-lcudnn", "-ldl", "-lrt",
               "-lpthread", "-Wl,-rpath," + cuda.libDir});
  return run(args, error);
}

std::string embeddingAssembly(const std::string &file) {
  std::string quoted;
  for (char c : file)
    quoted += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  return "  .section .rodata\n"
         "  .balign 64\n"
         "  .globl alexc_cuda_library\n"
         "alexc_cuda_library:\n"
         "  .incbin \"" +
         quoted +
         "\"\n"
         "  .globl alexc_cuda_library_end\n"
         "alexc_cuda_library_end:\n"
         "  .section .note.GNU-stack,\"\",@progbits\n";
}

bool findCuda(const std::string &hint, CudaToolkit &cuda) {
  std::string nvcc = hint;
  if (nvcc.empty()) {
    if (auto p = llvm::sys::findProgramByName("nvcc"))
      nvcc = *p;
    else if (llvm::sys::fs::can_execute("/usr/local/cuda/bin/nvcc"))
      nvcc = "/usr/local/cuda/bin/nvcc";
  }
  if (nvcc.empty() || !llvm::sys::fs::can_execute(nvcc))
    return false;
  llvm::SmallString<256> root(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(nvcc)));
  llvm::SmallString<256> lib(root), ncclHeader(root);
  llvm::sys::path::append(lib, "lib64");
  llvm::sys::path::append(ncclHeader, "include", "nccl.h");
  cuda = {nvcc, lib.str().str(), llvm::sys::fs::exists(ncclHeader)};
  return true;
}

bool parseCudaArchs(const std::string &list, std::vector<std::string> &codes,
                    std::string &error) {
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(list).split(parts, ',', -1, false);
  for (llvm::StringRef p : parts) {
    p = p.trim();
    unsigned version;
    if (!p.consume_front("sm_") || p.getAsInteger(10, version) ||
        version < 50) {
      error = "--cuda-arch: '" + list +
              "' is not a list of GPU architectures such as sm_80,sm_90";
      return false;
    }
    codes.push_back("sm_" + std::to_string(version));
  }
  if (codes.empty()) {
    error = "--cuda-arch: no architecture given";
    return false;
  }
  llvm::sort(codes, [](const std::string &a, const std::string &b) {
    return std::stoi(a.substr(3)) < std::stoi(b.substr(3));
  });
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  return true;
}

std::string runtimeHeaderText(const RuntimePaths &runtime) {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::recursive_directory_iterator it(runtime.includeDir, ec),
       end;
       it != end && !ec; it.increment(ec))
    if (it->type() == llvm::sys::fs::file_type::regular_file)
      files.push_back(it->path());
  std::sort(files.begin(), files.end());
  std::string text;
  for (const std::string &file : files)
    if (auto buf = llvm::MemoryBuffer::getFile(file))
      text += file.substr(runtime.includeDir.size()) + "\n" +
              (*buf)->getBuffer().str();
  return text;
}

bool startCudaCompile(const CudaToolkit &cuda, const std::string &source,
                      const std::string &object,
                      const std::vector<std::string> &codes,
                      const std::string &codeHash, const RuntimePaths &runtime,
                      BackgroundCommand &nvcc, std::string &error) {
  std::vector<std::string> args = {cuda.nvcc, "-O3", "-std=c++17",
                                   "-I" + runtime.includeDir};
  if (cuda.nccl)
    args.push_back("-DALEXC_HAVE_NCCL");
  args.insert(args.end(), {"-Xcompiler", "-fPIC"}); // for linkCudaLibrary
  args.push_back("-DALEXC_KERNEL_HASH=\"" + codeHash + "\"");
  // Machine code for each architecture, and the PTX of the newest, which
  // the driver compiles for GPUs newer than all of them.
  for (const std::string &sm : codes)
    args.push_back("-gencode=arch=compute_" + sm.substr(3) + ",code=" + sm);
  std::string newest = "compute_" + codes.back().substr(3);
  args.push_back("-gencode=arch=" + newest + ",code=" + newest);
  args.insert(args.end(), {"-c", source, "-o", object});
  return nvcc.start(args, error);
}

bool BackgroundCommand::start(std::vector<std::string> args,
                              std::string &error) {
  args_ = std::move(args);
  llvm::SmallString<128> log;
  if (auto ec = llvm::sys::fs::createTemporaryFile("alexc-cxx", "log", log)) {
    error = "cannot create a log file for " + args_[0] + ": " + ec.message();
    return false;
  }
  log_ = log.str().str();
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log_, log_};
  std::vector<llvm::StringRef> argRefs(args_.begin(), args_.end());
  std::string execError;
  bool failed = false;
  process_ = llvm::sys::ExecuteNoWait(args_[0], argRefs, std::nullopt,
                                      redirects, 0, &execError, &failed);
  if (failed) {
    error = "cannot run " + args_[0] + ": " + execError;
    llvm::sys::fs::remove(log_);
    return false;
  }
  running_ = true;
  return true;
}

bool BackgroundCommand::finish(std::string &error) {
  if (!running_)
    return false;
  std::string execError;
  process_ = llvm::sys::Wait(process_, std::nullopt, &execError);
  running_ = false;
  int rc = process_.ReturnCode;
  if (rc != 0) {
    error = llvm::sys::path::filename(args_[0]).str() + " failed (exit " +
            std::to_string(rc) + ")";
    if (!execError.empty())
      error += ": " + execError;
    error += "\ncommand: " + llvm::join(args_, " ");
    if (auto buf = llvm::MemoryBuffer::getFile(log_))
      error += "\n" + (*buf)->getBuffer().take_back(4000).str();
  }
  llvm::sys::fs::remove(log_);
  return rc == 0;
}

BackgroundCommand::~BackgroundCommand() {
  std::string ignored;
  if (running_)
    finish(ignored);
}

bool run(const std::vector<std::string> &args, std::string &error) {
  BackgroundCommand command;
  return command.start(args, error) && command.finish(error);
}

} // namespace alexc
