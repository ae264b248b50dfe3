// Vocabulary JSON: writing in a fixed key order and layout, reading back with validation.
#include "segx/vocab/vocabulary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <set>
#include <sstream>
#include <type_traits>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::vocab {

const DatasetEntry* Vocabulary::dataset(const std::string& name) const {
  for (const auto& d : datasets)
    if (d.name == name) return &d;
  return nullptr;
}

const UnifiedClass* Vocabulary::find_class(std::int64_t id) const {
  // Classes are ordered by id from 1; fall back to a scan for hand-made files.
  if (id >= 1 && static_cast<std::size_t>(id) <= classes.size() && classes[id - 1].id == id)
    return &classes[id - 1];
  for (const auto& c : classes)
    if (c.id == id) return &c;
  return nullptr;
}

std::map<std::int64_t, std::int64_t> Vocabulary::forward(const std::string& name) const {
  std::map<std::int64_t, std::int64_t> table;
  for (const auto& c : classes)
    for (const auto& s : c.sources)
      if (s.dataset == name) table[s.id] = c.id;
  return table;
}

std::map<std::int64_t, std::int64_t> Vocabulary::inverse(const std::string& name) const {
  std::map<std::int64_t, std::int64_t> table;
  for (const auto& c : classes)
    for (const auto& s : c.sources)
      if (s.dataset == name) {
        auto [it, fresh] = table.emplace(c.id, s.id);
        if (!fresh) it->second = std::min(it->second, s.id);
      }
  return table;
}

namespace {

Json class_json(const UnifiedClass& c) {
  Json j = Json::object();
  j["id"] = c.id;
  j["name"] = c.name;
  j["synonyms"] = c.synonyms;
  j["isthing"] = c.isthing ? 1 : 0;
  j["color"] = c.color;
  Json sources = Json::array();
  for (const auto& s : c.sources) sources.push_back(Json::array({s.dataset, s.id, s.name}));
  j["sources"] = std::move(sources);
  return j;
}

}  // namespace

Json to_json(const Vocabulary& v) {
  Json doc = Json::object();
  doc["format"] = "segx-vocabulary";
  doc["version"] = kFormatVersion;
  Json policy = Json::object();
  policy["name"] = v.policy.name;
  policy["merge_suffixed"] = v.policy.merge_suffixed;
  policy["synonyms"] = v.policy.synonyms.empty() ? Json(nullptr) : Json(v.policy.synonyms);
  policy["wordnet"] = v.policy.wordnet;
  doc["policy"] = std::move(policy);
  Json datasets = Json::array();
  for (const auto& d : v.datasets) {
    Json entry = Json::object();
    entry["name"] = d.name;
    entry["source"] = d.source.empty() ? Json(nullptr) : Json(d.source);
    Json cats = Json::array();
    for (const auto& c : d.categories) cats.push_back(category_to_json(c));
    entry["categories"] = std::move(cats);
    datasets.push_back(std::move(entry));
  }
  doc["datasets"] = std::move(datasets);
  Json classes = Json::array();
  for (const auto& c : v.classes) classes.push_back(class_json(c));
  doc["classes"] = std::move(classes);
  Json mappings = Json::object();
  for (const auto& d : v.datasets) {
    Json pairs = Json::array();
    for (const auto& [from, to] : v.forward(d.name)) pairs.push_back(Json::array({from, to}));
    mappings[d.name] = std::move(pairs);
  }
  doc["mappings"] = std::move(mappings);
  Json decisions = Json::array();
  for (const auto& d : v.decisions) {
    Json j = Json::object();
    j["dataset"] = d.dataset;
    j["id"] = d.id;
    j["name"] = d.name;
    j["class"] = d.class_id;
    j["rule"] = d.rule;
    if (!d.detail.empty()) j["detail"] = d.detail;
    decisions.push_back(std::move(j));
  }
  Json conflicts = Json::array();
  for (const auto& c : v.conflicts) {
    Json j = Json::object();
    j["kind"] = c.kind;
    j["classes"] = c.classes;
    j["message"] = c.message;
    conflicts.push_back(std::move(j));
  }
  Json report = Json::object();
  report["classes"] = v.classes.size();
  report["conflicts"] = std::move(conflicts);
  report["decisions"] = std::move(decisions);
  doc["report"] = std::move(report);
  return doc;
}

namespace {

const Json& member(const Json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) fail(ErrorKind::DataError, "{}: missing '{}'", where, key);
  return *it;
}

template <typename T>
T get_as(const Json& value, const std::string& where) {
  // An integer is taken from a number only when it is a whole number in T's range: nlohmann's
  // get<int> static_casts a double, undefined behaviour outside the range (found by
  // tests/fuzz/fuzz_vocabulary: an id of 1e300), and it truncated 2.5 to 2 without a word.
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using limits = std::numeric_limits<T>;
    bool fits = false;
    if (value.is_number_float()) {
      const double d = value.get<double>();
      fits = d >= double(limits::min()) && d < -double(limits::min()) &&
             d == std::floor(d);
    } else if (value.is_number_unsigned()) {
      fits = value.get<std::uint64_t>() <= std::uint64_t(limits::max());
    } else if (value.is_number_integer()) {
      const auto i = value.get<std::int64_t>();
      fits = i >= std::int64_t(limits::min()) && i <= std::int64_t(limits::max());
    } else {
      fail(ErrorKind::DataError, "{}: unexpected type {}", where, value.type_name());
    }
    if (!fits) fail(ErrorKind::DataError, "{}: {} is not an integer in range", where, value.dump());
    return value.is_number_float() ? static_cast<T>(value.get<double>()) : value.get<T>();
  }
  if constexpr (std::is_same_v<T, Rgb>) {
    if (!value.is_array() || value.size() != 3)
      fail(ErrorKind::DataError, "{}: expected [r, g, b]", where);
    Rgb rgb{};
    for (std::size_t i = 0; i < 3; ++i) rgb[i] = get_as<int>(value[i], where);
    return rgb;
  }
  try {
    return value.get<T>();
  } catch (const nlohmann::json::exception&) {
    fail(ErrorKind::DataError, "{}: unexpected type {}", where, value.type_name());
  }
}

UnifiedClass class_from_json(const Json& j, const std::string& where) {
  if (!j.is_object()) fail(ErrorKind::DataError, "{}: a class must be an object", where);
  UnifiedClass c;
  c.id = get_as<std::int64_t>(member(j, "id", where), where + ".id");
  c.name = get_as<std::string>(member(j, "name", where), where + ".name");
  if (auto it = j.find("synonyms"); it != j.end())
    c.synonyms = get_as<std::vector<std::string>>(*it, where + ".synonyms");
  c.isthing = get_as<int>(member(j, "isthing", where), where + ".isthing") != 0;
  c.color = get_as<Rgb>(member(j, "color", where), where + ".color");
  const Json& sources = member(j, "sources", where);
  if (!sources.is_array()) fail(ErrorKind::DataError, "{}.sources: expected an array", where);
  for (const auto& s : sources) {
    if (!s.is_array() || s.size() != 3)
      fail(ErrorKind::DataError, "{}.sources: expected [dataset, id, name] entries", where);
    c.sources.push_back({get_as<std::string>(s[0], where + ".sources"),
                         get_as<std::int64_t>(s[1], where + ".sources"),
                         get_as<std::string>(s[2], where + ".sources")});
  }
  return c;
}

}  // namespace

Vocabulary vocabulary_from_json(const Json& doc, const std::string& origin) {
  // Compared as JSON values: value("format", "") throws on a non-string "format".
  if (!doc.is_object() || !doc.contains("format") || doc["format"] != Json("segx-vocabulary"))
    fail(ErrorKind::DataError, "{}: not a segx vocabulary (no \"format\": \"segx-vocabulary\")",
         origin);
  int version = get_as<int>(member(doc, "version", origin), origin + ": version");
  if (version != kFormatVersion)
    fail(ErrorKind::Config, "{}: vocabulary format version {} is not supported (expected {})",
         origin, version, kFormatVersion);
  Vocabulary v;
  if (auto it = doc.find("policy"); it != doc.end() && it->is_object()) {
    v.policy.name = it->value("name", "");
    v.policy.merge_suffixed = it->value("merge_suffixed", false);
    if (auto s = it->find("synonyms"); s != it->end() && s->is_string()) v.policy.synonyms = *s;
    v.policy.wordnet = it->value("wordnet", false);
  }
  for (const auto& d : member(doc, "datasets", origin)) {
    DatasetEntry entry;
    std::string where = origin + ": datasets";
    entry.name = get_as<std::string>(member(d, "name", where), where + ".name");
    if (auto s = d.find("source"); s != d.end() && s->is_string()) entry.source = *s;
    auto list = category_list_from_json(entry.name, member(d, "categories", where),
                                        fmt::format("{}: dataset '{}'", origin, entry.name));
    entry.categories = std::move(list.categories);
    if (v.dataset(entry.name))
      fail(ErrorKind::DataError, "{}: dataset '{}' listed twice", origin, entry.name);
    v.datasets.push_back(std::move(entry));
  }
  const Json& classes = member(doc, "classes", origin);
  std::set<std::int64_t> ids;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    auto c = class_from_json(classes[i], fmt::format("{}: classes[{}]", origin, i));
    if (!ids.insert(c.id).second)
      fail(ErrorKind::DataError, "{}: duplicate class id {}", origin, c.id);
    for (const auto& s : c.sources) {
      const DatasetEntry* d = v.dataset(s.dataset);
      if (!d)
        fail(ErrorKind::DataError, "{}: class {} covers unknown dataset '{}'", origin, c.id,
             s.dataset);
      bool known = std::any_of(d->categories.begin(), d->categories.end(),
                               [&](const Category& cat) { return cat.id == s.id; });
      if (!known)
        fail(ErrorKind::DataError, "{}: class {} covers unknown category {} of '{}'", origin, c.id,
             s.id, s.dataset);
    }
    v.classes.push_back(std::move(c));
  }
  // The mapping tables are redundant with the sources; a disagreement means a broken hand edit.
  if (auto it = doc.find("mappings"); it != doc.end()) {
    for (const auto& d : v.datasets) {
      Json expected = Json::array();
      for (const auto& [from, to] : v.forward(d.name)) expected.push_back(Json::array({from, to}));
      auto m = it->find(d.name);
      if (m == it->end() || *m != expected)
        fail(ErrorKind::DataError, "{}: mapping table of '{}' disagrees with the classes' sources",
             origin, d.name);
    }
  }
  if (auto r = doc.find("report"); r != doc.end() && r->is_object()) {
    for (const auto& d : r->value("decisions", Json::array()))
      v.decisions.push_back({d.value("dataset", ""), d.value("id", std::int64_t{0}),
                             d.value("name", ""), d.value("class", std::int64_t{0}),
                             d.value("rule", ""), d.value("detail", "")});
    for (const auto& c : r->value("conflicts", Json::array()))
      v.conflicts.push_back({c.value("kind", ""), c.value("message", ""),
                             c.value("classes", std::vector<std::int64_t>{})});
  }
  return v;
}

Vocabulary load_vocabulary(const std::string& path) {
  return parse_vocabulary(io::read_all(path), path);
}

Vocabulary parse_vocabulary(const std::string& text, const std::string& origin) {
  if (text.empty()) fail(ErrorKind::DataError, "{}: invalid JSON: empty input", origin);
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::DataError, "{}: invalid JSON: {}", origin, e.what());
  }
  return vocabulary_from_json(doc, origin);
}

Json unified_categories_json(const Vocabulary& v) {
  Json cats = Json::array();
  for (const auto& c : v.classes) {
    Json j = Json::object();
    j["id"] = c.id;
    j["name"] = c.name;
    j["isthing"] = c.isthing ? 1 : 0;
    j["color"] = c.color;
    cats.push_back(std::move(j));
  }
  return cats;
}

namespace {

bool scalar(const Json& v) {
  return v.is_primitive();
}

bool scalar_array(const Json& v) {
  return v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& e) { return scalar(e); });
}

bool inline_form(const Json& v) {
  if (scalar(v) || scalar_array(v) || v.empty()) return true;
  if (!v.is_object()) return false;
  return std::all_of(v.begin(), v.end(),
                     [](const Json& e) { return scalar(e) || scalar_array(e); });
}

void write_inline(std::ostream& out, const Json& v) {
  if (scalar(v)) {
    out << v.dump();
    return;
  }
  bool object = v.is_object();
  out << (object ? '{' : '[');
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!first) out << ", ";
    first = false;
    if (object) out << Json(it.key()).dump() << ": ";
    write_inline(out, *it);
  }
  out << (object ? '}' : ']');
}

void write_block(std::ostream& out, const Json& v, int indent) {
  if (inline_form(v)) {
    write_inline(out, v);
    return;
  }
  bool object = v.is_object();
  std::string pad(indent + 2, ' ');
  out << (object ? "{\n" : "[\n");
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!first) out << ",\n";
    first = false;
    out << pad;
    if (object) out << Json(it.key()).dump() << ": ";
    write_block(out, *it, indent + 2);
  }
  out << '\n' << std::string(indent, ' ') << (object ? '}' : ']');
}

}  // namespace

void write_stable_json(std::ostream& out, const Json& value) {
  write_block(out, value, 0);
  out << '\n';
}

std::string stable_json(const Json& value) {
  std::ostringstream out;
  write_stable_json(out, value);
  return out.str();
}

}  // namespace segx::vocab
