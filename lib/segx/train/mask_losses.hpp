// Mask losses of Mask2Former's SetCriterion and matcher: sigmoid cross-entropy and dice, both per
// matched pair and as all-pairs cost matrices, and PointRend's point sampling; the original
// MaskFormer's sigmoid focal loss and cost.
#pragma once
#include <torch/types.h>

namespace segx::train {

// Dice loss summed over rows, divided by num_masks (inputs: logits [N, P]; targets [N, P]).
torch::Tensor dice_loss(const torch::Tensor& logits, const torch::Tensor& targets, double num_masks);

// Sigmoid binary cross-entropy, mean over points, summed over rows, divided by num_masks.
torch::Tensor sigmoid_ce_loss(const torch::Tensor& logits, const torch::Tensor& targets, double num_masks);

// RetinaNet's sigmoid focal loss (alpha 0.25, gamma 2), mean over points, summed over rows,
// divided by num_masks (MaskFormer's loss_mask).
torch::Tensor sigmoid_focal_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                                 double num_masks);

// The same three losses per row [N], before the sum over rows and the division by num_masks.
torch::Tensor dice_loss_rows(const torch::Tensor& logits, const torch::Tensor& targets);
// The dice loss of each row of probabilities [N, P] (dice_loss_rows after its sigmoid).
torch::Tensor dice_rows_of_probabilities(const torch::Tensor& probs, const torch::Tensor& targets);
torch::Tensor sigmoid_ce_loss_rows(const torch::Tensor& logits, const torch::Tensor& targets);
torch::Tensor sigmoid_focal_loss_rows(const torch::Tensor& logits, const torch::Tensor& targets);

// All-pairs costs: logits [N, P] x targets [M, P] -> [N, M].
torch::Tensor batch_dice_cost(const torch::Tensor& logits, const torch::Tensor& targets);
torch::Tensor batch_sigmoid_ce_cost(const torch::Tensor& logits, const torch::Tensor& targets);
// The focal loss of every pair, mean over points (MaskFormer's matching cost).
torch::Tensor batch_sigmoid_focal_cost(const torch::Tensor& logits, const torch::Tensor& targets);

// Bilinear samples of input [N, C, H, W] at normalised points [N, P, 2] in [0, 1]^2 (x, y),
// align_corners=False, zero padding -> [N, C, P].
torch::Tensor point_sample(const torch::Tensor& input, const torch::Tensor& points);

// PointRend importance sampling: oversample uniformly, keep the most uncertain (|logit| nearest
// 0) fraction `importance_ratio`, fill the rest uniformly. logits [N, 1, H, W] -> [N, P, 2].
// With a (CPU) generator the draws come from it, else from LibTorch's default generator.
torch::Tensor uncertain_point_coords(const torch::Tensor& logits, int num_points,
                                     double oversample_ratio, double importance_ratio,
                                     at::Generator* generator = nullptr);

// Uniform points [n, p, 2] in [0, 1)^2 on `options`' device, drawn on the CPU from `generator`
// (or the default generator on the device when null).
torch::Tensor random_points(std::int64_t n, std::int64_t p, const torch::TensorOptions& options,
                            at::Generator* generator);

}  // namespace segx::train
