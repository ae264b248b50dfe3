// Task-conditioned targets from a panoptic id map (OneFormer's _get_{semantic,instance,panoptic}_dict).
#include "segx/train/task_targets.hpp"

#include <algorithm>
#include <unordered_map>

#include "segx/core/error.hpp"

namespace segx::train {

TaskTargets make_task_targets(const std::uint32_t* ids, int height, int width,
                              const std::vector<SegmentInfo>& segments,
                              const std::vector<std::string>& class_names, Task task,
                              int num_text_queries, int ignore_label) {
  const std::int64_t pixels = static_cast<std::int64_t>(height) * width;
  // Which target each segment feeds (-1: none). Semantic merges segments of one class.
  std::unordered_map<std::uint32_t, int> target_of_segment;
  std::vector<std::int64_t> labels;
  std::vector<int> class_count(class_names.size(), 0);
  for (const auto& seg : segments) {
    if (seg.class_index < 0 || seg.class_index >= static_cast<int>(class_names.size()))
      fail(ErrorKind::DataError, "segment {} has class index {} outside 0..{}", seg.id, seg.class_index,
           class_names.size() - 1);
    if (seg.iscrowd || (task == Task::Instance && !seg.isthing)) continue;
    int slot = -1;
    if (task == Task::Semantic) {
      auto it = std::find(labels.begin(), labels.end(), seg.class_index);
      if (it != labels.end()) slot = static_cast<int>(it - labels.begin());
    }
    if (slot < 0) {
      slot = static_cast<int>(labels.size());
      labels.push_back(seg.class_index);
    }
    target_of_segment[seg.id] = slot;
  }

  auto masks = torch::zeros({static_cast<std::int64_t>(labels.size()), height, width}, torch::kFloat);
  auto semantic = torch::full({height, width}, ignore_label, torch::kLong);
  std::vector<std::int64_t> area(labels.size(), 0);
  float* mask_data = masks.data_ptr<float>();
  std::int64_t* sem_data = semantic.data_ptr<std::int64_t>();
  for (std::int64_t p = 0; p < pixels; ++p) {
    auto it = target_of_segment.find(ids[p]);
    if (it == target_of_segment.end()) continue;
    mask_data[it->second * pixels + p] = 1.0f;
    sem_data[p] = labels[it->second];
    area[it->second]++;
  }
  // Drop targets whose segments do not appear in the map (empty masks), as the mapper does.
  std::vector<std::int64_t> keep;
  for (std::size_t k = 0; k < labels.size(); ++k)
    if (area[k] > 0) keep.push_back(static_cast<std::int64_t>(k));
  TaskTargets out;
  auto keep_index = torch::tensor(keep, torch::kLong);
  out.labels = torch::tensor(labels, torch::kLong).index_select(0, keep_index);
  out.masks = masks.index_select(0, keep_index);
  out.semantic = semantic;

  // Texts: one "a photo with a {name}" per target, in class order, then the task's filler.
  for (auto k : keep) class_count[labels[k]]++;
  out.texts.assign(num_text_queries, std::string("a ") + task_name(task) + " photo");
  if (task == Task::Instance) out.texts.assign(num_text_queries, "an instance photo");
  int num = 0;
  for (std::size_t c = 0; c < class_names.size() && num < num_text_queries; ++c)
    for (int k = 0; k < class_count[c] && num < num_text_queries; ++k)
      out.texts[num++] = "a photo with a " + class_names[c];
  return out;
}

}  // namespace segx::train
