// Charts and plots: ticks, PR curves from a precision table, bars, confusion heat maps, training
// logs.
#include "segx/viz/plots.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "golden.hpp"
#include "segx/core/error.hpp"
#include "segx/viz/chart.hpp"
#include "segx/viz/report_plots.hpp"
#include "segx/viz/text.hpp"
#include "support/fixtures.hpp"
#include "synthetic.hpp"

namespace segx::viz {
namespace {

// A precision table shaped like COCOeval's: precision falls with recall, later for easier classes;
// class 2 has no ground truth (-1 everywhere).
PrecisionTable synthetic_precision() {
  PrecisionTable p;
  for (int t = 0; t < 10; ++t) p.iou_thresholds.push_back(0.5 + 0.05 * t);
  for (int r = 0; r <= 100; ++r) p.recall_thresholds.push_back(r / 100.0);
  p.class_names = {"person", "bicycle", "unicorn", "traffic light"};
  const double reach[] = {0.9, 0.6, 0, 0.4};
  p.values.assign(10 * 101 * 4, 0.0);
  for (int t = 0; t < 10; ++t)
    for (int r = 0; r <= 100; ++r)
      for (int k = 0; k < 4; ++k) {
        double recall = r / 100.0, limit = reach[k] * (1.0 - 0.06 * t);
        double v = k == 2 ? -1.0 : recall <= limit ? 1.0 - 0.4 * recall * recall : 0.0;
        p.values[(t * 101 + r) * 4 + k] = v;
      }
  return p;
}

int count_colour(const cv::Mat3b& picture, Rgb c) {
  cv::Mat1b mask;
  cv::inRange(picture, to_scalar(c), to_scalar(c), mask);
  return cv::countNonZero(mask);
}

TEST(Chart, NiceTicksAreRoundAndCoverTheRange) {
  auto unit = nice_ticks(0, 1);
  ASSERT_EQ(unit.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(unit[i], 0.2 * i);
  auto t = nice_ticks(3, 4870);
  EXPECT_EQ(t.front(), 1000);
  EXPECT_EQ(t.back(), 4000);
  EXPECT_EQ(format_number(20000), "20k");
  EXPECT_EQ(format_number(0.25), "0.25");
}

TEST(Plots, AveragePrecisionLeavesOutMissingEntries) {
  PrecisionTable p = synthetic_precision();
  EXPECT_TRUE(std::isnan(average_precision(p, 2)));
  // Class 0 at IoU .50: precision 1 - 0.4 r^2 for r <= 0.9, else 0, averaged over 101 recalls.
  double sum = 0;
  for (int r = 0; r <= 90; ++r) sum += 1.0 - 0.4 * (r / 100.0) * (r / 100.0);
  EXPECT_NEAR(average_precision(p, 0, 0), sum / 101, 1e-12);
  p.values.pop_back();
  EXPECT_THROW(check_precision_table(p, "x.json"), Error);
}

TEST(Plots, PrCurvesGolden) {
  PrecisionTable p = synthetic_precision();
  cv::Mat3b overall = render_pr_overall(p, "segm: precision over recall");
  // The three curves are drawn in their series colours.
  for (std::size_t i = 0; i < 3; ++i) EXPECT_GT(count_colour(overall, series_color(i)), 100) << i;
  test::expect_matches_golden(overall, "pr_overall");
  cv::Mat3b per_class = render_pr_per_class(p, 2, "segm");
  EXPECT_EQ(per_class.cols, 2 * 300);
  test::expect_matches_golden(per_class, "pr_per_class");
}

TEST(Plots, ClassBarsSortAndShowEveryName) {
  std::vector<std::string> names = {"road", "sidewalk", "building",
                                    "a very long class name that gets shortened", "sky"};
  std::vector<double> values = {0.97, 0.71, NAN, 0.12, 0.9};
  cv::Mat3b bars = render_class_bars(names, values, "PQ per class", "PQ", true);
  // Bar lengths: road longest; the NaN class draws no bar.
  BarChart c;
  EXPECT_GT(count_colour(bars, c.color), 1000);
  test::expect_matches_golden(bars, "class_bars");
}

TEST(Plots, ConfusionRowsNormalise) {
  std::vector<std::string> names = {"road", "car", "person"};
  cv::Mat1d counts = (cv::Mat1d(3, 3) << 90, 10, 0, 5, 40, 5, 0, 30, 70);
  cv::Mat3b map = render_confusion(names, counts, true, "confusion");
  // Rows normalised on a 0..1 scale: the 0.9 cell has viridis(0.9), the 0 cells viridis(0).
  EXPECT_GT(count_colour(map, viridis(0.9)), 100);
  EXPECT_GT(count_colour(map, viridis(0.0)), 100);
  test::expect_matches_golden(map, "confusion");
  EXPECT_THROW(render_confusion(names, cv::Mat1d(2, 2, 0.0), false, ""), Error);
}

TEST(Plots, TrainingCurvesFromMetricsJsonl) {
  auto dir = segx::test::temp_dir("viz_training");
  auto path = (dir / "metrics.jsonl").string();
  {
    std::ofstream out(path);
    out << "{\"name\": \"header without iteration\"}\n";
    for (int i = 0; i <= 400; i += 20) {
      double base = 3.0 * std::exp(-i / 150.0) + 0.3;
      out << "{\"iteration\": " << i << ", \"total_loss\": " << base + 0.1 * std::sin(i)
          << ", \"loss_ce\": " << base * 0.4 << ", \"loss_mask\": " << base * 0.35
          << ", \"lr\": " << (i < 100 ? 1e-4 * i / 100 : 1e-4) << ", \"time\": 0.5}\n";
    }
    out << "\n{\"iteration\": 400, \"PQ\": 41.5}\n";
  }
  TrainingLog log = read_training_log(path);
  EXPECT_EQ(log.fields.at("total_loss").size(), 21u);
  EXPECT_EQ(log.fields.at("PQ").size(), 1u);
  EXPECT_EQ(default_training_fields(log),
            (std::vector<std::string>{"total_loss", "loss_ce", "loss_mask"}));
  cv::Mat3b curves =
      render_training_curves(log, default_training_fields(log), 0.6, false, "training");
  EXPECT_GT(count_colour(curves, series_color(0)), 100);
  test::expect_matches_golden(curves, "training_curves");

  {
    std::ofstream bad(path, std::ios::app);
    bad << "{\"iteration\": 5, \"loss\": }\n";
  }
  try {
    read_training_log(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::DataError);
    EXPECT_NE(std::string(e.what()).find("line 25"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_training_log((dir / "missing.jsonl").string()), Error);
}

// segx train's logs: per-layer loss copies stay out of the default, and validation records
// ({"eval": {...}}) become a chart of their own.
TEST(Plots, TrainingCurvesWithValidationRecords) {
  auto dir = segx::test::temp_dir("viz_training_eval");
  auto path = (dir / "metrics.jsonl").string();
  {
    std::ofstream out(path);
    for (int i = 0; i < 100; i += 10)
      out << "{\"iteration\": " << i << ", \"total_loss\": " << 10 - 0.05 * i
          << ", \"loss_ce\": 1, \"loss_ce_0\": 2, \"loss_dice_12\": 3, \"lr\": 0.001}\n";
    out << "{\"iteration\": 49, \"eval\": {\"dataset\": \"val\", \"PQ\": 20, \"mIoU\": 30, "
           "\"mask_AP\": -1}}\n";
    out << "{\"iteration\": 99, \"eval\": {\"dataset\": \"val\", \"PQ\": 40, \"mIoU\": 50, "
           "\"mask_AP\": -1}}\n";
  }
  TrainingLog log = read_training_log(path);
  EXPECT_EQ(log.fields.at("eval.PQ").size(), 2u);
  EXPECT_EQ(log.fields.at("eval.PQ").back().second, 40);
  EXPECT_EQ(log.fields.count("eval.dataset"), 0u);
  EXPECT_EQ(default_training_fields(log), (std::vector<std::string>{"total_loss", "loss_ce"}));
  cv::Mat3b with_eval = render_training_curves(log, {"total_loss"}, 0, false, "t");
  log.fields.erase("eval.PQ");
  log.fields.erase("eval.mIoU");
  log.fields.erase("eval.mask_AP");
  cv::Mat3b without = render_training_curves(log, {"total_loss"}, 0, false, "t");
  EXPECT_GT(with_eval.rows, without.rows + 200);
}

}  // namespace
}  // namespace segx::viz

namespace segx::viz {
namespace {

// A report shaped like `segx eval ap --json` (precision [T][R][K][A][M] flat in C order) reads back
// into the same table, taking area "all" and the last maxDets.
TEST(Plots, PrecisionTableFromAnApReport) {
  PrecisionTable p = synthetic_precision();
  const std::size_t T = 10, R = 101, K = 4, A = 4, M = 3;
  nlohmann::json report;
  report["params"] = {{"iou_thresholds", p.iou_thresholds},
                      {"recall_thresholds", p.recall_thresholds}};
  for (const auto& n : p.class_names) report["per_category"].push_back({{"name", n}});
  std::vector<double> data(T * R * K * A * M, 0.25);
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t k = 0; k < K; ++k)
        data[(((t * R + r) * K + k) * A + 0) * M + 2] = p.at(t, r, k);
  report["precision"] = {{"shape", {T, R, K, A, M}}, {"data", data}};
  PrecisionTable back = precision_table_from_json(report, "ap.json");
  EXPECT_EQ(back.values, p.values);
  EXPECT_EQ(back.class_names, p.class_names);
  report["precision"]["shape"][2] = 5;
  EXPECT_THROW(precision_table_from_json(report, "ap.json"), Error);
}

}  // namespace
}  // namespace segx::viz
