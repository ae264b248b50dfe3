// Augmentation keeps image and id map aligned, sizes fixed, padding void, and draws replayable.
#include <gtest/gtest.h>

#include <set>

#include "segx/train/augment.hpp"

namespace segx::train {
namespace {

// A 40x60 image whose colour encodes the id of the same pixel in the id map.
struct Synthetic {
  cv::Mat image = cv::Mat(40, 60, CV_8UC3);
  std::vector<std::uint32_t> ids = std::vector<std::uint32_t>(40 * 60);
  Synthetic() {
    for (int y = 0; y < 40; ++y)
      for (int x = 0; x < 60; ++x) {
        std::uint32_t id = 1 + (y / 10) * 6 + (x / 10);  // 24 blocks of 10x10
        ids[y * 60 + x] = id;
        image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(id * 10), 0, 0);
      }
  }
};

TEST(ResizeNearest, FollowsThePixelCentreRule) {
  std::vector<std::uint32_t> ids = {1, 2, 3, 4, 5, 6};  // 2x3
  auto up = resize_nearest(ids.data(), 2, 3, 4, 6);
  EXPECT_EQ(up[0], 1u);
  EXPECT_EQ(up[1], 1u);
  EXPECT_EQ(up[2], 2u);
  EXPECT_EQ(up[4 * 6 - 1], 6u);
  auto down = resize_nearest(ids.data(), 2, 3, 1, 1);
  EXPECT_EQ(down[0], 5u);  // centre (1.5, 1.0) -> row 1, col 1
}

TEST(LargeScaleJitter, ImageAndIdsStayAligned) {
  Synthetic s;
  JitterOptions opts;
  opts.crop_height = 32;
  opts.crop_width = 48;
  for (std::uint64_t it = 0; it < 20; ++it) {
    auto out = large_scale_jitter(s.image, s.ids.data(), opts, 5, it, 0);
    ASSERT_EQ(out.image.rows, 32);
    ASSERT_EQ(out.image.cols, 48);
    ASSERT_EQ(out.ids.size(), 32u * 48u);
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 48; ++x) {
        std::uint32_t id = out.ids[y * 48 + x];
        if (!out.valid.at<uchar>(y, x)) {
          EXPECT_EQ(id, 0u);
          EXPECT_EQ(out.image.at<cv::Vec3b>(y, x)[1], 128);
          continue;
        }
        // Bilinear resizing blurs colours only across block borders; away from them they agree.
        int blue = out.image.at<cv::Vec3b>(y, x)[0];
        bool same_as_neighbours = true;
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            int yy = std::clamp(y + dy, 0, 31), xx = std::clamp(x + dx, 0, 47);
            same_as_neighbours &= out.ids[yy * 48 + xx] == id;
          }
        if (same_as_neighbours) {
          EXPECT_NEAR(blue, static_cast<int>(id * 10), 12) << it << " " << y << "," << x;
        }
      }
  }
}

TEST(LargeScaleJitter, DrawsAreReplayableAndVaried) {
  Synthetic s;
  JitterOptions opts;
  opts.crop_height = opts.crop_width = 32;
  std::set<std::vector<std::uint32_t>> distinct;
  for (std::uint64_t it = 0; it < 10; ++it) {
    auto a = large_scale_jitter(s.image, s.ids.data(), opts, 9, it, 3);
    auto b = large_scale_jitter(s.image, s.ids.data(), opts, 9, it, 3);
    EXPECT_EQ(a.ids, b.ids);
    distinct.insert(a.ids);
  }
  EXPECT_GT(distinct.size(), 5u);
}

}  // namespace
}  // namespace segx::train
