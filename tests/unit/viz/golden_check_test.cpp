// The golden-picture check itself: a picture that drifts in any one channel fails it, not only a
// drift in the first (blue) channel.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "golden.hpp"

namespace segx::viz::test {
namespace {

cv::Mat3b golden_picture(const std::string& name) {
  return cv::imread((golden_dir() / (name + ".png")).string(), cv::IMREAD_COLOR);
}

TEST(GoldenCheck, TheGoldenItselfPasses) {
  if (updating_golden()) GTEST_SKIP() << "SEGX_UPDATE_GOLDEN=1 would rewrite the golden";
  auto picture = golden_picture("class_bars");
  ASSERT_FALSE(picture.empty());
  expect_matches_golden(picture, "class_bars");
}

TEST(GoldenCheck, AShiftInAnyOneChannelFails) {
  if (updating_golden()) GTEST_SKIP() << "SEGX_UPDATE_GOLDEN=1 would rewrite the golden";
  for (int channel = 0; channel < 3; ++channel) {
    auto picture = golden_picture("class_bars");
    ASSERT_FALSE(picture.empty());
    // 2 levels everywhere: under the per-pixel bar (16) but over the mean bar (1).
    for (auto& px : picture) px[channel] = px[channel] < 128 ? px[channel] + 2 : px[channel] - 2;
    SCOPED_TRACE("shifted channel " + std::to_string(channel));
    EXPECT_NONFATAL_FAILURE(expect_matches_golden(picture, "class_bars"),
                            "channel " + std::to_string(channel));
  }
}

}  // namespace
}  // namespace segx::viz::test
