// KEY=VALUE overrides of a training config (see config_overrides.hpp).
#include "segx/train/config_overrides.hpp"

#include <filesystem>
#include <set>

#include "segx/core/error.hpp"
#include "segx/io/stream.hpp"

namespace segx::train {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool is_index(const std::string& part) {
  return !part.empty() && part.size() < 10 &&
         part.find_first_not_of("0123456789") == std::string::npos;
}

// A dotted key with list indices written as "[]": "datasets[].path".
std::string key_pattern(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (is_index(p))
      out += "[]";
    else
      out += (out.empty() ? "" : ".") + p;
  }
  return out;
}

std::string absolute(const std::string& path, const fs::path& base) {
  if (path.empty() || path == "-" || fs::path(path).is_absolute()) return path;
  return (fs::absolute(base) / path).lexically_normal().string();
}

}  // namespace

bool train_config_path_key(const std::string& key) {
  static const std::set<std::string> keys = {
      "datasets[].path", "datasets[].png_dir",     "datasets[].images",
      "validation.path", "validation.png_dir",     "validation.images",
      "weights",         "text_encoder.tokenizer", "output",
      "vocabulary"};
  return keys.count(key_pattern(split_key(key))) != 0;
}

void absolutize_config_paths(json& config, const std::string& base_dir) {
  if (!config.is_object()) return;
  auto fix = [&](json& parent, const std::string& prefix) {
    if (!parent.is_object()) return;
    for (auto& [k, v] : parent.items())
      if (v.is_string() && train_config_path_key(prefix + k))
        v = absolute(v.get<std::string>(), base_dir);
  };
  fix(config, "");
  if (config.contains("datasets") && config["datasets"].is_array())
    for (auto& d : config["datasets"]) fix(d, "datasets.0.");
  if (config.contains("validation")) fix(config["validation"], "validation.");
  if (config.contains("text_encoder")) fix(config["text_encoder"], "text_encoder.");
  if (config.contains("model") && config["model"].is_string())
    config["model"] = absolute(config["model"].get<std::string>(), base_dir);
}

void apply_config_overrides(json& config, const std::vector<std::string>& overrides,
                            const std::string& base_dir) {
  for (const auto& text : overrides) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
      fail(ErrorKind::Usage, "config override '{}': expected KEY=VALUE (e.g. solver.max_iter=2000)",
           text);
    const std::string key = text.substr(0, eq);
    const std::string raw = text.substr(eq + 1);
    const auto parts = split_key(key);
    json value = json::parse(raw, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) value = raw;
    if (train_config_path_key(key) && value.is_string())
      value = absolute(value.get<std::string>(), fs::current_path());
    if (key == "model" && value.is_string())
      value = absolute(value.get<std::string>(), fs::current_path());

    json* node = &config;
    std::string walked;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& part = parts[i];
      if (part.empty()) fail(ErrorKind::Usage, "config override '{}': empty key part", text);
      // "model": "file.json" -> its object, so that model.* keys can be set.
      if (walked == "model" && node->is_string()) {
        const auto file = absolute(node->get<std::string>(), base_dir);
        json model = json::parse(io::read_all(file), nullptr, false);
        if (!model.is_object())
          fail(ErrorKind::Config, "'{}': model config is not a JSON object", file);
        *node = std::move(model);
      }
      walked += (walked.empty() ? "" : ".") + part;
      if (node->is_array()) {
        if (!is_index(part) || std::stoul(part) >= node->size())
          fail(ErrorKind::Usage, "config override '{}': {} is a list of {}: no element '{}'", text,
               walked.substr(0, walked.size() - part.size() - 1), node->size(), part);
        node = &(*node)[std::stoul(part)];
      } else if (node->is_object() || node->is_null()) {
        node = &(*node)[part];
      } else {
        fail(ErrorKind::Usage, "config override '{}': {} is a {}, not an object", text,
             walked.substr(0, walked.size() - part.size() - 1), node->type_name());
      }
    }
    *node = std::move(value);
  }
}

}  // namespace segx::train
