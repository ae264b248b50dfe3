// COCOeval semantics on hand-made sets whose AP/AR are worked out by hand: greedy matching,
// the precision envelope, an annotation id of 0, crowd regions, maxDets above 100.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "segx/core/error.hpp"
#include "segx/metrics/coco_eval.hpp"

namespace segx::metrics {
namespace {

constexpr double kEps = 2.220446049250313e-16;  // np.spacing(1)

// One 1000x1000 image, category 1; ground truths as (id, x, iscrowd) 100x100 boxes at (x, 0).
std::string gt_json(const std::vector<std::tuple<int, int, int>>& gts) {
  std::string anns;
  for (const auto& [id, x, crowd] : gts)
    anns += fmt::format(R"({}{{"id":{},"image_id":1,"category_id":1,"iscrowd":{},"area":10000,)"
                        R"("bbox":[{},0,100,100]}})",
                        anns.empty() ? "" : ",", id, crowd, x);
  return R"({"images":[{"id":1,"height":1000,"width":1000}],"categories":[{"id":1,"name":"a"}],)"
         R"("annotations":[)" +
         anns + "]}";
}

// Detections as (x, width, score) boxes of height 100 at (x, 0).
std::string dt_json(const std::vector<std::tuple<int, int, double>>& dts) {
  std::string out;
  for (const auto& [x, w, s] : dts)
    out += fmt::format(R"({}{{"image_id":1,"category_id":1,"bbox":[{},0,{},100],"score":{}}})",
                       out.empty() ? "" : ",", x, w, s);
  return "[" + out + "]";
}

std::vector<CocoStat> evaluate(const std::string& gt_text, const std::string& dt_text,
                               std::vector<int> max_dets = {1, 10, 100}) {
  CocoReadOptions opt;
  opt.masks = false;
  const auto gt = parse_coco_ground_truth(gt_text, "gt", opt);
  const auto dt = parse_coco_results(dt_text, "dt", gt, opt);
  CocoEvalParams p;
  p.iou_type = CocoIouType::Bbox;
  p.max_dets = std::move(max_dets);
  return coco_summarize(coco_evaluate(gt, dt, p));
}

TEST(CocoEval, PrecisionEnvelopeOverRecallPoints) {
  // d1 hits gt 1, d2 hits nothing, d3 hits gt 2 (IoU 1 at every threshold).
  const auto s = evaluate(gt_json({{1, 0, 0}, {2, 200, 0}}),
                          dt_json({{0, 100, .9}, {500, 100, .8}, {200, 100, .7}}));
  // precision 1/(1+eps) up to recall .5 (51 points), then 2/3 (50 points).
  const double ap = (51 / (1 + kEps) + 50 * (2.0 / 3.0)) / 101;
  EXPECT_NEAR(s[0].value, ap, 1e-15);
  EXPECT_NEAR(s[1].value, ap, 1e-15);
  EXPECT_NEAR(s[5].value, ap, 1e-15);   // large
  EXPECT_EQ(s[3].value, -1);            // no small ground truth
  EXPECT_NEAR(s[6].value, 0.5, 1e-15);  // AR@1: only d1
  EXPECT_NEAR(s[8].value, 1.0, 1e-15);  // AR@100
}

TEST(CocoEval, AnnotationIdZeroNeverMatches) {
  // As above but gt 1 has id 0: d1 takes it yet counts as a false positive.
  const auto s = evaluate(gt_json({{0, 0, 0}, {2, 200, 0}}),
                          dt_json({{0, 100, .9}, {500, 100, .8}, {200, 100, .7}}));
  // tp 0,0,1 fp 1,2,2: recall reaches .5 at precision 1/3; nothing beyond.
  EXPECT_NEAR(s[0].value, 51 * (1.0 / 3.0) / 101, 1e-15);
  EXPECT_NEAR(s[8].value, 0.5, 1e-15);
}

TEST(CocoEval, CrowdAbsorbsDetectionsWithoutFalsePositives) {
  // gt 2 is a crowd 100x100 box: two detections inside it are ignored, not false positives.
  const auto s = evaluate(gt_json({{1, 0, 0}, {2, 200, 1}}),
                          dt_json({{200, 50, .95}, {250, 50, .9}, {0, 100, .5}}));
  EXPECT_NEAR(s[0].value, 1 / (1 + kEps), 1e-15);
  EXPECT_NEAR(s[8].value, 1.0, 1e-15);
}

TEST(CocoEval, GreedyMatchingPrefersTheHigherScore) {
  // Both detections overlap gt 1; the higher-scored one (IoU .5) takes it at t=.5 only; the
  // second (IoU 1) then matches nothing: AP50 counts d1, AP75 only d2 after an FP.
  const auto s = evaluate(gt_json({{1, 0, 0}}), dt_json({{0, 50, .9}, {0, 100, .8}}));
  EXPECT_NEAR(s[1].value, 1 / (1 + kEps), 1e-15);  // AP50
  EXPECT_NEAR(s[2].value, 0.5, 1e-15);             // AP75: tp at rank 2
}

TEST(CocoEval, MaxDetsAboveOneHundred) {
  // 149 misses scored above the one hit: found only with a limit of at least 150.
  std::vector<std::tuple<int, int, double>> dts;
  for (int i = 0; i < 149; ++i) dts.emplace_back(500, 10, 0.9);
  dts.emplace_back(0, 100, 0.5);
  const auto gt = gt_json({{1, 0, 0}});
  const auto dflt = evaluate(gt, dt_json(dts));
  EXPECT_EQ(dflt[8].value, 0.0);
  const auto more = evaluate(gt, dt_json(dts), {1, 10, 300});
  EXPECT_EQ(more[8].max_dets, 300);
  EXPECT_NEAR(more[8].value, 1.0, 1e-15);
  EXPECT_NEAR(more[0].value, 1.0 / 150, 1e-15);
  EXPECT_EQ(format_stat(more[8]),
            " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=300 ] = 1.000");
}

TEST(CocoEval, NumpyMeanUsesPairwiseSummation) {
  // 1e16 + 1 + ... loses the ones when summed left to right; pairwise blocks keep some.
  std::vector<double> v(16, 1.0);
  v[0] = 1e16;
  double naive = 0;
  for (double x : v) naive += x;
  // numpy: r[j] = v[j] + v[j+8]; ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) = (1e16+2+2+2)+8.
  EXPECT_EQ(numpy_mean(v) * 16, 1e16 + 14);
  EXPECT_NE(naive, 1e16 + 14);
}

}  // namespace
}  // namespace segx::metrics
