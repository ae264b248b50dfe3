// Python literals as yacs reads config values (ast.literal_eval over a string; a string that is
// no literal stays a string): only the literal grammar, never anything evaluated.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "segx/io/detectron2_config.hpp"

namespace segx::io {
namespace {

using Value = Detectron2Value;

// Raised inside the parser where Python's ast.parse or literal_eval would fail: the caller then
// keeps the text as a string, as yacs does on ValueError and SyntaxError.
struct NotALiteral {};

// Python's parser refuses deeper nesting ("too many nested parentheses"): the text stays a string,
// and a stranger's "[[[[..." cannot exhaust the stack.
constexpr int kMaxDepth = 200;

Value other(const char* type) {
  Value v;
  v.kind = Value::Kind::Other;
  v.text = type;
  return v;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp > 0x10FFFF) throw NotALiteral{};
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class LiteralParser {
 public:
  explicit LiteralParser(const std::string& text) : s_(text) {}

  Value parse() {
    skip_space();
    Value v = expression_list(/*top=*/true);
    skip_space();
    if (pos_ != s_.size()) throw NotALiteral{};
    return v;
  }

 private:
  // Whitespace and comments; newlines only inside brackets or at the very start/end (ast.parse
  // in "eval" mode takes one logical line).
  void skip_space() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\f' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else if (c == '\\' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') {
        pos_ += 2;
      } else if (c == '\n' && (depth_ > 0 || only_space_after(pos_) || only_space_before(pos_))) {
        ++pos_;
      } else {
        break;
      }
    }
  }
  bool only_space_after(std::size_t p) const {
    for (; p < s_.size(); ++p)
      if (!std::isspace(static_cast<unsigned char>(s_[p]))) return s_[p] == '#';
    return true;
  }
  bool only_space_before(std::size_t p) const {
    while (p > 0)
      if (!std::isspace(static_cast<unsigned char>(s_[--p]))) return false;
    return true;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  bool accept(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }

  // item (',' item)* [','] : a tuple when there is a comma (at the top or in parentheses).
  Value expression_list(bool top) {
    if (!top && peek(')')) return tuple({});
    Value first = item();
    if (!peek(',')) return first;
    Value t = tuple({});
    t.items.push_back(std::move(first));
    while (accept(',')) {
      skip_space();
      if (pos_ == s_.size() || s_[pos_] == ')') break;
      t.items.push_back(item());
    }
    return t;
  }

  static Value tuple(std::vector<Value> items) {
    Value t;
    t.kind = Value::Kind::Tuple;
    t.items = std::move(items);
    return t;
  }

  // A literal, possibly signed, possibly `number +/- imaginary` (a complex number).
  Value item() {
    skip_space();
    if (pos_ >= s_.size()) throw NotALiteral{};
    Value v = signed_atom();
    skip_space();
    if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) {
      // literal_eval's BinOp: a (signed) number on the left, an imaginary number on the right.
      const bool left_number = v.kind == Value::Kind::Int || v.kind == Value::Kind::Float;
      ++pos_;
      skip_space();
      bool right_imaginary = false;
      number(&right_imaginary);
      if (!left_number || !right_imaginary) throw NotALiteral{};
      return other("complex");
    }
    return v;
  }

  Value signed_atom() {
    const char c = s_[pos_];
    if (c == '+' || c == '-') {
      ++pos_;
      skip_space();
      bool imaginary = false;
      Value v = number(&imaginary);
      if (imaginary) return other("complex");
      if (c == '-') {
        if (v.kind == Value::Kind::Int) {
          if (v.integer == std::numeric_limits<std::int64_t>::min()) return other("int");
          v.integer = -v.integer;
        } else if (v.kind == Value::Kind::Float) {
          v.number = -v.number;
        }
      }
      return v;
    }
    return atom();
  }

  Value atom() {
    const char c = s_[pos_];
    if (c == '[') return sequence(']', Value::Kind::List);
    if (c == '(') {
      ++pos_;
      enter();
      Value v = expression_list(/*top=*/false);
      if (!accept(')')) throw NotALiteral{};
      --depth_;
      return v;
    }
    if (c == '{') return dict_or_set();
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && pos_ + 1 < s_.size() &&
         std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
      bool imaginary = false;
      Value v = number(&imaginary);
      return imaginary ? other("complex") : v;
    }
    if (s_.compare(pos_, 3, "...") == 0) {
      pos_ += 3;
      return other("ellipsis");
    }
    if (c == '"' || c == '\'') return strings();
    if (is_name_char(c)) {
      std::size_t end = pos_;
      while (end < s_.size() && is_name_char(s_[end])) ++end;
      const std::string name = s_.substr(pos_, end - pos_);
      if (end < s_.size() && (s_[end] == '"' || s_[end] == '\'')) return strings();
      pos_ = end;
      if (name == "True") return Value::of_bool(true);
      if (name == "False") return Value::of_bool(false);
      if (name == "None") return Value::none();
      if (name == "set" && accept('(')) {  // set(): literal_eval's empty set
        if (!accept(')')) throw NotALiteral{};
        return other("set");
      }
      throw NotALiteral{};
    }
    throw NotALiteral{};
  }

  Value sequence(char close, Value::Kind kind) {
    ++pos_;
    enter();
    Value v;
    v.kind = kind;
    while (!accept(close)) {
      v.items.push_back(item());
      if (accept(close)) break;
      if (!accept(',')) throw NotALiteral{};
    }
    --depth_;
    return v;
  }

  Value dict_or_set() {
    ++pos_;
    enter();
    bool dict = true;
    bool first = true;
    while (!accept('}')) {
      item();
      if (first) dict = peek(':');
      first = false;
      if (dict) {
        if (!accept(':')) throw NotALiteral{};
        item();
      }
      if (accept('}')) break;
      if (!accept(',')) throw NotALiteral{};
    }
    --depth_;
    return other(dict ? "dict" : "set");
  }

  // Digits with single underscores between them (Python's digitpart); false when none.
  bool digits(bool (*is_digit)(char)) {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && is_digit(s_[pos_])) {
      ++pos_;
      if (pos_ + 1 < s_.size() && s_[pos_] == '_' && is_digit(s_[pos_ + 1])) ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == '_') throw NotALiteral{};
    return pos_ > start;
  }
  static bool dec(char c) { return c >= '0' && c <= '9'; }
  static bool hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
  static bool oct(char c) { return c >= '0' && c <= '7'; }
  static bool bin(char c) { return c == '0' || c == '1'; }

  static Value integer_value(const std::string& digits_text, int base) {
    std::string clean;
    for (char c : digits_text)
      if (c != '_') clean += c;
    std::uint64_t v = 0;
    for (char c : clean) {
      const int d = std::isdigit(static_cast<unsigned char>(c))
                        ? c - '0'
                        : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
      if (v > (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) -
               static_cast<std::uint64_t>(d)) /
                  static_cast<std::uint64_t>(base))
        return other("int");
      v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    }
    return Value::of_int(static_cast<std::int64_t>(v));
  }

  // A Python number token (no sign); *imaginary when it ends in j.
  Value number(bool* imaginary) {
    if (pos_ >= s_.size()) throw NotALiteral{};
    const std::size_t start = pos_;
    if (s_[pos_] == '0' && pos_ + 1 < s_.size() && std::strchr("xXoObB", s_[pos_ + 1]) &&
        s_[pos_ + 1] != '\0') {
      const char kind = static_cast<char>(std::tolower(static_cast<unsigned char>(s_[pos_ + 1])));
      pos_ += 2;
      if (pos_ < s_.size() && s_[pos_] == '_') ++pos_;
      const std::size_t digits_start = pos_;
      const bool any = digits(kind == 'x' ? hex : kind == 'o' ? oct : bin);
      if (!any || (pos_ < s_.size() && is_name_char(s_[pos_]))) throw NotALiteral{};
      return integer_value(s_.substr(digits_start, pos_ - digits_start), kind == 'x'   ? 16
                                                                         : kind == 'o' ? 8
                                                                                       : 2);
    }
    const bool int_part = digits(dec);
    bool is_float = false;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      is_float = true;
      const bool fraction = digits(dec);
      if (!int_part && !fraction) throw NotALiteral{};
    } else if (!int_part) {
      throw NotALiteral{};
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      const std::size_t save = pos_;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits(dec)) {
        pos_ = save;
        throw NotALiteral{};
      }
      is_float = true;
    }
    *imaginary = false;
    if (pos_ < s_.size() && (s_[pos_] == 'j' || s_[pos_] == 'J')) {
      ++pos_;
      *imaginary = true;
    }
    if (pos_ < s_.size() && is_name_char(s_[pos_])) throw NotALiteral{};  // "1abc", "1_"
    std::string text;
    for (std::size_t i = start; i < pos_; ++i)
      if (s_[i] != '_') text += s_[i];
    if (*imaginary) return Value::of_float(0);
    if (is_float) return Value::of_float(std::strtod(text.c_str(), nullptr));  // 1e999: inf
    // Python 3 refuses leading zeros in a decimal integer other than zero itself ("012").
    if (text.size() > 1 && text[0] == '0' && text.find_first_not_of('0') != std::string::npos)
      throw NotALiteral{};
    return integer_value(text, 10);
  }

  // One or more adjacent string literals, concatenated.
  Value strings() {
    std::string out;
    int kinds = 0;  // 1: str, 2: bytes
    while (true) {
      skip_space();
      std::size_t p = pos_;
      std::string prefix;
      while (p < s_.size() && std::isalpha(static_cast<unsigned char>(s_[p])) && prefix.size() < 3)
        prefix += static_cast<char>(std::tolower(static_cast<unsigned char>(s_[p++])));
      if (p >= s_.size() || (s_[p] != '"' && s_[p] != '\'')) break;
      if (prefix != "" && prefix != "r" && prefix != "u" && prefix != "b" && prefix != "br" &&
          prefix != "rb")
        throw NotALiteral{};  // f-strings are not literals; anything else is not Python
      pos_ = p;
      const bool raw = prefix.find('r') != std::string::npos;
      kinds |= prefix.find('b') != std::string::npos ? 2 : 1;
      one_string(raw, out);
    }
    if (kinds == 3) throw NotALiteral{};  // bytes and str cannot be concatenated
    if (kinds == 2) return other("bytes");
    return Value::of_str(out);
  }

  void one_string(bool raw, std::string& out) {
    const char q = s_[pos_];
    const bool triple = s_.compare(pos_, 3, std::string(3, q)) == 0;
    pos_ += triple ? 3 : 1;
    while (true) {
      if (pos_ >= s_.size()) throw NotALiteral{};
      const char c = s_[pos_];
      if (c == q && (!triple || s_.compare(pos_, 3, std::string(3, q)) == 0)) {
        pos_ += triple ? 3 : 1;
        return;
      }
      if (c == '\n' && !triple) throw NotALiteral{};
      if (c == '\\' && pos_ + 1 < s_.size()) {
        if (raw) {
          out += c;
          out += s_[pos_ + 1];
          pos_ += 2;
          continue;
        }
        escape(out);
        continue;
      }
      out += c;
      ++pos_;
    }
  }

  void escape(std::string& out) {
    const char e = s_[pos_ + 1];
    pos_ += 2;
    switch (e) {
      case '\n':
        return;
      case '\\':
        out += '\\';
        return;
      case '\'':
        out += '\'';
        return;
      case '"':
        out += '"';
        return;
      case 'a':
        out += '\a';
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'n':
        out += '\n';
        return;
      case 'r':
        out += '\r';
        return;
      case 't':
        out += '\t';
        return;
      case 'v':
        out += '\v';
        return;
      case 'x':
        append_utf8(out, hex_escape(2));
        return;
      case 'u':
        append_utf8(out, hex_escape(4));
        return;
      case 'U':
        append_utf8(out, hex_escape(8));
        return;
      case 'N':
        throw NotALiteral{};  // \N{name}: segx has no Unicode name table
      default:
        break;
    }
    if (oct(e)) {
      std::uint32_t v = static_cast<std::uint32_t>(e - '0');
      for (int i = 0; i < 2 && pos_ < s_.size() && oct(s_[pos_]); ++i)
        v = v * 8 + static_cast<std::uint32_t>(s_[pos_++] - '0');
      append_utf8(out, v);
      return;
    }
    out += '\\';  // an unknown escape stays as written
    out += e;
  }

  std::uint32_t hex_escape(int n) {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      if (pos_ >= s_.size() || !hex(s_[pos_])) throw NotALiteral{};
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s_[pos_++])));
      v = v * 16 + static_cast<std::uint32_t>(
                       std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a' + 10);
    }
    return v;
  }

  void enter() {
    if (++depth_ > kMaxDepth) throw NotALiteral{};
  }

  const std::string& s_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Value parse_detectron2_literal(const std::string& text) {
  // literal_eval strips leading spaces and tabs only.
  const std::size_t start = text.find_first_not_of(" \t");
  if (start == std::string::npos) return Value::of_str(text);
  try {
    return LiteralParser(text.substr(start)).parse();
  } catch (const NotALiteral&) {
    return Value::of_str(text);
  }
}

}  // namespace segx::io
