// The box-projection loss and cost against a direct per-pixel computation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "segx/train/box_projection.hpp"

namespace segx::train {
namespace {

double dice(const std::vector<double>& p, const std::vector<double>& t) {
  double inter = 0, pp = 0, tt = 0;
  for (std::size_t i = 0; i < p.size(); ++i) inter += p[i] * t[i], pp += p[i] * p[i], tt += t[i] * t[i];
  return 1 - 2 * inter / (pp + tt + 1e-5);
}

// BoxInst's projection term for one mask [H, W] and a normalised box, written out pixel by pixel.
double direct_projection(const torch::Tensor& logits, const std::vector<double>& box) {
  const auto h = logits.size(0), w = logits.size(1);
  std::vector<double> px(w, 0), py(h, 0), tx(w, 0), ty(h, 0);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      double p = 1 / (1 + std::exp(-logits[y][x].item<double>()));
      px[x] = std::max(px[x], p);
      py[y] = std::max(py[y], p);
      // The box rasterised: pixel centre inside the box.
      double cx = (x + 0.5) / w, cy = (y + 0.5) / h;
      if (cx >= box[0] && cx <= box[2] && cy >= box[1] && cy <= box[3]) tx[x] = ty[y] = 1;
    }
  return dice(px, tx) + dice(py, ty);
}

TEST(BoxProjection, LossEqualsDirectComputation) {
  torch::manual_seed(11);
  auto logits = torch::randn({3, 12, 16}) * 2;
  std::vector<std::vector<double>> boxes = {{0.1, 0.2, 0.5, 0.9}, {0.0, 0.0, 1.0, 1.0}, {0.6, 0.3, 0.7, 0.4}};
  auto b = torch::tensor({0.1, 0.2, 0.5, 0.9, 0.0, 0.0, 1.0, 1.0, 0.6, 0.3, 0.7, 0.4}).view({3, 4});
  double expected = 0;
  for (int i = 0; i < 3; ++i) expected += direct_projection(logits[i], boxes[i]);
  EXPECT_NEAR(box_projection_loss(logits, b, 2.0).item<double>(), expected / 2.0, 1e-5);
  auto cost = batch_box_projection_cost(logits, b);
  ASSERT_EQ(cost.sizes(), (std::vector<int64_t>{3, 3}));
  for (int q = 0; q < 3; ++q)
    for (int m = 0; m < 3; ++m)
      EXPECT_NEAR(cost[q][m].item<double>(), direct_projection(logits[q], boxes[m]), 1e-5);
}

TEST(BoxProjection, PerfectMaskScoresNearZeroAndGradientsFlow) {
  // Logits +20 inside the box, -20 outside: projections match the box's exactly.
  auto box = torch::tensor({0.25, 0.5, 0.75, 1.0}).view({1, 4});
  auto logits = torch::full({1, 8, 8}, -20.0);
  logits.index_put_({0, torch::indexing::Slice(4, 8), torch::indexing::Slice(2, 6)}, 20.0);
  EXPECT_LT(box_projection_loss(logits, box, 1).item<double>(), 1e-4);
  auto x = torch::zeros({1, 8, 8}, torch::requires_grad());
  box_projection_loss(x, box, 1).backward();
  EXPECT_GT(x.grad().abs().sum().item<double>(), 0);
}

TEST(BoxProjection, NormalizeBoxesDividesByFrame) {
  auto b = normalize_boxes(torch::tensor({10.0, 20.0, 30.0, 40.0}).view({1, 4}), 80, 40);
  EXPECT_TRUE(torch::allclose(b, torch::tensor({0.25f, 0.25f, 0.75f, 0.5f}).view({1, 4})));
}

}  // namespace
}  // namespace segx::train
