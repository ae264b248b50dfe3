// Mask losses and point sampling, written to follow Mask2Former's criterion.py/matcher.py and
// detectron2's point_features.py operation for operation.
#include "segx/train/mask_losses.hpp"

#include <torch/nn/functional.h>

namespace segx::train {
namespace F = torch::nn::functional;

torch::Tensor dice_rows_of_probabilities(const torch::Tensor& inputs, const torch::Tensor& targets) {
  auto numerator = 2 * (inputs * targets).sum(-1);
  auto denominator = inputs.sum(-1) + targets.sum(-1);
  return 1 - (numerator + 1) / (denominator + 1);
}

torch::Tensor dice_loss_rows(const torch::Tensor& logits, const torch::Tensor& targets) {
  return dice_rows_of_probabilities(logits.sigmoid().flatten(1), targets);
}

torch::Tensor dice_loss(const torch::Tensor& logits, const torch::Tensor& targets, double num_masks) {
  return dice_loss_rows(logits, targets).sum() / num_masks;
}

torch::Tensor sigmoid_ce_loss_rows(const torch::Tensor& logits, const torch::Tensor& targets) {
  auto loss = F::binary_cross_entropy_with_logits(
      logits, targets, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  return loss.mean(1);
}

torch::Tensor sigmoid_ce_loss(const torch::Tensor& logits, const torch::Tensor& targets, double num_masks) {
  return sigmoid_ce_loss_rows(logits, targets).sum() / num_masks;
}

torch::Tensor sigmoid_focal_loss_rows(const torch::Tensor& logits, const torch::Tensor& targets) {
  constexpr double alpha = 0.25;
  auto prob = logits.sigmoid();
  auto ce = F::binary_cross_entropy_with_logits(
      logits, targets, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  auto p_t = prob * targets + (1 - prob) * (1 - targets);
  auto loss = ce * (1 - p_t).pow(2);
  auto alpha_t = alpha * targets + (1 - alpha) * (1 - targets);
  return (alpha_t * loss).mean(1);
}

torch::Tensor sigmoid_focal_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                                 double num_masks) {
  return sigmoid_focal_loss_rows(logits, targets).sum() / num_masks;
}

torch::Tensor batch_sigmoid_focal_cost(const torch::Tensor& logits, const torch::Tensor& targets) {
  constexpr double alpha = 0.25;
  const auto hw = logits.size(1);
  auto none = F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone);
  auto prob = logits.sigmoid();
  auto pos = (1 - prob).pow(2) *
             F::binary_cross_entropy_with_logits(logits, torch::ones_like(logits), none);
  auto neg =
      prob.pow(2) * F::binary_cross_entropy_with_logits(logits, torch::zeros_like(logits), none);
  auto loss = torch::einsum("nc,mc->nm", {pos * alpha, targets}) +
              torch::einsum("nc,mc->nm", {neg * (1 - alpha), 1 - targets});
  return loss / static_cast<double>(hw);
}

torch::Tensor batch_dice_cost(const torch::Tensor& logits, const torch::Tensor& targets) {
  auto inputs = logits.sigmoid().flatten(1);
  auto numerator = 2 * torch::einsum("nc,mc->nm", {inputs, targets});
  auto denominator = inputs.sum(-1).unsqueeze(1) + targets.sum(-1).unsqueeze(0);
  return 1 - (numerator + 1) / (denominator + 1);
}

torch::Tensor batch_sigmoid_ce_cost(const torch::Tensor& logits, const torch::Tensor& targets) {
  const auto hw = logits.size(1);
  auto none = F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone);
  auto pos = F::binary_cross_entropy_with_logits(logits, torch::ones_like(logits), none);
  auto neg = F::binary_cross_entropy_with_logits(logits, torch::zeros_like(logits), none);
  auto loss = torch::einsum("nc,mc->nm", {pos, targets}) + torch::einsum("nc,mc->nm", {neg, 1 - targets});
  return loss / static_cast<double>(hw);
}

torch::Tensor point_sample(const torch::Tensor& input, const torch::Tensor& points) {
  auto grid = (2.0 * points - 1.0).unsqueeze(2);  // [N, P, 1, 2]
  auto out = F::grid_sample(input, grid,
                            F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
  return out.squeeze(3);
}

torch::Tensor random_points(std::int64_t n, std::int64_t p, const torch::TensorOptions& options,
                            at::Generator* generator) {
  if (!generator) return torch::rand({n, p, 2}, options);
  return torch::rand({n, p, 2}, *generator, options.device(torch::kCPU)).to(options.device());
}

torch::Tensor uncertain_point_coords(const torch::Tensor& logits, int num_points,
                                     double oversample_ratio, double importance_ratio,
                                     at::Generator* generator) {
  const auto n = logits.size(0);
  const auto num_sampled = static_cast<int64_t>(num_points * oversample_ratio);
  auto coords = random_points(n, num_sampled, logits.options(), generator);
  auto point_logits = point_sample(logits, coords);
  auto uncertainty = -point_logits.abs();  // calculate_uncertainty: nearest 0 is most uncertain
  const auto num_uncertain = static_cast<int64_t>(importance_ratio * num_points);
  const auto num_random = num_points - num_uncertain;
  auto idx = std::get<1>(torch::topk(uncertainty.select(1, 0), num_uncertain, 1));
  auto shift = num_sampled * torch::arange(n, torch::TensorOptions().dtype(torch::kLong).device(logits.device()));
  idx = idx + shift.unsqueeze(1);
  auto chosen = coords.reshape({-1, 2}).index_select(0, idx.reshape(-1)).reshape({n, num_uncertain, 2});
  if (num_random > 0)
    chosen = torch::cat({chosen, random_points(n, num_random, logits.options(), generator)}, 1);
  return chosen;
}

}  // namespace segx::train
