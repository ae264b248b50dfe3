// BoxInst's box-projection weak mask loss (DaTaSeg's loss for boxes-only datasets): the predicted
// mask probabilities' maxima along y and along x (two 1-D projections) against the projections of
// the ground-truth box, each scored with BoxInst's dice (1 - 2 sum(p t) / (sum p^2 + sum t^2 +
// 1e-5)). A box projects to an interval on each axis, so no box mask is ever rasterised.
//
// Boxes are (x0, y0, x1, y1) normalised to [0, 1] of the frame the masks cover (the padded
// image), like the point sampling of the mask losses; a pixel column/row belongs to the box when
// its centre lies inside.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <utility>

namespace segx::train {

// Pixel boxes (x0, y0, x1, y1) in a frame of `height` x `width` -> normalised boxes.
torch::Tensor normalize_boxes(const torch::Tensor& boxes, double height, double width);

// boxes [N, 4] -> the box projections on a height x width grid: x [N, width], y [N, height].
std::pair<torch::Tensor, torch::Tensor> box_projections(const torch::Tensor& boxes, std::int64_t height,
                                                        std::int64_t width);

// mask_logits [N, H, W] paired with boxes [N, 4]: sum over pairs of (dice_x + dice_y), divided
// by num_masks (BoxInst averages over instances; here normalised like the other mask losses).
torch::Tensor box_projection_loss(const torch::Tensor& mask_logits, const torch::Tensor& boxes,
                                  double num_masks);
// The loss of each pair [N] before the sum and the division by num_masks.
torch::Tensor box_projection_rows(const torch::Tensor& mask_logits, const torch::Tensor& boxes);

// All pairs for matching: mask_logits [Q, H, W] x boxes [M, 4] -> [Q, M] of dice_x + dice_y.
torch::Tensor batch_box_projection_cost(const torch::Tensor& mask_logits, const torch::Tensor& boxes);

}  // namespace segx::train
