// Overlays of the real fixtures (two COCO val2017 images of panopticapi's sample, the Cityscapes
// frame) against golden pictures, plus properties that fail on their own: fills blended at alpha,
// outlines in the segment colour, a legend with text.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "golden.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/viz/coco_items.hpp"
#include "segx/viz/compare.hpp"
#include "segx/viz/image_file.hpp"
#include "segx/viz/legend.hpp"
#include "segx/viz/overlay.hpp"
#include "segx/viz/sheet.hpp"
#include "support/fixtures.hpp"
#include "synthetic.hpp"

namespace segx::viz {
namespace {

namespace fs = std::filesystem;

// Goldens are kept at a quarter of the size (a few tens of KB each): enough to catch a changed
// layout, colour or label placement, while the full-size properties below check the pixels.
cv::Mat3b quarter(const cv::Mat3b& picture) {
  cv::Mat3b small;
  cv::resize(picture, small, {picture.cols / 4, picture.rows / 4}, 0, 0, cv::INTER_AREA);
  return small;
}

struct Sample {
  dataset::CocoPanoptic set;
  std::vector<VizItem> items;
  CategoryTable categories;
};

Sample coco_sample() {
  fs::path dir = segx::test::fixtures_root() / "real/panopticapi_sample";
  Sample s{dataset::CocoPanoptic::read((dir / "panoptic_examples.json").string()), {}, {}};
  s.items = coco_panoptic_items(s.set, nullptr, (dir / "input_images").string());
  s.categories = category_table(s.set.categories);
  return s;
}

// Fraction of a segment's inner pixels (3 px from its edge) that carry the blend of image and
// colour.
double blended_fraction(const cv::Mat3b& out, const cv::Mat3b& image, const cv::Mat1i& ids,
                        std::uint32_t id, Rgb c, double alpha) {
  cv::Mat1b mask = (ids == static_cast<int>(id));
  cv::erode(mask, mask, cv::getStructuringElement(cv::MORPH_RECT, {7, 7}));
  int inner = 0, match = 0;
  for (int y = 0; y < ids.rows; ++y)
    for (int x = 0; x < ids.cols; ++x) {
      if (!mask(y, x)) continue;
      ++inner;
      cv::Vec3b want = blend(image(y, x), c, alpha), got = out(y, x);
      if (std::abs(want[0] - got[0]) <= 1 && std::abs(want[1] - got[1]) <= 1 &&
          std::abs(want[2] - got[2]) <= 1)
        ++match;
    }
  return inner ? static_cast<double>(match) / inner : 0;
}

TEST(FixtureOverlay, CocoPanopticSampleGolden) {
  SEGX_REQUIRE_FIXTURES();
  Sample s = coco_sample();
  ASSERT_EQ(s.items.size(), 2u);
  OverlayStyle style;
  for (const auto& item : s.items) {
    cv::Mat3b image = read_picture(item.image);
    Annotation ann = load_annotation(item.gt);
    cv::Mat3b out = render_overlay(image, ann, s.categories, style, item.gt.path);
    ASSERT_EQ(out.cols, image.cols);
    ASSERT_GT(out.rows, image.rows);  // the legend strip
    cv::Mat3b picture = out(cv::Rect(0, 0, image.cols, image.rows));
    auto colors = segment_colors(ann, s.categories, true);
    // The largest segment: most of its inside is the exact blend (labels cover a little of it,
    // including the labels of small neighbours placed beside them rather than over them).
    std::uint32_t largest = 0;
    int most = 0;
    for (const auto& seg : ann.segments) {
      int n = cv::countNonZero(ann.ids == static_cast<int>(seg.id));
      if (n > most) most = n, largest = seg.id;
    }
    EXPECT_GT(blended_fraction(picture, image, ann.ids, largest, colors.at(largest), style.alpha),
              0.85)
        << item.key;
    // Its outline is drawn in its own colour, opaque.
    cv::Mat1b edge;
    cv::inRange(picture, to_scalar(colors.at(largest)), to_scalar(colors.at(largest)), edge);
    EXPECT_GT(cv::countNonZero(edge), 100) << item.key;
    // The legend has light text on the dark strip.
    cv::Mat1b text;
    cv::inRange(out(cv::Rect(0, image.rows, out.cols, out.rows - image.rows)),
                cv::Scalar(200, 200, 200), cv::Scalar(255, 255, 255), text);
    EXPECT_GT(cv::countNonZero(text), 200) << item.key;
    test::dump("coco_" + item.key, out);
    test::expect_matches_golden(quarter(out), "coco_overlay_" + item.key);
  }
}

TEST(FixtureOverlay, CityscapesFrameIsEnlargedAndGolden) {
  SEGX_REQUIRE_FIXTURES();
  fs::path root = segx::test::fixtures_root() / "real";
  auto set = dataset::CocoPanoptic::read(
      (root / "cityscapes_panoptic_derived/cityscapes_panoptic_val.json").string());
  ASSERT_EQ(set.annotations.size(), 1u);
  // The derived JSON names the photo after the GT file; the photo itself is the leftImg8bit PNG.
  auto items = coco_panoptic_items(set, nullptr, ".");
  cv::Mat3b image = read_picture((root / "mmseg_tests/pseudo_cityscapes_dataset/leftImg8bit/val/"
                                         "frankfurt/frankfurt_000000_000294_leftImg8bit.png")
                                     .string());
  Annotation ann = load_annotation(items[0].gt);
  CategoryTable cats = category_table(set.categories);
  OverlayStyle style;
  cv::Mat3b out = render_overlay(image, ann, cats, style, items[0].gt.path);
  EXPECT_EQ(out.cols, 512);  // 256 wide, enlarged twice for legible labels
  // Road (id 7 in the Cityscapes palette) keeps the dataset colour: blended at alpha inside it.
  cv::Mat3b big;
  cv::Mat1i ids;
  enlarge(image, ann.ids, 2, big, ids);
  std::uint32_t road = 0;
  for (const auto& seg : ann.segments)
    if (seg.category_id == 7) road = seg.id;
  ASSERT_NE(road, 0u);
  EXPECT_GT(blended_fraction(out(cv::Rect(0, 0, 512, 256)), big, ids, road, Rgb{128, 64, 128},
                             style.alpha),
            0.85);
  test::dump("cityscapes", out);
  test::expect_matches_golden(quarter(out), "cityscapes_overlay");
}

TEST(FixtureOverlay, ContactSheetOfTheSample) {
  SEGX_REQUIRE_FIXTURES();
  Sample s = coco_sample();
  std::vector<SheetTile> tiles;
  OverlayStyle style;
  style.legend = false;
  style.labels = false;
  for (const auto& item : s.items)
    tiles.push_back(
        {render_overlay(read_picture(item.image), load_annotation(item.gt), s.categories, style),
         item.key});
  SheetStyle sheet;
  sheet.cell_width = 240;
  sheet.title = "panopticapi sample";
  cv::Mat3b out = render_contact_sheet(tiles, sheet);
  EXPECT_EQ(sheet_columns(2, 0), 2);
  EXPECT_GT(out.cols, 2 * 240);
  test::dump("sheet", out);
  test::expect_matches_golden(quarter(out), "coco_sheet");
}

}  // namespace
}  // namespace segx::viz
