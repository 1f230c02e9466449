//===- Session.h - One spec read, checked and compiled ----------*- C++ -*-===//
//
// What every tool that starts from a spec does first: read the file (the
// suffix picks the form), validate it, apply the command line's
// overrides, hash it, and compile it in an MLIR context whose diagnostics
// are reported at the spec's lines with the layer named as the user wrote
// it. alexc, alexc-reference-step and alexc-kernel-check use it.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_DRIVER_SESSION_H
#define ALEXC_DRIVER_SESSION_H

#include "Driver/Pipeline.h"
#include "Frontend/ModelSpec.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <memory>
#include <string>

namespace alexc {

/// Command-line settings that replace the spec's (0: keep the spec's).
struct SpecOverrides {
  int64_t batchSize = 0;
  int64_t ranks = 1; // data-parallel ranks (alexc --ranks)
};

class Session {
public:
  /// `tool` prefixes messages without a spec position ("alexc: error:").
  explicit Session(std::string tool = "alexc");

  /// Reads, validates and hashes the spec at `path`; reports and returns
  /// false on any error.
  bool load(const std::string &path, const SpecOverrides &overrides = {});

  /// Builds the module and runs the passes up to options.stopAfter; null
  /// after the diagnostics are reported.
  mlir::OwningOpRef<mlir::ModuleOp> compile(const PipelineOptions &options);

  const ModelSpec &spec() const { return spec_; }
  /// The digest of the spec's canonical JSON: a checkpoint resumes under
  /// the same model written in the other form or reformatted.
  const std::string &hash() const { return hash_; }
  mlir::MLIRContext &context() { return context_; }

  /// Prints "TOOL: error: MESSAGE"; returns 1, the tools' exit status.
  int fail(const std::string &message) const;

private:
  int reportAt(SourceLoc loc, const std::string &message,
               const char *severity = "error") const;
  void report(mlir::Diagnostic &diag) const;

  std::string tool, path, text, hash_;
  ModelSpec spec_;
  mlir::MLIRContext context_;
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handler;
};

} // namespace alexc

#endif
