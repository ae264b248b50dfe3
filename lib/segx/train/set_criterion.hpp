// Mask2Former's training objective: Hungarian matching of queries to ground-truth masks per image
// (class + sigmoid-CE + dice costs on shared random points) and the matched losses (weighted
// cross-entropy with a no-object class, point-sampled mask CE and dice) with deep supervision.
#pragma once
#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "segx/train/linear_assignment.hpp"

namespace segx::train {

// One decoder layer's predictions for a batch.
struct LayerPredictions {
  torch::Tensor class_logits;  // [B, Q, K + 1], the last class is "no object"
  torch::Tensor mask_logits;   // [B, Q, H, W]
};

// One image's ground truth: N masks with their class indices in [0, K).
struct InstanceTargets {
  torch::Tensor labels;  // int64 [N]
  torch::Tensor masks;   // float [N, Ht, Wt] in {0, 1} (any resolution: sampling is normalised)
};

struct CriterionOptions {
  int num_classes = 0;            // K, without the no-object class
  double no_object_weight = 0.1;  // eos_coef
  double class_weight = 2.0;
  double mask_weight = 5.0;
  double dice_weight = 5.0;
  int num_points = 112 * 112;     // K points per mask for matching and losses
  double oversample_ratio = 3.0;
  double importance_ratio = 0.75;
};

// Per-image generators for the random points: with one CPU generator per image, an image's
// draws do not depend on which other images share its batch (so a batch split over processes
// draws what the whole batch draws in one). Null: LibTorch's default generator.
using ImageGenerators = std::vector<at::Generator>;

// Matches each image's queries to its targets; result k pairs query rows with target cols.
std::vector<Assignment> hungarian_match(const LayerPredictions& predictions,
                                        const std::vector<InstanceTargets>& targets,
                                        const CriterionOptions& options,
                                        ImageGenerators* generators = nullptr);

struct LossTerms {
  std::map<std::string, torch::Tensor> terms;  // loss_ce, loss_mask, loss_dice, loss_ce_0, ...
  torch::Tensor total;                         // weighted sum of all terms
};

class SetCriterion {
 public:
  explicit SetCriterion(CriterionOptions options);

  // `aux` holds the intermediate layers' predictions (deep supervision), suffixes _0, _1, ...
  // `num_masks` normalises the mask losses; <= 0 means the batch's own target count (the
  // distributed trainer passes the all-reduced mean instead). `class_normalizer` likewise
  // replaces the weighted cross-entropy's denominator (the sum of the queries' class weights)
  // when > 0, so that processes averaging their gradients compute the whole batch's loss.
  LossTerms operator()(const LayerPredictions& final_layer, const std::vector<LayerPredictions>& aux,
                       const std::vector<InstanceTargets>& targets, double num_masks = 0,
                       ImageGenerators* generators = nullptr, double class_normalizer = 0) const;
  // The weight of a term by its name (loss_ce*, loss_mask*, loss_dice*).
  double weight_of(const std::string& term) const;

  const CriterionOptions& options() const { return options_; }

 private:
  std::map<std::string, torch::Tensor> layer_losses(const LayerPredictions& layer,
                                                    const std::vector<InstanceTargets>& targets,
                                                    double num_masks,
                                                    ImageGenerators* generators,
                                                    double class_normalizer) const;
  CriterionOptions options_;
};

}  // namespace segx::train
