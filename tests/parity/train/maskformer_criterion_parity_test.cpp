// The original MaskFormer's training criterion against the official SetCriterion and
// HungarianMatcher on seeded inputs (scripts/gen_maskformer_criterion_fixture.py made
// tests/parity/train/data/maskformer_criterion): each layer's matching, each loss term of deep
// supervision and the weighted total.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "segx/io/safetensors_torch.hpp"
#include "segx/train/set_criterion.hpp"

namespace segx::train {
namespace {

const std::filesystem::path kData =
    std::filesystem::path(SEGX_SOURCE_DIR) / "tests/parity/train/data/maskformer_criterion";

struct Fixture {
  io::TensorMap inputs, losses;
  std::vector<LayerPredictions> layers;  // the last is the final layer
  std::vector<InstanceTargets> targets;
};

Fixture load() {
  Fixture f;
  f.inputs = io::load_tensors((kData / "inputs.safetensors").string());
  f.losses = io::load_tensors((kData / "losses.safetensors").string());
  for (int k = 0; f.inputs.count("layer" + std::to_string(k) + ".pred_logits"); ++k) {
    const auto p = "layer" + std::to_string(k) + ".";
    f.layers.push_back({f.inputs.at(p + "pred_logits"), f.inputs.at(p + "pred_masks")});
  }
  for (int b = 0; f.inputs.count("image" + std::to_string(b) + ".labels"); ++b) {
    const auto p = "image" + std::to_string(b) + ".";
    f.targets.emplace_back(f.inputs.at(p + "labels"), f.inputs.at(p + "masks"));
  }
  return f;
}

// MaskFormer.from_config's criterion with the config defaults the fixture used.
CriterionOptions maskformer_options() {
  CriterionOptions o;
  o.variant = CriterionVariant::MaskFormer;
  o.num_classes = 5;
  o.no_object_weight = 0.1;
  o.class_weight = 1.0;
  o.mask_weight = 20.0;
  o.dice_weight = 1.0;
  return o;
}

TEST(MaskFormerCriterionParity, EveryLayersMatchingIsUpstreams) {
  auto f = load();
  ASSERT_EQ(f.layers.size(), 3u);
  ASSERT_EQ(f.targets.size(), 2u);
  for (std::size_t k = 0; k < f.layers.size(); ++k) {
    auto got = hungarian_match(f.layers[k], f.targets, maskformer_options());
    for (std::size_t b = 0; b < got.size(); ++b) {
      auto want = f.losses.at("match.layer" + std::to_string(k) + ".image" + std::to_string(b));
      std::vector<std::int64_t> rows(got[b].rows.begin(), got[b].rows.end());
      std::vector<std::int64_t> cols(got[b].cols.begin(), got[b].cols.end());
      EXPECT_TRUE(torch::equal(torch::stack({torch::tensor(rows), torch::tensor(cols)}), want))
          << "layer " << k << " image " << b;
    }
  }
}

TEST(MaskFormerCriterionParity, EveryLossTermAndTheWeightedTotalAreUpstreams) {
  auto f = load();
  std::vector<LayerPredictions> aux(f.layers.begin(), f.layers.end() - 1);
  SetCriterion criterion(maskformer_options());
  auto got = criterion(f.layers.back(), aux, f.targets);
  int compared = 0;
  for (const auto& [name, want] : f.losses) {
    if (name.rfind("loss_", 0) != 0) continue;
    ASSERT_TRUE(got.terms.count(name)) << name;
    EXPECT_NEAR(got.terms.at(name).item<double>(), want.item<double>(),
                1e-5 * std::max(1.0, std::abs(want.item<double>())))
        << name;
    ++compared;
  }
  EXPECT_EQ(compared, 9);  // loss_ce, loss_mask, loss_dice for 3 layers
  EXPECT_EQ(got.terms.size(), 9u);
  const double total = f.losses.at("total").item<double>();
  EXPECT_NEAR(got.total.item<double>(), total, 1e-5 * total);
}

// The variants differ: Mask2Former's point-sampled cross-entropy is not MaskFormer's focal loss.
TEST(MaskFormerCriterionParity, TheMask2FormerVariantGivesOtherMaskLosses) {
  auto f = load();
  auto o = maskformer_options();
  o.variant = CriterionVariant::Mask2Former;
  o.num_points = 64;
  torch::manual_seed(0);
  auto got = SetCriterion(o)(f.layers.back(), {}, f.targets);
  EXPECT_GT(
      std::abs(got.terms.at("loss_mask").item<double>() - f.losses.at("loss_mask").item<double>()),
      1e-3);
}

}  // namespace
}  // namespace segx::train
