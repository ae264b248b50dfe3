// The plain option structs that a training config fills: a dataset's entry and the set
// criterion's weights. No LibTorch here, so that the config parser (segx_core) needs none.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "segx/train/task.hpp"

namespace segx::train {

// What the training config says about one dataset.
struct DatasetSpec {
  std::string name;
  std::string format = "manifest";  // "manifest" or "coco_panoptic"
  std::string path;                 // manifest, or COCO panoptic JSON
  std::string png_dir;              // coco_panoptic: default the JSON path without extension
  std::string images_dir;           // coco_panoptic: folder of the images
  double rate = 1.0;                // sampling rate among datasets (> 0)
  std::vector<Task> tasks{Task::Panoptic};
  bool tasks_given = false;  // "tasks" was in the config (else: what the annotations support)
  // Python-style slice of the records: [start, stop), negative values count from the end.
  std::int64_t start = 0;
  std::int64_t stop = INT64_MAX;
  // With a shared vocabulary: dataset category id -> class id of the label space.
  std::map<std::int64_t, std::int64_t> category_remap;
};

enum class CriterionVariant { Mask2Former, MaskFormer };

struct CriterionOptions {
  CriterionVariant variant = CriterionVariant::Mask2Former;  // the model's architecture
  int num_classes = 0;            // K, without the no-object class
  double no_object_weight = 0.1;  // eos_coef
  double class_weight = 2.0;
  double mask_weight = 5.0;
  double dice_weight = 5.0;
  int num_points = 112 * 112;  // K points per mask for matching and losses (Mask2Former)
  double oversample_ratio = 3.0;
  double importance_ratio = 0.75;
  double projection_weight = 5.0;   // loss_proj (boxes-only images) and its matching cost
  double contrastive_weight = 0.5;  // loss_contrastive (MODEL.ONE_FORMER.CONTRASTIVE_WEIGHT)
  // Semantic-task images train on the queries' masks merged per class (DaTaSeg) instead of
  // Hungarian matching of one query per class (semantic_merge.hpp).
  bool semantic_merge = false;
  // An unmatched query whose predicted mask lies more than this share on unlabelled pixels
  // (InstanceTargets::unlabeled: void, crowd, classes its dataset does not annotate) is not
  // taught "no object" (ignored in loss_ce); 0: every unmatched query is (upstream).
  double unlabeled_ignore = 0.0;
};

}  // namespace segx::train
