// COCO instances JSON ({"images", "annotations", "categories"}) and COCO results JSON (a bare list
// of annotations with "score"): reading, and turning a segmentation into an RLE.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "segx/dataset/categories.hpp"
#include "segx/dataset/json.hpp"
#include "segx/mask/rle.hpp"

namespace segx::dataset {

struct ImageInfo {
  const JsonValue* id = nullptr;
  std::string key;  // id as text
  int width = 0, height = 0;
  std::string file_name;
  const JsonValue* json = nullptr;
};

struct InstanceAnnotation {
  const JsonValue* json = nullptr;
  const JsonValue* image_id = nullptr;
  std::string image_key;
  std::optional<int64_t> id;
  int64_t category_id = 0;
  int iscrowd = 0;
  std::optional<double> score;
  std::optional<double> area;
  const JsonValue* segmentation = nullptr;  // RLE object or polygon list, when present
  const JsonValue* bbox = nullptr;
};

struct CocoInstances {
  JsonDocument doc;
  std::string path;
  bool is_results = false;  // a bare list (results JSON)
  CategorySet categories;
  std::vector<ImageInfo> images;
  std::unordered_map<std::string, std::size_t> image_index;  // key -> images[]
  std::vector<InstanceAnnotation> annotations;

  static CocoInstances read(const std::string& path);
  // The same for a file's text already in memory; `path` names it in messages.
  static CocoInstances parse(std::string_view text, const std::string& path);
  std::string where(const InstanceAnnotation& a, std::size_t index) const;
};

// The RLE of a COCO segmentation for an image of height x width: compressed or uncompressed RLE
// (whose size must match, and whose counts must cover the image) or polygons.
mask::Rle segmentation_to_rle(const JsonValue& segmentation, uint32_t height, uint32_t width,
                              const std::string& where);

// Writes {"size": [h, w], "counts": "..."}.
void write_rle_json(JsonWriter& w, const mask::Rle& rle);

}  // namespace segx::dataset
