// Manifest-vs-vocabulary check: the header is compared category by category, then every record's
// "category_id" values (at any depth) are counted against the ids the header and vocabulary know.
#include "segx/vocab/check.hpp"

#include <istream>
#include <map>
#include <set>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/dataset/json.hpp"
#include "segx/vocab/apply.hpp"

namespace segx::vocab {

namespace {

void collect_ids(const Json& node, std::map<std::int64_t, std::int64_t>& counts) {
  if (node.is_object()) {
    auto it = node.find("category_id");
    if (it != node.end() && it->is_number_integer()) ++counts[it->get<std::int64_t>()];
    for (const auto& [key, value] : node.items())
      if (value.is_structured()) collect_ids(value, counts);
  } else if (node.is_array()) {
    for (const auto& e : node) collect_ids(e, counts);
  }
}

void collect_ids(const dataset::JsonValue& node, std::map<std::int64_t, std::int64_t>& counts) {
  if (node.IsObject()) {
    auto it = node.FindMember("category_id");
    if (it != node.MemberEnd() && it->value.IsInt64()) ++counts[it->value.GetInt64()];
    for (const auto& member : node.GetObject())
      if (member.value.IsObject() || member.value.IsArray()) collect_ids(member.value, counts);
  } else if (node.IsArray()) {
    for (const auto& e : node.GetArray()) collect_ids(e, counts);
  }
}

Json brief(std::int64_t id, const std::string& name) {
  return Json{{"id", id}, {"name", name}};
}

}  // namespace

CheckResult check_manifest(const Vocabulary& v, std::istream& in, const std::string& origin,
                           const std::string& given) {
  std::string first;
  std::getline(in, first);
  // Nothing at all (e.g. no pipe into "-"): say so rather than quote a parser position.
  if (first.empty() && in.eof()) fail(ErrorKind::DataError, "{}: invalid JSON: empty input", origin);
  Json header;
  bool lines = false;
  try {
    header = Json::parse(first);
    lines = header.is_object();
  } catch (const nlohmann::json::exception&) {
  }
  std::map<std::int64_t, std::int64_t> used;
  if (!lines) {
    std::ostringstream rest;
    rest << first << '\n' << in.rdbuf();
    try {
      header = Json::parse(rest.str());
    } catch (const nlohmann::json::exception& e) {
      fail(ErrorKind::DataError, "{}: invalid JSON: {}", origin, e.what());
    }
    if (header.is_object()) {
      for (const char* key : {"annotations"})
        if (header.contains(key)) collect_ids(header[key], used);
    } else {
      collect_ids(header, used);
      header = Json::object();
    }
  } else {
    if (!header.contains("categories")) {
      collect_ids(header, used);
      header = Json::object();
    }
    std::string line;
    long line_no = 1;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) {
        ++line_no;
        continue;
      }
      ++line_no;
      dataset::JsonDocument record;
      dataset::parse_json(record, line, origin, line_no - 1);
      collect_ids(record, used);
    }
  }
  std::string dataset = resolve_dataset(v, header, given, origin);
  bool unified = header.contains("vocabulary");
  // What the vocabulary expects this document's categories to be.
  std::map<std::int64_t, std::string> expected;
  if (unified) {
    for (const auto& c : v.classes) expected[c.id] = c.name;
  } else {
    for (const auto& c : v.dataset(dataset)->categories) expected[c.id] = c.name;
  }
  auto known = unified ? std::map<std::int64_t, std::int64_t>{} : v.forward(dataset);
  Json unknown = Json::array(), missing = Json::array(), renamed = Json::array(),
       unknown_ids = Json::array();
  std::set<std::int64_t> in_header;
  if (header.contains("categories")) {
    auto list = category_list_from_json(dataset, header["categories"], origin);
    for (const auto& c : list.categories) {
      in_header.insert(c.id);
      auto it = expected.find(c.id);
      if (it == expected.end() || (!unified && !known.count(c.id)))
        unknown.push_back(brief(c.id, c.name));
      else if (it->second != c.name)
        renamed.push_back(Json{{"id", c.id}, {"vocabulary", it->second}, {"manifest", c.name}});
    }
    for (const auto& [id, name] : expected)
      if (!in_header.count(id)) missing.push_back(brief(id, name));
  }
  for (const auto& [id, count] : used) {
    bool ok = expected.count(id) && (unified || known.count(id));
    if (!ok) unknown_ids.push_back(Json{{"id", id}, {"count", count}});
  }
  CheckResult r;
  r.report = Json::object();
  r.report["input"] = origin;
  r.report["dataset"] = dataset;
  r.report["space"] = unified ? "unified" : "dataset";
  r.report["unknown_categories"] = unknown;
  r.report["missing_categories"] = missing;
  r.report["renamed_categories"] = renamed;
  r.report["unknown_ids_in_records"] = unknown_ids;
  r.findings = static_cast<std::int64_t>(unknown.size() + missing.size() + renamed.size() +
                                         unknown_ids.size());
  r.report["findings"] = r.findings;
  return r;
}

}  // namespace segx::vocab
