// DaTaSeg's MERGE for semantic targets: the losses of per-class merged masks, computed directly,
// their independence from how queries split a class, and their place in SetCriterion.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "segx/train/mask_losses.hpp"
#include "segx/train/semantic_merge.hpp"
#include "segx/train/set_criterion.hpp"

namespace segx::train {
namespace {

constexpr int K = 4;

// Class logits [Q, K + 1] that put (almost) all probability on one class per query.
torch::Tensor confident_logits(const std::vector<int64_t>& classes) {
  auto logits = torch::full({static_cast<int64_t>(classes.size()), K + 1}, -30.0);
  for (std::size_t q = 0; q < classes.size(); ++q)
    logits[static_cast<int64_t>(q)][classes[q]] = 30.0;
  return logits;
}

// Mask logits [Q, 8, 8] that are +20 inside rows [r0, r1) and -20 elsewhere.
torch::Tensor row_band_masks(const std::vector<std::pair<int, int>>& bands) {
  auto m = torch::full({static_cast<int64_t>(bands.size()), 8, 8}, -20.0);
  for (std::size_t q = 0; q < bands.size(); ++q)
    m[static_cast<int64_t>(q)]
        .narrow(0, bands[q].first, bands[q].second - bands[q].first)
        .fill_(20.0);
  return m;
}

at::Generator generator(std::uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

// The merged map is indifferent to how many queries share a class: one query over rows 0-7 of
// class 2 and two queries over rows 0-3 and 4-7 give the same (near-zero) losses, where matching
// one query per class would pay the second query's mask as a miss.
TEST(SemanticMerge, QueriesMaySplitAClass) {
  auto labels = torch::tensor(std::vector<int64_t>{2}, torch::kLong);
  auto masks = torch::ones({1, 32, 32});
  auto g1 = generator(5), g2 = generator(5);
  auto whole = merged_semantic_losses(confident_logits({2, 4}), row_band_masks({{0, 8}, {0, 0}}),
                                      labels, masks, 256, &g1);
  auto split = merged_semantic_losses(confident_logits({2, 2}), row_band_masks({{0, 4}, {4, 8}}),
                                      labels, masks, 256, &g2);
  EXPECT_LT(whole.cross_entropy.item<double>(), 1e-4);
  EXPECT_LT(split.cross_entropy.item<double>(), 1e-4);
  // Points near the band edge sample both bands bilinearly (each 1/2): the sum stays 1.
  EXPECT_LT(whole.dice.item<double>(), 0.02);
  EXPECT_LT(split.dice.item<double>(), 0.02);
}

// Direct computation of both terms on random inputs, at the same points.
TEST(SemanticMerge, MatchesADirectComputation) {
  torch::manual_seed(3);
  const int64_t Q = 5, P = 128;
  auto logits = torch::randn({Q, K + 1});
  auto mask_logits = torch::randn({Q, 8, 8}) * 3;
  auto labels = torch::tensor(std::vector<int64_t>{0, 3}, torch::kLong);
  auto masks = torch::zeros({2, 8, 8});
  masks[0].narrow(0, 0, 3).fill_(1);  // class 0: rows 0-2, class 3: rows 5-7, rows 3-4 unlabelled
  masks[1].narrow(0, 5, 3).fill_(1);
  auto g = generator(11);
  auto losses = merged_semantic_losses(logits, mask_logits, labels, masks, P, &g);

  auto g_points = generator(11);
  auto points = random_points(1, P, torch::TensorOptions(), &g_points);
  auto t = point_sample(masks.unsqueeze(0), points).squeeze(0);                  // [2, P]
  auto s = point_sample(mask_logits.unsqueeze(0), points).squeeze(0).sigmoid();  // [Q, P]
  auto probs = logits.softmax(-1);
  double ce_sum = 0, labelled = 0;
  std::vector<double> inter(2, 0), merged_sum(2, 0), target_sum(2, 0);
  for (int64_t p = 0; p < P; ++p) {
    std::vector<double> merged(K, 0);
    for (int c = 0; c < K; ++c)
      for (int64_t q = 0; q < Q; ++q)
        merged[c] += probs[q][c].item<double>() * s[q][p].item<double>();
    double total = 0;
    for (int c = 0; c < K; ++c) total += merged[c] + 1e-6;
    for (int n = 0; n < 2; ++n) {
      const int c = static_cast<int>(labels[n].item<int64_t>());
      const double tn = t[n][p].item<double>();
      ce_sum -= tn * std::log((merged[c] + 1e-6) / total);
      labelled += tn;
      const double capped = std::min(merged[c], 1.0);
      inter[n] += capped * tn;
      merged_sum[n] += capped;
      target_sum[n] += tn;
    }
  }
  ASSERT_GT(labelled, 0);
  double dice = 0;
  for (int n = 0; n < 2; ++n) dice += 1 - (2 * inter[n] + 1) / (merged_sum[n] + target_sum[n] + 1);
  EXPECT_NEAR(losses.cross_entropy.item<double>(), ce_sum / labelled * 2, 1e-4);
  EXPECT_NEAR(losses.dice.item<double>(), dice, 1e-4);
}

// The gradient raises the labelled class's probability for a query covering its region.
TEST(SemanticMerge, GradientFavoursTheLabelledClass) {
  auto logits = torch::zeros({1, K + 1}).requires_grad_(true);
  auto mask_logits = torch::full({1, 8, 8}, 5.0).requires_grad_(true);
  auto labels = torch::tensor(std::vector<int64_t>{1}, torch::kLong);
  auto g = generator(2);
  auto losses = merged_semantic_losses(logits, mask_logits, labels, torch::ones({1, 8, 8}), 64, &g);
  (losses.cross_entropy + losses.dice).backward();
  auto grad = logits.grad()[0];
  for (int c = 0; c <= K; ++c) {
    if (c != 1) {
      EXPECT_LT(grad[1].item<double>(), grad[c].item<double>()) << c;
    }
  }
  EXPECT_LT(grad[1].item<double>(), 0);
}

// In SetCriterion: merged images add loss_merge_* (mask_weight, dice_weight), are not matched
// and teach no query "no object"; the other images' loss_ce is what it is without them.
TEST(SemanticMerge, CriterionKeepsMergedImagesOutOfTheClassLoss) {
  torch::manual_seed(8);
  CriterionOptions o;
  o.num_classes = K;
  o.num_points = 64;
  SetCriterion criterion(o);
  LayerPredictions layer;
  layer.class_logits = torch::randn({2, 6, K + 1}).requires_grad_(true);
  layer.mask_logits = torch::randn({2, 6, 8, 8}).requires_grad_(true);
  InstanceTargets panoptic(torch::tensor(std::vector<int64_t>{1, 2}, torch::kLong),
                           (torch::rand({2, 16, 16}) > 0.5).to(torch::kFloat));
  InstanceTargets semantic(torch::tensor(std::vector<int64_t>{0, 3}, torch::kLong),
                           (torch::rand({2, 16, 16}) > 0.5).to(torch::kFloat));
  semantic.merge_classes = true;

  // Per-image generators, so that the first image draws the same points in both calls.
  ImageGenerators two{generator(1), generator(2)}, one{generator(1)};
  auto both = criterion(layer, {}, {panoptic, semantic}, 0, &two);
  ASSERT_TRUE(both.terms.count("loss_merge_ce"));
  ASSERT_TRUE(both.terms.count("loss_merge_dice"));
  LayerPredictions first{layer.class_logits.narrow(0, 0, 1), layer.mask_logits.narrow(0, 0, 1)};
  auto alone = criterion(first, {}, {panoptic}, 0, &one);
  EXPECT_NEAR(both.terms["loss_ce"].item<double>(), alone.terms["loss_ce"].item<double>(), 1e-6);
  EXPECT_EQ(hungarian_match(layer, {panoptic, semantic}, o)[1].rows.size(), 0u);
  EXPECT_DOUBLE_EQ(criterion.weight_of("loss_merge_ce_2"), o.mask_weight);
  EXPECT_DOUBLE_EQ(criterion.weight_of("loss_merge_dice"), o.dice_weight);

  // A batch of merged images only: loss_ce is zero (not 0/0), the merged terms carry the labels.
  LayerPredictions second{layer.class_logits.narrow(0, 1, 1), layer.mask_logits.narrow(0, 1, 1)};
  auto merged_only = criterion(second, {}, {semantic});
  EXPECT_EQ(merged_only.terms["loss_ce"].item<double>(), 0.0);
  EXPECT_GT(merged_only.terms["loss_merge_ce"].item<double>(), 0.0);
  merged_only.total.backward();
  EXPECT_GT(layer.class_logits.grad().narrow(0, 1, 1).abs().sum().item<double>(), 0.0);
}

}  // namespace
}  // namespace segx::train
