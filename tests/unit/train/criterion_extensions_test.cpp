// SetCriterion's OneFormer/DaTaSeg extensions (label spaces, boxes-only images, the contrastive
// term) against direct computations from the same matching.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "segx/train/box_projection.hpp"
#include "segx/train/contrastive_loss.hpp"
#include "segx/train/set_criterion.hpp"

namespace segx::train {
namespace {

constexpr int K = 5;

CriterionOptions small_options() {
  CriterionOptions o;
  o.num_classes = K;
  o.num_points = 64;
  return o;
}

LayerPredictions random_layer(int64_t batch, int64_t queries) {
  LayerPredictions p;
  p.class_logits = torch::randn({batch, queries, K + 1}).requires_grad_(true);
  p.mask_logits = (torch::randn({batch, queries, 8, 8}) * 2).requires_grad_(true);
  return p;
}

InstanceTargets mask_targets(std::vector<int64_t> labels) {
  InstanceTargets t;
  t.labels = torch::tensor(labels, torch::kLong);
  t.masks = (torch::rand({static_cast<int64_t>(labels.size()), 16, 16}) > 0.5).to(torch::kFloat);
  return t;
}

// Weighted cross-entropy over all queries (no-object weight for unmatched), direct.
double direct_ce(const torch::Tensor& logits, const std::vector<Assignment>& indices,
                 const std::vector<InstanceTargets>& targets, double eos) {
  double num = 0, den = 0;
  for (int64_t b = 0; b < logits.size(0); ++b) {
    auto space = targets[b].label_space;
    for (int64_t q = 0; q < logits.size(1); ++q) {
      int64_t cls = K;
      for (std::size_t k = 0; k < indices[b].rows.size(); ++k)
        if (indices[b].rows[k] == q) cls = targets[b].labels[indices[b].cols[k]].item<int64_t>();
      double z = 0;
      for (int c = 0; c <= K; ++c)
        if (c == K || !space.defined() || space[c].item<bool>()) z += std::exp(logits[b][q][c].item<double>());
      double w = cls == K ? eos : 1.0;
      num += w * (std::log(z) - logits[b][q][cls].item<double>());
      den += w;
    }
  }
  return num / den;
}

TEST(CriterionExtensions, LabelSpaceRestrictsMatchingAndCrossEntropy) {
  torch::manual_seed(21);
  auto layer = random_layer(2, 6);
  auto space = torch::tensor({true, false, true, true, false});
  std::vector<InstanceTargets> targets = {mask_targets({0, 2}), mask_targets({3})};
  targets[0].label_space = space;  // image 1 keeps every class
  auto options = small_options();
  SetCriterion criterion(options);
  torch::manual_seed(5);
  auto indices = hungarian_match(layer, targets, options);
  torch::manual_seed(5);
  auto losses = criterion(layer, {}, targets);
  EXPECT_NEAR(losses.terms.at("loss_ce").item<double>(),
              direct_ce(layer.class_logits.detach(), indices, targets, options.no_object_weight), 1e-5);
  losses.total.backward();
  EXPECT_TRUE(layer.class_logits.grad().isfinite().all().item<bool>());
  // Classes outside image 0's space get no gradient there; image 1's do.
  EXPECT_EQ(layer.class_logits.grad()[0].select(1, 1).abs().sum().item<float>(), 0);
  EXPECT_GT(layer.class_logits.grad()[1].select(1, 1).abs().sum().item<float>(), 0);
}

// loss.unlabeled_ignore: of three queries, one on the target, one on unlabelled pixels and one on
// labelled background, the second is left out of loss_ce (and gets no class gradient); the
// other two count as before, the background one as "no object".
TEST(CriterionExtensions, UnmatchedQueriesOnUnlabeledPixelsAreNotTaughtNoObject) {
  torch::manual_seed(3);
  LayerPredictions p;
  p.class_logits = torch::randn({1, 3, K + 1});
  p.class_logits[0][0][1] = 4.0;  // the target's class: query 0 matches
  p.class_logits = p.class_logits.requires_grad_(true);
  auto masks = torch::full({1, 3, 8, 8}, -6.0);
  masks[0][0].narrow(1, 0, 4).fill_(6.0);                   // left half: the target
  masks[0][1].narrow(0, 4, 4).narrow(1, 4, 4).fill_(6.0);   // bottom right: unlabelled
  masks[0][2].narrow(0, 0, 4).narrow(1, 4, 4).fill_(6.0);   // top right: labelled background
  p.mask_logits = masks.requires_grad_(true);
  InstanceTargets t;
  t.labels = torch::tensor({int64_t{1}});
  t.masks = torch::zeros({1, 16, 16});
  t.masks[0].narrow(1, 0, 8).fill_(1.0);
  t.unlabeled = torch::zeros({16, 16});
  t.unlabeled.narrow(0, 8, 8).narrow(1, 8, 8).fill_(1.0);

  auto options = small_options();
  const double eos = options.no_object_weight;
  auto logits = p.class_logits.detach();
  auto ce = [&](int q, int cls) {
    return -torch::log_softmax(logits[0][q], 0)[cls].item<double>();
  };
  // Upstream: every unmatched query is "no object".
  auto all = SetCriterion(options)(p, {}, {t}).terms.at("loss_ce").item<double>();
  EXPECT_NEAR(all, (ce(0, 1) + eos * (ce(1, K) + ce(2, K))) / (1 + 2 * eos), 1e-5);
  options.unlabeled_ignore = 0.5;
  auto losses = SetCriterion(options)(p, {}, {t});
  EXPECT_NEAR(losses.terms.at("loss_ce").item<double>(), (ce(0, 1) + eos * ce(2, K)) / (1 + eos),
              1e-5);
  losses.total.backward();
  EXPECT_EQ(p.class_logits.grad()[0][1].abs().sum().item<float>(), 0);
  EXPECT_GT(p.class_logits.grad()[0][2].abs().sum().item<float>(), 0);
  // A threshold above the query's unlabelled share keeps it.
  options.unlabeled_ignore = 0.999999;
  EXPECT_NEAR(SetCriterion(options)(p, {}, {t}).terms.at("loss_ce").item<double>(), all, 1e-6);
}

TEST(CriterionExtensions, BoxOnlyImagesUseTheProjectionLoss) {
  torch::manual_seed(22);
  auto layer = random_layer(2, 6);
  InstanceTargets boxes;
  boxes.labels = torch::tensor({1, 4}, torch::kLong);
  boxes.boxes = torch::tensor({0.1f, 0.1f, 0.6f, 0.5f, 0.4f, 0.2f, 0.9f, 1.0f}).view({2, 4});
  std::vector<InstanceTargets> targets = {boxes, mask_targets({2})};
  auto options = small_options();
  SetCriterion criterion(options);
  torch::manual_seed(6);
  auto indices = hungarian_match(layer, targets, options);
  torch::manual_seed(6);
  auto losses = criterion(layer, {}, targets);
  // Matching of the box image: class + projection cost, solved exactly -> compare the optimum.
  auto probs = layer.class_logits[0].detach().softmax(-1);
  auto cost = options.projection_weight * batch_box_projection_cost(layer.mask_logits[0].detach(), boxes.boxes) -
              options.class_weight * probs.index_select(1, boxes.labels);
  double best = 1e30;
  for (int a = 0; a < 6; ++a)
    for (int b = 0; b < 6; ++b)
      if (a != b) best = std::min(best, cost[a][0].item<double>() + cost[b][1].item<double>());
  ASSERT_EQ(indices[0].rows.size(), 2u);
  double got = 0;
  for (int k = 0; k < 2; ++k) got += cost[indices[0].rows[k]][indices[0].cols[k]].item<double>();
  EXPECT_NEAR(got, best, 1e-5);
  // loss_proj: the matched pairs of the box image, normalised by all 3 targets.
  double expected = 0;
  for (int k = 0; k < 2; ++k)
    expected += box_projection_loss(layer.mask_logits[0][indices[0].rows[k]].detach().unsqueeze(0),
                                    boxes.boxes[indices[0].cols[k]].unsqueeze(0), 3.0)
                    .item<double>();
  EXPECT_NEAR(losses.terms.at("loss_proj").item<double>(), expected, 1e-5);
  EXPECT_GT(losses.terms.at("loss_mask").item<double>(), 0);  // the mask image still counts
  double total = 0;
  for (const auto& [name, v] : losses.terms) {
    double w = name == "loss_ce" ? 2 : 5;
    total += w * v.item<double>();
  }
  EXPECT_NEAR(losses.total.item<double>(), total, 1e-4);
}

TEST(CriterionExtensions, ContrastiveTermOnlyOnTheFinalLayerWithItsWeight) {
  torch::manual_seed(23);
  auto layer = random_layer(2, 4);
  auto aux = random_layer(2, 4);
  std::vector<InstanceTargets> targets = {mask_targets({0}), mask_targets({1, 2})};
  SetCriterion criterion(small_options());
  ContrastiveInputs c;
  c.queries = torch::randn({2, 4, 3});
  c.texts = torch::randn({2, 4, 3});
  c.logit_scale = initial_logit_scale();
  torch::manual_seed(7);
  auto with = criterion(layer, {aux}, targets, 0, nullptr, 0, c);
  torch::manual_seed(7);
  auto without = criterion(layer, {aux}, targets);
  ASSERT_TRUE(with.terms.count("loss_contrastive"));
  EXPECT_FALSE(with.terms.count("loss_contrastive_0"));
  EXPECT_FALSE(without.terms.count("loss_contrastive"));
  auto expected = query_text_contrastive_loss(c.queries, c.texts, c.logit_scale).item<double>();
  EXPECT_NEAR(with.terms.at("loss_contrastive").item<double>(), expected, 1e-6);
  EXPECT_NEAR(with.total.item<double>() - without.total.item<double>(), 0.5 * expected, 1e-4);
}

// LossTerms::image_losses: each image's share of the total (its queries' classification, its
// masks', boxes' or merged classes' terms, every layer) adds up to the total, whatever the mix of
// images, the normaliser and the criterion variant; one image alone holds the whole total.
TEST(CriterionExtensions, ImageLossesAddUpToTheTotal) {
  torch::manual_seed(24);
  auto layer = random_layer(4, 6);
  std::vector<LayerPredictions> aux = {random_layer(4, 6), random_layer(4, 6)};
  InstanceTargets boxes;
  boxes.labels = torch::tensor({1, 4}, torch::kLong);
  boxes.boxes = torch::tensor({0.1f, 0.1f, 0.6f, 0.5f, 0.4f, 0.2f, 0.9f, 1.0f}).view({2, 4});
  InstanceTargets merged = mask_targets({0, 3});
  merged.merge_classes = true;
  InstanceTargets empty(torch::zeros({0}, torch::kLong), torch::zeros({0, 16, 16}));
  const std::vector<InstanceTargets> targets = {mask_targets({2, 2, 1}), boxes, merged, empty};
  for (const auto variant : {CriterionVariant::Mask2Former, CriterionVariant::MaskFormer}) {
    auto options = small_options();
    options.variant = variant;
    SetCriterion criterion(options);
    for (const double class_normalizer : {0.0, 7.5}) {
      auto losses = criterion(layer, aux, targets, 0, nullptr, class_normalizer);
      ASSERT_EQ(losses.image_losses.size(), 4u);
      double sum = 0;
      for (double v : losses.image_losses) sum += v;
      EXPECT_NEAR(sum, losses.total.item<double>(), 1e-4 * losses.total.item<double>())
          << class_normalizer;
      for (double v : losses.image_losses) EXPECT_GT(v, 0.0);
    }
    LayerPredictions first{layer.class_logits.narrow(0, 0, 1), layer.mask_logits.narrow(0, 0, 1)};
    auto alone = criterion(first, {}, {targets[0]});
    ASSERT_EQ(alone.image_losses.size(), 1u);
    EXPECT_NEAR(alone.image_losses[0], alone.total.item<double>(), 1e-5);
  }
}

}  // namespace
}  // namespace segx::train
