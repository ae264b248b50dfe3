// Mask2Former's training objective: Hungarian matching of queries to ground-truth masks per image
// (class + sigmoid-CE + dice costs on shared random points) and the matched losses (weighted
// cross-entropy with a no-object class, point-sampled mask CE and dice) with deep supervision.
// The original MaskFormer's (CriterionVariant::MaskFormer, criterion.py and matcher.py there):
// the same matching and losses on whole masks instead of points, with a sigmoid focal loss in
// place of the cross-entropy: costs on the predictions' grid (targets nearest-downsampled),
// losses on the targets' grid (predictions bilinearly upsampled).
//
// Extensions for OneFormer and DaTaSeg co-training (all optional; defaults give Mask2Former):
// - InstanceTargets::label_space (bool [K]): the image's dataset label space; logits of other
//   classes are -inf in matching and loss (label_space.hpp, DatasetClasses::label_space()).
// - InstanceTargets::boxes without masks: a boxes-only image; matched by class + box-projection
//   cost and trained with loss_proj (box_projection.hpp) instead of loss_mask/loss_dice.
// - InstanceTargets::merge_classes: semantic targets (one mask per class) trained on the queries'
//   masks merged per class (semantic_merge.hpp, DaTaSeg) with loss_merge_ce and loss_merge_dice
//   instead of being matched; such images add nothing to loss_ce.
// - InstanceTargets::unlabeled with CriterionOptions::unlabeled_ignore: unmatched queries whose
//   masks lie mostly on unlabelled pixels are left out of loss_ce instead of taught "no object"
//   (a dataset that leaves classes unlabelled does not say there is no object there).
// - ContrastiveInputs: decoder queries (DecoderPredictions::queries), text features
//   (TextEncoder) and criterion.logit_scale add loss_contrastive (final layer only, as upstream).
// Weights: loss_ce class_weight, loss_mask mask_weight, loss_dice dice_weight, loss_proj
// projection_weight, loss_merge_ce mask_weight, loss_merge_dice dice_weight, loss_contrastive
// contrastive_weight (suffixes _0, _1, ... likewise).
#pragma once
#include <torch/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "segx/train/linear_assignment.hpp"
#include "segx/train/train_options.hpp"

namespace segx::train {

// One decoder layer's predictions for a batch.
struct LayerPredictions {
  torch::Tensor class_logits;  // [B, Q, K + 1], the last class is "no object"
  torch::Tensor mask_logits;   // [B, Q, H, W]
};

// One image's ground truth: N masks with their class indices in [0, K).
struct InstanceTargets {
  InstanceTargets() = default;
  InstanceTargets(torch::Tensor labels_, torch::Tensor masks_)
      : labels(std::move(labels_)), masks(std::move(masks_)) {}
  torch::Tensor labels;  // int64 [N]
  torch::Tensor masks;   // float [N, Ht, Wt] in {0, 1} (any resolution: sampling is normalised)
  // Boxes-only images leave `masks` undefined and give boxes (x0, y0, x1, y1) normalised to the
  // masks' frame, float [N, 4] (normalize_boxes converts pixel boxes).
  torch::Tensor boxes;
  torch::Tensor label_space;  // bool [K]; undefined: every class
  bool merge_classes = false;  // semantic targets trained on merged query masks, not matched
  // float [Ht, Wt] in {0, 1}: pixels no target covers that may hold an unlabelled object (void,
  // crowd, a class the dataset does not annotate); undefined: none known. Read only with
  // CriterionOptions::unlabeled_ignore > 0.
  torch::Tensor unlabeled;
  bool box_only() const { return !masks.defined() && boxes.defined(); }
};

// OneFormer's query-text contrastive term.
struct ContrastiveInputs {
  torch::Tensor queries;      // [B, Q, C] DecoderPredictions::queries
  torch::Tensor texts;        // [B, Q', C'] TextEncoder output, Q' C' == Q C
  torch::Tensor logit_scale;  // scalar criterion.logit_scale (learnable)
  bool defined() const { return queries.defined() && texts.defined() && logit_scale.defined(); }
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
  // Each image's share of `total`, in batch order: its queries' part of the classification loss
  // and its masks', boxes' or merged classes' parts of the others, weighted, over every layer.
  // They add up to `total` less loss_contrastive and extra losses, which are the batch's.
  std::vector<double> image_losses;
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
                       ImageGenerators* generators = nullptr, double class_normalizer = 0,
                       const ContrastiveInputs& contrastive = {}) const;
  // `contrastive` (when defined) adds loss_contrastive; loss_proj appears when some image is
  // boxes-only.
  // The weight of a term by its name (loss_ce*, loss_mask*, loss_proj*, loss_contrastive, loss_dice*).
  double weight_of(const std::string& term) const;

  const CriterionOptions& options() const { return options_; }

 private:
  // One layer's terms; adds each image's weighted share of them to image_losses (size B).
  std::map<std::string, torch::Tensor> layer_losses(const LayerPredictions& layer,
                                                    const std::vector<InstanceTargets>& targets,
                                                    double num_masks,
                                                    ImageGenerators* generators,
                                                    double class_normalizer,
                                                    std::vector<double>& image_losses) const;
  // Sets to `ignore` the class target of each unmatched query (target "no object") whose mask
  // lies more than options_.unlabeled_ignore on its image's unlabelled pixels.
  void ignore_queries_on_unlabeled(const LayerPredictions& layer,
                                   const std::vector<InstanceTargets>& targets,
                                   torch::Tensor& target_classes, int64_t ignore) const;
  // The mask and dice losses of each matched mask [N, h, w] against its target [N, Ht, Wt]
  // (rows grouped by image in batch order, `indices`), before the sum and num_masks.
  struct MaskRows {
    torch::Tensor mask, dice;  // [N] each
  };
  MaskRows point_sampled_mask_losses(const torch::Tensor& src_masks, const torch::Tensor& tgt_masks,
                                     const std::vector<Assignment>& indices,
                                     ImageGenerators* generators) const;
  MaskRows whole_mask_losses(const torch::Tensor& src_masks, const torch::Tensor& tgt_masks) const;
  CriterionOptions options_;
};

}  // namespace segx::train
