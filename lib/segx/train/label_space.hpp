// DaTaSeg label spaces: the merged vocabulary (from `segx vocab build`) gives K classes, indexed by
// their position in the vocabulary (ascending unified id: the row order of `segx vocab embed` and
// of the model's class logits, no-object/background = K). Each dataset covers a subset; while
// training on it, logits of classes outside its subset are set to -inf before the softmax of both
// the matching cost and the classification loss, so the model is never told "not X" for classes
// the dataset does not annotate. The shared background logit always stays.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "segx/vocab/vocabulary.hpp"

namespace segx::train {

struct DatasetClasses {
  std::string dataset;
  int num_classes = 0;                                     // K: every class of the vocabulary
  std::map<std::int64_t, std::int64_t> class_of_category;  // dataset category id -> class index
  std::map<std::int64_t, std::int64_t> class_of_unified;   // unified id -> class index (all K)
  std::vector<bool> in_space;                              // [K]: the dataset annotates class k

  // Class index of a category id of the dataset's own manifest (Error(Config) naming `origin`,
  // the dataset and the id when the vocabulary lacks it).
  std::int64_t class_index(std::int64_t category_id, const std::string& origin) const;
  // The same for a manifest already rewritten by `segx vocab apply` (unified ids); Error(Config)
  // also for a class outside the dataset's space.
  std::int64_t class_index_of_unified(std::int64_t unified_id, const std::string& origin) const;
  // bool [K], true = in the dataset's label space.
  torch::Tensor label_space() const;
};

// Error(Config) when the vocabulary does not list `dataset`.
DatasetClasses dataset_classes(const vocab::Vocabulary& vocabulary, const std::string& dataset);

// Every category of a manifest must be in the vocabulary: Error(Config) naming `origin` and the
// first missing ids (issue 6's "a manifest with a category missing from the vocabulary").
void check_categories(const DatasetClasses& classes, const std::vector<std::int64_t>& category_ids,
                      const std::string& origin);

// logits [..., K + 1]; space bool [K] (one dataset) or [B, K] (per image, logits [B, Q, K + 1]).
// Returns logits with excluded classes at -inf (differentiable; no gradient reaches them).
torch::Tensor restrict_to_label_space(const torch::Tensor& logits, const torch::Tensor& space);

}  // namespace segx::train
