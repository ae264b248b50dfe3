// OneFormer's tasks (semantic, instance, panoptic) by name, and a segment of an image's panoptic
// annotation as training sees it. No LibTorch here: the training config parser (segx_core) names
// tasks too.
#pragma once
#include <cstdint>
#include <string>

namespace segx::train {

enum class Task { Semantic, Instance, Panoptic };

const char* task_name(Task task);                 // "semantic", ...
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

}  // namespace segx::train
