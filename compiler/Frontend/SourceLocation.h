//===- SourceLocation.h - Positions in a spec file and their messages -----===//
//
// Both spec readers (JSON and the model language) record where each value
// of the spec document starts, keyed by its JSON pointer ("/layers/3/
// channels"), so that every check of the shared validator can point at the
// line the user wrote. No MLIR dependency.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_FRONTEND_SOURCELOCATION_H
#define ALEXC_FRONTEND_SOURCELOCATION_H

#include <cstdint>
#include <map>
#include <string>

namespace alexc {

/// 1-based line and column; line 0 means unknown.
struct SourceLoc {
  int64_t line = 0, col = 0;
  bool known() const { return line > 0; }
};

/// Where each value of a spec document starts, by JSON pointer. An object
/// member is located at its key; "" is the whole document.
using SpecLocations = std::map<std::string, SourceLoc>;

/// The location of `pointer`, or of its nearest located ancestor.
SourceLoc findLocation(const SpecLocations &locations, std::string pointer);

/// JSON pointer of `key` under `parent` (RFC 6901: '~' and '/' escaped).
std::string childPointer(const std::string &parent, const std::string &key);

/// The line and column of byte `offset` of `text`.
SourceLoc locationOfOffset(const std::string &text, size_t offset);

/// "path:line:col: error: message", then the source line and a caret under
/// the column, as clang prints them; "path: error: message" without a line.
std::string formatDiagnostic(const std::string &path, const std::string &text,
                             SourceLoc loc, const std::string &message,
                             const char *severity = "error");

} // namespace alexc

#endif
