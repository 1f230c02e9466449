//===- ModelLanguage.h - The model language's reader ------------*- C++ -*-===//
//
// A small text language for specs (docs/language.md). The parser builds
// the same JSON document a .json spec is, with the position of every value,
// and the JSON validator checks it: one set of rules and messages for both
// forms. Syntax errors are reported here, at the offending token.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_FRONTEND_MODELLANGUAGE_H
#define ALEXC_FRONTEND_MODELLANGUAGE_H

#include "Frontend/ModelSpec.h"

#include <nlohmann/json.hpp>

namespace alexc {

/// Parses model-language `text` into a spec document and the locations of
/// its values; on a syntax error returns false with `diag` set.
bool parseModelLanguage(const std::string &text, nlohmann::json &document,
                        SpecLocations &locations, SpecDiagnostic &diag);

} // namespace alexc

#endif
