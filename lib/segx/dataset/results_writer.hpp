// COCO results JSON (a list of {"image_id", "category_id", "segmentation", "score"[, "bbox"]})
// from panoptic predictions: COCO panoptic JSON + PNGs, or segx manifests whose records carry
// scored panoptic segments (PNG or RLE) or scored instance annotations. What `segx eval ap` and
// pycocotools' loadRes take.
#pragma once
#include <iosfwd>
#include <optional>
#include <string>

#include "segx/dataset/categories.hpp"
#include "segx/dataset/coco_panoptic.hpp"

namespace segx::dataset {

struct ResultsOptions {
  bool things_only = false;  // drop segments of stuff categories (instance AP is over things)
  // Also write "bbox" (from the mask). Off by default: pycocotools' loadRes then takes a
  // segmentation result's area from the box, which moves it between the area ranges.
  bool bbox = false;
  double min_score = 0;                 // drop results scored below this
  std::optional<double> default_score;  // for segments without "score"; absent: an error
  int threads = 0;
};

// Errors name the file and segment: unknown categories (with things_only), missing scores, PNG
// sizes that differ from "images".
void panoptic_to_results(const CocoPanoptic& in, const ResultsOptions& options, std::ostream& out);

// Every record of a prediction manifest: its segments_info (RLE when every segment has one, else
// its pan_seg_file_name PNG) or else its scored "annotations".
void manifest_to_results(const std::string& manifest, const ResultsOptions& options,
                         std::ostream& out);

}  // namespace segx::dataset
