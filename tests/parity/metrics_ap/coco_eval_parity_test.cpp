// COCO AP parity with pycocotools: the 12 stats on every fixture set equal what pycocotools
// printed (../shared/fixtures/expected/metrics), bit for bit (the expected files hold Python's
// repr of each float, which reads back to the same double), and the printed lines match.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "segx/core/error.hpp"
#include "segx/metrics/coco_eval.hpp"
#include "support/fixtures.hpp"

namespace segx::metrics {
namespace {

namespace fs = std::filesystem;

nlohmann::json load_json(const fs::path& p) {
  return nlohmann::json::parse(test::read_file(p));
}

std::vector<CocoStat> run(const fs::path& gt_path, const fs::path& dt_path, CocoIouType type) {
  CocoReadOptions opt;
  opt.masks = type == CocoIouType::Segm;
  opt.boxes = type == CocoIouType::Bbox;
  opt.threads = 2;
  const CocoGroundTruth gt = read_coco_ground_truth(gt_path.string(), opt);
  const CocoResults dt = read_coco_results(dt_path.string(), gt, opt);
  CocoEvalParams p;
  p.iou_type = type;
  p.threads = 2;
  return coco_summarize(coco_evaluate(gt, dt, p));
}

void expect_stats(const std::vector<CocoStat>& got, const fs::path& expected_json) {
  const auto expected = load_json(expected_json)["stats"];
  ASSERT_EQ(expected.size(), 12u);
  ASSERT_EQ(got.size(), 12u);
  for (size_t i = 0; i < 12; ++i)
    EXPECT_EQ(got[i].value, expected[i].get<double>())
        << "stat " << i << " of " << expected_json.filename();
}

// The 12 summary lines of a pycocotools log.
std::vector<std::string> printed_lines(const fs::path& log) {
  std::ifstream in(log);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.rfind(" Average ", 0) == 0) out.push_back(line);
  return out;
}

struct Case {
  const char* name;
  const char* gt;
  const char* dt;
  CocoIouType type;
  const char* expected;  // under expected/metrics
};

class CocoEvalParity : public ::testing::TestWithParam<Case> {};

TEST_P(CocoEvalParity, StatsEqualPycocotools) {
  SEGX_REQUIRE_FIXTURES();
  const auto root = test::fixtures_root();
  const Case& c = GetParam();
  const auto stats = run(root / c.gt, root / c.dt, c.type);
  const fs::path expected = root / "expected/metrics" / c.expected;
  expect_stats(stats, expected);
  fs::path log = expected;
  log.replace_extension(".log");
  if (fs::exists(log)) {
    const auto lines = printed_lines(log);
    ASSERT_EQ(lines.size(), 12u);
    for (size_t i = 0; i < 12; ++i) EXPECT_EQ(format_stat(stats[i]), lines[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, CocoEvalParity,
    ::testing::Values(Case{"n200_segm", "synth/n200/instances_gt.json",
                           "synth/n200/results_segm.json", CocoIouType::Segm,
                           "n200/coco_pycocotools_segm.json"},
                      Case{"n200_bbox", "synth/n200/instances_gt.json",
                           "synth/n200/results_bbox.json", CocoIouType::Bbox,
                           "n200/coco_pycocotools_bbox.json"},
                      Case{"n200_segm_on_combined", "synth/n200/instances_gt.json",
                           "synth/n200/results_segm_bbox.json", CocoIouType::Segm,
                           "n200_pycocotools_segm_on_combined.json"},
                      Case{"val2014_segm", "real/cocoapi_val2014_100/instances_val2014_100.json",
                           "real/cocoapi_val2014_100/instances_val2014_fakesegm100_results.json",
                           CocoIouType::Segm, "val2014_100/pycocotools_segm.json"},
                      Case{"val2014_bbox", "real/cocoapi_val2014_100/instances_val2014_100.json",
                           "real/cocoapi_val2014_100/instances_val2014_fakebbox100_results.json",
                           CocoIouType::Bbox, "val2014_100/pycocotools_bbox.json"},
                      Case{"fce_segm", "real/faster_coco_eval_tests/gt_dataset.json",
                           "real/faster_coco_eval_tests/dt_dataset.json", CocoIouType::Segm,
                           "fce_small/pycocotools_segm.json"},
                      Case{"fce_bbox", "real/faster_coco_eval_tests/gt_dataset.json",
                           "real/faster_coco_eval_tests/dt_dataset.json", CocoIouType::Bbox,
                           "fce_small/pycocotools_bbox.json"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CocoEvalParityExtra, GroundTruthIdsFromZero) {
  // An annotation id of 0 never counts as a match: renumber the ground truth from 0.
  SEGX_REQUIRE_FIXTURES();
  const auto root = test::fixtures_root();
  auto gt = load_json(root / "synth/n200/instances_gt.json");
  int64_t next = 0;
  for (auto& a : gt["annotations"]) a["id"] = next++;
  const auto dir = test::temp_dir("gtid0");
  const auto gt_path = dir / "instances_gt_id0.json";
  std::ofstream(gt_path) << gt.dump();
  expect_stats(run(gt_path, root / "synth/n200/results_segm.json", CocoIouType::Segm),
               root / "expected/metrics/n200_pycocotools_segm_gtid0.json");
}

TEST(CocoEvalParityExtra, ThresholdsAreNumpyLinspace) {
  const auto t = coco_iou_thresholds();
  ASSERT_EQ(t.size(), 10u);
  EXPECT_EQ(t[0], 0.5);
  EXPECT_EQ(t[5], 0.75);  // summarize() finds AP75 by exact equality
  EXPECT_EQ(t[9], 0.95);
  EXPECT_EQ(t[1], 0.55);
  const auto r = coco_recall_thresholds();
  ASSERT_EQ(r.size(), 101u);
  EXPECT_EQ(r[100], 1.0);
  EXPECT_EQ(r[7], 7 * 0.01);
}

}  // namespace
}  // namespace segx::metrics
