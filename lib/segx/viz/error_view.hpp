// The work items of `segx visualize errors`: GT and prediction paired as `segx eval pq` pairs them
// (COCO panoptic JSON + PNGs or segx manifests, PNG or RLE segments), each drawn as the PQ error
// view from metrics::match_panoptic_image, the matching that PQ itself counts.
#pragma once
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "segx/metrics/panoptic_eval.hpp"
#include "segx/metrics/panoptic_inputs.hpp"
#include "segx/metrics/panoptic_matching.hpp"
#include "segx/viz/compare.hpp"
#include "segx/viz/overlay.hpp"

namespace segx::viz {

// The error view's segment lists from a PQ matching.
ErrorMatching error_matching(const metrics::PanopticMatching& matching);

// One side of a pair as a drawable annotation: its PNG decoded, or its RLE segments painted
// (uncovered pixels void).
Annotation panoptic_annotation(const metrics::PanopticLabels& labels);

struct ErrorItem {
  std::string key;    // image id as text: output names
  std::string image;  // the photo
  metrics::PanopticImagePair pair;
};

struct ErrorSet {
  CategoryTable categories;  // names and the dataset's colours
  metrics::PanopticCategories pq_categories{std::vector<metrics::PanopticCategory>{}};
  std::vector<ErrorItem> items;  // in GT order
};

// Pairs the set as `segx eval pq` does (same checks, same --allow-missing policy). Photos: for COCO
// GT, `images_dir` / the file name in "images"; for a manifest GT, its records' file_name
// (resolved like its other paths) unless `images_dir` is given.
ErrorSet load_error_set(const metrics::PanopticSetSpec& spec, const std::string& images_dir);

// Reads the photo and both sides, checks sizes (errors name the files), matches and draws.
// An item without prediction shows every GT segment as a false negative.
cv::Mat3b render_error_item(const ErrorItem& item, const ErrorSet& set, const OverlayStyle& style);

}  // namespace segx::viz
