//===- Session.cpp - One spec read, checked and compiled ------------------===//
#include "Driver/Session.h"
#include "Codegen/CppEmitter.h"
#include "Dialect/NN/IR/LayerInfo.h"
#include "Frontend/SpecWriter.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace alexc {

namespace {

/// A verifier's "'nn.conv2d' op MESSAGE" names the layer instead, as the
/// spec's user wrote it.
std::string layerMessage(Diagnostic &diag) {
  std::string message = diag.str();
  auto info = nn::getLayerInfo(diag.getLocation());
  size_t op = message.find("' op ");
  if (!info || message.rfind("'nn.", 0) != 0 || op == std::string::npos)
    return message;
  return "layer '" + info->name + "' (" + info->type + ", #" +
         std::to_string(info->index) + "): " + message.substr(op + 5);
}

/// The spec position an op's location carries, if any.
SourceLoc specLocation(Location loc) {
  SourceLoc out;
  loc->walk([&](Location l) {
    if (auto file = dyn_cast<FileLineColLoc>(l)) {
      out = {int64_t(file.getLine()), int64_t(file.getColumn())};
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return out;
}

} // namespace

Session::Session(std::string tool) : tool(std::move(tool)) {
  context_.printOpOnDiagnostic(false);
  handler = std::make_unique<ScopedDiagnosticHandler>(&context_,
                                                      [this](Diagnostic &diag) {
                                                        report(diag);
                                                        return success();
                                                      });
}

int Session::fail(const std::string &message) const {
  llvm::errs() << tool << ": error: " << message << "\n";
  return 1;
}

/// "spec:line:col: error: message", the line and a caret; without a line,
/// "TOOL: error: spec: message".
int Session::reportAt(SourceLoc loc, const std::string &message,
                      const char *severity) const {
  if (!loc.known())
    return fail(path + ": " + message);
  llvm::errs() << formatDiagnostic(path, text, loc, message, severity);
  return 1;
}

/// Diagnostics from verifiers and passes: at the layer's line in the spec
/// when the op came from one, else one line naming the spec.
void Session::report(Diagnostic &diag) const {
  bool error = diag.getSeverity() == DiagnosticSeverity::Error;
  SourceLoc at = specLocation(diag.getLocation());
  if (at.known())
    reportAt(at, layerMessage(diag), error ? "error" : "note");
  else
    llvm::errs() << tool << ": " << (error ? "error" : "note") << ": " << path
                 << ": " << diag << "\n";
  for (Diagnostic &note : diag.getNotes())
    llvm::errs() << tool << ": note: " << note << "\n";
}

bool Session::load(const std::string &specPath,
                   const SpecOverrides &overrides) {
  path = specPath;
  std::optional<SpecFormat> format = specFormatOf(path);
  if (!format)
    return !fail(unknownSpecSuffixError(path));
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return !fail(path + ": cannot open the spec file");
  text = (*buffer)->getBuffer().str();
  SpecDiagnostic diag;
  if (!readModelSpec(text, *format, spec_, diag))
    return !reportAt(diag.loc, diag.message);
  spec_.sourcePath = path;
  if (overrides.batchSize < 0)
    return !fail("--batch-size must be positive");
  if (overrides.batchSize > 0)
    spec_.batchSize = overrides.batchSize;
  if (overrides.ranks < 1 || overrides.ranks > spec_.batchSize)
    return !fail("--ranks must be between 1 and the batch size (" +
                 std::to_string(spec_.batchSize) + "), got " +
                 std::to_string(overrides.ranks));
  spec_.ranks = overrides.ranks;
  hash_ = codegen::hashText(writeSpecJson(spec_));
  return true;
}

OwningOpRef<ModuleOp> Session::compile(const PipelineOptions &options) {
  return compileSpec(context_, spec_, options);
}

} // namespace alexc
