// Semantic evaluation inputs from segx manifests: records' sem_seg_file_name PNGs, paired by image
// id, with each side's label values mapped to classes by its own header (semantic_ids and
// reduce_zero_label, segx-manifest(5)).
#pragma once
#include <string>
#include <vector>

#include "segx/metrics/semantic_eval.hpp"
#include "segx/metrics/semantic_iou.hpp"

namespace segx::metrics {

struct SemanticManifestSet {
  std::vector<std::string> class_names;  // the evaluated classes, in class-index order
  LabelMap gt_map, pred_map;
  std::vector<SemanticImagePair> pairs;  // in GT order; key = image id
};

// Class space of a manifest header: "category" (default) -> the header's categories in order,
// label value = category id, 0 unlabeled; with "reduce_zero_label": 0 ignored and v -> class v-1
// (MMSeg); "contiguous" -> value i = i-th category, 255 ignored; "panoptic_fpn" -> 0 = all things,
// 1..N = the stuff categories in order, 255 ignored. `ignore_value` (>= 0) is ignored as well.
struct SemanticScheme {
  std::vector<std::string> class_names;
  std::vector<std::int64_t> class_ids;  // the category id of each class (-1: "things")
  LabelMap map;
};
SemanticScheme semantic_scheme_of(const std::string& manifest, int ignore_value);

// Pairs GT and prediction records by image id. The two class spaces must agree (same classes in
// the same order) or Error(Config). A GT record without sem_seg_file_name, duplicate ids and
// predictions for unknown images are Error(DataError); a GT image without prediction is
// Error(NoInput) unless allow_missing.
SemanticManifestSet load_semantic_manifests(const std::string& gt_manifest,
                                            const std::string& pred_manifest, int ignore_value,
                                            bool allow_missing);

// True when the manifest's first image record has sem_seg_file_name and no segments_info (what
// `segx convert ade20k` and `semantic-folder` write). False for "-" (stdin is read once).
bool manifest_is_semantic(const std::string& manifest);

}  // namespace segx::metrics
