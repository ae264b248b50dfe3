// Semantic evaluation over a set of label PNG pairs: pairing GT and prediction files, reading
// them on worker threads and counting one confusion matrix.
#pragma once
#include <string>
#include <vector>

#include "segx/metrics/semantic_iou.hpp"

namespace segx::metrics {

struct SemanticImagePair {
  std::string key;       // what pairs the two files (relative path without suffix)
  std::string gt_png;
  std::string pred_png;  // empty: no prediction (--allow-missing)
};

// Pairs every GT PNG under `gt_dir` (recursively) with `pred_dir`/<same relative path>: the GT's
// `gt_suffix` (default ".png") is replaced by `pred_suffix`. Cityscapes, for example:
// gt_suffix "_gtFine_labelIds.png", pred_suffix "_leftImg8bit.png". Sorted by key. A GT without
// prediction is an Error(NoInput) unless allow_missing (then pred_png stays empty).
std::vector<SemanticImagePair> pair_label_folders(const std::string& gt_dir,
                                                  const std::string& pred_dir,
                                                  const std::string& gt_suffix,
                                                  const std::string& pred_suffix,
                                                  bool allow_missing);

struct SemanticEvalOptions {
  int threads = 0;
  bool progress = true;
};

// Counts the confusion matrix of `pairs`. A missing prediction counts every valid GT pixel in
// the "no prediction" column (a miss for every class). Label PNGs must have one channel (8- or
// 16-bit, palette indices kept); GT and prediction must have the same size.
ConfusionMatrix evaluate_semantic(const std::vector<SemanticImagePair>& pairs, int num_classes,
                                  const LabelMap& gt_map, const LabelMap& pred_map,
                                  const SemanticEvalOptions& options);

}  // namespace segx::metrics
