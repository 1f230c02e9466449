//===- JsonLocations.cpp - Where each value of a JSON document starts -----===//
#include "Frontend/JsonLocations.h"

namespace alexc {
namespace {

class JsonScanner {
public:
  JsonScanner(const std::string &text, SpecLocations &out)
      : text(text), out(out) {}

  void value(const std::string &pointer) {
    skipSpace();
    if (pos >= text.size())
      return;
    char c = text[pos];
    if ((c == '{' || c == '[') && ++depth > kMaxDepth) {
      skipNested(); // no spec is this deep: no positions, no deep recursion
      --depth;
      return;
    }
    if (c == '{')
      object(pointer);
    else if (c == '[')
      array(pointer);
    else if (c == '"')
      string();
    else
      while (pos < text.size() && !isDelimiter(text[pos]))
        advance();
    if (c == '{' || c == '[')
      --depth;
  }

private:
  static bool isDelimiter(char c) {
    return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' ||
           c == '\t' || c == '\r';
  }

  static constexpr int kMaxDepth = 32;

  /// Skips one object or array, however deep, without recursing.
  void skipNested() {
    int open = 0;
    do {
      char c = text[pos];
      if (c == '"') {
        string();
        continue;
      }
      open += c == '{' || c == '[' ? 1 : c == '}' || c == ']' ? -1 : 0;
      advance();
    } while (open > 0 && pos < text.size());
  }

  void advance() {
    if (text[pos++] == '\n')
      line++, col = 1;
    else
      col++;
  }

  void skipIf(char c) {
    if (pos < text.size() && text[pos] == c)
      advance();
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' ||
                                 text[pos] == '\t' || text[pos] == '\r'))
      advance();
  }

  /// Reads a string literal; returns its contents (escapes kept simple:
  /// \uXXXX is kept as written, which only matters for odd key names).
  std::string string() {
    std::string s;
    advance(); // opening quote
    while (pos < text.size() && text[pos] != '"') {
      if (text[pos] == '\\' && pos + 1 < text.size()) {
        advance();
        char e = text[pos];
        s += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        s += text[pos];
      }
      advance();
    }
    if (pos < text.size())
      advance(); // closing quote
    return s;
  }

  void object(const std::string &pointer) {
    advance(); // {
    while (true) {
      skipSpace();
      if (pos >= text.size() || text[pos] == '}')
        break;
      SourceLoc at{line, col};
      std::string key = string();
      std::string child = childPointer(pointer, key);
      out[child] = at;
      skipSpace();
      skipIf(':');
      value(child);
      skipSpace();
      skipIf(',');
    }
    skipIf('}');
  }

  void array(const std::string &pointer) {
    advance(); // [
    for (size_t i = 0;; ++i) {
      skipSpace();
      if (pos >= text.size() || text[pos] == ']')
        break;
      std::string child = pointer + "/" + std::to_string(i);
      out[child] = SourceLoc{line, col};
      value(child);
      skipSpace();
      skipIf(',');
    }
    skipIf(']');
  }

  const std::string &text;
  SpecLocations &out;
  size_t pos = 0;
  int64_t line = 1, col = 1;
  int depth = 0;
};

} // namespace

SpecLocations locateJsonValues(const std::string &text) {
  SpecLocations out;
  JsonScanner scanner(text, out);
  scanner.value("");
  return out;
}

} // namespace alexc
