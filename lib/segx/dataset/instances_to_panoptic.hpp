// COCO instances (or results) -> COCO panoptic, with an explicit policy for overlapping masks
// (panopticapi's detection2panoptic simply fails on them).
#pragma once
#include <string>

#include "segx/dataset/coco_instances.hpp"

namespace segx::dataset {

enum class OverlapPolicy {
  Error,    // fail naming the image and both annotations
  Skip,     // earlier annotations keep the contested pixels (file order)
  Score,    // the higher score keeps them (ties: file order)
  Larger,   // the larger mask keeps them
  Smaller,  // the smaller mask keeps them (small objects stay visible)
};
OverlapPolicy parse_overlap_policy(const std::string& name);

struct InstancesToPanopticOptions {
  OverlapPolicy overlap = OverlapPolicy::Error;
  int threads = 0;
  bool overwrite = false;
  double min_score = 0;  // results below are dropped
};

// `images` supplies the image list and sizes when `in` is a results list (else in itself).
// Writes out_json and one PNG per image into out_dir; segments whose pixels were all taken by
// others are dropped; area and bbox are those of the painted pixels.
void instances_to_panoptic(const CocoInstances& in, const CocoInstances& images,
                           const InstancesToPanopticOptions& options, const std::string& out_json,
                           const std::string& out_dir);

}  // namespace segx::dataset
