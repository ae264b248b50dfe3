// PQ per image on hand-made id maps whose counts are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <random>

#include "segx/core/error.hpp"
#include "segx/metrics/panoptic_quality.hpp"

namespace segx::metrics {
namespace {

// Parses a picture of an id map: one char per pixel, '0'..'9' and 'a'.. as ids.
std::vector<std::uint32_t> ids_of(const std::string& picture) {
  std::vector<std::uint32_t> ids;
  for (char c : picture) {
    if (c >= '0' && c <= '9') ids.push_back(std::uint32_t(c - '0'));
    else if (c >= 'a' && c <= 'z') ids.push_back(std::uint32_t(10 + c - 'a'));
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

PanopticImageContext ctx() { return {"42", "gt/42.png", "pred/42.png", "pred.json"}; }

TEST(PanopticQuality, MatchesBySameCategoryWithIouAboveHalf) {
  // GT: 1 = person (6 px), 2 = sky (14 px). Prediction 5 = person: the 6 person pixels and one
  // sky pixel (7 px, IoU 6/7); 6 = sky: the other 13 sky pixels (IoU 13/14).
  const std::string gt = "1112222222"
                         "1112222222";
  const std::string pr = "5555666666"
                         "5556666666";
  auto o = overlap_of(gt, pr);
  std::vector<PanopticSegment> g = {{1, 1, false, 6}, {2, 7, false, 14}};
  std::vector<PanopticSegment> p = {{5, 1, false, 0}, {6, 7, false, 0}};
  auto stats = evaluate_panoptic_image(g, p, o, cats(), ctx());
  ASSERT_EQ(stats.count(1), 1u);
  EXPECT_EQ(stats[1].tp, 1);
  EXPECT_EQ(stats[1].fp, 0);
  EXPECT_EQ(stats[1].fn, 0);
  EXPECT_DOUBLE_EQ(stats[1].iou.value(), 6.0 / 7.0);
  // sky: inter 13, pred 13, gt 14: union 14.
  EXPECT_EQ(stats[7].tp, 1);
  EXPECT_DOUBLE_EQ(stats[7].iou.value(), 13.0 / 14.0);
}

TEST(PanopticQuality, IouOfExactlyHalfIsNotAMatch) {
  // GT 4 px, prediction 2 px inside it: IoU 2/4 = 0.5 -> no match: one FN and one FP.
  auto o = overlap_of("1111", "5500");
  std::vector<PanopticSegment> g = {{1, 1, false, 4}};
  std::vector<PanopticSegment> p = {{5, 1, false, 0}};
  auto stats = evaluate_panoptic_image(g, p, o, cats(), ctx());
  EXPECT_EQ(stats[1].tp, 0);
  EXPECT_EQ(stats[1].fn, 1);
  EXPECT_EQ(stats[1].fp, 1);
}

TEST(PanopticQuality, VoidPixelsLeaveTheUnionAndExcuseFalsePositives) {
  // GT: person 1 (3 px), void 0 elsewhere. Pred 5 = person on 3 GT px + 3 void px: union
  // 6 + 3 - 3 - 3 = 3, IoU 1. Pred 6 = car entirely on void: not a false positive.
  auto o = overlap_of("11100000", "55555566");
  std::vector<PanopticSegment> g = {{1, 1, false, 3}};
  std::vector<PanopticSegment> p = {{5, 1, false, 0}, {6, 2, false, 0}};
  auto stats = evaluate_panoptic_image(g, p, o, cats(), ctx());
  EXPECT_EQ(stats[1].tp, 1);
  EXPECT_DOUBLE_EQ(stats[1].iou.value(), 1.0);
  EXPECT_EQ(stats.count(2), 0u);
}

TEST(PanopticQuality, CrowdRegionsExcuseSameCategoryPredictionsOnlyTheLastCrowd) {
  // GT: 1 and 2 are person crowds, 3 is a car. Pred 5 (person) lies on crowd 1, pred 6 (person)
  // on crowd 2, pred 7 (car) on crowd 2. panopticapi remembers only the last crowd of a category
  // (2): pred 6 is excused, pred 5 is a FP, pred 7 (other category) is a FP. Car 3 unmatched: FN.
  auto o = overlap_of("1111222233", "5555666677");
  std::vector<PanopticSegment> g = {{1, 1, true, 4}, {2, 1, true, 4}, {3, 2, false, 2}};
  std::vector<PanopticSegment> p = {{5, 1, false, 0}, {6, 1, false, 0}, {7, 2, false, 0}};
  auto stats = evaluate_panoptic_image(g, p, o, cats(), ctx());
  EXPECT_EQ(stats[1].fp, 1);
  EXPECT_EQ(stats[1].fn, 0);  // crowds are never false negatives
  EXPECT_EQ(stats[2].tp, 1);  // pred 7 covers car 3 exactly: 2/2 (crowd pixels are not void)
  // Car: inter 2, pred area 2 -> IoU 1; so no car FP either.
  EXPECT_EQ(stats[2].fp, 0);
}

TEST(PanopticQuality, RejectsWhatPanopticapiRejects) {
  std::vector<PanopticSegment> g = {{1, 1, false, 2}};
  auto o = overlap_of("1100", "5599");
  std::vector<PanopticSegment> p = {{5, 1, false, 0}};
  try {
    evaluate_panoptic_image(g, p, o, cats(), ctx());
    FAIL() << "segment 9 in PNG but not JSON accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_STREQ(e.what(),
                 "'pred/42.png' (image 42): segment ids 9 are in the PNG but not in 'pred.json'");
  }
  p.push_back({9, 1, false, 0});
  p.push_back({8, 2, false, 0});
  EXPECT_THROW(evaluate_panoptic_image(g, p, o, cats(), ctx()), Error);  // 8 not in PNG
  p.pop_back();
  p.back().category_id = 99;
  try {
    evaluate_panoptic_image(g, p, o, cats(), ctx());
    FAIL() << "unknown category accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown category_id 99"), std::string::npos);
  }
}

TEST(PanopticQuality, RejectsGroundTruthThatDisagreesWithItsPng) {
  auto o = overlap_of("1122", "5555");
  std::vector<PanopticSegment> p = {{5, 1, false, 0}};
  EXPECT_THROW(evaluate_panoptic_image({{1, 1, false, 2}}, p, o, cats(), ctx()), Error);
  EXPECT_THROW(evaluate_panoptic_image({{1, 1, false, 2}, {2, 1, false, 2}, {3, 1, false, 1}}, p,
                                       o, cats(), ctx()),
               Error);
  EXPECT_THROW(evaluate_panoptic_image({{1, 1, false, 2}, {1, 1, false, 2}}, p, o, cats(), ctx()),
               Error);
}

TEST(PanopticQuality, AveragesOverClassesWithCountsInCategoryOrder) {
  PqStats stats;
  stats[7].tp = 2;  // stuff: IoUs 0.75 + 1.0 over tp 2, fp 1, fn 1 -> PQ 1.75/3, SQ 0.875
  stats[7].fp = 1;
  stats[7].fn = 1;
  stats[7].iou.add(0.75);
  stats[7].iou.add(1.0);
  stats[1].fn = 3;  // thing: PQ 0, SQ 0, RQ 0 (counted)
  // category 2 has no counts: left out of every average
  auto s = summarize_pq(stats, cats());
  EXPECT_EQ(s.all.n, 2);
  EXPECT_EQ(s.things.n, 1);
  EXPECT_EQ(s.stuff.n, 1);
  EXPECT_DOUBLE_EQ(s.stuff.pq, 1.75 / 3.0);
  EXPECT_DOUBLE_EQ(s.stuff.sq, 0.875);
  EXPECT_DOUBLE_EQ(s.stuff.rq, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.all.pq, (1.75 / 3.0) / 2);
  EXPECT_EQ(s.things.pq, 0.0);
  ASSERT_EQ(s.per_class.size(), 3u);
  EXPECT_EQ(s.per_class[1].category.id, 2);
  EXPECT_EQ(s.per_class[1].values.n, 0);
}

TEST(IouSum, IsExactAndOrderIndependent) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> den(3, 100000);
  std::vector<double> v;
  for (int i = 0; i < 20000; ++i) {
    int d = den(rng);
    int n = d / 2 + 1 + int(rng() % unsigned(d - d / 2));
    if (n > d) n = d;
    v.push_back(double(n) / double(d));
  }
  IouSum forward, backward;
  long double reference = 0;
  for (double x : v) {
    forward.add(x);
    reference += x;
  }
  for (auto it = v.rbegin(); it != v.rend(); ++it) backward.add(*it);
  EXPECT_TRUE(forward == backward);
  EXPECT_EQ(forward.value(), backward.value());
  EXPECT_NEAR(forward.value(), double(reference), 1e-9);
  EXPECT_TRUE(IouSum::from_string(forward.to_string()) == forward);
  EXPECT_THROW(IouSum().add(0.5), std::invalid_argument);
}

TEST(PanopticOverlap, RunsGiveTheSameCountsAsPixels) {
  const std::string gt = "111222000333", pr = "555556666600";
  auto dense = overlap_of(gt, pr);
  IdRuns g{{1, 2, 0, 3}, {3, 3, 3, 3}};
  IdRuns p{{5, 6, 0}, {5, 5, 2}};
  PanopticOverlap runs;
  count_overlap(g, p, runs);
  EXPECT_EQ(dense.pairs(), runs.pairs());
  IdRuns short_pred{{5}, {4}};
  EXPECT_THROW(count_overlap(g, short_pred, runs), std::invalid_argument);
}

// Row runs counted against row runs (the PNG path of eval pq) and the whole-map counting agree on
// random maps whose runs cross row ends, and a copied overlap keeps counting on its own.
TEST(PanopticOverlap, RowRunsGiveTheSameCountsAsPixels) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 30; ++trial) {
    const std::size_t w = 1 + rng() % 70, h = 1 + rng() % 9;
    std::vector<std::uint32_t> g(w * h), p(w * h);
    for (std::size_t i = 0; i < g.size(); ++i) {
      g[i] = (i && rng() % 6) ? g[i - 1] : rng() % 5;
      p[i] = (i && rng() % 4) ? p[i - 1] : rng() % 5;
    }
    PanopticOverlap dense, by_runs;
    count_overlap(g.data(), p.data(), g.size(), dense);
    auto runs_of = [&](const std::uint32_t* row, std::vector<std::uint32_t>& ids, std::vector<std::uint32_t>& ends) {
      ids.clear(), ends.clear();
      for (std::size_t x = 0; x < w; ++x) {
        if (x == 0 || row[x] != row[x - 1]) ids.push_back(row[x]), ends.push_back(0);
        ends.back() = std::uint32_t(x + 1);
      }
    };
    RowRuns gt;
    gt.clear();
    std::vector<std::uint32_t> ids, ends;
    for (std::size_t y = 0; y < h; ++y) runs_of(g.data() + y * w, ids, ends), gt.add_row(ids.data(), ends.data(), ids.size());
    ASSERT_EQ(gt.rows(), h);
    OverlapCounter counter(by_runs);
    for (std::size_t y = 0; y < h; ++y)
      runs_of(p.data() + y * w, ids, ends), gt.count_row(y, ids.data(), ends.data(), ids.size(), counter);
    counter.finish();
    EXPECT_EQ(dense.pairs(), by_runs.pairs()) << w << "x" << h;
  }
  PanopticOverlap a;
  a.add(1, 2, 5);
  PanopticOverlap b = a;
  b.add(1, 2, 1);
  a.add(1, 2, 2);
  EXPECT_EQ(a.get(1, 2), 7u);
  EXPECT_EQ(b.get(1, 2), 6u);
  b = a;
  b.add(1, 2, 10);
  EXPECT_EQ(a.get(1, 2), 7u);
  EXPECT_EQ(b.get(1, 2), 17u);
}

}  // namespace
}  // namespace segx::metrics
