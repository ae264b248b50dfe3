// Config tables: one table per JSON config section names each key once (type, default, allowed
// values, meaning), and that one list reads the section (an unknown key, a wrong type or a value
// out of range is Error(Config) naming the file and the dotted key), writes it back and
// documents it (segx-config(5)), so that no key is read, written or documented by a second list.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace segx::config {

using Json = nlohmann::json;

// Where a section is read from: the file, for messages, and the dotted path of its keys.
struct Origin {
  std::string file;
  std::string prefix;  // "solver." inside "solver"; "" at the top
  bool warn = true;    // warn about deprecated keys (off when the same text is read again)

  Origin nested(const std::string& key) const { return {file, prefix + key + ".", warn}; }
  // Error(Config) "'file': <prefix><key> <what>".
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
};

// One key as segx-config(5) lists it.
struct KeyDoc {
  std::string key;           // full dotted key: "solver.base_lr", "datasets[].path"
  std::string type;          // "number", "integer", "boolean", "string", "list of ...", "object"
  std::string default_text;  // the default as JSON ("0.0001", "\"GN\"") or words ("required")
  std::string allowed;       // "> 0", "\"GN\" or \"\"", "3 values"; "" when anything of the type
  std::string description;
  bool section = false;     // an object whose keys follow
  bool deprecated = false;  // read with a warning and otherwise ignored
};

// What a value (each element, for a list) must be beyond its type; also its documentation.
struct Rule {
  std::optional<double> min, max;
  bool min_open = false, max_open = false;
  std::vector<Json> choices;
  std::optional<std::size_t> size;  // lists: exactly this many elements
  bool non_empty = false;           // lists and strings

  std::string text() const;
  // "" when `value` meets the rule, else what it must be ("must be positive").
  std::string violation(const Json& value) const;
};

// Keys that document a file and are otherwise ignored, at every level: "comment" and any key
// that starts with "_".
bool is_comment_key(const std::string& key);

// A JSON value shortened for a one-line message.
std::string brief(const Json& value);

// Reading a C++ value from JSON strictly (no float to integer, no number to boolean).
template <typename T, typename = void>
struct Codec;

template <>
struct Codec<bool> {
  static std::string name() { return "boolean"; }
  static bool accepts(const Json& j) { return j.is_boolean(); }
};
template <typename T>
struct Codec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static std::string name() { return std::is_unsigned_v<T> ? "non-negative integer" : "integer"; }
  static bool accepts(const Json& j) {
    if (j.is_number_unsigned())
      return j.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
    if (!j.is_number_integer()) return false;
    const auto v = j.get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>)
      return v >= 0;
    else
      return v >= std::numeric_limits<T>::min() && v <= std::numeric_limits<T>::max();
  }
};
template <>
struct Codec<double> {
  static std::string name() { return "number"; }
  static bool accepts(const Json& j) { return j.is_number(); }
};
template <>
struct Codec<std::string> {
  static std::string name() { return "string"; }
  static bool accepts(const Json& j) { return j.is_string(); }
};
template <typename T>
struct Codec<std::vector<T>> {
  static std::string name() { return "list of " + Codec<T>::name() + "s"; }
  static bool accepts(const Json& j) {
    if (!j.is_array()) return false;
    for (const auto& e : j)
      if (!Codec<T>::accepts(e)) return false;
    return true;
  }
};

// "an integer", "a number".
std::string with_article(const std::string& noun);

// Checks a value's type and rule; Error(Config) naming origin and key when it fails.
void check_value(const Json& value, bool accepted, const std::string& type, const Rule& rule,
                 const Origin& origin, const std::string& key);

// A warning "'file': key is no longer read (why); ignored".
void warn_deprecated_key(const Origin& origin, const std::string& key, const std::string& why);
// Error(Config) "'file': unknown key "solver.lr_sheduler" (did you mean "solver.lr_scheduler"?)".
[[noreturn]] void fail_unknown_key(const Origin& origin, const std::string& key,
                                   const std::vector<std::string>& known);

// The table of one section, whose keys are members of S (or of what S holds).
template <typename S>
class Table {
 public:
  using Reader = std::function<void(const Json& value, S& out, const Origin& origin,
                                    const std::string& key, const Rule& rule)>;
  using Writer = std::function<void(const S& in, Json& section, const std::string& key)>;
  using Docs = std::function<void(const std::string& prefix, std::vector<KeyDoc>& out)>;

  class Field {
   public:
    Field& positive() { return min(0, true); }
    Field& min(double v, bool open = false) {
      rule_.min = v;
      rule_.min_open = open;
      return *this;
    }
    Field& range(double lo, double hi) {
      rule_.min = lo;
      rule_.max = hi;
      return *this;
    }
    Field& one_of(std::vector<Json> choices) {
      rule_.choices = std::move(choices);
      return *this;
    }
    Field& size(std::size_t n) {
      rule_.size = n;
      return *this;
    }
    Field& non_empty() {
      rule_.non_empty = true;
      return *this;
    }
    Field& required() {
      required_ = true;
      doc_.default_text = "required";
      return *this;
    }
    // Written only when `when` holds (keys that mean nothing for some configs).
    Field& write_if(std::function<bool(const S&)> when) {
      when_ = std::move(when);
      return *this;
    }
    // The documented default, where the struct's own default says less ("the decoder's
    // hidden_dim").
    Field& default_doc(std::string text) {
      doc_.default_text = std::move(text);
      return *this;
    }
    // A section whose keys are documented elsewhere (description says where).
    Field& no_key_docs() {
      children_ = nullptr;
      return *this;
    }

   private:
    friend class Table;
    KeyDoc doc_;
    Rule rule_;
    bool required_ = false;
    Reader read_;
    Writer write_;
    std::function<bool(const S&)> when_;
    Docs children_;
  };

  // A typed key. `at` is a member pointer or a generic accessor `[](auto& s) -> auto& {...}`.
  template <typename At>
  Field& field(const char* key, At at, const char* description) {
    auto get = accessor(at);
    using T = std::decay_t<decltype(get(std::declval<S&>()))>;
    Field& f = add(key, Codec<T>::name(), description);
    const S defaults{};
    f.doc_.default_text = Json(get(defaults)).dump();
    f.read_ = [get](const Json& v, S& out, const Origin& o, const std::string& k, const Rule& r) {
      check_value(v, Codec<T>::accepts(v), Codec<T>::name(), r, o, k);
      get(out) = v.get<T>();
    };
    f.write_ = [get](const S& in, Json& j, const std::string& k) { j[k] = get(in); };
    return f;
  }

  // An object whose keys are `sub`'s, read into what `at` gives (S itself for a group of S's
  // own members).
  template <typename T, typename At>
  Field& section(const char* key, At at, const Table<T>& sub, const char* description) {
    auto get = accessor(at);
    Field& f = add(key, "object", description);
    f.doc_.section = true;
    f.read_ = [get, &sub](const Json& v, S& out, const Origin& o, const std::string& k,
                          const Rule&) { sub.read(v, get(out), o.nested(k)); };
    f.write_ = [get, &sub](const S& in, Json& j, const std::string& k) {
      j[k] = sub.write(get(in));
    };
    f.children_ = [&sub](const std::string& prefix, std::vector<KeyDoc>& out) {
      sub.docs(prefix, out);
    };
    return f;
  }

  // A list of objects with `sub`'s keys ("datasets": [{...}, ...]); keys read "key[i].name".
  template <typename T, typename At>
  Field& list(const char* key, At at, const Table<T>& sub, const char* description) {
    auto get = accessor(at);
    Field& f = add(key, "list of objects", description);
    f.doc_.section = true;
    f.doc_.default_text = "[]";
    f.read_ = [get, &sub](const Json& v, S& out, const Origin& o, const std::string& k,
                          const Rule& r) {
      check_value(v, v.is_array(), "list of objects", r, o, k);
      auto& items = get(out);
      items.clear();
      for (std::size_t i = 0; i < v.size(); ++i) {
        T item{};
        sub.read(v[i], item, o.nested(k + "[" + std::to_string(i) + "]"));
        items.push_back(std::move(item));
      }
    };
    f.write_ = [get, &sub](const S& in, Json& j, const std::string& k) {
      Json a = Json::array();
      for (const auto& item : get(in)) a.push_back(sub.write(item));
      j[k] = std::move(a);
    };
    f.children_ = [&sub](const std::string& prefix, std::vector<KeyDoc>& out) {
      sub.docs(prefix.substr(0, prefix.size() - 1) + "[].", out);
    };
    return f;
  }

  // Anything else (several forms, derived members): the reader checks what it reads.
  Field& custom(const char* key, const std::string& type, const std::string& default_text,
                Reader read, Writer write, const char* description) {
    Field& f = add(key, type, description);
    f.doc_.default_text = default_text;
    f.read_ = std::move(read);
    f.write_ = std::move(write);
    return f;
  }

  // A key that segx no longer reads: a warning naming it, then ignored; never written.
  void deprecated(const char* key, const std::string& type, const char* why) {
    Field& f = add(key, type, why);
    f.doc_.deprecated = true;
    f.doc_.default_text = "ignored";
    f.read_ = [why](const Json&, S&, const Origin& o, const std::string& k, const Rule&) {
      if (o.warn) warn_deprecated_key(o, k, why);
    };
  }

  // The format version: written as `current`; a file without it is read as version 1, one
  // with a later version than `current` is refused.
  void version(const char* key, int current, const char* description) {
    Field& f = add(key, "integer", description);
    f.doc_.default_text = "1 when absent";
    f.rule_.min = 1;
    f.read_ = [current](const Json& v, S&, const Origin& o, const std::string& k, const Rule& r) {
      check_value(v, Codec<int>::accepts(v), "integer", r, o, k);
      if (v.get<int>() > current)
        o.fail(k, "is " + v.dump() + ", newer than this segx reads (" + std::to_string(current) +
                      "); a later segx wrote it");
    };
    f.write_ = [current](const S&, Json& j, const std::string& k) { j[k] = current; };
  }

  // Reads the keys present in `j` into `out` (others keep their value); Error(Config) for an
  // unknown key, a bad value or a required key that is missing.
  void read(const Json& j, S& out, const Origin& origin) const {
    if (!j.is_object()) {
      if (origin.prefix.empty()) origin.fail("the config", "must be a JSON object");
      Origin up{origin.file, "", origin.warn};
      up.fail(origin.prefix.substr(0, origin.prefix.size() - 1), "must be an object");
    }
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!is_comment_key(it.key()) && !find(it.key())) fail_unknown_key(origin, it.key(), keys());
    for (const auto& f : fields_) {
      auto it = j.find(f.doc_.key);
      if (it == j.end()) {
        if (f.required_) origin.fail(f.doc_.key, "is required");
        continue;
      }
      f.read_(*it, out, origin, f.doc_.key, f.rule_);
    }
  }

  Json write(const S& in) const {
    Json j = Json::object();
    for (const auto& f : fields_)
      if (f.write_ && (!f.when_ || f.when_(in))) f.write_(in, j, f.doc_.key);
    return j;
  }

  // Every key, sections followed by their keys, with full dotted names under `prefix`.
  void docs(const std::string& prefix, std::vector<KeyDoc>& out) const {
    for (const auto& f : fields_) {
      KeyDoc d = f.doc_;
      d.key = prefix + d.key;
      if (d.allowed.empty()) d.allowed = f.rule_.text();
      out.push_back(d);
      if (f.children_) f.children_(d.key + ".", out);
    }
  }
  std::vector<KeyDoc> docs() const {
    std::vector<KeyDoc> out;
    docs("", out);
    return out;
  }

  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (const auto& f : fields_) k.push_back(f.doc_.key);
    return k;
  }

 private:
  template <typename At>
  static auto accessor(At at) {
    if constexpr (std::is_member_object_pointer_v<At>) return [at](auto& s) -> auto& {
        return s.*at;
      };
    else
      return at;
  }

  Field& add(const char* key, const std::string& type, const char* description) {
    fields_.emplace_back();
    Field& f = fields_.back();
    f.doc_.key = key;
    f.doc_.type = type;
    f.doc_.description = description;
    return f;
  }

  const Field* find(const std::string& key) const {
    for (const auto& f : fields_)
      if (f.doc_.key == key) return &f;
    return nullptr;
  }

  std::deque<Field> fields_;
};

}  // namespace segx::config
