// The original MaskFormer's inference beside Mask2Former's: a segment keeps every pixel its query
// wins (Mask2Former only those where the query's mask is >= 0.5), the config picks that rule and
// no instances, and `segx infer --task instance` refuses a maskformer model (Error(Usage), 64).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>

#include "segx/core/error.hpp"
#include "segx/infer/postprocess.hpp"
#include "segx/infer/predictor.hpp"
#include "segx/model/config.hpp"
#include "support/fixtures.hpp"

namespace segx::infer {
namespace {

// Two queries of classes 0 and 1 over a 1 x 4 image. Query 0 is sure of its class and wins
// every pixel, but its mask is below 0.5 on the last two.
struct TwoQueries {
  at::Tensor logits = at::tensor({10.f, -10.f, -10.f, -10.f, 0.f, -10.f}).view({2, 3});
  at::Tensor masks =
      at::logit(at::tensor({0.9f, 0.9f, 0.4f, 0.4f, 0.1f, 0.1f, 0.2f, 0.2f})).view({2, 1, 4});
};

PostprocessOptions options(bool maskformer) {
  PostprocessOptions o;
  o.num_classes = 2;
  o.object_mask_threshold = 0.1;
  o.overlap_threshold = 0.2;
  o.maskformer_panoptic = maskformer;
  o.is_thing = [](int) { return false; };
  return o;
}

TEST(MaskFormerPostprocess, ASegmentKeepsEveryPixelItsQueryWins) {
  TwoQueries q;
  auto maskformer = panoptic_inference(q.logits, q.masks, options(true));
  ASSERT_EQ(maskformer.segments.size(), 1u);
  EXPECT_EQ(maskformer.segments[0].category_id, 0);
  EXPECT_TRUE(at::equal(maskformer.seg, at::full({1, 4}, 1, at::kInt)));
  auto mask2former = panoptic_inference(q.logits, q.masks, options(false));
  ASSERT_EQ(mask2former.segments.size(), 1u);
  EXPECT_TRUE(at::equal(mask2former.seg, at::tensor({1, 1, 0, 0}, at::kInt).view({1, 4})));
}

TEST(MaskFormerPostprocess, TheConfigChoosesTheRuleAndNoInstances) {
  model::ModelConfig c;
  auto o = postprocess_options(c);
  EXPECT_FALSE(o.maskformer_panoptic);
  EXPECT_TRUE(o.instance_on);
  c.architecture = "maskformer";
  o = postprocess_options(c);
  EXPECT_TRUE(o.maskformer_panoptic);
  EXPECT_FALSE(o.instance_on);
  EXPECT_TRUE(o.panoptic_on && o.semantic_on);
}

TEST(MaskFormerPostprocess, InstanceInferenceOfAMaskFormerModelIsAUsageError) {
  const auto dir = test::temp_dir("maskformer_instance");
  const auto config = dir / "model.json";
  std::ofstream(config) << R"({"architecture": "maskformer", "pixel_decoder": {"name": "fpn"}})";
  PredictorOptions o;
  o.config = config.string();
  o.weights = (dir / "absent.safetensors").string();  // refused before the weights are read
  o.task = "instance";
  try {
    Predictor p(o);
    ADD_FAILURE() << "a maskformer model ran instance inference";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_EQ(exit_code(e.kind()), 64);
    EXPECT_NE(std::string(e.what()).find("--task instance"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace segx::infer
