// `segx visualize errors`: COCO panoptic and manifest pairs, the status colours where the matching
// puts them, and bad input (size mismatch, unknown category, missing file) without partial output.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;

fs::path n200() {
  return fixtures_root() / "synth/n200";
}
fs::path sample() {
  return fixtures_root() / "real/panopticapi_sample";
}

std::vector<std::string> n200_args(const std::string& out) {
  return {"visualize",
          "errors",
          "--coco-panoptic",
          (n200() / "panoptic_gt.json").string(),
          "--pred",
          (n200() / "panoptic_pred.json").string(),
          "--images",
          (n200() / "images").string(),
          "-o",
          out,
          "-q"};
}

// Pixels of `picture` within 1 level of `bgr` (the status colours come out of the blend exactly
// where alpha = 1).
int count_colour(const cv::Mat3b& picture, cv::Vec3b bgr) {
  cv::Mat1b mask;
  cv::inRange(picture, cv::Scalar(bgr[0] - 1, bgr[1] - 1, bgr[2] - 1),
              cv::Scalar(bgr[0] + 1, bgr[1] + 1, bgr[2] + 1), mask);
  return cv::countNonZero(mask);
}

const cv::Vec3b kTpBgr{115, 158, 0}, kFpBgr{0, 94, 213}, kFnBgr{66, 228, 240};

TEST(VisualizeErrors, CocoPanopticSetOnThreads) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_errors_coco");
  auto args = n200_args((dir / "out").string());
  args.insert(args.end(), {"--limit", "4", "--threads", "2", "--alpha", "1", "--no-labels"});
  auto r = run_segx(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int pictures = 0, fp = 0, fn = 0;
  for (const auto& e : fs::directory_iterator(dir / "out")) {
    cv::Mat3b m = cv::imread(e.path().string());
    ASSERT_FALSE(m.empty()) << e.path();
    EXPECT_EQ(m.cols, 2 * 640 + 6);
    cv::Mat3b left = m(cv::Rect(0, 0, 640, m.rows)), right = m(cv::Rect(646, 0, 640, m.rows));
    EXPECT_GT(count_colour(left, kTpBgr), 1000) << e.path();
    EXPECT_GT(count_colour(right, kTpBgr), 1000) << e.path();
    // False negatives only on the GT side, false positives only on the prediction side (the
    // legend strip below shows both swatches, so look above it).
    cv::Mat3b left_top = left(cv::Rect(0, 0, 640, 480)),
              right_top = right(cv::Rect(0, 0, 640, 480));
    EXPECT_EQ(count_colour(right_top, kFnBgr), 0) << e.path();
    EXPECT_EQ(count_colour(left_top, kFpBgr), 0) << e.path();
    fp += count_colour(right_top, kFpBgr);
    fn += count_colour(left_top, kFnBgr);
    ++pictures;
  }
  EXPECT_EQ(pictures, 4);
  EXPECT_GT(fp + fn, 0) << "n200's predictions are perturbed: some errors must show";
}

TEST(VisualizeErrors, SampleAgainstItselfIsAllTruePositive) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_errors_self");
  const std::string json = (sample() / "panoptic_examples.json").string();
  auto r = run_segx({"visualize", "errors", "--coco-panoptic", json, "--pred", json, "--images",
                     (sample() / "input_images").string(), "--image-id", "142238", "--alpha", "1",
                     "--no-legend", "-o", (dir / "one.png").string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  cv::Mat3b m = cv::imread((dir / "one.png").string());
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(count_colour(m, kFpBgr), 0);
  EXPECT_EQ(count_colour(m, kFnBgr), 0);
  EXPECT_GT(count_colour(m, kTpBgr), 0);
}

TEST(VisualizeErrors, ManifestPairGivesTheSamePictures) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_errors_manifest");
  for (const char* side : {"gt", "pred"}) {
    auto r = run_segx({"convert", "panoptic2manifest",
                       (n200() / (std::string("panoptic_") + side + ".json")).string(),
                       "--images-dir", (n200() / "images").string(), "-o",
                       (dir / (std::string(side) + ".jsonl")).string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto r = run_segx({"visualize", "errors", "--gt-manifest", (dir / "gt.jsonl").string(),
                     "--pred-manifest", (dir / "pred.jsonl").string(), "--limit", "2", "-o",
                     (dir / "from_manifest").string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto args = n200_args((dir / "from_coco").string());
  args.insert(args.end(), {"--limit", "2"});
  r = run_segx(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int compared = 0;
  for (const auto& e : fs::directory_iterator(dir / "from_coco")) {
    cv::Mat a = cv::imread(e.path().string());
    cv::Mat b = cv::imread((dir / "from_manifest" / e.path().filename()).string());
    ASSERT_FALSE(b.empty()) << e.path().filename();
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0) << e.path().filename();
    ++compared;
  }
  EXPECT_EQ(compared, 2);
}

TEST(VisualizeErrors, PredictionOfAnotherSizeFailsWithoutOutput) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_errors_size");
  fs::copy(n200() / "panoptic_pred", dir / "pred");
  auto png = dir / "pred/000000000001.png";
  cv::Mat m = cv::imread(png.string(), cv::IMREAD_UNCHANGED);
  cv::resize(m, m, {m.cols / 2, m.rows / 2}, 0, 0, cv::INTER_NEAREST);
  cv::imwrite(png.string(), m);
  auto args = n200_args((dir / "out").string());
  args.insert(args.end(), {"--pred-dir", (dir / "pred").string(), "--limit", "3"});
  auto r = run_segx(args);
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find(png.filename().string()), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(VisualizeErrors, UnknownCategoryFailsWithoutOutput) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_errors_category");
  std::string json = read_file(n200() / "panoptic_pred.json");
  auto at = json.find("\"category_id\"");
  ASSERT_NE(at, std::string::npos);
  auto colon = json.find(':', at), end = json.find_first_of(",}", colon);
  json.replace(colon + 1, end - colon - 1, " 9999");
  std::ofstream((dir / "pred.json").string()) << json;
  auto args = n200_args((dir / "out").string());
  args[5] = (dir / "pred.json").string();
  args.insert(args.end(), {"--pred-dir", (n200() / "panoptic_pred").string()});
  auto r = run_segx(args);
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("9999"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(VisualizeErrors, MissingFilesFailWithoutOutput) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_errors_missing");
  // A prediction PNG missing: 66 naming it (as `segx eval pq`), unless --allow-missing.
  fs::copy(n200() / "panoptic_pred", dir / "pred");
  auto png = fs::directory_iterator(dir / "pred")->path();
  fs::remove(png);
  auto args = n200_args((dir / "out").string());
  args.insert(args.end(), {"--pred-dir", (dir / "pred").string()});
  auto r = run_segx(args);
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find(png.filename().string()), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
  // A photo missing.
  fs::create_directories(dir / "images");
  r = run_segx({"visualize", "errors", "--coco-panoptic", (n200() / "panoptic_gt.json").string(),
                "--pred", (n200() / "panoptic_pred.json").string(), "--images",
                (dir / "images").string(), "-o", (dir / "out2").string(), "-q"});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out2"));
}

TEST(VisualizeErrors, MissingPredictionAllowedShowsFalseNegatives) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_errors_allow");
  fs::copy(n200() / "panoptic_pred", dir / "pred");
  auto png = fs::directory_iterator(dir / "pred")->path();
  fs::remove(png);
  std::string id = std::to_string(std::stol(png.stem().string()));
  auto args = n200_args((dir / "one.png").string());
  args.insert(args.end(), {"--pred-dir", (dir / "pred").string(), "--allow-missing", "--image-id",
                           id, "--alpha", "1", "--no-legend"});
  auto r = run_segx(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  cv::Mat3b m = cv::imread((dir / "one.png").string());
  ASSERT_FALSE(m.empty());
  EXPECT_GT(count_colour(m, kFnBgr), 1000);
  EXPECT_EQ(count_colour(m, kTpBgr), 0);
}

}  // namespace
}  // namespace segx::test
