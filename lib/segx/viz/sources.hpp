// Reading what pictures show from files: panoptic id PNGs with their segment lists, semantic
// label PNGs (8/16-bit grey or palette indices), through segx::io's PNG readers, and instance or
// segment masks given as COCO RLE (instances/results JSON, manifests).
#pragma once
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "segx/viz/scene.hpp"

namespace segx::viz {

// One mask of a Masks label file: the segment it draws and its compressed COCO RLE counts.
struct MaskSegment {
  Segment segment;
  std::string counts;  // pycocotools' compressed string, column-major, height x width
};

struct LabelFile {
  enum class Kind { Panoptic, Semantic, Masks };
  Kind kind = Kind::Panoptic;
  std::string path;               // the PNG
  std::vector<Segment> segments;  // Panoptic: the segments listed for it
  int ignore = 255;               // Semantic: the label value that means "unlabeled"
  // Semantic: category id of each label value (contiguous schemes); empty: the value is the id.
  std::vector<std::int64_t> category_of_label;
  // Masks: painted in list order (later ones on top) into a height x width id map; `path` names
  // the JSON/manifest in messages.
  std::vector<MaskSegment> masks;
  int height = 0, width = 0;
};

// Reads the PNG into an annotation; errors name the file.
Annotation load_annotation(const LabelFile& file);

// Fails (DataError) naming both files when an image and its annotation differ in size.
void check_pair(const cv::Mat& image, const std::string& image_path, const Annotation& ann,
                const std::string& label_path);

}  // namespace segx::viz
