//===- SourceLocation.cpp - Positions in a spec file ----------------------===//
#include "Frontend/SourceLocation.h"

#include <algorithm>

namespace alexc {

SourceLoc findLocation(const SpecLocations &locations, std::string pointer) {
  while (true) {
    auto it = locations.find(pointer);
    if (it != locations.end())
      return it->second;
    if (pointer.empty())
      return {};
    pointer.resize(pointer.rfind('/'));
  }
}

std::string childPointer(const std::string &parent, const std::string &key) {
  std::string out = parent + "/";
  for (char c : key)
    out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

SourceLoc locationOfOffset(const std::string &text, size_t offset) {
  SourceLoc loc{1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n')
      loc.line++, loc.col = 1;
    else
      loc.col++;
  }
  return loc;
}

std::string formatDiagnostic(const std::string &path, const std::string &text,
                             SourceLoc loc, const std::string &message,
                             const char *severity) {
  if (!loc.known())
    return path + ": " + severity + ": " + message + "\n";
  std::string out = path + ":" + std::to_string(loc.line) + ":" +
                    std::to_string(loc.col) + ": " + severity + ": " + message +
                    "\n";
  size_t begin = 0;
  for (int64_t l = 1; l < loc.line && begin != std::string::npos; ++l) {
    begin = text.find('\n', begin);
    begin = begin == std::string::npos ? begin : begin + 1;
  }
  if (begin == std::string::npos || begin > text.size())
    return out;
  size_t end = text.find('\n', begin);
  std::string line = text.substr(
      begin, end == std::string::npos ? std::string::npos : end - begin);
  // A long line is shown as a window around the column.
  int64_t col = loc.col;
  constexpr int64_t kHalf = 70;
  if (int64_t(line.size()) > 2 * kHalf) {
    int64_t start = std::max<int64_t>(0, col - 1 - kHalf);
    bool cutEnd = start + 2 * kHalf < int64_t(line.size());
    line = (start > 0 ? "..." : "") + line.substr(start, 2 * kHalf) +
           (cutEnd ? "..." : "");
    col = col - start + (start > 0 ? 3 : 0);
  }
  // Tabs stay tabs under the caret so that it lines up in a terminal.
  std::string pad;
  for (int64_t i = 0; i + 1 < col && i < int64_t(line.size()); ++i)
    pad += line[i] == '\t' ? '\t' : ' ';
  return out + line + "\n" + pad + "^\n";
}

} // namespace alexc
