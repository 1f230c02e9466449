//===- SpecFuzz.h - One spec input, read and compiled -----------*- C++ -*-===//
//
// Shared by the JSON and the model-language targets. Besides "no crash, no
// sanitizer report", it checks what must hold for every input: a refused
// spec has a message and a position inside the text; an accepted one is
// written back in both forms and reads back to the same spec; and a small
// one goes through nn IR building, the verifier and shape inference.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_TESTS_FUZZ_SPECFUZZ_H
#define ALEXC_TESTS_FUZZ_SPECFUZZ_H

#include "Driver/Pipeline.h"
#include "Frontend/ModelSpec.h"
#include "Frontend/SpecWriter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace alexc::fuzz {

[[noreturn]] inline void violated(const char *what, const std::string &text) {
  std::fprintf(stderr, "fuzz property violated: %s\n--- input:\n%s\n", what,
               text.c_str());
  std::abort();
}

inline int fuzzSpec(const uint8_t *data, size_t size, SpecFormat format) {
  std::string text(reinterpret_cast<const char *>(data), size);
  ModelSpec spec;
  SpecDiagnostic diag;
  if (!readModelSpec(text, format, spec, diag)) {
    int64_t lines = std::count(text.begin(), text.end(), '\n') + 1;
    if (diag.message.empty())
      violated("an error without a message", text);
    if (diag.loc.line > lines || diag.loc.col < 0)
      violated("an error located outside the text", text);
    return 0;
  }
  std::string json = writeSpecJson(spec);
  ModelSpec again;
  if (!readModelSpec(json, SpecFormat::Json, again, diag) ||
      writeSpecJson(again) != json)
    violated("the JSON writer's output does not read back the same", text);
  if (!readModelSpec(writeSpecLanguage(spec), SpecFormat::Language, again,
                     diag) ||
      writeSpecJson(again) != json)
    violated("the language writer's output does not read back the same", text);
  if (spec.layers.size() > 64)
    return 0; // keeps each input quick; depth is not where bugs hide
  spec.batchSize = 2;
  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(
      &ctx, [](mlir::Diagnostic &) { return mlir::success(); });
  PipelineOptions options;
  options.stopAfter = Stage::Shapes;
  (void)compileSpec(ctx, spec, options);
  return 0;
}

} // namespace alexc::fuzz

#endif
