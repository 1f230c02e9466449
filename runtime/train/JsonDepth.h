//===- JsonDepth.h - Refusing JSON nested past a limit ----------*- C++ -*-===//
//
// nlohmann::json parses any depth without recursion, but printing,
// comparing or walking a value recurses once per level, so a valid file of
// 100,000 nested arrays overflows the stack later. Every reader of outside
// JSON (specs, safetensors headers) checks the text with this first: one
// pass, no recursion, strings skipped.
//
//===----------------------------------------------------------------------===//
#ifndef ALEXC_RUNTIME_JSONDEPTH_H
#define ALEXC_RUNTIME_JSONDEPTH_H

#include <cstddef>
#include <string_view>

namespace alexc::rt {

/// No file alexc reads nests deeper than this (a spec nests 4 levels).
inline constexpr int kMaxJsonDepth = 64;

/// The offset of the first `[` or `{` that opens level kMaxJsonDepth + 1
/// of `text`, or npos when none does.
inline size_t findJsonTooDeep(std::string_view text) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i; // the escaped character, a quote included
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string_view::npos;
}

} // namespace alexc::rt

#endif
