//===- ModelLanguage.cpp - Lexer and recursive-descent parser -------------===//
//
//   spec    := 'model' name '(' 'data' ':' SHAPE ')' '{' layer* '}'
//              ['train' '{' setting* '}']
//   layer   := [name '='] IDENT '(' [arg (',' arg)*] ')' [';']
//   setting := IDENT '=' (value | IDENT '(' [arg (',' arg)*] ')') [';']
//   arg     := IDENT '=' value | value
//   value   := NUMBER | IDENT | STRING | true | false | none
//            | '(' value, ... ')' | '[' value, ... ']'
//
// Every failure throws a LanguageError at a token; parseModelLanguage
// catches it, so no exception leaves this file.
//
//===----------------------------------------------------------------------===//
#include "Frontend/ModelLanguage.h"
#include "Frontend/LayerSchema.h"

#include <algorithm>
#include <cctype>
#include <map>

using json = nlohmann::json;

namespace alexc {

namespace {

/// Pointer depth past which lists are refused (no field nests lists; the
/// limit keeps the recursive parser's stack small on any input).
constexpr long kMaxListDepth = 8;

struct LanguageError {
  std::string message;
  SourceLoc loc;
};

struct Token {
  enum Kind { Ident, String, Number, Shape, Punct, End } kind;
  std::string text; // identifiers and numbers as written, strings unquoted
  SourceLoc loc;
};

std::string describe(const Token &t) {
  switch (t.kind) {
  case Token::End:
    return "the end of the file";
  case Token::String:
    return "string \"" + t.text + "\"";
  default:
    return "'" + t.text + "'";
  }
}

class Lexer {
public:
  explicit Lexer(const std::string &text) : text(text) {}

  std::vector<Token> tokens() {
    std::vector<Token> out;
    while (true) {
      skipSpaceAndComments();
      SourceLoc at{line, col};
      if (pos >= text.size()) {
        out.push_back({Token::End, "", at});
        return out;
      }
      out.push_back(next(at));
    }
  }

private:
  char peek(size_t ahead = 0) const {
    return pos + ahead < text.size() ? text[pos + ahead] : '\0';
  }
  void advance() {
    if (text[pos++] == '\n')
      line++, col = 1;
    else
      col++;
  }
  static bool identStart(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
  }
  static bool identChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  }

  void skipSpaceAndComments() {
    while (pos < text.size()) {
      if (std::isspace(static_cast<unsigned char>(peek())))
        advance();
      else if (peek() == '#')
        while (pos < text.size() && peek() != '\n')
          advance();
      else
        return;
    }
  }

  Token next(SourceLoc at) {
    char c = peek();
    if (identStart(c))
      return identifier(at);
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        ((c == '-' || c == '.') &&
         std::isdigit(static_cast<unsigned char>(peek(1)))))
      return number(at);
    if (c == '"')
      return string(at);
    if (std::string("(){}[]=,;:").find(c) != std::string::npos) {
      advance();
      return {Token::Punct, std::string(1, c), at};
    }
    throw LanguageError{std::string("unexpected character '") + c + "'", at};
  }

  /// Letters, digits and '_'; a '-' between letters joins words, as in
  /// the dataset name fashion-mnist (there is no subtraction).
  Token identifier(SourceLoc at) {
    std::string s;
    while (identChar(peek()) || (peek() == '-' && identStart(peek(1)))) {
      s += peek();
      advance();
    }
    return {Token::Ident, s, at};
  }

  /// 128, 0.5, -3, 1e-5; "1x28x28" is a shape.
  Token number(SourceLoc at) {
    std::string s;
    auto digits = [&] {
      while (std::isdigit(static_cast<unsigned char>(peek())))
        s += peek(), advance();
    };
    if (peek() == '-')
      s += peek(), advance();
    digits();
    bool shape = false;
    while (peek() == 'x' && std::isdigit(static_cast<unsigned char>(peek(1)))) {
      shape = true;
      s += peek(), advance();
      digits();
    }
    if (shape)
      return {Token::Shape, s, at};
    if (peek() == '.')
      s += peek(), advance(), digits();
    if ((peek() == 'e' || peek() == 'E') &&
        (std::isdigit(static_cast<unsigned char>(peek(1))) ||
         ((peek(1) == '-' || peek(1) == '+') &&
          std::isdigit(static_cast<unsigned char>(peek(2)))))) {
      s += peek(), advance();
      if (peek() == '-' || peek() == '+')
        s += peek(), advance();
      digits();
    }
    if (identChar(peek()))
      throw LanguageError{"'" + s + peek() + "...' is not a number", at};
    return {Token::Number, s, at};
  }

  Token string(SourceLoc at) {
    std::string s;
    advance(); // opening quote
    while (peek() != '"') {
      if (pos >= text.size() || peek() == '\n')
        throw LanguageError{"this string has no closing '\"'", at};
      if (peek() == '\\') {
        advance();
        const std::string escapes = "\"\\ntr";
        if (escapes.find(peek()) == std::string::npos || peek() == '\0')
          throw LanguageError{"the escapes in strings are \\\", \\\\, "
                              "\\n, \\t and \\r",
                              SourceLoc{line, col - 1}};
        char c = peek();
        s += c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
        advance();
        continue;
      }
      s += peek();
      advance();
    }
    advance();
    return {Token::String, s, at};
  }

  const std::string &text;
  size_t pos = 0;
  int64_t line = 1, col = 1;
};

/// The parser proper: tokens to a spec document and its locations.
class Parser {
public:
  Parser(std::vector<Token> tokens, json &doc, SpecLocations &locations)
      : tokens(std::move(tokens)), doc(doc), locations(locations) {}

  void spec() {
    doc = json::object();
    header();
    locate("/layers", expect("{", "to open the model's layers"));
    doc["layers"] = json::array();
    while (!isPunct("}")) {
      if (peek().kind == Token::End)
        fail(peek(), "the model's '{' has no closing '}'");
      layer();
    }
    next();
    if (isIdent("train"))
      train();
    if (peek().kind != Token::End)
      fail(peek(), "expected 'train {' or the end of the file, got " +
                       describe(peek()));
  }

private:
  const Token &peek(size_t ahead = 0) const {
    return tokens[std::min(index + ahead, tokens.size() - 1)];
  }
  const Token &next() {
    const Token &t = peek();
    if (index < tokens.size() - 1)
      ++index;
    return t;
  }
  bool isPunct(const char *p) const {
    return peek().kind == Token::Punct && peek().text == p;
  }
  bool isIdent(const char *word) const {
    return peek().kind == Token::Ident && peek().text == word;
  }
  [[noreturn]] void fail(const Token &t, const std::string &message) const {
    throw LanguageError{message, t.loc};
  }
  const Token &expect(const char *punct, const std::string &why) {
    if (!isPunct(punct))
      fail(peek(), std::string("expected '") + punct + "' " + why + ", got " +
                       describe(peek()));
    return next();
  }
  const Token &name(const std::string &what) {
    if (peek().kind != Token::Ident && peek().kind != Token::String)
      fail(peek(), "expected " + what + ", got " + describe(peek()));
    return next();
  }
  void locate(const std::string &pointer, const Token &t) {
    locations.emplace(pointer, t.loc);
  }

  void header();
  void layer();
  void arguments(const std::string &type, const std::string &pointer,
                 json &object);
  void inputOrPositional(const std::string &type, const std::string &pointer,
                         json &object, size_t &positional);
  void keyword(const std::string &pointer, json &object);
  json value(const std::string &pointer);
  json call(const Token &name, const std::string &pointer);
  void train();
  void setting(std::map<std::string, SourceLoc> &seen);

  std::vector<Token> tokens;
  size_t index = 0;
  json &doc;
  SpecLocations &locations;
};

/// model NAME(data: CxHxW)
void Parser::header() {
  if (!isIdent("model"))
    fail(peek(), "a model file starts with 'model NAME(data: CxHxW) {', got " +
                     describe(peek()));
  next();
  const Token &n = name("the model's name");
  doc["name"] = n.text;
  locate("/name", n);
  expect("(", "after the model's name, as in 'model lenet(data: 1x28x28)'");
  if (!isIdent("data"))
    fail(peek(), "expected 'data: CxHxW', the network's input, got " +
                     describe(peek()));
  locate("/input", next());
  expect(":", "after 'data'");
  const Token &shape = peek();
  if (shape.kind != Token::Shape)
    fail(shape, "expected the input's shape channels x height x width "
                "(as 1x28x28), got " +
                    describe(shape));
  next();
  std::vector<int64_t> dims;
  for (size_t start = 0; start <= shape.text.size();) {
    size_t end = shape.text.find('x', start);
    end = end == std::string::npos ? shape.text.size() : end;
    try {
      dims.push_back(std::stoll(shape.text.substr(start, end - start)));
    } catch (const std::out_of_range &) {
      fail(shape, "a dimension of " + shape.text + " is too large");
    }
    start = end + 1;
  }
  if (dims.size() != 3)
    fail(shape, "the input's shape must be channels x height x width, got " +
                    std::to_string(dims.size()) + " dimensions");
  doc["input"] = {
      {"channels", dims[0]}, {"height", dims[1]}, {"width", dims[2]}};
  for (const char *k : {"channels", "height", "width"})
    locate(std::string("/input/") + k, shape);
  expect(")", "after the input's shape");
}

/// [NAME =] TYPE(args)
void Parser::layer() {
  size_t i = doc["layers"].size();
  std::string pointer = "/layers/" + std::to_string(i);
  json layer = json::object();
  const Token &first = peek();
  locate(pointer, first);
  if (peek(1).kind == Token::Punct && peek(1).text == "=") {
    const Token &n = name("a layer name");
    layer["name"] = n.text;
    locate(pointer + "/name", n);
    next(); // =
  }
  if (peek().kind != Token::Ident)
    fail(peek(), "expected a layer, as 'conv1 = conv2d(6, 5)', got " +
                     describe(peek()));
  const Token &type = next();
  std::vector<std::string> types = layerTypeNames();
  if (std::find(types.begin(), types.end(), type.text) == types.end()) {
    std::string near = nearestName(type.text, types);
    fail(type, "unknown layer type '" + type.text + "'" +
                   (near.empty() ? " (see docs/language.md)"
                                 : " (did you mean '" + near + "'?)"));
  }
  layer["type"] = type.text;
  locate(pointer + "/type", type);
  expect("(", "after the layer type '" + type.text + "'");
  arguments(type.text, pointer, layer);
  if (isPunct(";"))
    next();
  doc["layers"].push_back(std::move(layer));
}

/// The arguments up to and including ')': inputs, then Gluon's positional
/// parameters, then keywords.
void Parser::arguments(const std::string &type, const std::string &pointer,
                       json &object) {
  size_t positional = 0;
  bool keywords = false;
  while (!isPunct(")")) {
    if (peek().kind == Token::End)
      fail(peek(), "the '(' of '" + type + "' has no closing ')'");
    if (peek().kind == Token::Ident && peek(1).kind == Token::Punct &&
        peek(1).text == "=") {
      keyword(pointer, object);
      keywords = true;
    } else if (keywords) {
      fail(peek(), "positional arguments come before keyword arguments");
    } else {
      inputOrPositional(type, pointer, object, positional);
    }
    if (!isPunct(")"))
      expect(",", "or ')' after an argument of '" + type + "'");
  }
  next();
}

/// A layer name (an input) or one of the type's positional parameters.
void Parser::inputOrPositional(const std::string &type,
                               const std::string &pointer, json &object,
                               size_t &positional) {
  const Token &t = peek();
  bool reference =
      t.kind == Token::String || (t.kind == Token::Ident && t.text != "true" &&
                                  t.text != "false" && t.text != "none");
  if (reference) {
    if (positional > 0)
      fail(t, "'" + t.text +
                  "' after a number: inputs (layer names) come "
                  "first, and other names need their parameter, as "
                  "activation=relu");
    json &inputs = object["inputs"];
    if (inputs.is_null()) {
      inputs = json::array();
      locate(pointer + "/inputs", t);
    }
    locate(pointer + "/inputs/" + std::to_string(inputs.size()), t);
    inputs.push_back(next().text);
    return;
  }
  const LayerSchema *schema = findLayerSchema(type);
  static const std::vector<std::string> none;
  const std::vector<std::string> &params = schema ? schema->positional : none;
  if (positional >= params.size()) {
    std::string list;
    for (const std::string &p : params)
      list += (list.empty() ? "" : ", ") + p;
    fail(t, "'" + type + "' takes " +
                (params.empty()
                     ? std::string("no positional parameters")
                     : std::to_string(params.size()) + " positional parameter" +
                           (params.size() > 1 ? "s" : "") + " (" + list + ")") +
                "; name the others, as strides=2");
  }
  const std::string &key = params[positional++];
  std::string at = pointer + "/" + key;
  locate(at, t);
  object[key] = value(at);
}

/// KEY = value
/// NAME(key=value, ...), as a data transform: {"type": NAME, key: value}.
json Parser::call(const Token &name, const std::string &pointer) {
  if (std::count(pointer.begin(), pointer.end(), '/') > kMaxListDepth)
    fail(name, "calls and lists nest at most " +
                   std::to_string(kMaxListDepth - 2) + " deep here");
  json obj = {{"type", name.text}};
  locate(pointer + "/type", name);
  next(); // (
  while (!isPunct(")")) {
    if (!(peek().kind == Token::Ident && peek(1).kind == Token::Punct &&
          peek(1).text == "="))
      fail(peek(),
           "the arguments of '" + name.text + "' are named, as size=32");
    keyword(pointer, obj);
    if (!isPunct(")"))
      expect(",", "between arguments");
  }
  next();
  return obj;
}

void Parser::keyword(const std::string &pointer, json &object) {
  const Token &key = next();
  next(); // =
  std::string at = childPointer(pointer, key.text);
  if (object.contains(key.text))
    fail(key, "'" + key.text + "' is given twice");
  locate(at, key);
  object[key.text] = value(at);
}

json Parser::value(const std::string &pointer) {
  const Token &t = next();
  switch (t.kind) {
  case Token::Number:
    if (t.text.find_first_of(".eE") == std::string::npos) {
      try {
        return std::stoll(t.text);
      } catch (const std::out_of_range &) {
        fail(t, "the integer " + t.text + " is too large");
      }
    }
    try {
      return std::stod(t.text);
    } catch (const std::out_of_range &) {
      fail(t, "the number " + t.text + " is out of range");
    }
  case Token::String:
    return t.text;
  case Token::Ident:
    if (t.text == "true" || t.text == "false")
      return t.text == "true";
    if (t.text == "none")
      return nullptr;
    if (isPunct("("))
      return call(t, pointer);
    return t.text;
  case Token::Punct:
    if (t.text == "(" || t.text == "[") {
      if (std::count(pointer.begin(), pointer.end(), '/') > kMaxListDepth)
        fail(t, "lists nest at most " + std::to_string(kMaxListDepth - 2) +
                    " deep here");
      const char *close = t.text == "(" ? ")" : "]";
      json list = json::array();
      while (!isPunct(close)) {
        locate(pointer + "/" + std::to_string(list.size()), peek());
        list.push_back(value(pointer + "/" + std::to_string(list.size())));
        if (!isPunct(close))
          expect(",", "between the values of a list");
      }
      next();
      return list;
    }
    break;
  default:
    break;
  }
  fail(t, "expected a value (a number, a name, true, false, none or a list), "
          "got " +
              describe(t));
}

/// train { SETTING* }
void Parser::train() {
  next();
  expect("{", "after 'train'");
  std::map<std::string, SourceLoc> seen;
  while (!isPunct("}")) {
    if (peek().kind == Token::End)
      fail(peek(), "the '{' of 'train' has no closing '}'");
    setting(seen);
  }
  next();
}

/// KEY = value, or KEY = KIND(keywords) for the initializer, the optimizer
/// and the data (whose KIND is the dataset).
void Parser::setting(std::map<std::string, SourceLoc> &seen) {
  if (peek().kind != Token::Ident)
    fail(peek(),
         "expected a setting, as 'epochs = 10', got " + describe(peek()));
  const Token &key = next();
  if (seen.count(key.text))
    fail(key, "'" + key.text + "' is set twice");
  seen[key.text] = key.loc;
  std::string pointer = childPointer("", key.text);
  locate(pointer, key);
  expect("=", "after '" + key.text + "'");
  bool object = key.text == "initializer" || key.text == "optimizer" ||
                key.text == "data";
  if (!object ||
      (peek().kind != Token::Ident && peek().kind != Token::String)) {
    doc[key.text] = value(pointer);
  } else {
    const Token &kind = next();
    std::string kindKey = key.text == "data" ? "dataset" : "type";
    json obj = {{kindKey, kind.text}};
    locate(pointer + "/" + kindKey, kind);
    if (isPunct("(")) {
      next();
      while (!isPunct(")")) {
        if (!(peek().kind == Token::Ident && peek(1).kind == Token::Punct &&
              peek(1).text == "="))
          fail(peek(), "the arguments of '" + kind.text +
                           "' are named, as learning_rate=0.01");
        keyword(pointer, obj);
        if (!isPunct(")"))
          expect(",", "between arguments");
      }
      next();
    }
    doc[key.text] = std::move(obj);
  }
  if (isPunct(";"))
    next();
}

} // namespace

bool parseModelLanguage(const std::string &text, json &document,
                        SpecLocations &locations, SpecDiagnostic &diag) {
  try {
    Parser parser(Lexer(text).tokens(), document, locations);
    parser.spec();
    return true;
  } catch (const LanguageError &e) {
    diag = {e.message, e.loc};
  }
  return false;
}

} // namespace alexc
