// Synonym table parsing and lookup.
#include "segx/vocab/synonyms.hpp"

#include <sstream>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"
#include "segx/vocab/category.hpp"
#include "segx/vocab/normalize.hpp"

namespace segx::vocab {

namespace {
constexpr char kSep = '\x1f';

// "ade20k:wall" -> key "ade20k\x1fwall"; "wall" -> "\x1fwall". A colon inside a name that does not
// start with a dataset-like word (letters, digits, _ . -) stays part of the name.
std::string table_key(const std::string& entry) {
  auto colon = entry.find(':');
  if (colon != std::string::npos && colon > 0) {
    std::string dataset = entry.substr(0, colon);
    bool plain = dataset.find_first_not_of(
                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                 std::string::npos;
    if (plain) return dataset + kSep + normalize_words(entry.substr(colon + 1));
  }
  return std::string(1, kSep) + normalize_words(entry);
}
}  // namespace

void SynonymTable::add(const std::string& unified, const std::string& name,
                       const std::string& where) {
  std::string key = table_key(name);
  if (key.size() <= 1 || key.back() == kSep) fail(ErrorKind::DataError, "{}: empty name", where);
  auto [it, fresh] = entries_.emplace(key, Entry{unified, where});
  if (!fresh && it->second.unified != unified)
    fail(ErrorKind::DataError, "{}: '{}' maps to both '{}' ({}) and '{}'", where, name,
         it->second.unified, it->second.where, unified);
}

SynonymTable SynonymTable::parse_tsv(const std::string& text, const std::string& origin) {
  SynonymTable table;
  table.origin_ = origin;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::vector<std::string> fields;
    std::size_t start = 0;
    while (start <= line.size()) {
      auto tab = line.find('\t', start);
      if (tab == std::string::npos) tab = line.size();
      auto field = line.substr(start, tab - start);
      auto b = field.find_first_not_of(' ');
      auto e = field.find_last_not_of(' ');
      if (b != std::string::npos) fields.push_back(field.substr(b, e - b + 1));
      start = tab + 1;
    }
    std::string where = fmt::format("{}:{}", origin, number);
    if (fields.size() < 2)
      fail(ErrorKind::DataError, "{}: expected 'unified<TAB>name[<TAB>name...]'", where);
    // The unified name also stands for itself, so "wall<TAB>wall-other-merged" covers "wall".
    for (std::size_t i = 0; i < fields.size(); ++i) table.add(fields[0], fields[i], where);
  }
  return table;
}

SynonymTable SynonymTable::parse_json(const std::string& text, const std::string& origin) {
  SynonymTable table;
  table.origin_ = origin;
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::DataError, "{}: invalid JSON: {}", origin, e.what());
  }
  if (!doc.is_object())
    fail(ErrorKind::DataError, "{}: expected an object {{\"unified\": [\"name\", ...]}}", origin);
  for (const auto& [unified, names] : doc.items()) {
    std::string where = fmt::format("{}: \"{}\"", origin, unified);
    if (!names.is_array()) fail(ErrorKind::DataError, "{}: expected an array of names", where);
    table.add(unified, unified, where);
    for (const auto& name : names) {
      if (!name.is_string()) fail(ErrorKind::DataError, "{}: names must be strings", where);
      table.add(unified, name.get<std::string>(), where);
    }
  }
  return table;
}

SynonymTable SynonymTable::load(const std::string& path) {
  std::string text = io::read_all(path);
  bool json = path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  return json ? parse_json(text, path) : parse_tsv(text, path);
}

std::optional<std::string> SynonymTable::lookup(const std::string& dataset,
                                                const std::string& name) const {
  // The full name first ("sidewalk, pavement"), then its display part ("sidewalk").
  for (const auto& text : {name, display_name(name)}) {
    std::string norm = normalize_words(text);
    auto it = entries_.find(dataset + kSep + norm);
    if (it != entries_.end()) return it->second.unified;
  }
  for (const auto& text : {name, display_name(name)}) {
    auto it = entries_.find(std::string(1, kSep) + normalize_words(text));
    if (it != entries_.end()) return it->second.unified;
  }
  return std::nullopt;
}

}  // namespace segx::vocab
