// Mask/box IoU with the crowd rule and polygon rasterisation on hand-made shapes.
#include <gtest/gtest.h>

#include "segx/core/error.hpp"
#include "segx/mask/iou.hpp"
#include "segx/mask/polygon.hpp"

namespace segx::mask {

TEST(BoxIou, PlainAndCrowd) {
  const Box d{0, 0, 10, 10}, g{5, 0, 10, 10};
  EXPECT_DOUBLE_EQ(box_iou(d, g, false), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(box_iou(d, g, true), 50.0 / 100.0);
  EXPECT_EQ(box_iou(d, Box{10, 0, 5, 5}, false), 0.0);  // touching edges do not overlap
  const auto m = box_iou({d, g}, {g}, {1});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_DOUBLE_EQ(m[0], 0.5);
  EXPECT_DOUBLE_EQ(m[1], 1.0);
}

TEST(RleIou, PlainCrowdAndSizeMismatch) {
  // 1 x 8 strips: dt covers 0..3, gt covers 2..7.
  const Rle dt{8, 1, {0, 4, 4}}, gt{8, 1, {2, 6}};
  EXPECT_DOUBLE_EQ(rle_iou(dt, gt, false), 2.0 / 8.0);
  EXPECT_DOUBLE_EQ(rle_iou(dt, gt, true), 2.0 / 4.0);
  EXPECT_EQ(rle_iou(dt, Rle{8, 1, {6, 2}}, false), 0.0);
  EXPECT_EQ(rle_iou(dt, Rle{4, 2, {2, 6}}, false), -1.0);
  const auto m = rle_iou({dt, gt}, {gt, dt}, {0, 1});
  EXPECT_DOUBLE_EQ(m[0], 0.25);
  EXPECT_DOUBLE_EQ(m[1], 1.0);
  EXPECT_DOUBLE_EQ(m[2], 1.0);
  EXPECT_DOUBLE_EQ(m[3], 2.0 / 6.0);
}

TEST(Polygon, IntegerBoxCoversItsPixels) {
  // A box with integer corners covers exactly w*h pixels and round-trips through to_bbox.
  const Rle r = from_box(Box{2, 3, 4, 5}, 20, 10);
  EXPECT_EQ(area(r), 20u);
  EXPECT_EQ(to_bbox(r), (Box{2, 3, 4, 5}));
  const auto bits = decode_row_major(r);
  EXPECT_EQ(bits[3 * 10 + 2], 1);
  EXPECT_EQ(bits[7 * 10 + 5], 1);
  EXPECT_EQ(bits[8 * 10 + 5], 0);
  EXPECT_EQ(bits[3 * 10 + 6], 0);
}

TEST(Polygon, TriangleAndClipping) {
  // Right triangle (0,0) (4,0) (0,4): a pixel is in when its centre (x+.5, y+.5) lies strictly
  // inside, i.e. x + y + 1 < 4: columns of 3, 2 and 1 pixels.
  const Rle tri = from_polygon({0, 0, 4, 0, 0, 4}, 6, 6);
  EXPECT_TRUE(covers_image(tri));
  const auto bits = decode_row_major(tri);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 6; ++x) EXPECT_EQ(bits[y * 6 + x], x + y + 1 < 4 ? 1 : 0) << x << "," << y;
  // A box reaching outside the image is clipped to it.
  const Rle out = from_box(Box{-3, -3, 6, 6}, 5, 5);
  EXPECT_EQ(area(out), 9u);
  EXPECT_EQ(to_bbox(out), (Box{0, 0, 3, 3}));
}

TEST(Polygon, MultiPartPolygonsMergeAndShortOnesFail) {
  const Rle two = from_polygons({{0, 0, 2, 0, 2, 2, 0, 2}, {5, 5, 7, 5, 7, 7, 5, 7}}, 10, 10);
  EXPECT_EQ(area(two), 8u);
  EXPECT_THROW(from_polygons({{0, 0, 2, 2}}, 10, 10), Error);
  EXPECT_THROW(from_polygons({}, 10, 10), Error);
}

}  // namespace segx::mask
