// Reading what pictures show from files: panoptic id PNGs with their segment lists and semantic
// label PNGs (8/16-bit grey or palette indices), through segx::io's PNG readers.
#pragma once
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "segx/viz/scene.hpp"

namespace segx::viz {

struct LabelFile {
  enum class Kind { Panoptic, Semantic };
  Kind kind = Kind::Panoptic;
  std::string path;               // the PNG
  std::vector<Segment> segments;  // Panoptic: the segments listed for it
  int ignore = 255;               // Semantic: the label value that means "unlabeled"
  // Semantic: category id of each label value (contiguous schemes); empty: the value is the id.
  std::vector<std::int64_t> category_of_label;
};

// Reads the PNG into an annotation; errors name the file.
Annotation load_annotation(const LabelFile& file);

// Fails (DataError) naming both files when an image and its annotation differ in size.
void check_pair(const cv::Mat& image, const std::string& image_path, const Annotation& ann,
                const std::string& label_path);

}  // namespace segx::viz
