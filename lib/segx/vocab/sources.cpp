// Category list loading. A segx manifest is recognised by a first line that is a header record
// ("type": "header") and read with dataset::ManifestReader; only that line is read, so huge
// manifests cost nothing here. Anything else is one JSON document (COCO JSON, datasets/*.json).
#include "segx/vocab/sources.hpp"

#include <filesystem>
#include <istream>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/io/stream.hpp"

namespace segx::vocab {

namespace {

std::string stem_of(const std::string& path) {
  if (io::is_std_stream(path)) return "stdin";
  std::string name = std::filesystem::path(path).filename().string();
  for (const char* ext : {".jsonl", ".json", ".ndjson"}) {
    std::string e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      return name.substr(0, name.size() - e.size());
  }
  return name;
}

}  // namespace

LoadedCategories categories_from_document(const Json& doc, const std::string& fallback_name,
                                          const std::string& origin) {
  if (!doc.is_object())
    fail(ErrorKind::DataError, "{}: expected a JSON object with 'categories'", origin);
  auto cats = doc.find("categories");
  if (cats == doc.end()) fail(ErrorKind::DataError, "{}: no 'categories' in the header", origin);
  std::string name = fallback_name;
  if (auto d = doc.find("dataset"); d != doc.end() && d->is_string() && name.empty()) name = *d;
  LoadedCategories out;
  out.list = category_list_from_json(name, *cats, origin);
  if (auto s = doc.find("source"); s != doc.end() && s->is_string()) out.source = *s;
  return out;
}

LoadedCategories load_categories(const std::string& spec) {
  std::string name, path = spec;
  auto eq = spec.find('=');
  if (eq != std::string::npos && eq > 0 && spec.find('/') > eq) {
    name = spec.substr(0, eq);
    path = spec.substr(eq + 1);
  }
  auto in = io::open_input(path);
  std::string first;
  std::getline(*in, first);
  Json doc;
  bool manifest = false;
  try {
    doc = Json::parse(first);
    manifest = doc.is_object() && doc.value("type", "") == "header";
  } catch (const nlohmann::json::exception&) {
  }
  if (manifest && !io::is_std_stream(path)) {
    // The dataset module's reader validates the header (version, categories) as convert does.
    in.reset();
    dataset::ManifestReader reader(path);
    doc = Json::parse(dataset::to_json(reader.header().json));
  } else if (!manifest) {
    // A whole JSON document spread over several lines (COCO JSON, datasets/*.json).
    std::ostringstream rest;
    rest << first << '\n' << in->rdbuf();
    try {
      doc = Json::parse(rest.str());
    } catch (const nlohmann::json::exception& e) {
      fail(ErrorKind::DataError, "{}: invalid JSON: {}", path, e.what());
    }
  }
  std::string fallback = name;
  if (fallback.empty() &&
      !(doc.is_object() && doc.contains("dataset") && doc["dataset"].is_string()))
    fallback = stem_of(path);
  return categories_from_document(doc, fallback, path);
}

}  // namespace segx::vocab
