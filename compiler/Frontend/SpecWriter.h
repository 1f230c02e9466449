//===- SpecWriter.h - A spec written back as JSON or as the language ------===//
//
// `alexc --emit=json` and `--emit=spec` convert between the two forms. Both
// writers give every field that differs from its default (and the ones a
// layer requires), so reading either output gives back the same ModelSpec.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_FRONTEND_SPECWRITER_H
#define ALEXC_FRONTEND_SPECWRITER_H

#include "Frontend/ModelSpec.h"

namespace alexc {

/// The spec as JSON (docs/spec.md), one layer per line.
std::string writeSpecJson(const ModelSpec &spec);

/// The spec in the model language (docs/language.md).
std::string writeSpecLanguage(const ModelSpec &spec);

} // namespace alexc

#endif
