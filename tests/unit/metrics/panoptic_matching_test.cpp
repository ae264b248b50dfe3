// PQ matching outcomes per segment on hand-made id maps (worked out by hand in the comments), and
// their counts equal to evaluate_panoptic_image's.
#include "segx/metrics/panoptic_matching.hpp"

#include <gtest/gtest.h>

#include "segx/core/error.hpp"

namespace segx::metrics {
namespace {

std::vector<std::uint32_t> ids_of(const std::string& picture) {
  std::vector<std::uint32_t> ids;
  for (char c : picture) {
    if (c >= '0' && c <= '9')
      ids.push_back(std::uint32_t(c - '0'));
    else if (c >= 'a' && c <= 'z')
      ids.push_back(std::uint32_t(10 + c - 'a'));
  }
  return ids;
}

PanopticOverlap overlap_of(const std::string& gt, const std::string& pred) {
  auto g = ids_of(gt), p = ids_of(pred);
  EXPECT_EQ(g.size(), p.size());
  PanopticOverlap o;
  count_overlap(g.data(), p.data(), g.size(), o);
  return o;
}

PanopticCategories cats() {
  return PanopticCategories({{1, "person", true}, {2, "car", true}, {7, "sky", false}});
}

PanopticImageContext ctx() {
  return {"42", "gt/42.png", "pred/42.png", "pred.json"};
}

const SegmentOutcome& outcome(const std::vector<SegmentOutcome>& list, std::uint32_t id) {
  for (const auto& o : list)
    if (o.id == id) return o;
  throw std::runtime_error("no outcome for segment " + std::to_string(id));
}

TEST(PanopticMatching, EveryStatusOnOneImage) {
  // GT: 1 person (6 px), 2 sky (8 px), 3 car crowd (6 px), 4 person (4 px), the rest void.
  // Pred: 5 person = the 6 pixels of person 1 + 1 sky pixel -> TP with 1, IoU 6/7.
  //       6 sky = 7 of the 8 sky pixels -> TP with 2, IoU 7/8.
  //       7 car = 5 crowd pixels + 1 pixel of person 4 -> 5/6 on same-class crowd: ignored.
  //       8 person = 10 void pixels -> all on void: ignored.
  //       9 car = 3 pixels of person 4 + 1 crowd pixel -> 1/4 excused: a false positive.
  // GT person 4 is left unmatched (only cars overlap it): a false negative; 3 is crowd.
  const std::string gt =
      "111222220000"
      "111222333444"
      "000000333400";
  const std::string pr =
      "555566668888"
      "555666777799"
      "888888779900";
  auto o = overlap_of(gt, pr);
  ASSERT_EQ(o.get(1, 5), 6u);  // the pictures say what the comments say
  ASSERT_EQ(o.get(3, 7), 5u);
  ASSERT_EQ(o.get(0, 8), 10u);
  std::vector<PanopticSegment> g = {
      {1, 1, false, 6}, {2, 7, false, 8}, {3, 2, true, 6}, {4, 1, false, 4}};
  std::vector<PanopticSegment> p = {
      {5, 1, false, 0}, {6, 7, false, 0}, {7, 2, false, 0}, {8, 1, false, 0}, {9, 2, false, 0}};
  auto m = match_panoptic_image(g, p, o, cats(), ctx());
  ASSERT_EQ(m.gt.size(), 4u);
  ASSERT_EQ(m.pred.size(), 5u);
  // Outcomes come in list order.
  EXPECT_EQ(m.gt[0].id, 1u);
  EXPECT_EQ(m.pred[4].id, 9u);

  const auto& g1 = outcome(m.gt, 1);
  EXPECT_EQ(g1.status, MatchStatus::TruePositive);
  EXPECT_EQ(g1.partner, 5u);
  // union = pred 5 (7 px, none on void) + gt 6 - inter 6 = 7.
  EXPECT_DOUBLE_EQ(g1.iou, 6.0 / 7.0);
  const auto& p5 = outcome(m.pred, 5);
  EXPECT_EQ(p5.status, MatchStatus::TruePositive);
  EXPECT_EQ(p5.partner, 1u);
  EXPECT_EQ(p5.iou, g1.iou);

  const auto& g2 = outcome(m.gt, 2);
  EXPECT_EQ(g2.status, MatchStatus::TruePositive);
  EXPECT_EQ(g2.partner, 6u);
  EXPECT_DOUBLE_EQ(g2.iou, 7.0 / 8.0);  // pred 6 is 7 px, all sky; gt area 8

  EXPECT_EQ(outcome(m.gt, 3).status, MatchStatus::Crowd);
  EXPECT_EQ(outcome(m.gt, 4).status, MatchStatus::FalseNegative);
  EXPECT_EQ(outcome(m.pred, 7).status, MatchStatus::Ignored);
  EXPECT_EQ(outcome(m.pred, 8).status, MatchStatus::Ignored);
  EXPECT_EQ(outcome(m.pred, 9).status, MatchStatus::FalsePositive);
  EXPECT_EQ(outcome(m.pred, 9).partner, 0u);

  // The counts are evaluate_panoptic_image's.
  auto counted = count_matching(m);
  auto evaluated = evaluate_panoptic_image(g, p, o, cats(), ctx());
  EXPECT_EQ(counted, evaluated);
  EXPECT_EQ(counted[1].tp, 1);
  EXPECT_EQ(counted[1].fn, 1);
  EXPECT_EQ(counted[1].fp, 0);  // prediction 8 was ignored
  EXPECT_EQ(counted[2].fp, 1);  // prediction 9
  EXPECT_EQ(counted[2].fn, 0);  // the crowd is not a false negative
  EXPECT_EQ(counted[7].tp, 1);
}

TEST(PanopticMatching, CrowdOfAnotherCategoryDoesNotExcuse) {
  // Prediction 5 (person) lies entirely on a car crowd: a false positive, not ignored.
  auto o = overlap_of("3333", "5555");
  std::vector<PanopticSegment> g = {{3, 2, true, 4}};
  std::vector<PanopticSegment> p = {{5, 1, false, 0}};
  auto m = match_panoptic_image(g, p, o, cats(), ctx());
  EXPECT_EQ(m.gt[0].status, MatchStatus::Crowd);
  EXPECT_EQ(m.pred[0].status, MatchStatus::FalsePositive);
}

TEST(PanopticMatching, ExactlyHalfOnVoidStillCounts) {
  // 2 of 4 predicted pixels on void: 0.5 is not more than half, so a false positive.
  auto o = overlap_of("0011", "5555");
  std::vector<PanopticSegment> g = {{1, 7, false, 2}};
  std::vector<PanopticSegment> p = {{5, 1, false, 0}};
  auto m = match_panoptic_image(g, p, o, cats(), ctx());
  EXPECT_EQ(m.gt[0].status, MatchStatus::FalseNegative);
  EXPECT_EQ(m.pred[0].status, MatchStatus::FalsePositive);
}

TEST(PanopticMatching, SameRejectionsAsEvaluation) {
  auto o = overlap_of("1111", "5566");
  std::vector<PanopticSegment> g = {{1, 1, false, 4}};
  std::vector<PanopticSegment> p = {{5, 1, false, 0}};  // 6 is in the PNG but not listed
  EXPECT_THROW(match_panoptic_image(g, p, o, cats(), ctx()), Error);
  p.push_back({6, 99, false, 0});  // unknown category
  EXPECT_THROW(match_panoptic_image(g, p, o, cats(), ctx()), Error);
}

TEST(PanopticMatching, StatusNames) {
  EXPECT_STREQ(to_string(MatchStatus::TruePositive), "tp");
  EXPECT_STREQ(to_string(MatchStatus::Ignored), "ignored");
}

}  // namespace
}  // namespace segx::metrics
