// mIoU on the real Cityscapes frame (mmseg tests): labelIds mapped to trainIds by segx against the
// labelTrainIds file, checked with a confusion matrix counted here with OpenCV and the table of
// cityscapesScripts' labels.py written out independently. A consistency check, not a comparison
// with a reference tool's output: that is miou_cityscapes_parity_test.cpp (cityscapesScripts).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <opencv2/imgcodecs.hpp>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

TEST(MiouParity, CityscapesFrameLabelIdsAgainstTrainIds) {
  SEGX_REQUIRE_FIXTURES();
  const auto dir = fixtures_root() / "real/mmseg_tests/pseudo_cityscapes_dataset/gtFine/val";
  const auto base = dir / "frankfurt/frankfurt_000000_000294";
  auto r = run_segx({"eval", "miou", "-q", "--json", "-", "--gt-dir", dir.string(), "--pred-dir",
                     dir.string(), "--gt-suffix", "_gtFine_labelIds.png", "--pred-suffix",
                     "_gtFine_labelTrainIds.png", "--cityscapes-label-ids"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto got = nlohmann::json::parse(r.out);

  // labels.py: labelId -> trainId for the 19 evaluated classes; every other id is ignored.
  const std::map<int, int> train = {{7, 0},   {8, 1},   {11, 2},  {12, 3},  {13, 4},
                                    {17, 5},  {19, 6},  {20, 7},  {21, 8},  {22, 9},
                                    {23, 10}, {24, 11}, {25, 12}, {26, 13}, {27, 14},
                                    {28, 15}, {31, 16}, {32, 17}, {33, 18}};
  cv::Mat gt = cv::imread(base.string() + "_gtFine_labelIds.png", cv::IMREAD_UNCHANGED);
  cv::Mat pr = cv::imread(base.string() + "_gtFine_labelTrainIds.png", cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(gt.empty());
  ASSERT_EQ(gt.size, pr.size);
  std::vector<double> inter(19), gtn(19), prn(19);
  for (int y = 0; y < gt.rows; ++y)
    for (int x = 0; x < gt.cols; ++x) {
      auto it = train.find(gt.at<uchar>(y, x));
      if (it == train.end()) continue;
      const int g = it->second, p = pr.at<uchar>(y, x);
      gtn[g] += 1;
      if (p < 19) prn[p] += 1;
      if (p == g) inter[g] += 1;
    }
  double sum = 0, correct = 0, total = 0;
  int n = 0;
  for (int c = 0; c < 19; ++c) {
    const double u = gtn[c] + prn[c] - inter[c];
    const auto& v = got["per_class"][c]["IoU"];
    if (u == 0) {
      EXPECT_TRUE(v.is_null()) << c;
      continue;
    }
    EXPECT_NEAR(v.get<double>(), inter[c] / u, 1e-12) << c;
    sum += inter[c] / u;
    ++n;
    correct += inter[c];
    total += gtn[c];
  }
  ASSERT_GT(n, 5);
  EXPECT_NEAR(got["mIoU"].get<double>(), sum / n, 1e-12);
  EXPECT_NEAR(got["aAcc"].get<double>(), correct / total, 1e-12);
  EXPECT_LT(got["mIoU"].get<double>(), 1.0);  // the two files differ a little (resampled)
}

}  // namespace
}  // namespace segx::test
