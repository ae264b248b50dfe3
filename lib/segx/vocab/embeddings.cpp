// Class embedding computation, user vector tables and their JSON form.
#include "segx/vocab/embeddings.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"
#include "segx/vocab/normalize.hpp"
#include "segx/vocab/vocabulary.hpp"

namespace segx::vocab {

namespace {

std::uint64_t fnv1a(const char* data, std::size_t size) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < size; ++i)
    h = (h ^ static_cast<unsigned char>(data[i])) * 1099511628211ull;
  return h;
}

void normalize_in_place(std::vector<double>& v) {
  double norm = 0;
  for (double x : v) norm += x * x;
  if (norm <= 0) return;
  norm = std::sqrt(norm);
  for (double& x : v) x /= norm;
}

std::vector<std::string> class_names(const UnifiedClass& c) {
  std::vector<std::string> names{c.name};
  names.insert(names.end(), c.synonyms.begin(), c.synonyms.end());
  return names;
}

// The shortest decimal that reads back as the same float, as a double: JSON stays compact
// ("0.1", not "0.10000000149011612") and byte-stable.
double short_float(float x) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf) - 1, x);
  if (ec != std::errc()) return x;
  *end = '\0';
  return std::strtod(buf, nullptr);
}

}  // namespace

bool is_safetensors_path(const std::string& path) {
  const std::string ext = ".safetensors";
  return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

std::vector<float> hashed_embedding(const std::vector<std::string>& names, int dim) {
  if (dim <= 0) fail(ErrorKind::Usage, "embedding dimension must be positive (got {})", dim);
  std::vector<double> sum(dim, 0.0);
  for (const auto& name : names) {
    std::string text = "<" + normalize_words(name) + ">";
    std::vector<double> v(dim, 0.0);
    for (std::size_t n = 3; n <= 5; ++n)
      for (std::size_t i = 0; i + n <= text.size(); ++i) {
        std::uint64_t h = fnv1a(text.data() + i, n);
        v[h % static_cast<std::uint64_t>(dim)] += (h >> 63) ? -1.0 : 1.0;
      }
    normalize_in_place(v);
    for (int k = 0; k < dim; ++k) sum[k] += v[k];
  }
  normalize_in_place(sum);
  return std::vector<float>(sum.begin(), sum.end());
}

ClassEmbeddings default_embeddings(const Vocabulary& vocabulary, int dim) {
  ClassEmbeddings e;
  e.method = kHashedMethod;
  e.dim = dim;
  for (const auto& c : vocabulary.classes) {
    e.ids.push_back(c.id);
    e.names.push_back(c.name);
    e.vectors.push_back(hashed_embedding(class_names(c), dim));
  }
  return e;
}

VectorTable parse_vector_table(const std::string& text, const std::string& origin) {
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::DataError, "{}: invalid JSON: {}", origin, e.what());
  }
  if (!doc.is_object() || doc.empty())
    fail(ErrorKind::DataError, "{}: expected a non-empty object {{\"class name\": [numbers]}}",
         origin);
  VectorTable table;
  table.origin = origin;
  for (const auto& [name, value] : doc.items()) {
    if (!value.is_array() || value.empty())
      fail(ErrorKind::DataError, "{}: '{}': expected a non-empty array of numbers", origin, name);
    std::vector<float> v;
    v.reserve(value.size());
    for (const auto& x : value) {
      if (!x.is_number())
        fail(ErrorKind::DataError, "{}: '{}': non-numeric value {}", origin, name, x.dump());
      v.push_back(x.get<float>());
    }
    if (table.dim == 0) {
      table.dim = static_cast<int>(v.size());
    } else if (static_cast<int>(v.size()) != table.dim) {
      fail(ErrorKind::DataError, "{}: '{}' has {} values but earlier vectors have {}", origin, name,
           v.size(), table.dim);
    }
    table.vectors[name] = std::move(v);
  }
  return table;
}

VectorTable load_vector_table(const std::string& path) {
  if (is_safetensors_path(path)) return load_safetensors_vectors(path);
  return parse_vector_table(io::read_all(path), path);
}

ClassEmbeddings embeddings_from_table(const Vocabulary& vocabulary, const VectorTable& table) {
  ClassEmbeddings e;
  e.method = "user:" + table.origin;
  e.dim = table.dim;
  std::vector<std::string> missing;
  for (const auto& c : vocabulary.classes) {
    const std::vector<float>* found = nullptr;
    for (const auto& name : class_names(c)) {
      auto it = table.vectors.find(name);
      if (it != table.vectors.end()) {
        found = &it->second;
        break;
      }
    }
    if (!found) {
      missing.push_back(fmt::format("{} '{}'", c.id, c.name));
      continue;
    }
    e.ids.push_back(c.id);
    e.names.push_back(c.name);
    e.vectors.push_back(*found);
  }
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 5) list += fmt::format(", ... ({} more)", missing.size() - 5);
    fail(ErrorKind::Config, "{}: no vector for {} of {} classes: {}", table.origin, missing.size(),
         vocabulary.classes.size(), list);
  }
  return e;
}

Json embeddings_to_json(const ClassEmbeddings& e) {
  Json doc = Json::object();
  doc["format"] = "segx-class-embeddings";
  doc["method"] = e.method;
  doc["dim"] = e.dim;
  Json classes = Json::array();
  for (std::size_t i = 0; i < e.ids.size(); ++i) {
    Json c = Json::object();
    c["id"] = e.ids[i];
    c["name"] = e.names[i];
    Json vector = Json::array();
    for (float x : e.vectors[i]) vector.push_back(short_float(x));
    c["vector"] = std::move(vector);
    classes.push_back(std::move(c));
  }
  doc["classes"] = std::move(classes);
  return doc;
}

ClassEmbeddings embeddings_from_json(const Json& doc, const std::string& origin) {
  // Compared as JSON values: value("format", "") throws on a non-string "format".
  if (!doc.is_object() || !doc.contains("format") || doc["format"] != Json("segx-class-embeddings"))
    fail(ErrorKind::DataError, "{}: not a segx class-embeddings file", origin);
  if (doc.contains("method") && !doc["method"].is_string())
    fail(ErrorKind::DataError, "{}: \"method\" must be a string", origin);
  ClassEmbeddings e;
  e.method = doc.value("method", "");
  e.dim = doc.value("dim", 0);
  for (const auto& c : doc.value("classes", Json::array())) {
    auto v = c.value("vector", std::vector<float>{});
    if (static_cast<int>(v.size()) != e.dim)
      fail(ErrorKind::DataError, "{}: class {} has {} values, expected dim {}", origin,
           c.value("id", std::int64_t{0}), v.size(), e.dim);
    e.ids.push_back(c.value("id", std::int64_t{0}));
    e.names.push_back(c.value("name", ""));
    e.vectors.push_back(std::move(v));
  }
  return e;
}

}  // namespace segx::vocab
