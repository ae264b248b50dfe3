// Ground truth for one image and one OneFormer task, derived from its panoptic annotation as
// OneFormer's unified dataset mapper does: semantic (one mask per class, crowds excluded),
// instance (non-crowd things), panoptic (every non-crowd segment), plus the text list
// ("a photo with a {class}" per target, padded with "a {task} photo") for the contrastive loss.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "segx/train/task.hpp"

namespace segx::train {

struct TaskTargets {
  torch::Tensor labels;            // int64 [N]
  torch::Tensor masks;             // float [N, H, W] in {0, 1}
  torch::Tensor semantic;          // int64 [H, W], ignore_label where unlabeled
  std::vector<std::string> texts;  // num_text_queries entries
};

// `ids` is a row-major H x W panoptic id map. Segments absent from the map are skipped.
TaskTargets make_task_targets(const std::uint32_t* ids, int height, int width,
                              const std::vector<SegmentInfo>& segments,
                              const std::vector<std::string>& class_names, Task task,
                              int num_text_queries, int ignore_label = 255);

}  // namespace segx::train
