// Semantic metrics against confusion matrices counted independently in the test.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "segx/metrics/semantic_iou.hpp"

namespace segx::metrics {
namespace {

TEST(SemanticIou, MMSegCountsPredictedOnlyClassesDetectron2DoesNot) {
  // 3 classes, 255 ignore. GT has classes 0 and 1; class 2 is only predicted.
  const std::vector<std::uint8_t> gt = {0, 0, 0, 1, 1, 1, 255, 255};
  const std::vector<std::uint8_t> pr = {0, 0, 2, 1, 1, 0, 2, 2};
  ConfusionMatrix m(3);
  ASSERT_TRUE(m.add(gt.data(), pr.data(), gt.size(), LabelMap::identity(3, 255),
                    LabelMap::identity(3, 255)));
  // class 0: inter 2, gt 3, pred 3 -> IoU 2/4; class 1: inter 2, gt 3, pred 2 -> 2/3;
  // class 2: inter 0, gt 0, pred 1 (pixels on ignore do not count) -> MMSeg IoU 0.
  auto mm = summarize_semantic(m, IouAveraging::MMSeg);
  EXPECT_DOUBLE_EQ(mm.per_class[0].iou, 0.5);
  EXPECT_DOUBLE_EQ(mm.per_class[1].iou, 2.0 / 3.0);
  EXPECT_EQ(mm.per_class[2].iou, 0.0);
  EXPECT_EQ(mm.classes_averaged, 3);
  EXPECT_DOUBLE_EQ(mm.miou, (0.5 + 2.0 / 3.0) / 3);
  EXPECT_DOUBLE_EQ(mm.aacc, 4.0 / 6.0);
  EXPECT_TRUE(std::isnan(mm.per_class[2].acc));
  EXPECT_DOUBLE_EQ(mm.macc, (2.0 / 3 + 2.0 / 3) / 2);
  auto d2 = summarize_semantic(m, IouAveraging::Detectron2);
  EXPECT_TRUE(std::isnan(d2.per_class[2].iou));
  EXPECT_EQ(d2.classes_averaged, 2);
  EXPECT_DOUBLE_EQ(d2.miou, (0.5 + 2.0 / 3.0) / 2);
  EXPECT_DOUBLE_EQ(d2.fwiou, 0.5 * 0.5 + 0.5 * (2.0 / 3.0));
  // Dice 0: 2*2/(3+3); F1 with precision 2/3 and recall 2/3 is 2/3.
  EXPECT_DOUBLE_EQ(mm.per_class[0].dice, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(mm.per_class[0].fscore, 2.0 / 3.0);
}

TEST(SemanticIou, ReduceZeroLabelAndInvalidValues) {
  // reduce_zero_label: 0 -> ignore, 1 -> 0, 2 -> 1, 255 stays ignored.
  const std::vector<std::uint8_t> gt = {0, 1, 2, 255};
  const std::vector<std::uint8_t> pr = {1, 0, 1, 0};
  ConfusionMatrix m(2);
  ASSERT_TRUE(m.add(gt.data(), pr.data(), gt.size(), LabelMap::reduce_zero_label(2, 255),
                    LabelMap::identity(2, 255)));
  EXPECT_EQ(m.at(0, 0), 1u);
  EXPECT_EQ(m.at(1, 1), 1u);
  const std::vector<std::uint8_t> bad = {7, 1, 1, 1};
  ConfusionMatrix before = m;
  EXPECT_FALSE(m.add(bad.data(), pr.data(), bad.size(), LabelMap::identity(2, 255),
                     LabelMap::identity(2, 255)));
  EXPECT_TRUE(m.first_invalid().gt);
  EXPECT_EQ(m.first_invalid().value, 7u);
  EXPECT_TRUE(m == before);  // nothing half-added
}

TEST(SemanticIou, MatchesIndependentCountsOnRandomMaps) {
  const int k = 7;
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> label(0, k);  // k stands for the ignore value 255
  std::map<std::pair<int, int>, double> pairs;     // the test's own confusion counts
  ConfusionMatrix m(k), shard_a(k), shard_b(k);
  for (int image = 0; image < 20; ++image) {
    std::vector<std::uint16_t> gt(500), pr(500);
    for (std::size_t i = 0; i < gt.size(); ++i) {
      int g = label(rng), p = label(rng) % k;
      if (p == 6) p = 0;  // class 6 is never predicted
      if (p == 4 && g != 4) p = 3;  // class 4 predictions only where GT is 4
      gt[i] = std::uint16_t(g == k ? 255 : g);
      pr[i] = std::uint16_t(p);
      if (g != k) pairs[{g, p}] += 1;
    }
    auto id = LabelMap::identity(k, 255);
    ASSERT_TRUE(m.add(gt.data(), pr.data(), gt.size(), id, id));
    ASSERT_TRUE((image % 2 ? shard_a : shard_b).add(gt.data(), pr.data(), gt.size(), id, id));
  }
  shard_b.merge(shard_a);
  EXPECT_TRUE(shard_b == m);

  std::vector<double> inter(k), gtn(k), prn(k);
  double total = 0, correct = 0;
  for (const auto& [gp, n] : pairs) {
    gtn[gp.first] += n;
    prn[gp.second] += n;
    total += n;
    if (gp.first == gp.second) {
      inter[gp.first] += n;
      correct += n;
    }
  }
  auto s = summarize_semantic(m, IouAveraging::MMSeg);
  double iou_sum = 0, acc_sum = 0, fw = 0;
  for (int c = 0; c < k; ++c) {
    const double u = gtn[c] + prn[c] - inter[c];
    EXPECT_NEAR(s.per_class[c].iou, inter[c] / u, 1e-12) << c;
    EXPECT_NEAR(s.per_class[c].dice, 2 * inter[c] / (gtn[c] + prn[c]), 1e-12) << c;
    iou_sum += inter[c] / u;
    acc_sum += inter[c] / gtn[c];
    fw += gtn[c] / total * (inter[c] / u);
  }
  EXPECT_EQ(s.per_class[6].iou, 0.0);
  EXPECT_NEAR(s.miou, iou_sum / k, 1e-12);
  EXPECT_NEAR(s.macc, acc_sum / k, 1e-12);
  EXPECT_NEAR(s.aacc, correct / total, 1e-12);
  EXPECT_NEAR(s.fwiou, fw, 1e-12);
  // Class 6 is never predicted: precision 0/0 is NaN.
  EXPECT_TRUE(std::isnan(s.per_class[6].precision));
}


// 8-bit rows take the 16-at-a-time run search: blocky rows whose runs start anywhere in a block
// (and rows of every width around 16) must count as pixel by pixel, and an invalid value late in
// a long row must leave the counts as they were.
TEST(SemanticIou, BlockyEightBitRowsCountPixelByPixel) {
  const int k = 5;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> value(0, k), run_length(1, 40);
  auto blocky_row = [&](std::size_t width) {
    std::vector<std::uint8_t> row;
    while (row.size() < width) row.insert(row.end(), std::size_t(run_length(rng)), std::uint8_t(value(rng)));
    row.resize(width);
    for (auto& v : row) v = v == k ? 255 : v;  // k stands for the ignore value
    return row;
  };
  const auto id = LabelMap::identity(k, 255);
  ConfusionMatrix m(k), expected(k);
  for (std::size_t width : {1, 2, 15, 16, 17, 31, 33, 64, 100, 640, 641}) {
    for (int rep = 0; rep < 20; ++rep) {
      const auto gt = blocky_row(width), pr = blocky_row(width);
      ASSERT_TRUE(m.add(gt.data(), pr.data(), width, id, id)) << width;
      for (std::size_t i = 0; i < width; ++i)
        if (gt[i] != 255) ++expected.at(gt[i], pr[i] == 255 ? k : pr[i]);
    }
  }
  EXPECT_TRUE(m == expected);

  auto gt = blocky_row(640), pr = blocky_row(640);
  pr[600] = 9;  // neither a class nor ignored
  gt[600] = 1;
  const ConfusionMatrix before = m;
  EXPECT_FALSE(m.add(gt.data(), pr.data(), gt.size(), id, id));
  EXPECT_FALSE(m.first_invalid().gt);
  EXPECT_EQ(m.first_invalid().value, 9u);
  EXPECT_TRUE(m == before);
}

}  // namespace
}  // namespace segx::metrics
