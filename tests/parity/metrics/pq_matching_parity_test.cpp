// The per-segment PQ matching summed over synth/n200 gives panopticapi's per-class numbers: TP, FP,
// FN and the matched IoUs, put through pq_compute's formulas here, equal expected/metrics.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "segx/metrics/panoptic_eval.hpp"
#include "segx/metrics/panoptic_inputs.hpp"
#include "segx/metrics/panoptic_matching.hpp"
#include "support/fixtures.hpp"

namespace segx::test {
namespace {

using namespace segx::metrics;

TEST(PqMatchingParity, N200SegmentOutcomesGivePanopticapiPerClass) {
  SEGX_REQUIRE_FIXTURES();
  const auto f = fixtures_root();
  const auto n = f / "synth/n200";
  PanopticSetSpec spec;
  spec.gt_json = (n / "panoptic_gt.json").string();
  spec.gt_dir = (n / "panoptic_gt").string();
  spec.pred_json = (n / "panoptic_pred.json").string();
  spec.pred_dir = (n / "panoptic_pred").string();
  const PanopticSet set = load_panoptic_set(spec);
  const PanopticCategories categories(set.categories);
  ASSERT_EQ(set.pairs.size(), 200u);

  struct Counts {
    long tp = 0, fp = 0, fn = 0;
    double iou = 0;
  };
  std::map<std::int64_t, Counts> per_class;
  long crowd = 0, ignored = 0;
  for (const auto& pair : set.pairs) {
    ASSERT_TRUE(pair.pred.has_value());
    PanopticOverlap overlap;
    count_pair_overlap(pair, overlap);
    auto m = match_panoptic_image(pair.gt.segments, pair.pred->segments, overlap, categories,
                                  {pair.image_id, pair.gt.png, pair.pred->png, spec.pred_json});
    for (const auto& o : m.gt) {
      if (o.status == MatchStatus::TruePositive) {
        per_class[o.category_id].tp += 1;
        per_class[o.category_id].iou += o.iou;  // panopticapi's own double summation
      }
      if (o.status == MatchStatus::FalseNegative) per_class[o.category_id].fn += 1;
      crowd += o.status == MatchStatus::Crowd;
    }
    for (const auto& o : m.pred) {
      if (o.status == MatchStatus::FalsePositive) per_class[o.category_id].fp += 1;
      ignored += o.status == MatchStatus::Ignored;
      if (o.status == MatchStatus::TruePositive) {
        // The partner's outcome points back with the same IoU.
        bool found = false;
        for (const auto& g : m.gt)
          if (g.id == o.partner) found = g.partner == o.id && g.iou == o.iou;
        EXPECT_TRUE(found) << "image " << pair.image_id << " prediction " << o.id;
      }
    }
  }
  EXPECT_GT(crowd, 0) << "n200 has crowd regions";

  const auto expected = nlohmann::json::parse(
      read_file(f / "expected/metrics/n200/pq_panopticapi.json"))["results"]["per_class"];
  ASSERT_EQ(per_class.size(), expected.size());
  for (const auto& [cat, c] : per_class) {
    const auto& e = expected.at(std::to_string(cat));
    // pq_compute: pq = iou / (tp + fp/2 + fn/2), sq = iou / tp, rq = tp / (tp + fp/2 + fn/2).
    const double denom = double(c.tp) + 0.5 * double(c.fp) + 0.5 * double(c.fn);
    EXPECT_NEAR(c.iou / denom, e["pq"].get<double>(), 1e-12) << "class " << cat;
    EXPECT_NEAR(c.tp ? c.iou / double(c.tp) : 0.0, e["sq"].get<double>(), 1e-12) << "class " << cat;
    // RQ is a ratio of small integers: equality pins TP, FP + FN exactly for each class.
    EXPECT_EQ(double(c.tp) / denom, e["rq"].get<double>()) << "class " << cat;
  }
}

}  // namespace
}  // namespace segx::test
