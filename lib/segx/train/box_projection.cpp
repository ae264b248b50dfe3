// Box-projection loss and matching cost (BoxInst compute_project_term / dice_coefficient).
#include "segx/train/box_projection.hpp"

#include "segx/core/error.hpp"

namespace segx::train {
namespace {

// Interval indicator: 1 where a cell centre (i + 0.5) / n lies in [lo, hi]. lo, hi: [N].
torch::Tensor interval(const torch::Tensor& lo, const torch::Tensor& hi, std::int64_t n) {
  auto centres = (torch::arange(n, lo.options()) + 0.5) / static_cast<double>(n);
  return ((centres.unsqueeze(0) >= lo.unsqueeze(1)) & (centres.unsqueeze(0) <= hi.unsqueeze(1))).to(lo.dtype());
}

// BoxInst dice per pair of rows: p [N, L], t [N, L] -> [N].
torch::Tensor dice_rows(const torch::Tensor& p, const torch::Tensor& t) {
  auto inter = (p * t).sum(1);
  auto uni = p.pow(2).sum(1) + t.pow(2).sum(1) + 1e-5;
  return 1 - 2 * inter / uni;
}

// All pairs: p [Q, L], t [M, L] -> [Q, M].
torch::Tensor dice_pairs(const torch::Tensor& p, const torch::Tensor& t) {
  auto inter = p.matmul(t.t());
  auto uni = p.pow(2).sum(1).unsqueeze(1) + t.pow(2).sum(1).unsqueeze(0) + 1e-5;
  return 1 - 2 * inter / uni;
}

void check(const torch::Tensor& masks, const torch::Tensor& boxes) {
  if (masks.dim() != 3 || boxes.dim() != 2 || boxes.size(1) != 4)
    fail(ErrorKind::Internal, "box projection: expected masks [N, H, W] and boxes [N, 4]");
}

}  // namespace

torch::Tensor normalize_boxes(const torch::Tensor& boxes, double height, double width) {
  auto scale = torch::tensor({width, height, width, height}, torch::kDouble).to(boxes.device());
  return (boxes.to(torch::kDouble) / scale).to(torch::kFloat);
}

std::pair<torch::Tensor, torch::Tensor> box_projections(const torch::Tensor& boxes, std::int64_t height,
                                                        std::int64_t width) {
  auto b = boxes.to(torch::kFloat);
  return {interval(b.select(1, 0), b.select(1, 2), width), interval(b.select(1, 1), b.select(1, 3), height)};
}

torch::Tensor box_projection_rows(const torch::Tensor& mask_logits, const torch::Tensor& boxes) {
  check(mask_logits, boxes);
  auto p = mask_logits.to(torch::kFloat).sigmoid();
  auto [tx, ty] = box_projections(boxes.to(p.device()), p.size(1), p.size(2));
  auto px = std::get<0>(p.max(1));  // max over y: one value per column
  auto py = std::get<0>(p.max(2));  // max over x: one value per row
  return dice_rows(px, tx) + dice_rows(py, ty);
}

torch::Tensor box_projection_loss(const torch::Tensor& mask_logits, const torch::Tensor& boxes,
                                  double num_masks) {
  return box_projection_rows(mask_logits, boxes).sum() / num_masks;
}

torch::Tensor batch_box_projection_cost(const torch::Tensor& mask_logits, const torch::Tensor& boxes) {
  check(mask_logits, boxes);
  auto p = mask_logits.to(torch::kFloat).sigmoid();
  auto [tx, ty] = box_projections(boxes.to(p.device()), p.size(1), p.size(2));
  return dice_pairs(std::get<0>(p.max(1)), tx) + dice_pairs(std::get<0>(p.max(2)), ty);
}

}  // namespace segx::train
