// COCO panoptic format: a JSON file (images, annotations with segments_info, categories) and a
// folder of PNGs whose pixels carry segment ids (R + 256 G + 256^2 B).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "segx/dataset/categories.hpp"
#include "segx/dataset/json.hpp"

namespace segx::dataset {

struct PanopticSegment {
  uint32_t id = 0;
  int64_t category_id = 0;
  int iscrowd = 0;
  std::optional<int64_t> area;
  std::optional<double> score;
  const JsonValue* json = nullptr;  // the segments_info entry, with every field it has
};

struct PanopticAnnotation {
  const JsonValue* image_id = nullptr;
  std::string file_name;  // the PNG's name as given
  std::vector<PanopticSegment> segments;
  const JsonValue* json = nullptr;
  // From the matching "images" entry when there is one (0 otherwise).
  int width = 0, height = 0;
  std::string image_file;
};

// Parses a segments_info array (ids must fit 24 bits); `where` names the record in errors.
std::vector<PanopticSegment> parse_segments_info(const JsonValue& array, const std::string& where);

// The file name panopticapi's converters open for an annotation: "<name up to the first dot>.png".
std::string panoptic_png_name(const std::string& file_name);

struct CocoPanoptic {
  JsonDocument doc;  // the whole input, so that writers can copy fields they do not interpret
  std::string json_path;
  std::string png_dir;  // default: the JSON path without its extension (as panopticapi)
  CategorySet categories;
  std::vector<PanopticAnnotation> annotations;

  // Reads and validates the structure; errors name the file and annotation.
  static CocoPanoptic read(const std::string& json_path, const std::string& png_dir = {});
  // The same for the JSON's text already in memory; `json_path` names it in messages.
  static CocoPanoptic parse(std::string_view text, const std::string& json_path,
                            const std::string& png_dir = {});
  std::string png_path(const PanopticAnnotation& a) const;
  std::string where(const PanopticAnnotation& a) const;
};

// One segment of an output panoptic annotation.
struct PanopticSegmentOut {
  uint32_t id = 0;
  int64_t category_id = 0;
  int iscrowd = 0;
  int64_t area = 0;
  std::array<int64_t, 4> bbox{};
  std::optional<double> score;
};

// Writes the segments_info array.
void write_segments_info(JsonWriter& w, const std::vector<PanopticSegmentOut>& segments);

}  // namespace segx::dataset
