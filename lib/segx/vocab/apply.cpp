// Category id rewriting for `segx vocab apply`. JSON Lines are streamed one record at a time.
#include "segx/vocab/apply.hpp"

#include <filesystem>
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string_view>
#include <vector>

#include "segx/core/error.hpp"
#include "segx/core/log.hpp"
#include "segx/dataset/json.hpp"

namespace segx::vocab {

namespace {

using IdMap = std::function<std::optional<std::int64_t>(std::int64_t id, const std::string& where)>;

// Rewrites every "category_id" under `node`; returns false when `node` must be dropped.
bool rewrite_ids(Json& node, const IdMap& map, const std::string& where, ApplyStats& stats) {
  if (node.is_object()) {
    auto it = node.find("category_id");
    if (it != node.end() && it->is_number_integer()) {
      auto mapped = map(it->get<std::int64_t>(), where);
      if (!mapped) return false;
      *it = *mapped;
      ++stats.rewritten;
    }
    for (auto& [key, value] : node.items())
      if (key != "category_id" && value.is_structured()) rewrite_ids(value, map, where, stats);
    return true;
  }
  if (node.is_array()) {
    std::vector<bool> keep;
    keep.reserve(node.size());
    for (auto& element : node) keep.push_back(rewrite_ids(element, map, where, stats));
    // Erase from the back so that the indices still to visit stay valid.
    for (std::size_t i = keep.size(); i-- > 0;)
      if (!keep[i]) {
        node.erase(i);
        ++stats.dropped;
      }
    return true;
  }
  return true;
}

// The same on a RapidJSON record (the JSON Lines path: the dataset module's parser and writer,
// several times faster than nlohmann on large manifests).
bool rewrite_ids(dataset::JsonValue& node, const IdMap& map, const std::string& where,
                 ApplyStats& stats) {
  if (node.IsObject()) {
    auto it = node.FindMember("category_id");
    if (it != node.MemberEnd() && it->value.IsInt64()) {
      auto mapped = map(it->value.GetInt64(), where);
      if (!mapped) return false;
      it->value.SetInt64(*mapped);
      ++stats.rewritten;
    }
    for (auto& member : node.GetObject())
      if ((member.value.IsObject() || member.value.IsArray()) &&
          std::string_view(member.name.GetString(), member.name.GetStringLength()) != "category_id")
        rewrite_ids(member.value, map, where, stats);
    return true;
  }
  if (node.IsArray()) {
    std::vector<bool> keep;
    keep.reserve(node.Size());
    for (auto& element : node.GetArray()) keep.push_back(rewrite_ids(element, map, where, stats));
    for (std::size_t i = keep.size(); i-- > 0;)
      if (!keep[i]) {
        node.Erase(node.Begin() + i);
        ++stats.dropped;
      }
  }
  return true;
}

std::string file_stem(const std::string& origin) {
  if (origin == "-") return "";
  auto name = std::filesystem::path(origin).filename().string();
  auto dot = name.find('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

std::string known_datasets(const Vocabulary& v) {
  std::string names;
  for (const auto& d : v.datasets) names += (names.empty() ? "" : ", ") + d.name;
  return names;
}

struct Rewriter {
  const Vocabulary& v;
  const ApplyOptions& options;
  std::string dataset;
  std::map<std::int64_t, std::int64_t> table;
  ApplyStats stats;
  long line = 0;  // current JSON Lines line, for messages (0: a whole document)

  std::string location(const std::string& where) const {
    return line > 0 ? fmt::format("{}: line {}", where, line) : where;
  }

  void prepare(const Json& header, const std::string& origin) {
    dataset = resolve_dataset(v, header, options.dataset, origin);
    table = options.inverse ? v.inverse(dataset) : v.forward(dataset);
    stats.dataset = dataset;
  }

  std::optional<std::int64_t> map_id(std::int64_t id, const std::string& origin) {
    auto it = table.find(id);
    if (it != table.end()) return it->second;
    const std::string where = location(origin);
    if (options.inverse) {
      if (options.drop_unmapped) return std::nullopt;
      const UnifiedClass* c = v.find_class(id);
      if (c)
        fail(ErrorKind::Config, "{}: class {} '{}' has no category in '{}' (use --drop-unmapped)",
             where, id, c->name, dataset);
      fail(ErrorKind::Config, "{}: category id {} is not a class of the vocabulary", where, id);
    }
    fail(ErrorKind::Config, "{}: category id {} of '{}' is not in the vocabulary", where, id,
         dataset);
  }

  // The header (or a whole COCO JSON object): categories swapped, the vocabulary marker set.
  void rewrite_header(Json& header) {
    // Label PNG pixels are not rewritten here: say so rather than leave a silent mismatch.
    if (header.contains("semantic_ids") && !options.inverse)
      log::warn("semantic label PNGs keep '{}' ids; only JSON category ids are rewritten", dataset);
    if (header.contains("categories")) {
      if (options.inverse) {
        Json cats = Json::array();
        for (const auto& c : v.dataset(dataset)->categories) cats.push_back(category_to_json(c));
        header["categories"] = std::move(cats);
      } else {
        header["categories"] = unified_categories_json(v);
      }
    }
    if (options.inverse) {
      header.erase("vocabulary");
    } else {
      header["vocabulary"] = Json{{"dataset", dataset}};
    }
  }
};

bool looks_like_header(const Json& j) {
  return j.is_object() && j.contains("categories");
}

}  // namespace

std::string resolve_dataset(const Vocabulary& v, const Json& header, const std::string& given,
                            const std::string& origin) {
  std::string name = given;
  if (name.empty() && header.is_object()) {
    auto voc = header.find("vocabulary");
    if (voc != header.end() && voc->is_object() && voc->contains("dataset") &&
        (*voc)["dataset"].is_string())
      name = (*voc)["dataset"].get<std::string>();
    else if (header.contains("dataset") && header["dataset"].is_string())
      name = header["dataset"].get<std::string>();
  }
  if (name.empty()) name = file_stem(origin);
  if (name.empty())
    fail(ErrorKind::Usage, "{}: cannot tell which dataset this is; pass --dataset", origin);
  if (!v.dataset(name))
    fail(ErrorKind::Config, "{}: dataset '{}' is not in the vocabulary (it has: {})", origin, name,
         known_datasets(v));
  return name;
}

ApplyStats apply_vocabulary(const Vocabulary& v, std::istream& in, const std::string& origin,
                            std::ostream& out, const ApplyOptions& options) {
  Rewriter r{v, options, {}, {}, {}};
  std::string first;
  std::getline(in, first);
  // Nothing at all (e.g. no pipe into "-"): say so rather than quote a parser position.
  if (first.empty() && in.eof()) fail(ErrorKind::DataError, "{}: invalid JSON: empty input", origin);
  Json doc;
  bool lines = false;
  try {
    doc = Json::parse(first);
    lines = doc.is_object();
  } catch (const nlohmann::json::exception&) {
  }
  if (!lines) {
    // One JSON document (COCO JSON object or a results array) over several lines.
    std::ostringstream rest;
    rest << first << '\n' << in.rdbuf();
    try {
      doc = Json::parse(rest.str());
    } catch (const nlohmann::json::exception& e) {
      fail(ErrorKind::DataError, "{}: invalid JSON: {}", origin, e.what());
    }
    r.prepare(doc.is_object() ? doc : Json(), origin);
    if (doc.is_object()) r.rewrite_header(doc);
    auto map = [&](std::int64_t id, const std::string& where) { return r.map_id(id, where); };
    rewrite_ids(doc, map, origin, r.stats);
    r.stats.records = doc.is_array() ? static_cast<std::int64_t>(doc.size()) : 1;
    out << doc.dump() << '\n';
    return r.stats;
  }
  // JSON Lines: the first record is the header when it carries categories.
  std::int64_t line_no = 1;
  auto map = [&](std::int64_t id, const std::string& where) { return r.map_id(id, where); };
  r.prepare(looks_like_header(doc) ? doc : Json(), origin);
  auto emit = [&](Json& record, bool header) {
    if (header) r.rewrite_header(record);
    r.line = line_no;
    if (rewrite_ids(record, map, origin, r.stats)) {
      out << record.dump() << '\n';
      if (!header) ++r.stats.records;
    }
  };
  emit(doc, looks_like_header(doc));
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    dataset::JsonDocument record;
    dataset::parse_json(record, line, origin, line_no - 1);
    r.line = line_no;
    if (rewrite_ids(record, map, origin, r.stats)) {
      out << dataset::to_json(record) << '\n';
      ++r.stats.records;
    }
  }
  if (in.bad()) fail(ErrorKind::IoError, "cannot read '{}'", origin);
  if (r.stats.dropped > 0)
    log::info("dropped {} elements whose class has no category in '{}'", r.stats.dropped,
              r.dataset);
  return r.stats;
}

}  // namespace segx::vocab
