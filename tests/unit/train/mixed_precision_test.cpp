// Mixed precision on CUDA: the autocast scope restores what it found, outputs come back as
// float32. (Whether bfloat16 training converges is a GPU benchmark, not a unit test.)
#include <gtest/gtest.h>

#include "segx/train/mixed_precision.hpp"

namespace segx::train {
namespace {

TEST(MixedPrecision, AutocastScopeRestoresTheThreadsState) {
  ASSERT_FALSE(cuda_autocast_active());
  {
    CudaAutocast off(false);
    EXPECT_FALSE(cuda_autocast_active());
  }
  {
    CudaAutocast on(true);
    EXPECT_TRUE(cuda_autocast_active());
    {
      CudaAutocast nested(true);
      EXPECT_TRUE(cuda_autocast_active());
    }
    EXPECT_TRUE(cuda_autocast_active());  // the outer scope is still open
  }
  EXPECT_FALSE(cuda_autocast_active());
}

TEST(MixedPrecision, OutputsBecomeFloat32) {
  model::ModelOutput out;
  out.pred_logits = at::ones({1, 2, 3}, at::kBFloat16);
  out.pred_masks = at::ones({1, 2, 4, 4}, at::kFloat);
  out.all.logits = {at::ones({1, 2, 3}, at::kBFloat16)};
  out.all.masks = {at::ones({1, 2, 4, 4}, at::kHalf)};
  const auto masks_before = out.pred_masks.data_ptr();
  to_float32(out);
  EXPECT_EQ(out.pred_logits.scalar_type(), at::kFloat);
  EXPECT_EQ(out.all.logits[0].scalar_type(), at::kFloat);
  EXPECT_EQ(out.all.masks[0].scalar_type(), at::kFloat);
  EXPECT_EQ(out.pred_masks.data_ptr(), masks_before);  // float32 already: not copied
  EXPECT_FALSE(out.all.queries.defined());
}

}  // namespace
}  // namespace segx::train
