// Golden pictures for viz tests: tests/golden/viz/NAME.png, compared with a pixel tolerance (the
// font rasteriser and the PNG/JPEG codecs may differ by a level here and there between builds).
// SEGX_UPDATE_GOLDEN=1 rewrites them instead of comparing, and reports the test as skipped (a
// rewrite checks nothing).
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

namespace segx::viz::test {

inline std::filesystem::path golden_dir() {
  return std::filesystem::path(SEGX_SOURCE_DIR) / "tests/golden/viz";
}

inline bool updating_golden() {
  const char* v = std::getenv("SEGX_UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

// Passes when at most 0.5% of the pixels differ by more than 16 levels in any channel and the mean
// absolute difference of every channel stays under 1 level.
inline void expect_matches_golden(const cv::Mat3b& picture, const std::string& name) {
  auto path = golden_dir() / (name + ".png");
  if (updating_golden()) {
    std::filesystem::create_directories(golden_dir());
    ASSERT_TRUE(cv::imwrite(path.string(), picture, {cv::IMWRITE_PNG_COMPRESSION, 9}));
    GTEST_SKIP() << "rewrote " << path;
  }
  cv::Mat golden = cv::imread(path.string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(golden.empty()) << "missing golden picture " << path
                               << " (run with SEGX_UPDATE_GOLDEN=1)";
  ASSERT_EQ(golden.size(), picture.size()) << name;
  cv::Mat diff;
  cv::absdiff(golden, picture, diff);
  cv::Mat channel_max = diff.reshape(1, static_cast<int>(diff.total()));
  cv::Mat per_pixel;
  cv::reduce(channel_max, per_pixel, 1, cv::REDUCE_MAX);
  double far = cv::countNonZero(per_pixel > 16) / static_cast<double>(diff.total());
  EXPECT_LE(far, 0.005) << name << ": " << far * 100 << "% of the pixels differ";
  const cv::Scalar mean = cv::mean(diff);
  for (int c = 0; c < 3; ++c) EXPECT_LT(mean[c], 1.0) << name << ", channel " << c;
}

}  // namespace segx::viz::test
