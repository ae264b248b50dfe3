// collect_input_images: folders, manifests (through dataset::ManifestReader) and path lists.
#include "segx/infer/input_images.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>

#include "segx/core/error.hpp"
#include "segx/dataset/manifest.hpp"

namespace segx::infer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string lower_extension(const fs::path& p) {
  auto e = p.extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

bool is_image_name(const fs::path& p) {
  const auto e = lower_extension(p);
  return e == ".jpg" || e == ".jpeg" || e == ".png" || e == ".bmp" || e == ".tif" || e == ".tiff" ||
         e == ".webp";
}

bool is_manifest_name(const fs::path& p) {
  const auto e = lower_extension(p);
  return e == ".jsonl" || e == ".ndjson";
}

// Whether stdin holds a manifest (JSON Lines) rather than a list of paths: its first
// non-blank character is '{'. Leading whitespace is consumed, nothing else.
bool stdin_is_manifest() {
  std::cin >> std::ws;
  return std::cin.peek() == '{';
}

void read_manifest(const std::string& path, InputImages& out) {
  dataset::ManifestReader reader(path);
  if (!out.header.is_null())
    fail(ErrorKind::Usage, "'{}': one manifest at a time (its header becomes the output's)",
         reader.path());
  out.header = json::parse(dataset::to_json(reader.header().json));
  dataset::JsonDocument rec;
  while (reader.next(rec)) {
    const auto file = dataset::get_string(rec, "file_name", reader.where());
    const auto* id = dataset::find_member(rec, "image_id");
    out.images.push_back({reader.resolve(file), id ? json::parse(dataset::to_json(*id)) : json()});
  }
}

void read_path_list(InputImages& out) {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.images.push_back({line, json()});
  }
  if (std::cin.bad()) fail(ErrorKind::IoError, "cannot read '<stdin>'");
}

}  // namespace

InputImages collect_input_images(const std::vector<std::string>& inputs) {
  InputImages out;
  for (const auto& in : inputs) {
    if (in == "-") {
      if (stdin_is_manifest())
        read_manifest(in, out);
      else
        read_path_list(out);
    } else if (fs::is_directory(in)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(in))
        if (e.is_regular_file() && is_image_name(e.path())) found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      for (auto& f : found) out.images.push_back({std::move(f), json()});
    } else if (is_manifest_name(in)) {
      read_manifest(in, out);
    } else {
      out.images.push_back({in, json()});
    }
  }
  return out;
}

}  // namespace segx::infer
