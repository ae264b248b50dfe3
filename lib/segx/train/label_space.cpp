// Dataset label spaces over a merged vocabulary, and the logit restriction DaTaSeg trains with.
#include "segx/train/label_space.hpp"

#include <limits>

#include "segx/core/error.hpp"

namespace segx::train {

std::int64_t DatasetClasses::class_index(std::int64_t category_id, const std::string& origin) const {
  auto it = class_of_category.find(category_id);
  if (it == class_of_category.end())
    fail(ErrorKind::Config, "'{}': category {} of dataset '{}' is missing from the vocabulary", origin,
         category_id, dataset);
  return it->second;
}

std::int64_t DatasetClasses::class_index_of_unified(std::int64_t unified_id, const std::string& origin) const {
  auto it = class_of_unified.find(unified_id);
  if (it == class_of_unified.end() || !in_space[static_cast<std::size_t>(it->second)])
    fail(ErrorKind::Config, "'{}': unified class {} is not in the label space of dataset '{}'", origin,
         unified_id, dataset);
  return it->second;
}

torch::Tensor DatasetClasses::label_space() const {
  auto out = torch::zeros({num_classes}, torch::kBool);
  for (int k = 0; k < num_classes; ++k)
    if (in_space[static_cast<std::size_t>(k)]) out[k] = true;
  return out;
}

DatasetClasses dataset_classes(const vocab::Vocabulary& vocabulary, const std::string& dataset) {
  if (!vocabulary.dataset(dataset)) {
    std::string known;
    for (const auto& d : vocabulary.datasets) known += (known.empty() ? "" : ", ") + d.name;
    fail(ErrorKind::Config, "the vocabulary has no dataset '{}' (it has: {})", dataset, known);
  }
  DatasetClasses out;
  out.dataset = dataset;
  out.num_classes = static_cast<int>(vocabulary.classes.size());
  out.in_space.assign(vocabulary.classes.size(), false);
  for (std::size_t k = 0; k < vocabulary.classes.size(); ++k) {
    const auto& c = vocabulary.classes[k];
    out.class_of_unified[c.id] = static_cast<std::int64_t>(k);
    for (const auto& s : c.sources)
      if (s.dataset == dataset) {
        out.class_of_category[s.id] = static_cast<std::int64_t>(k);
        out.in_space[k] = true;
      }
  }
  return out;
}

void check_categories(const DatasetClasses& classes, const std::vector<std::int64_t>& category_ids,
                      const std::string& origin) {
  std::vector<std::int64_t> missing;
  for (auto id : category_ids)
    if (!classes.class_of_category.count(id)) missing.push_back(id);
  if (missing.empty()) return;
  std::string list;
  for (std::size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + std::to_string(missing[i]);
  if (missing.size() > 5) list += ", ...";
  fail(ErrorKind::Config, "'{}': {} categor{} of dataset '{}' missing from the vocabulary: {}", origin,
       missing.size(), missing.size() == 1 ? "y" : "ies", classes.dataset, list);
}

torch::Tensor restrict_to_label_space(const torch::Tensor& logits, const torch::Tensor& space) {
  const auto k = logits.size(-1) - 1;
  if (space.size(-1) != k)
    fail(ErrorKind::Internal, "label space of {} classes for logits of {} classes", space.size(-1), k);
  auto keep = space.to(logits.device(), torch::kBool);
  // Background (no object) is shared by every dataset.
  auto ones_shape = keep.sizes().vec();
  ones_shape.back() = 1;
  keep = torch::cat({keep, torch::ones(ones_shape, keep.options())}, -1);
  if (keep.dim() == 2 && logits.dim() == 3) keep = keep.unsqueeze(1);  // per image: [B, 1, K + 1]
  return logits.masked_fill(~keep, -std::numeric_limits<float>::infinity());
}

}  // namespace segx::train
