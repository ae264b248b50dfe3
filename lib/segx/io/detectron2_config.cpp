// detectron2 config resolution: PyYAML's reading of the files (YAML 1.1 scalars, never a Python
// tag evaluated), fvcore's _BASE_ chain, yacs' merge and coercion rules, detectron2's VERSION
// check and merge_from_list overrides, over the repository defaults built into the library.
#include "segx/io/detectron2_config.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
// GCC 12's -Wdangling-pointer misfires inside yaml-cpp 0.7's map iterators (node/impl.h) at -O2.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop
#else
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "segx/core/error.hpp"
#include "segx/io/embedded_data.hpp"

namespace segx::io {
namespace fs = std::filesystem;
using Value = Detectron2Value;
using Kind = Value::Kind;

// ---------------------------------------------------------------------------------------------
// Values

Value Value::of_bool(bool b) {
  Value v;
  v.kind = Kind::Bool;
  v.boolean = b;
  return v;
}
Value Value::of_int(std::int64_t i) {
  Value v;
  v.kind = Kind::Int;
  v.integer = i;
  return v;
}
Value Value::of_float(double f) {
  Value v;
  v.kind = Kind::Float;
  v.number = f;
  return v;
}
Value Value::of_str(std::string s) {
  Value v;
  v.kind = Kind::Str;
  v.text = std::move(s);
  return v;
}
Value Value::node() {
  Value v;
  v.kind = Kind::Node;
  return v;
}

const Value* Value::find(const std::string& key) const {
  for (const auto& [k, v] : children)
    if (k == key) return &v;
  return nullptr;
}
Value* Value::find(const std::string& key) {
  for (auto& [k, v] : children)
    if (k == key) return &v;
  return nullptr;
}

const Value* Value::at(const std::string& dotted) const {
  const Value* v = this;
  std::size_t start = 0;
  while (v) {
    const std::size_t dot = dotted.find('.', start);
    if (!v->is_node()) return nullptr;
    v = v->find(dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return v;
    start = dot + 1;
  }
  return nullptr;
}

void Value::set(const std::string& key, Value value) {
  if (Value* existing = find(key))
    *existing = std::move(value);
  else
    children.emplace_back(key, std::move(value));
}

std::string Value::type_name() const {
  switch (kind) {
    case Kind::None:
      return "NoneType";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::Str:
      return "str";
    case Kind::List:
      return "list";
    case Kind::Tuple:
      return "tuple";
    case Kind::Node:
      return "CfgNode";
    case Kind::Python:
      return "Python expression";
    case Kind::Other:
      return text;
  }
  return "?";
}

namespace {

// Python's repr of a float: the shortest text that reads back, with ".0" on integral values.
std::string float_repr(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", f);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string str_repr(const std::string& s) {
  const char q = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, q);
  for (unsigned char c : s) {
    if (c == '\\' || c == q)
      out += {'\\', static_cast<char>(c)};
    else if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\r')
      out += "\\r";
    else if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  return out + q;
}

}  // namespace

std::string Value::repr() const {
  switch (kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return boolean ? "True" : "False";
    case Kind::Int:
      return std::to_string(integer);
    case Kind::Float:
      return float_repr(number);
    case Kind::Str:
      return str_repr(text);
    case Kind::List:
    case Kind::Tuple: {
      std::string s = kind == Kind::List ? "[" : "(";
      for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i].repr();
      if (kind == Kind::Tuple && items.size() == 1) s += ",";
      return s + (kind == Kind::List ? "]" : ")");
    }
    case Kind::Node: {
      std::string s = "{";
      for (std::size_t i = 0; i < children.size(); ++i)
        s += (i ? ", " : "") + str_repr(children[i].first) + ": " + children[i].second.repr();
      return s + "}";
    }
    case Kind::Python:
      return text;
    case Kind::Other:
      return "<" + text + ">";
  }
  return "?";
}

bool Value::operator==(const Value& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::None:
      return true;
    case Kind::Bool:
      return boolean == o.boolean;
    case Kind::Int:
      return integer == o.integer;
    case Kind::Float:
      return number == o.number || (std::isnan(number) && std::isnan(o.number));
    case Kind::Str:
    case Kind::Python:
    case Kind::Other:
      return text == o.text;
    case Kind::List:
    case Kind::Tuple:
      return items == o.items;
    case Kind::Node:
      return children == o.children;
  }
  return false;
}

namespace {

void collect_leaves(const Value& v, const std::string& prefix,
                    std::vector<std::pair<std::string, const Value*>>& out) {
  for (const auto& [k, child] : v.children) {
    if (child.is_node())
      collect_leaves(child, prefix + k + ".", out);
    else
      out.emplace_back(prefix + k, &child);
  }
}

}  // namespace

std::vector<std::pair<std::string, const Value*>> detectron2_leaves(const Value& tree) {
  std::vector<std::pair<std::string, const Value*>> out;
  collect_leaves(tree, "", out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// YAML as PyYAML reads it

namespace {

const std::string kYamlTag = "tag:yaml.org,2002:";
const std::string kPythonTag = "tag:yaml.org,2002:python/";

// PyYAML's implicit resolvers (YAML 1.1), tried in its order: bool, float, int, null, timestamp.
struct Resolvers {
  std::regex boolean{"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"};
  std::regex floating{
      "[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9_]+(?:[eE][-+][0-9]+)?|"
      "[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)"};
  std::regex integer{
      "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|"
      "[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"};
  std::regex null{"~|null|Null|NULL|"};
  std::regex timestamp{
      "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
      "(?:[Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?"
      "(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?"};
};

const Resolvers& resolvers() {
  static const Resolvers r;
  return r;
}

// The most values one config file may hold, an alias counted at each use. Real configs hold a
// few hundred. yaml-cpp shares an anchored node between its aliases, but the tree built here is a
// copy, so a few lines of nested aliases ("billion laughs") expanded to billions of values: that
// input kept fuzz_detectron2_yaml busy for over 20 minutes.
constexpr std::size_t kMaxYamlValues = 100000;
// The deepest nesting of collections a config file may hold. Real configs nest three or four
// levels; yaml-cpp's parser stops literal nesting at a few hundred, but aliases nest further
// without bound (an alias inside its own anchor, "&x [*x]", nests forever), and each level is a
// stack frame here: such an input overflowed fuzz_detectron2_yaml's stack.
constexpr std::size_t kMaxYamlDepth = 64;

// Parser events are ignored; only where each document starts matters (see count_documents).
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  YAML::Mark last = YAML::Mark::null_mark();
};

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  Value document(const std::string& text) {
    const std::size_t documents = count_documents(text);
    if (documents > 1)
      fail(ErrorKind::DataError, "'{}': {} YAML documents; a config file holds one", file_,
           documents);
    YAML::Node doc;
    try {
      doc = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      invalid_yaml(e.mark, e.msg);
    }
    if (documents == 0 || doc.IsNull())
      fail(ErrorKind::DataError, "'{}': empty; a config file is a YAML mapping", file_);
    if (!doc.IsMap()) fail(ErrorKind::DataError, "'{}': not a YAML mapping of config keys", file_);
    return convert(doc, "");
  }

 private:
  [[noreturn]] void invalid_yaml(const YAML::Mark& mark, const std::string& what) const {
    fail(ErrorKind::DataError, "'{}': not valid YAML: line {}, column {}: {}", file_,
         mark.line + 1, mark.column + 1, what);
  }

  // The documents in the stream, read as parser events without building nodes. yaml-cpp 0.7's
  // LoadAll never returns on a stream whose document starts with a ',' (" ,", "&a ,"): the parser
  // leaves that token unread and yields an empty document at the same place forever, growing
  // memory. A document that starts where the previous one started is that case.
  std::size_t count_documents(const std::string& text) const {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    std::size_t documents = 0;
    int previous_start = -1;
    try {
      while (parser.HandleNextDocument(starts)) {
        if (starts.last.pos == previous_start) {
          const auto at = static_cast<std::size_t>(std::max(starts.last.pos, 0));
          invalid_yaml(starts.last, at < text.size()
                                        ? fmt::format("unexpected '{}'", text[at])
                                        : std::string("unexpected end of input"));
        }
        previous_start = starts.last.pos;
        ++documents;
      }
    } catch (const YAML::Exception& e) {
      invalid_yaml(e.mark, e.msg);
    }
    return documents;
  }

 public:

 private:
  [[noreturn]] void data_error(const YAML::Node& n, const std::string& what) const {
    fail(ErrorKind::DataError, "'{}': line {}: {}", file_, n.Mark().line + 1, what);
  }

  void count_value(const YAML::Node& n) {
    if (++values_ > kMaxYamlValues)
      data_error(n, fmt::format("more than {} values (aliases counted at each use); a "
                                "detectron2 config holds a few hundred",
                                kMaxYamlValues));
  }

  // The collections from the document down to the node being read: entering one that is already
  // there (an alias inside its own anchor) or going deeper than kMaxYamlDepth is refused.
  class Nesting {
   public:
    Nesting(YamlReader& r, const YAML::Node& n) : path_(r.path_) {
      if (!n.IsSequence() && !n.IsMap()) return;
      for (const auto& outer : path_)
        if (outer.is(n)) r.data_error(n, "an alias refers to a collection that contains it");
      if (path_.size() >= kMaxYamlDepth)
        r.data_error(n, fmt::format("nested deeper than {} levels; a detectron2 config nests a few",
                                    kMaxYamlDepth));
      path_.push_back(n);
      entered_ = true;
    }
    ~Nesting() {
      if (entered_) path_.pop_back();
    }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    std::vector<YAML::Node>& path_;
    bool entered_ = false;
  };

  Value convert(const YAML::Node& n, const std::string& key) {
    count_value(n);
    const std::string& tag = n.Tag();
    if (tag.compare(0, kPythonTag.size(), kPythonTag) == 0) return python(n, key);
    const Nesting nesting(*this, n);
    switch (n.Type()) {
      case YAML::NodeType::Null:
        if (tag == kYamlTag + "str") return Value::of_str("");
        return Value::none();
      case YAML::NodeType::Scalar:
        return scalar(n, key);
      case YAML::NodeType::Sequence: {
        if (tag != "?" && tag != "!" && tag != kYamlTag + "seq")
          data_error(
              n, fmt::format("{}: YAML tag '{}' is not one a detectron2 config uses", key, tag));
        Value v;
        v.kind = Kind::List;
        for (const auto& e : n) v.items.push_back(convert(e, key));
        return v;
      }
      case YAML::NodeType::Map:
        return mapping(n, key);
      default:
        data_error(n, fmt::format("{}: an undefined YAML node", key));
    }
  }

  Value mapping(const YAML::Node& n, const std::string& key) {
    const std::string& tag = n.Tag();
    if (tag == kYamlTag + "set") {
      Value v;
      v.kind = Kind::Other;
      v.text = "set";
      return v;
    }
    if (tag != "?" && tag != "!" && tag != kYamlTag + "map")
      data_error(n, fmt::format("{}: YAML tag '{}' is not one a detectron2 config uses", key, tag));
    Value v = Value::node();
    // Where each key is in v.children: Value::set's search made a mapping of n keys cost n^2.
    std::unordered_map<std::string, std::size_t> index;
    for (auto it = n.begin(); it != n.end(); ++it) {
      // A copy (a handle, cheap): it->first lives in a proxy that dies with the expression.
      const YAML::Node k = it->first;
      Value name = k.IsScalar() || k.IsNull() ? convert(k, key) : Value::none();
      if (k.IsScalar() && k.Tag() == "?" && k.Scalar() == "<<")
        data_error(k, "YAML merge keys (<<) are not supported in detectron2 configs");
      if (name.kind != Kind::Str)
        fail(ErrorKind::Config, "'{}': line {}: key {} under '{}' is not a string", file_,
             k.Mark().line + 1, k.IsScalar() ? k.Scalar() : "(a collection)", key);
      const std::string child_key = key.empty() ? name.text : key + "." + name.text;
      Value value = convert(it->second, child_key);
      const auto [at, added] = index.emplace(name.text, v.children.size());
      if (added)
        v.children.emplace_back(name.text, std::move(value));
      else
        v.children[at->second].second = std::move(value);  // a repeated key: the last one wins
    }
    return v;
  }

  Value scalar(const YAML::Node& n, const std::string& key) {
    const std::string& tag = n.Tag();
    const std::string& s = n.Scalar();
    if (tag == "!" || tag == kYamlTag + "str") return Value::of_str(s);
    if (tag == "?") return plain(n, s, key);
    if (tag == kYamlTag + "int") return construct_int(n, s, key);
    if (tag == kYamlTag + "float") return construct_float(n, s, key);
    if (tag == kYamlTag + "null") return Value::none();
    if (tag == kYamlTag + "bool") {
      std::string lower = s;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower == "yes" || lower == "true" || lower == "on") return Value::of_bool(true);
      if (lower == "no" || lower == "false" || lower == "off") return Value::of_bool(false);
      data_error(n, fmt::format("{}: '{}' is not a YAML boolean", key, s));
    }
    if (tag == kYamlTag + "timestamp" || tag == kYamlTag + "binary") {
      Value v;
      v.kind = Kind::Other;
      v.text = tag == kYamlTag + "binary" ? "bytes" : "datetime";
      return v;
    }
    data_error(n, fmt::format("{}: YAML tag '{}' is not one a detectron2 config uses", key, tag));
  }

  // An untagged plain scalar, typed by PyYAML's implicit resolvers. std::regex recurses per
  // character, so a long scalar (no YAML boolean, null or timestamp is; a number that long would
  // overflow 64 bits anyway) is taken for a string, which yacs then reads as a Python literal.
  Value plain(const YAML::Node& n, const std::string& s, const std::string& key) {
    if (s.size() > 256) return Value::of_str(s);
    const Resolvers& r = resolvers();
    if (std::regex_match(s, r.boolean))
      return Value::of_bool(s[0] == 'y' || s[0] == 'Y' || s[0] == 't' || s[0] == 'T' || s == "on" ||
                            s == "On" || s == "ON");
    if (std::regex_match(s, r.floating)) return construct_float(n, s, key);
    if (std::regex_match(s, r.integer)) return construct_int(n, s, key);
    if (std::regex_match(s, r.null)) return Value::none();
    if (std::regex_match(s, r.timestamp)) {
      Value v;
      v.kind = Kind::Other;
      v.text = "datetime";
      return v;
    }
    if (s == "=") data_error(n, fmt::format("{}: the YAML value key '=' has no constructor", key));
    return Value::of_str(s);
  }

  // One part of a base-60 integer ("1:30"), as Python's int() takes it; nullopt when it is not
  // one. `overflow` is set when it does not fit 64 bits.
  static std::optional<std::int64_t> base60_part(std::string part, bool& overflow) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!part.empty() && blank(part.back())) part.pop_back();
    std::size_t i = 0;
    while (i < part.size() && blank(part[i])) ++i;
    bool minus = false;
    if (i < part.size() && (part[i] == '-' || part[i] == '+')) minus = part[i++] == '-';
    if (i == part.size()) return std::nullopt;
    std::int64_t v = 0;
    for (; i < part.size(); ++i) {
      if (part[i] < '0' || part[i] > '9') return std::nullopt;
      overflow = overflow || __builtin_mul_overflow(v, 10, &v) ||
                 __builtin_add_overflow(v, part[i] - '0', &v);
    }
    return minus ? -v : v;
  }

  // PyYAML's construct_yaml_int: underscores dropped, 0b / 0x / 0 (octal) / base-60 forms.
  Value construct_int(const YAML::Node& n, std::string s, const std::string& key) {
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
      negative = s[0] == '-';
      s.erase(0, 1);
    }
    auto parse = [&](const std::string& digits, int base) -> Value {
      if (digits.empty()) data_error(n, fmt::format("{}: '{}' is not an integer", key, s));
      errno = 0;
      char* end = nullptr;
      const long long v = std::strtoll(digits.c_str(), &end, base);
      if (*end != '\0') data_error(n, fmt::format("{}: '{}' is not an integer", key, s));
      if (errno == ERANGE) {
        Value big;
        big.kind = Kind::Other;
        big.text = "int";
        return big;
      }
      return Value::of_int(negative ? -v : v);
    };
    if (s == "0") return Value::of_int(0);
    if (s.compare(0, 2, "0b") == 0) return parse(s.substr(2), 2);
    if (s.compare(0, 2, "0x") == 0) return parse(s.substr(2), 16);
    if (!s.empty() && s[0] == '0') return parse(s, 8);
    if (s.find(':') != std::string::npos) {
      // Each part as Python's int() reads it (surrounding blanks, a sign, digits); a part that is
      // none (an explicit !!int on any text reaches here) is an error, a sum past 64 bits is
      // Python's big int, which no config key takes.
      std::int64_t v = 0;
      bool overflow = false;
      std::size_t start = 0;
      while (true) {
        const std::size_t colon = s.find(':', start);
        const auto part = base60_part(s.substr(start, colon - start), overflow);
        if (!part) data_error(n, fmt::format("{}: '{}' is not an integer", key, s));
        overflow = overflow || __builtin_mul_overflow(v, 60, &v) ||
                   __builtin_add_overflow(v, *part, &v);
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
      if (overflow) {
        Value big;
        big.kind = Kind::Other;
        big.text = "int";
        return big;
      }
      return Value::of_int(negative ? -v : v);
    }
    return parse(s, 10);
  }

  // PyYAML's construct_yaml_float: underscores dropped, .inf / .nan, base-60 forms.
  Value construct_float(const YAML::Node& n, std::string s, const std::string& key) {
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    double sign = 1;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
      sign = s[0] == '-' ? -1 : 1;
      s.erase(0, 1);
    }
    if (s == ".inf") return Value::of_float(sign * std::numeric_limits<double>::infinity());
    if (s == ".nan") return Value::of_float(std::numeric_limits<double>::quiet_NaN());
    if (s.find(':') != std::string::npos) {
      double v = 0;
      std::size_t start = 0;
      while (true) {
        const std::size_t colon = s.find(':', start);
        // Each part as Python's float() reads it: a part that is no number is an error.
        const std::string part = s.substr(start, colon - start);
        char* end = nullptr;
        const double p = std::strtod(part.c_str(), &end);
        while (end && (*end == ' ' || *end == '\t')) ++end;
        if (part.empty() || end == part.c_str() || *end != '\0')
          data_error(n, fmt::format("{}: '{}' is not a float", key, s));
        v = v * 60 + p;
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
      return Value::of_float(sign * v);
    }
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0') data_error(n, fmt::format("{}: '{}' is not a float", key, s));
    return Value::of_float(sign * v);
  }

  // A Python-tagged value: kept as written, never evaluated; a tuple is only a tuple.
  Value python(const YAML::Node& n, const std::string& key) {
    const std::string suffix = n.Tag().substr(kYamlTag.size());
    if (suffix == "python/tuple" && n.IsSequence()) {
      const Nesting nesting(*this, n);
      Value v;
      v.kind = Kind::Tuple;
      for (const auto& e : n) v.items.push_back(convert(e, key));
      return v;
    }
    Value v;
    v.kind = Kind::Python;
    v.text = "!!" + suffix + " " + flow(n);
    return v;
  }

  // A node in YAML flow style, for messages (its values count against kMaxYamlValues too).
  std::string flow(const YAML::Node& n) {
    count_value(n);
    const Nesting nesting(*this, n);
    if (n.IsSequence()) {
      std::string s = "[";
      for (std::size_t i = 0; i < n.size(); ++i) s += (i ? ", " : "") + flow(n[i]);
      return s + "]";
    }
    if (n.IsMap()) {
      std::string s = "{";
      bool first = true;
      for (auto it = n.begin(); it != n.end(); ++it) {
        s += (first ? "" : ", ") + flow(it->first) + ": " + flow(it->second);
        first = false;
      }
      return s + "}";
    }
    if (n.IsNull()) return "null";
    if (n.Tag() == "?") return n.Scalar();
    // yaml-cpp does not check UTF-8: a byte that is none becomes U+FFFD here instead of an
    // exception from dump().
    return nlohmann::json(n.Scalar())
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  std::string file_;
  std::size_t values_ = 0;
  std::vector<YAML::Node> path_;  // see Nesting
};

// ---------------------------------------------------------------------------------------------
// _BASE_ chains (fvcore's load_yaml_with_base)

const std::string kBaseKey = "_BASE_";

std::string read_config_file(const std::string& path, std::size_t max_bytes, bool is_base,
                             const std::string& named_by) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    if (is_base) fail(ErrorKind::Config, "'{}': _BASE_ '{}' is not a file", named_by, path);
    fail(ErrorKind::NoInput, "cannot open '{}': no such config file", path);
  }
  const auto size = fs::file_size(path, ec);
  if (ec) fail(ErrorKind::NoInput, "cannot open '{}': {}", path, ec.message());
  if (size > max_bytes)
    fail(ErrorKind::DataError, "'{}': {} bytes; a config file may hold at most {}", path, size,
         max_bytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::NoInput, "cannot open '{}': {}", path, errno_text(errno));
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (!in) fail(ErrorKind::IoError, "cannot read '{}'", path);
  return text;
}

// Where each leaf key was last set, for messages ("'Base.yaml': unknown key ...").
using Provenance = std::map<std::string, std::string>;

void record_provenance(const Value& v, const std::string& prefix, const std::string& file,
                       Provenance& out) {
  for (const auto& [k, child] : v.children) {
    const std::string key = prefix + k;
    if (child.is_node() && !child.children.empty())
      record_provenance(child, key + ".", file, out);
    else
      out[key] = file;
  }
}

// fvcore's merge_a_into_b: a's values over b's, node by node; a node cannot replace a value.
void merge_files(const Value& a, Value& b, const std::string& prefix, const Provenance& where) {
  for (const auto& [k, v] : a.children) {
    Value* existing = b.find(k);
    if (v.is_node() && existing) {
      if (!existing->is_node()) {
        auto it = where.lower_bound(prefix + k);
        fail(ErrorKind::Config,
             "'{}': {}: cannot inherit key '{}' from base (the base has a "
             "value there, not a section)",
             it != where.end() ? it->second : std::string("config"), prefix + k, k);
      }
      merge_files(v, *existing, prefix + k + ".", where);
    } else {
      b.set(k, v);
    }
  }
}

struct Loaded {
  Value tree;
  Provenance provenance;
};

class BaseLoader {
 public:
  BaseLoader(const Detectron2ResolveOptions& options, std::vector<std::string>* files)
      : options_(options), files_(files) {}

  Loaded load(const std::string& path, const std::string& named_by) {
    std::error_code ec;
    std::string key = fs::weakly_canonical(path, ec).string();
    if (ec) key = path;
    if (std::find(stack_.begin(), stack_.end(), key) != stack_.end()) {
      std::string chain;
      for (const auto& s : stack_) chain += s + " -> ";
      fail(ErrorKind::Config, "'{}': _BASE_ cycle: {}{}", named_by, chain, key);
    }
    if (static_cast<int>(stack_.size()) > options_.max_base_depth)
      fail(ErrorKind::Config, "'{}': _BASE_ chain deeper than {} files", named_by,
           options_.max_base_depth);
    const bool is_base = !stack_.empty();
    const std::string text = read_config_file(path, options_.max_file_bytes, is_base, named_by);
    if (files_) files_->push_back(path);
    stack_.push_back(key);
    Loaded self{YamlReader(path).document(text), {}};
    Loaded out = with_bases(self, path);
    stack_.pop_back();
    return out;
  }

 private:
  Loaded with_bases(Loaded self, const std::string& path) {
    const Value* base = self.tree.find(kBaseKey);
    if (!base) {
      record_provenance(self.tree, "", path, self.provenance);
      return self;
    }
    std::vector<std::string> names;
    if (base->kind == Kind::Str) {
      names.push_back(base->text);
    } else if (base->kind == Kind::List) {
      for (const auto& item : base->items) {
        if (item.kind != Kind::Str)
          fail(ErrorKind::Config, "'{}': _BASE_ {}: each base must be a file name", path,
               base->repr());
        names.push_back(item.text);
      }
    } else {
      fail(ErrorKind::Config, "'{}': _BASE_ {}: must be a file name or a list of them", path,
           base->repr());
    }
    Loaded merged{Value::node(), {}};
    for (const auto& name : names) {
      Loaded b = load(base_path(name, path), path);
      merge_files(b.tree, merged.tree, "", b.provenance);
      for (const auto& [k, f] : b.provenance) merged.provenance[k] = f;
    }
    self.tree.children.erase(std::find_if(self.tree.children.begin(), self.tree.children.end(),
                                          [](const auto& kv) { return kv.first == kBaseKey; }));
    record_provenance(self.tree, "", path, self.provenance);
    merge_files(self.tree, merged.tree, "", self.provenance);
    for (const auto& [k, f] : self.provenance) merged.provenance[k] = f;
    return merged;
  }

  // As fvcore: "~" expanded, absolute paths kept, others relative to the naming file.
  static std::string base_path(std::string name, const std::string& named_by) {
    if (name.rfind("https://", 0) == 0 || name.rfind("http://", 0) == 0)
      fail(ErrorKind::Config, "'{}': _BASE_ '{}': segx does not fetch remote configs", named_by,
           name);
    if (name.rfind("~", 0) == 0) {
      const char* home = std::getenv("HOME");
      if (home && (name.size() == 1 || name[1] == '/')) name = home + name.substr(1);
    }
    if (!name.empty() && name[0] == '/') return name;
    return (fs::path(named_by).parent_path() / name).string();
  }

  const Detectron2ResolveOptions& options_;
  std::vector<std::string>* files_;
  std::vector<std::string> stack_;
};

}  // namespace

Value load_detectron2_yaml(const std::string& path, const Detectron2ResolveOptions& options,
                           std::vector<std::string>* files) {
  return BaseLoader(options, files).load(path, path).tree;
}

Value parse_detectron2_yaml(const std::string& text, const std::string& name) {
  return YamlReader(name).document(text);
}

// ---------------------------------------------------------------------------------------------
// Defaults

namespace {

const char* const kRepositories[] = {"maskformer", "mask2former", "mask2former_video", "oneformer"};

template <typename Json>
Value from_typed_json(const Json& j) {
  if (j.is_null()) return Value::none();
  if (j.is_boolean()) return Value::of_bool(j.template get<bool>());
  if (j.is_number_integer()) return Value::of_int(j.template get<std::int64_t>());
  if (j.is_number_float()) return Value::of_float(j.template get<double>());
  if (j.is_string()) return Value::of_str(j.template get<std::string>());
  if (j.is_array()) {
    Value v;
    v.kind = Kind::List;
    for (const auto& e : j) v.items.push_back(from_typed_json(e));
    return v;
  }
  if (j.contains("(tuple)")) {
    Value v = from_typed_json(j.at("(tuple)"));
    v.kind = Kind::Tuple;
    return v;
  }
  if (j.contains("(float)")) {
    const std::string s = j.at("(float)").template get<std::string>();
    return Value::of_float(s == "nan"   ? std::numeric_limits<double>::quiet_NaN()
                           : s == "inf" ? std::numeric_limits<double>::infinity()
                                        : -std::numeric_limits<double>::infinity());
  }
  if (j.contains("(python)")) {
    Value v;
    v.kind = Kind::Other;
    v.text = j.at("(python)").template get<std::string>();
    return v;
  }
  Value v = Value::node();
  for (const auto& [k, e] : j.items()) v.children.emplace_back(k, from_typed_json(e));
  return v;
}

}  // namespace

Value detectron2_value_from_json(const nlohmann::json& j) {
  return from_typed_json(j);
}
Value detectron2_value_from_json(const nlohmann::ordered_json& j) {
  return from_typed_json(j);
}

std::vector<std::string> detectron2_repositories() {
  return {std::begin(kRepositories), std::end(kRepositories)};
}

const Value& detectron2_defaults(const std::string& repository) {
  static std::mutex mutex;
  static std::map<std::string, Value> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(repository);
  if (it != cache.end()) return it->second;
  const std::string_view text = embedded_file("detectron2_defaults/" + repository + ".json");
  if (text.empty())
    fail(ErrorKind::Config, "no detectron2 defaults for repository '{}' (segx has: {})", repository,
         fmt::join(kRepositories, ", "));
  // ordered_json keeps the keys in upstream's order (nlohmann::json would sort them).
  Value tree =
      from_typed_json(nlohmann::ordered_json::parse(text.begin(), text.end()).at("config"));
  return cache.emplace(repository, std::move(tree)).first->second;
}

// ---------------------------------------------------------------------------------------------
// yacs' merge rules

namespace {

std::string with_article(const std::string& type) {
  const bool vowel = !type.empty() && std::string("aeiouAEIOU").find(type[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + type;
}

// The value a key gets from a file or an override: yacs' _decode_cfg_value.
Value decode(const Value& v) {
  return v.kind == Kind::Str ? parse_detectron2_literal(v.text) : v;
}

bool valid_type(const Value& v) {  // yacs' _VALID_TYPES
  return v.kind != Kind::Node && v.kind != Kind::Other && v.kind != Kind::Python;
}

std::string display_name(const std::string& repository) {
  if (repository == "mask2former") return "Mask2Former";
  if (repository == "mask2former_video") return "Mask2Former (video)";
  if (repository == "maskformer") return "MaskFormer";
  if (repository == "oneformer") return "OneFormer";
  return repository;
}

// The file that set `key` (or a key under it), for messages.
std::string file_of(const Provenance& provenance, const std::string& key,
                    const std::string& fallback) {
  auto it = provenance.find(key);
  if (it != provenance.end()) return it->second;
  it = provenance.lower_bound(key + ".");
  if (it != provenance.end() && it->first.compare(0, key.size() + 1, key + ".") == 0)
    return it->second;
  return fallback;
}

struct Merger {
  const Provenance& provenance;
  const std::string& top_file;
  const std::string& repository;

  void merge(const Value& a, Value& b, const std::string& prefix) const {
    for (const auto& [k, v] : a.children) {
      const std::string key = prefix + k;
      const std::string file = file_of(provenance, key, top_file);
      Value* existing = b.find(k);
      if (!existing)
        fail(ErrorKind::Config, "'{}': unknown key {}: {}'s config has no such key", file, key,
             display_name(repository));
      Value d = coerce_detectron2_value(decode(v), *existing, key, file);
      if (d.is_node())
        merge(d, *existing, key + ".");
      else
        *existing = std::move(d);
    }
  }
};

// yacs builds a CfgNode from the loaded YAML before merging: a value of another type fails there.
void check_value_types(const Value& tree, const std::string& prefix, const Provenance& provenance,
                       const std::string& top_file) {
  for (const auto& [k, v] : tree.children) {
    if (v.is_node()) {
      check_value_types(v, prefix + k + ".", provenance, top_file);
    } else if (v.kind == Kind::Other) {
      fail(ErrorKind::Config, "'{}': {}: {} value, not a type a detectron2 config holds",
           file_of(provenance, prefix + k, top_file), prefix + k, with_article(v.text));
    }
  }
}

// detectron2's CfgNode.merge_from_file: a config without VERSION is taken for the latest unless it
// has keys of v1 (then detectron2 renames its keys, which segx does not); a newer one fails.
void check_version(const Value& yaml, const Value& defaults, const std::string& file) {
  const std::int64_t latest = defaults.find("VERSION")->integer;
  const Value* version = yaml.find("VERSION");
  if (!version) {
    for (const char* old_key : {"MODEL.WEIGHT", "TEST.AUG_ON"})
      if (yaml.at(old_key))
        fail(ErrorKind::Config,
             "'{}': {} without VERSION: detectron2 reads this as a v1 config and renames its keys; "
             "segx reads version {} configs only",
             file, old_key, latest);
    return;
  }
  const Value v = decode(*version);
  if (v.kind != Kind::Int)
    fail(ErrorKind::Config, "'{}': VERSION {}: must be an int", file, version->repr());
  if (v.integer > latest)
    fail(ErrorKind::Config, "'{}': VERSION {}: newer than detectron2's {}", file, v.integer,
         latest);
  if (v.integer < latest)
    fail(ErrorKind::Config,
         "'{}': VERSION {}: detectron2 upgrades older configs by renaming keys; segx reads "
         "version {} configs only",
         file, v.integer, latest);
}

// detectron2's merge_from_list.
void apply_overrides(const std::vector<std::string>& overrides, Value& tree,
                     const std::string& repository, std::vector<std::string>& set_keys) {
  if (overrides.size() % 2 != 0)
    fail(ErrorKind::Usage, "config overrides are KEY VALUE pairs: '{}' has no value",
         overrides.back());
  for (std::size_t i = 0; i < overrides.size(); i += 2) {
    const std::string& key = overrides[i];
    if (key == kBaseKey)
      fail(ErrorKind::Config, "override {}: the reserved key '_BASE_' can only be used in files",
           key);
    Value* target = &tree;
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = key.find('.', start);
      const std::string part =
          key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      target = target->is_node() ? target->find(part) : nullptr;
      if (!target)
        fail(ErrorKind::Config, "override {}: unknown key: {}'s config has no such key", key,
             display_name(repository));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    *target = coerce_detectron2_value(parse_detectron2_literal(overrides[i + 1]), *target, key,
                                      "override " + key);
    if (std::find(set_keys.begin(), set_keys.end(), key) == set_keys.end()) set_keys.push_back(key);
  }
}

bool defines_all(const std::string& repository, const Value& yaml) {
  const Value& defaults = detectron2_defaults(repository);
  for (const auto& [key, value] : detectron2_leaves(yaml)) {
    (void)value;
    if (!defaults.at(key)) return false;
  }
  return true;
}

bool sets_video_key(const Value& yaml) {
  const Value& image = detectron2_defaults("mask2former");
  const Value& video = detectron2_defaults("mask2former_video");
  for (const auto& [key, value] : detectron2_leaves(yaml)) {
    (void)value;
    if (video.at(key) && !image.at(key)) return true;
  }
  return false;
}

std::string string_at(const Value& yaml, const std::string& key) {
  const Value* v = yaml.at(key);
  return v && v->kind == Kind::Str ? v->text : "";
}

}  // namespace

Value coerce_detectron2_value(const Value& replacement, const Value& original,
                              const std::string& key, const std::string& where) {
  if (replacement.kind == Kind::Python || original.kind == Kind::Python) {
    // An unevaluated expression's type is unknown; whoever reads the key refuses it.
    if (original.is_node())
      fail(ErrorKind::Config,
           "'{}': {}: {} is a Python expression where detectron2 has a config section; segx does "
           "not evaluate it",
           where, key, replacement.text);
    return replacement;
  }
  if (replacement.kind == original.kind && replacement.kind != Kind::Other) return replacement;
  if ((replacement.kind == Kind::None && valid_type(original)) ||
      (original.kind == Kind::None && valid_type(replacement)))
    return replacement;
  if ((replacement.kind == Kind::List && original.kind == Kind::Tuple) ||
      (replacement.kind == Kind::Tuple && original.kind == Kind::List)) {
    Value v = replacement;
    v.kind = original.kind;
    return v;
  }
  fail(ErrorKind::Config, "'{}': {}: {} is {}, where detectron2 has {} ({})", where, key,
       replacement.repr(), with_article(replacement.type_name()),
       with_article(original.type_name()), original.repr());
}

std::string choose_detectron2_repository(const Value& yaml, const std::string& path,
                                         std::string* reason) {
  auto because = [&](const std::string& repository, const std::string& why) {
    if (reason) *reason = why;
    return repository;
  };
  const std::string meta = string_at(yaml, "MODEL.META_ARCHITECTURE");
  if (meta == "OneFormer") return because("oneformer", "MODEL.META_ARCHITECTURE is OneFormer");
  if (meta == "VideoMaskFormer")
    return because("mask2former_video", "MODEL.META_ARCHITECTURE is VideoMaskFormer");
  if (!path.empty()) {
    std::error_code ec;
    const fs::path dir = fs::absolute(fs::path(path), ec).lexically_normal().parent_path();
    std::vector<std::string> parts;
    for (const auto& part : dir) parts.push_back(part.string());
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      const std::string why = "the config file is in a directory named " + *it;
      if (*it == "OneFormer") return because("oneformer", why);
      if (*it == "MaskFormer") return because("maskformer", why);
      if (*it == "Mask2Former")
        return sets_video_key(yaml) ? because("mask2former_video", why + " and sets video keys")
                                    : because("mask2former", why);
    }
  }
  const bool msdeformattn =
      string_at(yaml, "MODEL.SEM_SEG_HEAD.PIXEL_DECODER_NAME") == "MSDeformAttnPixelDecoder";
  for (const char* repository : kRepositories) {
    if (msdeformattn && std::string(repository) == "maskformer") continue;
    if (defines_all(repository, yaml))
      return because(repository, fmt::format("{}'s defaults are the first to define every key "
                                             "the config sets",
                                             display_name(repository)));
  }
  return because("mask2former", "no repository's defaults define every key the config sets");
}

namespace {

// resolve_detectron2_config once the files are read into `loaded` (and named in out.files).
void resolve_loaded(const Loaded& loaded, const std::string& path,
                    const Detectron2ResolveOptions& options, Detectron2Config& out) {
  if (options.repository.empty()) {
    out.repository = choose_detectron2_repository(loaded.tree, path, &out.repository_reason);
  } else {
    out.repository = options.repository;
    out.repository_reason = "asked for";
  }
  const auto repositories = detectron2_repositories();
  if (std::find(repositories.begin(), repositories.end(), out.repository) == repositories.end())
    fail(ErrorKind::Config, "unknown detectron2 repository '{}' (segx has: {})", out.repository,
         fmt::join(repositories, ", "));
  out.tree = detectron2_defaults(out.repository);
  check_version(loaded.tree, out.tree, path);
  check_value_types(loaded.tree, "", loaded.provenance, path);
  Merger{loaded.provenance, path, out.repository}.merge(loaded.tree, out.tree, "");
  for (const auto& [key, value] : detectron2_leaves(loaded.tree)) {
    (void)value;
    out.set_keys.push_back(key);
  }
  apply_overrides(options.overrides, out.tree, out.repository, out.set_keys);
}

}  // namespace

Detectron2Config resolve_detectron2_config(const std::string& path,
                                           const Detectron2ResolveOptions& options) {
  Detectron2Config out;
  BaseLoader loader(options, &out.files);
  resolve_loaded(loader.load(path, path), path, options, out);
  return out;
}

Detectron2Config resolve_detectron2_yaml(const std::string& text, const std::string& name,
                                         const Detectron2ResolveOptions& options) {
  if (text.size() > options.max_file_bytes)
    fail(ErrorKind::DataError, "'{}': {} bytes; a config file may hold at most {}", name,
         text.size(), options.max_file_bytes);
  Loaded loaded{parse_detectron2_yaml(text, name), {}};
  if (loaded.tree.find(kBaseKey))
    fail(ErrorKind::Config,
         "'{}': _BASE_ {}: a config given as text has no folder to find bases in", name,
         loaded.tree.find(kBaseKey)->repr());
  record_provenance(loaded.tree, "", name, loaded.provenance);
  Detectron2Config out;
  out.files.push_back(name);
  resolve_loaded(loaded, name, options, out);
  return out;
}

}  // namespace segx::io
