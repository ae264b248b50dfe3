// The original MaskFormer's criterion in segx's trainer: the architecture chooses it with its
// weights where the training config sets none, and its focal loss and cost equal a direct
// element-by-element computation (the official values: tests/parity/train).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "segx/train/mask_losses.hpp"
#include "segx/train/train_config.hpp"
#include "support/train_configs.hpp"

namespace segx::train {
namespace {

using nlohmann::json;

TrainConfig parse(const json& loss) {
  json j = {{"datasets", {{{"name", "a"}, {"path", "a.jsonl"}}}}, {"model", test::tiny_model()}};
  if (!loss.is_null()) j["loss"] = loss;
  return parse_train_config(j.dump(), "train.json", ".");
}

model::ModelConfig model_of(const std::string& architecture) {
  model::ModelConfig m;
  m.architecture = architecture;
  m.num_classes = 4;
  return m;
}

TEST(MaskFormerCriterionOptions, TheArchitectureChoosesTheVariantAndItsDefaultWeights) {
  auto o = criterion_options(parse(nullptr), model_of("maskformer"));
  EXPECT_EQ(o.variant, CriterionVariant::MaskFormer);
  EXPECT_EQ(o.num_classes, 4);
  EXPECT_EQ(o.class_weight, 1.0);
  EXPECT_EQ(o.mask_weight, 20.0);
  EXPECT_EQ(o.dice_weight, 1.0);
  EXPECT_EQ(o.no_object_weight, 0.1);
  auto m2f = criterion_options(parse(nullptr), model_of("mask2former"));
  EXPECT_EQ(m2f.variant, CriterionVariant::Mask2Former);
  EXPECT_EQ(m2f.class_weight, 2.0);
  EXPECT_EQ(m2f.mask_weight, 5.0);
  EXPECT_EQ(m2f.dice_weight, 5.0);
}

TEST(MaskFormerCriterionOptions, WeightsTheConfigSetsAreKept) {
  auto o = criterion_options(parse({{"mask_weight", 7.0}, {"no_object_weight", 0.2}}),
                             model_of("maskformer"));
  EXPECT_EQ(o.mask_weight, 7.0);
  EXPECT_EQ(o.no_object_weight, 0.2);
  EXPECT_EQ(o.class_weight, 1.0);  // not set: MaskFormer's
  EXPECT_EQ(o.dice_weight, 1.0);
}

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

// RetinaNet's focal term of one element (alpha 0.25, gamma 2).
double focal(double logit, double target) {
  const double p = sigmoid(logit);
  const double ce = -(target * std::log(p) + (1 - target) * std::log(1 - p));
  const double p_t = p * target + (1 - p) * (1 - target);
  const double alpha_t = 0.25 * target + 0.75 * (1 - target);
  return alpha_t * ce * (1 - p_t) * (1 - p_t);
}

TEST(MaskFormerFocalLoss, LossAndCostEqualDirectComputation) {
  torch::manual_seed(4);
  auto logits = torch::randn({3, 40}, torch::kDouble) * 3;
  auto targets = (torch::rand({3, 40}, torch::kDouble) > 0.5).to(torch::kDouble);
  auto other = (torch::rand({2, 40}, torch::kDouble) > 0.3).to(torch::kDouble);
  double expected = 0;
  for (int n = 0; n < 3; ++n) {
    double row = 0;
    for (int k = 0; k < 40; ++k)
      row += focal(logits[n][k].item<double>(), targets[n][k].item<double>());
    expected += row / 40;
  }
  EXPECT_NEAR(sigmoid_focal_loss(logits, targets, 1.5).item<double>(), expected / 1.5, 1e-12);
  auto cost = batch_sigmoid_focal_cost(logits, other);
  ASSERT_EQ(cost.sizes(), (std::vector<std::int64_t>{3, 2}));
  for (int n = 0; n < 3; ++n)
    for (int m = 0; m < 2; ++m)
      EXPECT_NEAR(
          cost[n][m].item<double>(),
          sigmoid_focal_loss(logits[n].unsqueeze(0), other[m].unsqueeze(0), 1).item<double>(),
          1e-12);
}

}  // namespace
}  // namespace segx::train
