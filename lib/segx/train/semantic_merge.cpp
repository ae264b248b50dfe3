// DaTaSeg's MERGE of query masks into per-class masks, and its losses for semantic labels.
#include "segx/train/semantic_merge.hpp"

#include "segx/train/mask_losses.hpp"

namespace segx::train {

MergedSemanticLosses merged_semantic_losses(const torch::Tensor& class_logits,
                                            const torch::Tensor& mask_logits,
                                            const torch::Tensor& labels, const torch::Tensor& masks,
                                            int num_points, at::Generator* generator) {
  const auto num_targets = labels.size(0);
  auto zero = mask_logits.sum() * 0.0 + class_logits.select(1, 0).sum() * 0.0;
  if (num_targets == 0) return {zero, zero};
  const auto num_classes = class_logits.size(1) - 1;
  auto points = random_points(1, num_points, mask_logits.options(), generator);  // [1, P, 2]
  torch::Tensor target_points;                                                   // [N, P]
  {
    torch::NoGradGuard no_grad;
    target_points = point_sample(masks.to(mask_logits.options()).unsqueeze(0), points)
                        .squeeze(0)
                        .to(torch::kFloat);
  }
  auto mask_probs =
      point_sample(mask_logits.unsqueeze(0), points).squeeze(0).to(torch::kFloat).sigmoid();
  // Classes outside the label space have probability 0 (their logits are -inf).
  auto class_probs =
      class_logits.to(torch::kFloat).softmax(-1).narrow(1, 0, num_classes);  // [Q, K]
  auto merged = class_probs.transpose(0, 1).matmul(mask_probs);              // [K, P]

  // Cross-entropy of the normalised class scores; the small floor keeps log() finite where no
  // query claims a point.
  constexpr double kFloor = 1e-6;
  auto log_share = (merged + kFloor).log() - (merged + kFloor).sum(0, true).log();  // [K, P]
  auto labelled = target_points.sum(0);                                             // [P]
  auto point_ce = -(target_points * log_share.index_select(0, labels)).sum(0);      // [P]
  auto labelled_total = labelled.sum();
  auto cross_entropy = labelled_total.item<double>() > 0
                           ? point_ce.sum() / labelled_total * static_cast<double>(num_targets)
                           : zero;

  // Dice of each labelled class's merged mask (capped at 1: overlapping queries may sum past it).
  auto merged_targets = merged.index_select(0, labels).clamp_max(1.0);
  auto dice = dice_rows_of_probabilities(merged_targets, target_points).sum();
  return {cross_entropy, dice};
}

}  // namespace segx::train
