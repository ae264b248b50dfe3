// The error view's inputs: PQ matching outcomes into ErrorMatching, RLE and PNG sides drawn the
// same, and a golden error picture of one n200 image.
#include "segx/viz/error_view.hpp"

#include <gtest/gtest.h>

#include "golden.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/mask/rle.hpp"
#include "support/fixtures.hpp"
#include "synthetic.hpp"

namespace segx::viz {
namespace {

using metrics::MatchStatus;

TEST(ErrorView, MatchingOutcomesGoToTheirLists) {
  metrics::PanopticMatching m;
  m.gt = {{1, 7, MatchStatus::TruePositive, 11, 0.75},
          {2, 7, MatchStatus::FalseNegative, 0, 0},
          {3, 2, MatchStatus::Crowd, 0, 0}};
  m.pred = {{11, 7, MatchStatus::TruePositive, 1, 0.75},
            {12, 1, MatchStatus::FalsePositive, 0, 0},
            {13, 2, MatchStatus::Ignored, 0, 0}};
  ErrorMatching e = error_matching(m);
  ASSERT_EQ(e.matches.size(), 1u);  // one entry per match, not one per side
  EXPECT_EQ(e.matches[0].gt_id, 1u);
  EXPECT_EQ(e.matches[0].pred_id, 11u);
  EXPECT_EQ(e.matches[0].iou, 0.75);
  EXPECT_EQ(e.false_negatives, std::vector<std::uint32_t>{2});
  EXPECT_EQ(e.crowd, std::vector<std::uint32_t>{3});
  EXPECT_EQ(e.false_positives, std::vector<std::uint32_t>{12});
  EXPECT_EQ(e.ignored, std::vector<std::uint32_t>{13});
}

TEST(ErrorView, RleSidePaintsLikeItsIdMap) {
  // An id map that is not symmetric, so a row/column mix-up would show.
  Annotation a = test::synthetic_annotation(64, 48);
  const auto h = std::uint32_t(a.ids.rows), w = std::uint32_t(a.ids.cols);
  metrics::PanopticLabels labels;
  labels.height = int(h);
  labels.width = int(w);
  labels.listed_in = "test";
  const auto* ids = reinterpret_cast<const std::uint32_t*>(a.ids.ptr());
  for (const auto& s : a.segments) {
    labels.rles.push_back({s.id, mask::to_string(mask::encode_label(ids, h, w, s.id))});
    labels.segments.push_back({s.id, s.category_id, s.iscrowd, 0});
  }
  Annotation painted = panoptic_annotation(labels);
  ASSERT_EQ(painted.ids.size(), a.ids.size());
  EXPECT_EQ(cv::countNonZero(painted.ids != a.ids), 0);
  ASSERT_EQ(painted.segments.size(), a.segments.size());
  EXPECT_EQ(painted.segments[5].iscrowd, true);
}

TEST(ErrorView, N200GoldenPicture) {
  SEGX_REQUIRE_FIXTURES();
  const auto n = segx::test::fixtures_root() / "synth/n200";
  metrics::PanopticSetSpec spec;
  spec.gt_json = (n / "panoptic_gt.json").string();
  spec.pred_json = (n / "panoptic_pred.json").string();
  ErrorSet set = load_error_set(spec, (n / "images").string());
  ASSERT_EQ(set.items.size(), 200u);
  EXPECT_EQ(set.items[0].key, "1");
  EXPECT_EQ(set.items[0].image, (n / "images/000000000001.jpg").string());
  cv::Mat3b picture = render_error_item(set.items[0], set, OverlayStyle{});
  test::dump("errors_n200_1", picture);
  test::expect_matches_golden(picture, "errors_n200_1");
}

}  // namespace
}  // namespace segx::viz
