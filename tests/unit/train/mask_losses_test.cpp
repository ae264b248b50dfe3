// Each loss and the point sampler against a direct element-by-element computation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "segx/train/mask_losses.hpp"
#include "segx/train/set_criterion.hpp"

namespace segx::train {
namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double bce(double logit, double target) {
  double p = sigmoid(logit);
  return -(target * std::log(p) + (1 - target) * std::log(1 - p));
}

class MaskLosses : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(3);
    logits = torch::randn({3, 50}, torch::kDouble) * 3;
    targets = (torch::rand({3, 50}, torch::kDouble) > 0.5).to(torch::kDouble);
  }
  torch::Tensor logits, targets;
};

TEST_F(MaskLosses, DiceEqualsDirectComputation) {
  double expected = 0;
  for (int n = 0; n < 3; ++n) {
    double inter = 0, p_sum = 0, t_sum = 0;
    for (int k = 0; k < 50; ++k) {
      double p = sigmoid(logits[n][k].item<double>()), t = targets[n][k].item<double>();
      inter += p * t, p_sum += p, t_sum += t;
    }
    expected += 1 - (2 * inter + 1) / (p_sum + t_sum + 1);
  }
  EXPECT_NEAR(dice_loss(logits, targets, 2.5).item<double>(), expected / 2.5, 1e-12);
}

TEST_F(MaskLosses, SigmoidCrossEntropyEqualsDirectComputation) {
  double expected = 0;
  for (int n = 0; n < 3; ++n) {
    double row = 0;
    for (int k = 0; k < 50; ++k) row += bce(logits[n][k].item<double>(), targets[n][k].item<double>());
    expected += row / 50;
  }
  EXPECT_NEAR(sigmoid_ce_loss(logits, targets, 2.0).item<double>(), expected / 2.0, 1e-12);
}

TEST_F(MaskLosses, BatchCostsEqualPairwiseLosses) {
  auto other = (torch::rand({4, 50}, torch::kDouble) > 0.3).to(torch::kDouble);
  auto dice = batch_dice_cost(logits, other);
  auto ce = batch_sigmoid_ce_cost(logits, other);
  ASSERT_EQ(dice.sizes(), (std::vector<int64_t>{3, 4}));
  for (int n = 0; n < 3; ++n)
    for (int m = 0; m < 4; ++m) {
      auto a = logits[n].unsqueeze(0), b = other[m].unsqueeze(0);
      EXPECT_NEAR(dice[n][m].item<double>(), dice_loss(a, b, 1).item<double>(), 1e-12);
      EXPECT_NEAR(ce[n][m].item<double>(), sigmoid_ce_loss(a, b, 1).item<double>(), 1e-12);
    }
}

TEST(PointSample, BilinearWithAlignCornersFalse) {
  // A 2x3 map; point (x, y) in [0,1]^2 maps to pixel coords (x*W - 0.5, y*H - 0.5).
  auto map = torch::tensor({1.0, 2.0, 4.0, 8.0, 16.0, 32.0}, torch::kDouble).reshape({1, 1, 2, 3});
  auto points = torch::tensor({0.5, 0.5, 1.0 / 6, 0.25, 0.0, 0.0}, torch::kDouble).reshape({1, 3, 2});
  auto out = point_sample(map, points);
  // (0.5,0.5) -> pixel (1.0, 0.5): midway between 2 and 16 = 9.
  EXPECT_NEAR(out[0][0][0].item<double>(), 9.0, 1e-12);
  // (1/6, 0.25) -> pixel (0, 0): exactly the top-left value.
  EXPECT_NEAR(out[0][0][1].item<double>(), 1.0, 1e-12);
  // (0,0) -> pixel (-0.5,-0.5): a quarter of the corner value (zero padding).
  EXPECT_NEAR(out[0][0][2].item<double>(), 0.25, 1e-12);
}

TEST(UncertainPoints, KeepsTheMostUncertainFractionInRange) {
  torch::manual_seed(0);
  // Left half strongly negative, right half strongly positive, a zero column in the middle.
  auto logits = torch::full({1, 1, 8, 9}, -10.0);
  logits.index_put_({0, 0, torch::indexing::Slice(), torch::indexing::Slice(5, 9)}, 10.0);
  logits.index_put_({0, 0, torch::indexing::Slice(), 4}, 0.0);
  auto pts = uncertain_point_coords(logits, 100, 3.0, 0.75);
  ASSERT_EQ(pts.sizes(), (std::vector<int64_t>{1, 100, 2}));
  EXPECT_GE(pts.min().item<float>(), 0.0f);
  EXPECT_LE(pts.max().item<float>(), 1.0f);
  // The importance-sampled points fall where |logit| < 10, around the zero column: a band of
  // about 22% of the area, which uniform sampling alone would hit with 22% of its points.
  auto chosen = pts.index({torch::indexing::Slice(), torch::indexing::Slice(0, 75)});
  auto sampled = point_sample(logits, chosen).abs();
  EXPECT_GT((sampled < 9.99).to(torch::kFloat).mean().item<float>(), 0.8f);
}

TEST(HungarianMatch, RecoversThePermutationOfPerfectPredictions) {
  torch::manual_seed(1);
  const int num_classes = 4;
  InstanceTargets target;
  target.labels = torch::tensor({2, 0, 3}, torch::kLong);
  target.masks = torch::zeros({3, 16, 16});
  target.masks.index_put_({0, torch::indexing::Slice(0, 8), torch::indexing::Slice()}, 1);
  target.masks.index_put_({1, torch::indexing::Slice(8, 16), torch::indexing::Slice(0, 8)}, 1);
  target.masks.index_put_({2, torch::indexing::Slice(8, 16), torch::indexing::Slice(8, 16)}, 1);
  // Queries 4, 1, 2 predict targets 0, 1, 2; the rest predict "no object".
  LayerPredictions pred;
  pred.class_logits = torch::full({1, 5, num_classes + 1}, -5.0);
  pred.class_logits.index_put_({0, torch::indexing::Slice(), num_classes}, 5.0);
  pred.mask_logits = torch::full({1, 5, 16, 16}, -8.0);
  const int query_for[3] = {4, 1, 2};
  for (int t = 0; t < 3; ++t) {
    pred.class_logits.index_put_({0, query_for[t], target.labels[t].item<int64_t>()}, 8.0);
    pred.mask_logits.index_put_({0, query_for[t]}, target.masks[t] * 16 - 8);
  }
  CriterionOptions opts;
  opts.num_classes = num_classes;
  opts.num_points = 256;
  auto match = hungarian_match(pred, {target}, opts);
  ASSERT_EQ(match.size(), 1u);
  EXPECT_EQ(match[0].rows, (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(match[0].cols, (std::vector<int>{1, 2, 0}));

  // The matched losses are small for perfect predictions and large for shuffled ones.
  SetCriterion criterion(opts);
  auto good = criterion(pred, {}, {target});
  LayerPredictions bad = pred;
  bad.mask_logits = -pred.mask_logits;
  auto worse = criterion(bad, {bad}, {target});
  EXPECT_LT(good.terms.at("loss_dice").item<float>(), 0.2f);
  EXPECT_GT(worse.terms.at("loss_dice").item<float>(), 3 * good.terms.at("loss_dice").item<float>());
  EXPECT_GT(worse.terms.at("loss_mask").item<float>(), 5 * good.terms.at("loss_mask").item<float>());
  EXPECT_TRUE(worse.terms.count("loss_dice_0"));
  EXPECT_GT(worse.total.item<float>(), good.total.item<float>());
}

TEST(SetCriterion, ClassLossUsesNoObjectWeight) {
  // With no targets every query is "no object": the loss is plain cross-entropy to class K.
  CriterionOptions opts;
  opts.num_classes = 2;
  SetCriterion criterion(opts);
  LayerPredictions pred{torch::randn({1, 4, 3}), torch::randn({1, 4, 8, 8})};
  InstanceTargets none{torch::zeros({0}, torch::kLong), torch::zeros({0, 8, 8})};
  auto losses = criterion(pred, {}, {none});
  auto expected = -torch::log_softmax(pred.class_logits[0], -1).select(1, 2).mean();
  EXPECT_NEAR(losses.terms.at("loss_ce").item<float>(), expected.item<float>(), 1e-6);
  EXPECT_EQ(losses.terms.at("loss_mask").item<float>(), 0.0f);
}

}  // namespace
}  // namespace segx::train
