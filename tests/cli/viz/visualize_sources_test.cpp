// `segx visualize overlay` from COCO instances/results JSON and from segx manifests: the same
// pictures as the folder/JSON inputs they were converted from, scores filtering, and bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
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
fs::path fce() {
  return fixtures_root() / "real/faster_coco_eval_tests";
}
fs::path sample() {
  return fixtures_root() / "real/panopticapi_sample";
}

void expect_same_pictures(const fs::path& a, const fs::path& b, std::size_t count) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(a)) {
    cv::Mat x = cv::imread(e.path().string());
    cv::Mat y = cv::imread((b / e.path().filename()).string());
    ASSERT_FALSE(y.empty()) << e.path().filename();
    ASSERT_EQ(x.size(), y.size()) << e.path().filename();
    EXPECT_EQ(cv::norm(x, y, cv::NORM_INF), 0) << e.path().filename();
    ++n;
  }
  EXPECT_EQ(n, count);
}

TEST(VisualizeSources, CocoInstancesAndResults) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_src_instances");
  const std::string gt = (fce() / "gt_dataset.json").string();
  auto r = run_segx({"visualize", "overlay", "--coco-instances", gt, "--images", fce().string(),
                     "-o", (dir / "gt").string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "gt"), fs::directory_iterator()), 3);
  // Results: with a score threshold above every score nothing is drawn, so the picture above the
  // legend is the photo; with 0, the detections change it.
  auto draw = [&](const std::string& min_score, const std::string& out) {
    return run_segx({"visualize", "overlay", "--coco-instances", gt, "--results",
                     (fce() / "dt_dataset.json").string(), "--images", fce().string(), "--image-id",
                     "1", "--min-score", min_score, "--no-legend", "-o", (dir / out).string(),
                     "-q"});
  };
  r = draw("2", "none.png");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = draw("0", "all.png");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  cv::Mat photo = cv::imread((fce() / "img_3.jpg").string());  // image id 1
  cv::Mat none = cv::imread((dir / "none.png").string());
  cv::Mat all = cv::imread((dir / "all.png").string());
  ASSERT_EQ(none.size(), all.size());
  // Pictures of 256 px are enlarged x2 for legible labels.
  cv::resize(photo, photo, none.size(), 0, 0, cv::INTER_LINEAR);
  EXPECT_LT(cv::norm(none, photo, cv::NORM_L1) / double(photo.total()), 3.0);
  EXPECT_GT(cv::norm(all, none, cv::NORM_L1) / double(photo.total()), 3.0);
}

TEST(VisualizeSources, PanopticManifestEqualsCocoPanoptic) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_src_manifest");
  auto r = run_segx({"convert", "panoptic2manifest", (sample() / "panoptic_examples.json").string(),
                     "--images-dir", (sample() / "input_images").string(), "-o",
                     (dir / "m.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_segx({"visualize", "overlay", "--manifest", (dir / "m.jsonl").string(), "-o",
                (dir / "from_manifest").string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_segx({"visualize", "overlay", "--coco-panoptic",
                (sample() / "panoptic_examples.json").string(), "--images",
                (sample() / "input_images").string(), "-o", (dir / "from_coco").string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_pictures(dir / "from_coco", dir / "from_manifest", 2);
}

TEST(VisualizeSources, SemanticManifestEqualsSemanticFolder) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_src_semantic");
  auto r = run_segx({"convert", "semantic-folder", "--images", (n200() / "images").string(),
                     "--labels", (n200() / "semantic_gt").string(), "--categories",
                     (n200() / "categories.json").string(), "-o", (dir / "m.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_segx({"visualize", "overlay", "--manifest", (dir / "m.jsonl").string(), "--limit", "2",
                "-o", (dir / "from_manifest").string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_segx({"visualize", "overlay", "--semantic", (n200() / "semantic_gt").string(),
                "--categories", (n200() / "categories.json").string(), "--images",
                (n200() / "images").string(), "--limit", "2", "-o", (dir / "from_folder").string(),
                "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The manifest keys pictures by image id (the file stem), as the folder run does.
  expect_same_pictures(dir / "from_folder", dir / "from_manifest", 2);
}

TEST(VisualizeSources, BadInstancesInputLeavesNoOutput) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_src_bad");
  auto gt = nlohmann::json::parse(read_file(fce() / "gt_dataset.json"));
  // A result for an image the GT does not list.
  auto results = nlohmann::json::parse(read_file(fce() / "dt_dataset.json"));
  results[0]["image_id"] = 777;
  std::ofstream((dir / "res.json").string()) << results.dump();
  auto r = run_segx({"visualize", "overlay", "--coco-instances",
                     (fce() / "gt_dataset.json").string(), "--results", (dir / "res.json").string(),
                     "--images", fce().string(), "-o", (dir / "out1").string(), "-q"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("777"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out1"));
  // An unknown category.
  auto bad = gt;
  bad["annotations"][0]["category_id"] = 4242;
  std::ofstream((dir / "gt_cat.json").string()) << bad.dump();
  r = run_segx({"visualize", "overlay", "--coco-instances", (dir / "gt_cat.json").string(),
                "--images", fce().string(), "-o", (dir / "out2").string(), "-q"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("4242"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out2"));
  // A photo of another size than the JSON says.
  fs::create_directories(dir / "images");
  for (const char* name : {"img_1.jpg", "img_2.jpg", "img_3.jpg"}) {
    cv::Mat m = cv::imread((fce() / name).string());
    if (std::string(name) == "img_2.jpg") cv::resize(m, m, {m.cols / 2, m.rows / 2});
    cv::imwrite((dir / "images" / name).string(), m);
  }
  r = run_segx({"visualize", "overlay", "--coco-instances", (fce() / "gt_dataset.json").string(),
                "--images", (dir / "images").string(), "-o", (dir / "out3").string(), "-q"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("img_2.jpg"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out3"));
  // A missing photo.
  fs::remove(dir / "images/img_1.jpg");
  r = run_segx({"visualize", "overlay", "--coco-instances", (fce() / "gt_dataset.json").string(),
                "--images", (dir / "images").string(), "-o", (dir / "out4").string(), "-q"});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out4"));
  // A results list given as the GT is a usage error.
  r = run_segx({"visualize", "overlay", "--coco-instances", (fce() / "dt_dataset.json").string(),
                "--images", fce().string(), "-o", (dir / "out5").string(), "-q"});
  EXPECT_EQ(r.exit_code, 64) << r.err;
}

}  // namespace
}  // namespace segx::test
