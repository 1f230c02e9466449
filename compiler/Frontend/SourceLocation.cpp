//===- SourceLocation.cpp - Positions in a spec file ----------------------===//
#include "Frontend/SourceLocation.h"

#include <algorithm>
#include <cstdint>

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

/// The length of the valid UTF-8 sequence at `s[i]` (1 for ASCII), or 0
/// when the bytes there are not one.
static size_t utf8Length(const std::string &s, size_t i) {
  auto byte = [&](size_t k) { return uint8_t(s[k]); };
  uint8_t b = byte(i);
  size_t n = b < 0x80           ? 1
             : (b >> 5) == 0x6  ? 2
             : (b >> 4) == 0xE  ? 3
             : (b >> 3) == 0x1E ? 4
                                : 0;
  if (n == 0 || i + n > s.size() || (n == 2 && b < 0xC2))
    return 0; // a stray continuation byte, an overlong or cut-off sequence
  for (size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80)
      return 0;
  return n;
}

/// `line` as a terminal may show it: control bytes (but tabs) and bytes
/// that are not UTF-8 become '?', one for one, so columns stay in place.
static std::string printable(const std::string &line) {
  std::string out;
  for (size_t i = 0; i < line.size();) {
    size_t n = utf8Length(line, i);
    uint8_t b = uint8_t(line[i]);
    if (n == 0 || (n == 1 && ((b < 0x20 && b != '\t') || b == 0x7F))) {
      out += '?';
      ++i;
      continue;
    }
    out.append(line, i, n);
    i += n;
  }
  return out;
}

std::string formatDiagnostic(const std::string &path, const std::string &text,
                             SourceLoc loc, const std::string &message,
                             const char *severity) {
  // A message may quote the file's bytes (the JSON parser's "last read").
  std::string shown = printable(message);
  if (!loc.known())
    return path + ": " + severity + ": " + shown + "\n";
  std::string out = path + ":" + std::to_string(loc.line) + ":" +
                    std::to_string(loc.col) + ": " + severity + ": " + shown +
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
  line = printable(line);
  // Tabs stay tabs under the caret so that it lines up in a terminal; a
  // character of several UTF-8 bytes takes one column.
  std::string pad;
  for (int64_t i = 0; i + 1 < col && i < int64_t(line.size()); ++i)
    if ((uint8_t(line[i]) & 0xC0) != 0x80)
      pad += line[i] == '\t' ? '\t' : ' ';
  return out + line + "\n" + pad + "^\n";
}

} // namespace alexc
