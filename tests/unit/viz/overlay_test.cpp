// Overlay drawing on a synthetic scene: blended fills, outlines, instance shades, labels, legend.
#include "segx/viz/overlay.hpp"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "segx/core/error.hpp"
#include "segx/viz/legend.hpp"
#include "synthetic.hpp"

namespace segx::viz {
namespace {

using test::synthetic_annotation;
using test::synthetic_categories;
using test::synthetic_image;

OverlayStyle plain() {
  OverlayStyle s;
  s.labels = false;
  s.legend = false;
  s.min_side = 0;
  return s;
}

bool near(cv::Vec3b a, cv::Vec3b b, int tol = 1) {
  for (int c = 0; c < 3; ++c)
    if (std::abs(a[c] - b[c]) > tol) return false;
  return true;
}

TEST(Overlay, SegmentPixelsCarryTheirColourBlendedAtAlpha) {
  auto image = synthetic_image();
  auto ann = synthetic_annotation();
  auto cats = synthetic_categories();
  for (double alpha : {0.3, 0.55, 1.0}) {
    auto style = plain();
    style.alpha = alpha;
    cv::Mat3b out = render_overlay(image, ann, cats, style);
    ASSERT_EQ(out.size(), image.size());
    // Interior of the road (dataset colour) and of the sky (palette colour, no dataset colour).
    EXPECT_TRUE(near(out(400, 320), blend(image(400, 320), Rgb{128, 64, 128}, alpha)));
    EXPECT_TRUE(near(out(40, 320), blend(image(40, 320), palette_color(11), alpha)));
    // Void pixels stay as they were.
    EXPECT_EQ(out(240, 600), image(240, 600));
  }
}

TEST(Overlay, TouchingInstancesGetDifferentShadesAndOutlines) {
  auto image = synthetic_image();
  auto ann = synthetic_annotation();
  auto cats = synthetic_categories();
  auto colors = segment_colors(ann, cats, true);
  EXPECT_EQ(colors.at(5), (Rgb{220, 20, 60}));  // first instance keeps the category colour
  EXPECT_NE(colors.at(6), colors.at(5));
  EXPECT_NE(colors.at(7), colors.at(6));
  EXPECT_EQ(segment_colors(ann, cats, false).at(6), (Rgb{220, 20, 60}));
  // Stuff keeps its category colour whatever the shading.
  EXPECT_EQ(colors.at(2), (Rgb{128, 64, 128}));

  auto style = plain();
  style.outline = 1;
  cv::Mat3b out = render_overlay(image, ann, cats, style);
  // The boundary between instances 5 and 6 (x = 64 + 80 = 144) is drawn opaque on both sides.
  EXPECT_EQ(out(240, 143), to_bgr(colors.at(5)));
  EXPECT_EQ(out(240, 144), to_bgr(colors.at(6)));
  // One pixel further in, the fill is blended again.
  EXPECT_TRUE(near(out(240, 141), blend(image(240, 141), colors.at(5), style.alpha)));
  style.outline = -1;
  cv::Mat3b bare = render_overlay(image, ann, cats, style);
  EXPECT_NE(bare(240, 143), to_bgr(colors.at(5)));
}

TEST(Overlay, CrowdRegionsAreHatched) {
  auto image = synthetic_image();
  auto ann = synthetic_annotation();
  auto cats = synthetic_categories();
  auto style = plain();
  style.outline = -1;
  cv::Mat3b out = render_overlay(image, ann, cats, style);
  Rgb car = palette_color(2);
  int y = 3 * 480 / 5 + 20;
  int x = 3 * 640 / 4 + 20;
  while (!hatch_at(x, y)) ++x;
  EXPECT_TRUE(near(out(y, x), blend(image(y, x), car, 0.85)));
  while (hatch_at(x, y)) ++x;
  EXPECT_TRUE(near(out(y, x), blend(image(y, x), car, style.alpha)));
}

TEST(Overlay, LabelsAreDrawnInsideTheirSegments) {
  auto image = synthetic_image();
  auto ann = synthetic_annotation();
  ann.segments[4].score = 0.875;  // segment 7
  auto cats = synthetic_categories();
  auto style = plain();
  style.labels = true;
  EXPECT_EQ(segment_label(ann.segments[4], cats, true), "person 0.88");
  EXPECT_EQ(segment_label(ann.segments[5], cats, true), "car (crowd)");
  cv::Mat3b with = render_overlay(image, ann, cats, style);
  style.labels = false;
  cv::Mat3b without = render_overlay(image, ann, cats, style);
  cv::Mat diff;
  cv::absdiff(with, without, diff);
  cv::Mat1b changed;
  cv::cvtColor(diff, changed, cv::COLOR_BGR2GRAY);
  // Labels change pixels inside segment 7's box, none in the void band right of it.
  cv::Rect seg7(320, 160, 64, 160);
  EXPECT_GT(cv::countNonZero(changed(seg7)), 50);
  EXPECT_EQ(cv::countNonZero(changed(cv::Rect(440, 232, 200, 16))), 0);
  test::dump("overlay_synthetic", with);
}

TEST(Overlay, LegendStripIsBelowThePictureAndHasText) {
  auto image = synthetic_image();
  auto ann = synthetic_annotation();
  auto cats = synthetic_categories();
  auto style = plain();
  style.legend = true;
  cv::Mat3b out = render_overlay(image, ann, cats, style);
  ASSERT_GT(out.rows, image.rows);
  EXPECT_EQ(out.cols, image.cols);
  cv::Mat3b strip = out(cv::Rect(0, image.rows, out.cols, out.rows - image.rows));
  // Text pixels (light) and every category's swatch appear.
  cv::Mat1b light;
  cv::inRange(strip, cv::Scalar(200, 200, 200), cv::Scalar(255, 255, 255), light);
  EXPECT_GT(cv::countNonZero(light), 100);
  for (std::int64_t id : {1, 2, 10, 11}) {
    cv::Mat1b swatch;
    cv::Scalar c = to_scalar(cats.color(id));
    cv::inRange(strip, c, c, swatch);
    EXPECT_GT(cv::countNonZero(swatch), 20) << "category " << id;
  }
}

TEST(Overlay, SmallPicturesAreEnlarged) {
  auto image = synthetic_image(256, 128);
  auto ann = synthetic_annotation(256, 128);
  auto style = plain();
  style.min_side = 512;
  cv::Mat3b out = render_overlay(image, ann, synthetic_categories(), style);
  EXPECT_EQ(out.cols, 512);
  EXPECT_EQ(out.rows, 256);
}

TEST(Overlay, BadInputFailsNamingTheSource) {
  auto image = synthetic_image();
  auto cats = synthetic_categories();
  auto ann = synthetic_annotation(320, 240);
  try {
    render_overlay(image, ann, cats, plain(), "a.png");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_STREQ(e.what(),
                 "cannot draw 'a.png': the image is 640x480 but its annotation is 320x240");
  }
  ann = synthetic_annotation();
  ann.segments[0].category_id = 99;
  try {
    render_overlay(image, ann, cats, plain(), "a.png");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_STREQ(e.what(), "cannot draw 'a.png': segment 1 has unknown category 99");
  }
  ann = synthetic_annotation();
  ann.segments.pop_back();
  EXPECT_THROW(render_overlay(image, ann, cats, plain(), "a.png"), Error);
}

TEST(Overlay, SemanticMapsBecomeSegments) {
  cv::Mat1i labels(4, 4, 255);
  labels(0, 0) = 0;
  labels(1, 1) = 3;
  Annotation a = annotation_from_semantic(labels, 255);
  ASSERT_EQ(a.segments.size(), 2u);
  EXPECT_EQ(a.segments[0].category_id, 0);
  EXPECT_EQ(a.ids(0, 0), 1);
  EXPECT_EQ(a.ids(1, 1), 4);
  EXPECT_EQ(a.ids(2, 2), 0);
}

TEST(Palette, IsStableAndDistinct) {
  EXPECT_EQ(palette_color(7), palette_color(7));
  for (int a = 1; a < 40; ++a)
    for (int b = a + 1; b < 40; ++b) {
      Rgb x = palette_color(a), y = palette_color(b);
      int d = std::abs(x.r - y.r) + std::abs(x.g - y.g) + std::abs(x.b - y.b);
      EXPECT_GT(d, 20) << a << " vs " << b;
    }
}

}  // namespace
}  // namespace segx::viz

namespace segx::viz {
namespace {

TEST(Overlay, LabelOfATinySegmentGoesBesideIt) {
  // A 12x12 person on the road (above the size that gets a label at all): its label is larger
  // than it, so it is drawn next to it and the
  // person's own pixels keep their fill.
  auto image = test::synthetic_image();
  Annotation ann;
  ann.ids = cv::Mat1i(480, 640, 2);
  ann.ids(cv::Rect(300, 300, 12, 12)) = 5;
  ann.segments = {{2, 10, false, {}}, {5, 1, false, {}}};
  OverlayStyle style;
  style.min_side = 0;
  style.outline = -1;
  style.legend = false;
  cv::Mat3b with = render_overlay(image, ann, test::synthetic_categories(), style);
  style.labels = false;
  cv::Mat3b without = render_overlay(image, ann, test::synthetic_categories(), style);
  cv::Mat diff;
  cv::absdiff(with, without, diff);
  cv::Mat1b changed;
  cv::cvtColor(diff, changed, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(cv::countNonZero(changed(cv::Rect(300, 300, 12, 12))), 0);
  // The label is drawn close by (within a label height or so).
  EXPECT_GT(cv::countNonZero(changed(cv::Rect(230, 250, 152, 112))), 50);
}

}  // namespace
}  // namespace segx::viz
