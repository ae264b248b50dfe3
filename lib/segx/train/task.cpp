// OneFormer's task names (train/task.hpp).
#include "segx/train/task.hpp"

#include "segx/core/error.hpp"

namespace segx::train {

const char* task_name(Task task) {
  switch (task) {
    case Task::Semantic: return "semantic";
    case Task::Instance: return "instance";
    case Task::Panoptic: return "panoptic";
  }
  return "panoptic";
}

Task parse_task(const std::string& name) {
  if (name == "semantic") return Task::Semantic;
  if (name == "instance") return Task::Instance;
  if (name == "panoptic") return Task::Panoptic;
  fail(ErrorKind::Config, "unknown task '{}' (expected panoptic, instance or semantic)", name);
}

Task task_from_uniform(double u, double semantic_prob, double instance_prob) {
  if (u < semantic_prob) return Task::Semantic;
  if (u < instance_prob) return Task::Instance;
  return Task::Panoptic;
}

}  // namespace segx::train
