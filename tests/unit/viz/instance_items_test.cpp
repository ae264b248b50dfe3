// COCO instances/results as visualize items: score filter, drawing order, scores in labels, masks
// painted where the RLE says.
#include "segx/viz/instance_items.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "segx/viz/overlay.hpp"
#include "segx/viz/sources.hpp"
#include "support/fixtures.hpp"

namespace segx::viz {
namespace {

TEST(InstanceItems, ResultsAreFilteredLayeredByScoreAndLabelled) {
  SEGX_REQUIRE_FIXTURES();
  const auto n = segx::test::fixtures_root() / "synth/n200";
  auto gt = dataset::CocoInstances::read((n / "instances_gt.json").string());
  auto results = dataset::CocoInstances::read((n / "results_segm.json").string());
  auto items = coco_instance_items(gt, &results, 0.5, (n / "images").string());
  ASSERT_EQ(items.size(), gt.images.size());
  std::size_t kept = 0, above = 0;
  for (const auto& a : results.annotations) above += a.score.value_or(0) >= 0.5;
  for (const auto& item : items) {
    double last = -1;
    for (std::size_t i = 0; i < item.gt.masks.size(); ++i) {
      const auto& m = item.gt.masks[i];
      ASSERT_TRUE(m.segment.score.has_value());
      EXPECT_GE(*m.segment.score, 0.5);
      EXPECT_GE(*m.segment.score, last) << "best score drawn last (on top)";
      last = *m.segment.score;
      EXPECT_EQ(m.segment.id, i + 1);
      ++kept;
    }
  }
  EXPECT_EQ(kept, above);
  ASSERT_FALSE(items[0].gt.masks.empty());
  const CategoryTable cats = category_table(gt.categories);
  const auto& top = items[0].gt.masks.back().segment;
  EXPECT_EQ(segment_label(top, cats, true),
            cats.name(top.category_id) + fmt::format(" {:.2f}", *top.score));
  // The painted id map holds the top mask's id wherever its RLE is set.
  Annotation ann = load_annotation(items[0].gt);
  EXPECT_EQ(ann.ids.rows, gt.images[0].height);
  EXPECT_GT(cv::countNonZero(ann.ids == int(top.id)), 0);
}

TEST(InstanceItems, GroundTruthLargestFirst) {
  SEGX_REQUIRE_FIXTURES();
  const auto n = segx::test::fixtures_root() / "synth/n200";
  auto gt = dataset::CocoInstances::read((n / "instances_gt.json").string());
  auto items = coco_instance_items(gt, nullptr, 0.5, (n / "images").string());
  for (const auto& item : items) {
    Annotation ann = load_annotation(item.gt);
    long last = -1;
    for (auto it = item.gt.masks.rbegin(); it != item.gt.masks.rend(); ++it) {
      // GT instances do not overlap: each keeps all its pixels, and areas grow towards the back.
      long area = cv::countNonZero(ann.ids == int(it->segment.id));
      EXPECT_GE(area, last);
      last = area;
    }
  }
}

}  // namespace
}  // namespace segx::viz
