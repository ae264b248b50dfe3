// Ground truth for one image and one OneFormer task, derived from its panoptic annotation as
// OneFormer's unified dataset mapper does: semantic (one mask per class, crowds excluded),
// instance (non-crowd things), panoptic (every non-crowd segment), plus the text list
// ("a photo with a {class}" per target, padded with "a {task} photo") for the contrastive loss.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace segx::train {

enum class Task { Semantic, Instance, Panoptic };

const char* task_name(Task task);                 // "semantic", ...
std::string task_prompt(Task task);               // "the task is semantic" (tokenizer lowercases)
Task parse_task(const std::string& name);         // Error(Config) on an unknown name

// OneFormer's draw: u < semantic_prob -> semantic, u < instance_prob -> instance, else panoptic
// (both thresholds cumulative, 1/3 and 2/3 for the uniform draw the recipe uses).
Task task_from_uniform(double u, double semantic_prob = 1.0 / 3, double instance_prob = 2.0 / 3);

struct SegmentInfo {
  std::uint32_t id = 0;  // panoptic segment id in the id map
  int class_index = 0;   // contiguous training class index
  bool iscrowd = false;
  bool isthing = false;
};

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
