// A training record's annotation in the form the augmentation and the task targets take: a
// panoptic-style id map + segments for every kind (panoptic PNG; semantic label PNG: one segment
// per class; instance masks: one segment per instance), and for boxes-only records the boxes
// moved through the jitter's geometry.
#pragma once
#include <cstdint>
#include <vector>

#include "segx/train/augment.hpp"
#include "segx/train/set_criterion.hpp"
#include "segx/train/train_data.hpp"

namespace segx::train {

// The record's height x width id map (row-major; valid until the calling thread's next call) and
// its segments. Boxes-only records give an empty map (their targets are box_targets). Error
// (DataError) for annotation files or masks whose size is not the image's, or label values
// outside the header's scheme.
const std::uint32_t* record_id_map(const TrainRecord& record, const TrainDataset& dataset,
                                   int height, int width, std::vector<SegmentInfo>& segments);

// Boxes-only targets: the non-crowd boxes the crop keeps, normalised to the crop's frame.
InstanceTargets box_targets(const TrainRecord& record, const JitterGeometry& geometry,
                            int crop_height, int crop_width);

// The pixels of a crop_height x crop_width crop outside every box of `targets` (box_targets:
// boxes normalised to the crop), float {0, 1}: a boxes-only image's unlabelled pixels.
torch::Tensor outside_boxes(const InstanceTargets& targets, int crop_height, int crop_width);

}  // namespace segx::train
