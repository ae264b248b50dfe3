// mIoU parity with cityscapesScripts: `segx eval miou --cityscapes-label-ids` on the label PNGs in
// data/cityscapes_miou against what evalPixelLevelSemanticLabeling wrote for them
// (resultPixelLevelSemanticLabeling.json; scripts/gen_miou_cityscapes_reference.py made both).
//
// cityscapesScripts reads labelId predictions, segx trainId ones: the folder results_trainIds holds
// the same predictions mapped, which the first test checks pixel by pixel. Its class IoU is
// tp / (tp + fp + fn) over GT pixels with an evaluated labelId, a prediction of an ignored labelId
// being a miss; NaN when the class is on neither side there. Its "Score Average" is the mean of
// the classes that are not NaN, so a class only predicted counts with IoU 0: segx's
// `--averaging mmseg`. Both divide the same integer counts and add the same IoUs in the same
// (trainId = labelId) order, so the numbers are compared for equality, not within a tolerance.
// cityscapesScripts' category IoU, nIoU and priors have no segx counterpart and are not compared.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <regex>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;

const fs::path kData = fs::path(SEGX_SOURCE_DIR) / "tests/parity/metrics/data/cityscapes_miou";

// The evaluator writes Python's json.dumps: undefined scores are the token NaN, which is not JSON.
nlohmann::json reference() {
  const std::string text = read_file(kData / "resultPixelLevelSemanticLabeling.json");
  return nlohmann::json::parse(std::regex_replace(text, std::regex(R"(\bNaN\b)"), "null"));
}

nlohmann::json run_miou(const std::string& averaging) {
  auto r = run_segx({"eval", "miou", "-q", "--json", "-", "--cityscapes-label-ids", "--averaging",
                     averaging, "--gt-dir", (kData / "gtFine/val").string(), "--pred-dir",
                     (kData / "results_trainIds").string(), "--gt-suffix", "_gtFine_labelIds.png",
                     "--pred-suffix", "_pred_trainIds.png"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

// labelId of each segx class (index = trainId), by name through the evaluator's "labels" table.
std::vector<int> label_ids(const nlohmann::json& got, const nlohmann::json& ref) {
  std::vector<int> ids;
  for (const auto& c : got["per_class"]) {
    EXPECT_TRUE(ref["labels"].contains(c["name"])) << c["name"];
    ids.push_back(ref["labels"].value(c["name"].get<std::string>(), -1));
  }
  return ids;
}

double score(const nlohmann::json& v) {
  return v.is_null() ? NAN : v.get<double>();
}

TEST(MiouCityscapesParity, TrainIdPredictionsAreTheLabelIdOnesMapped) {
  const auto ref = reference();
  const auto got = run_miou("mmseg");
  const auto ids = label_ids(got, ref);
  std::map<int, int> train;  // labelId -> trainId; the other labelIds are ignored (255)
  for (std::size_t t = 0; t < ids.size(); ++t) train[ids[t]] = int(t);
  int images = 0;
  for (const auto& f : fs::recursive_directory_iterator(kData / "results")) {
    if (!f.is_regular_file()) continue;
    const auto rel = fs::relative(f.path(), kData / "results").string();
    const auto mapped =
        kData / "results_trainIds" /
        std::regex_replace(rel, std::regex("_pred_labelIds\\.png$"), "_pred_trainIds.png");
    const cv::Mat a = cv::imread(f.path().string(), cv::IMREAD_UNCHANGED);
    const cv::Mat b = cv::imread(mapped.string(), cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(a.empty() || b.empty()) << rel;
    ASSERT_EQ(a.size, b.size) << rel;
    for (int y = 0; y < a.rows; ++y)
      for (int x = 0; x < a.cols; ++x) {
        const auto it = train.find(a.at<uchar>(y, x));
        ASSERT_EQ(int(b.at<uchar>(y, x)), it == train.end() ? 255 : it->second) << rel;
      }
    ++images;
  }
  EXPECT_EQ(images, got["images"].get<int>());
  EXPECT_EQ(images, 6);
}

TEST(MiouCityscapesParity, ClassIouAndAverageEqualCityscapesScripts) {
  const auto ref = reference();
  const auto got = run_miou("mmseg");
  ASSERT_EQ(got["per_class"].size(), 19u);
  int defined = 0, zero = 0;
  for (const auto& c : got["per_class"]) {
    const auto name = c["name"].get<std::string>();
    const double want = score(ref["classScores"].at(name));
    const double have = score(c["IoU"]);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(have)) << name << ": segx " << have << ", cityscapesScripts NaN";
      continue;
    }
    EXPECT_EQ(have, want) << name << std::setprecision(17) << ": segx " << have
                          << ", cityscapesScripts " << want;
    ++defined;
    zero += want == 0;
  }
  // The data has what the comparison is about: classes on both sides, one in the GT only (pole),
  // one predicted only (train), classes on neither side (NaN) and one predicted on ignored GT
  // pixels only (motorcycle, NaN).
  EXPECT_GE(defined, 10);
  EXPECT_GE(zero, 2);
  EXPECT_EQ(got["classes_averaged"].get<int>(), defined);
  EXPECT_EQ(got["mIoU"].get<double>(), ref["averageScoreClasses"].get<double>())
      << std::setprecision(17) << "segx " << got["mIoU"].get<double>() << ", cityscapesScripts "
      << ref["averageScoreClasses"].get<double>();
}

TEST(MiouCityscapesParity, ConfusionCountsEqualCityscapesScripts) {
  // cityscapesScripts' matrix is labelId x labelId over every pixel; segx's is trainId x
  // (trainId, "none") over GT pixels of evaluated classes, "none" being the ignored labelIds.
  const auto ref = reference();
  const auto got = run_miou("mmseg");
  const auto ids = label_ids(got, ref);
  const auto& cs = ref["confMatrix"];
  const auto& counts = got["confusion_matrix"]["counts"];
  const int k = int(ids.size());
  ASSERT_EQ(counts.size(), std::size_t(k));
  for (int g = 0; g < k; ++g) {
    const auto& row = cs.at(std::size_t(ids[std::size_t(g)]));
    std::uint64_t none = 0;
    for (std::size_t j = 0; j < row.size(); ++j)
      if (std::find(ids.begin(), ids.end(), int(j)) == ids.end())
        none += row[j].get<std::uint64_t>();
    for (int p = 0; p < k; ++p)
      EXPECT_EQ(counts[std::size_t(g)][std::size_t(p)].get<std::uint64_t>(),
                row.at(std::size_t(ids[std::size_t(p)])).get<std::uint64_t>())
          << "gt " << g << " pred " << p;
    EXPECT_EQ(counts[std::size_t(g)][std::size_t(k)].get<std::uint64_t>(), none) << "gt " << g;
  }
}

TEST(MiouCityscapesParity, Detectron2AveragingLeavesOutClassesWithoutGt) {
  // `--averaging detectron2` is not cityscapesScripts' average: it drops the classes with no GT
  // pixels (train here, IoU 0 in the reference), so it is the reference's class IoUs averaged
  // over the classes whose confusion-matrix row is not empty.
  const auto ref = reference();
  const auto got = run_miou("detectron2");
  const auto ids = label_ids(got, ref);
  double sum = 0;
  int n = 0;
  for (std::size_t t = 0; t < ids.size(); ++t) {
    std::uint64_t gt_pixels = 0;
    for (const auto& v : ref["confMatrix"].at(std::size_t(ids[t])))
      gt_pixels += v.get<std::uint64_t>();
    if (gt_pixels == 0) continue;
    sum += score(ref["classScores"].at(got["per_class"][t]["name"].get<std::string>()));
    ++n;
  }
  EXPECT_EQ(got["classes_averaged"].get<int>(), n);
  EXPECT_EQ(got["mIoU"].get<double>(), sum / n);
  EXPECT_NE(got["mIoU"].get<double>(), ref["averageScoreClasses"].get<double>());
}

}  // namespace
}  // namespace segx::test
