// The pictures of a COCO panoptic set (JSON + PNG folder + image folder), optionally paired with a
// prediction in the same format, as the work items of `segx visualize`.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "segx/dataset/coco_panoptic.hpp"
#include "segx/viz/scene.hpp"
#include "segx/viz/sources.hpp"

namespace segx::viz {

struct VizItem {
  std::string key;    // image id as text: output names and captions
  std::string image;  // the photo
  LabelFile gt;
  std::optional<LabelFile> pred;
};

CategoryTable category_table(const dataset::CategorySet& set);

// One item per GT annotation, in file order; with `pred`, each is paired by image id and a missing
// prediction fails naming the image. `images_dir` holds the photos named in "images".
std::vector<VizItem> coco_panoptic_items(const dataset::CocoPanoptic& gt,
                                         const dataset::CocoPanoptic* pred,
                                         const std::string& images_dir);

// One item per label PNG in `labels_dir` (sorted by name), paired with the photo of the same stem
// (.jpg, .jpeg or .png) in `images_dir`; `contiguous`: label values index `categories`, else they
// are category ids.
std::vector<VizItem> semantic_items(const std::string& labels_dir, const std::string& images_dir,
                                    const CategoryTable& categories, bool contiguous, int ignore);

}  // namespace segx::viz
