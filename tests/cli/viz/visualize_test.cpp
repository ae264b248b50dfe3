// `segx visualize` on the real fixtures: outputs, exit codes, and no partial output on bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;

fs::path sample() {
  return fixtures_root() / "real/panopticapi_sample";
}

std::vector<std::string> overlay_args(const fs::path& images, const std::string& out) {
  return {"visualize",
          "overlay",
          "--coco-panoptic",
          (sample() / "panoptic_examples.json").string(),
          "--images",
          images.string(),
          "-o",
          out,
          "-q"};
}

TEST(Visualize, OverlayWritesOnePicturePerImage) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_cli_overlay");
  auto r = run_segx(overlay_args(sample() / "input_images", (dir / "out").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"142238.png", "439180.png"}) {
    cv::Mat m = cv::imread((dir / "out" / name).string());
    ASSERT_FALSE(m.empty()) << name;
    EXPECT_EQ(m.cols, 640);
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "out"), fs::directory_iterator()), 2);
  // A non-empty folder is refused without --overwrite.
  r = run_segx(overlay_args(sample() / "input_images", (dir / "out").string()));
  EXPECT_EQ(r.exit_code, 73) << r.err;
}

TEST(Visualize, OneImageToAJpegFile) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_cli_jpeg");
  auto args = overlay_args(sample() / "input_images", (dir / "one.jpg").string());
  args.insert(args.end(), {"--image-id", "439180", "--alpha", "0.4"});
  auto r = run_segx(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string bytes = read_file(dir / "one.jpg");
  ASSERT_GT(bytes.size(), 3u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0xFF);  // JPEG signature
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0xD8);
  // Two images into one file is a usage error.
  r = run_segx(overlay_args(sample() / "input_images", (dir / "two.png").string()));
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_FALSE(fs::exists(dir / "two.png"));
}

TEST(Visualize, MissingImageFailsWithoutPartialOutput) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_cli_missing");
  fs::create_directories(dir / "images");
  fs::copy_file(sample() / "input_images/000000142238.jpg", dir / "images/000000142238.jpg");
  auto r = run_segx(overlay_args(dir / "images", (dir / "out").string()));
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_NE(r.err.find("000000439180.jpg"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out")) << "the output folder was left behind";
}

TEST(Visualize, ImageOfAnotherSizeFailsNamingBothFiles) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_cli_size");
  fs::create_directories(dir / "images");
  for (const char* name : {"000000142238.jpg", "000000439180.jpg"}) {
    cv::Mat m = cv::imread((sample() / "input_images" / name).string());
    if (std::string(name) == "000000439180.jpg") cv::resize(m, m, {m.cols / 2, m.rows / 2});
    cv::imwrite((dir / "images" / name).string(), m);
  }
  auto r = run_segx(overlay_args(dir / "images", (dir / "out").string()));
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("000000439180.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("000000439180.jpg"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Visualize, UnknownCategoryFails) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_cli_category");
  std::string json = read_file(sample() / "panoptic_examples.json");
  auto at = json.find("\"category_id\": 1,");
  if (at == std::string::npos) at = json.find("\"category_id\":1,");
  ASSERT_NE(at, std::string::npos);
  json.replace(json.find(':', at), 2, ": 9999");
  std::ofstream((dir / "pan.json").string()) << json;
  fs::copy(sample() / "panoptic_examples", dir / "pan");
  auto r =
      run_segx({"visualize", "overlay", "--coco-panoptic", (dir / "pan.json").string(), "--images",
                (sample() / "input_images").string(), "-o", (dir / "out").string(), "-q"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("9999"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Visualize, CompareAndSheet) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_cli_compare");
  std::string json = (sample() / "panoptic_examples.json").string();
  auto r = run_segx({"visualize", "compare", "--coco-panoptic", json, "--pred", json, "--images",
                     (sample() / "input_images").string(), "-o", (dir / "cmp").string(), "-q",
                     "--format", "jpg"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  cv::Mat m = cv::imread((dir / "cmp/142238.jpg").string());
  EXPECT_EQ(m.cols, 2 * 640 + 6);
  r = run_segx({"visualize", "sheet", "--coco-panoptic", json, "--images",
                (sample() / "input_images").string(), "-o", (dir / "sheet.png").string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(cv::imread((dir / "sheet.png").string()).empty());
}

TEST(Visualize, PlotsFromReportsAndLogs) {
  auto dir = temp_dir("viz_cli_plot");
  std::ofstream((dir / "pq.json").string())
      << R"({"metric": "pq", "per_class": {"1": {"name": "person", "PQ": 0.5, "SQ": 0.8, "RQ": 0.6},
             "2": {"name": "car", "PQ": 0.7, "SQ": 0.9, "RQ": 0.75}}})";
  auto r =
      run_segx({"visualize", "plot", (dir / "pq.json").string(), "-o", (dir / "pq.png").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(cv::imread((dir / "pq.png").string()).empty());
  r = run_segx({"visualize", "plot", (dir / "pq.json").string(), "--value", "XQ", "-o",
                (dir / "x.png").string()});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_FALSE(fs::exists(dir / "x.png"));
  std::ofstream((dir / "metrics.jsonl").string())
      << "{\"iteration\": 0, \"total_loss\": 2}\n{\"iteration\": 10, \"total_loss\": 1}\n";
  r = run_segx(
      {"visualize", "plot", (dir / "metrics.jsonl").string(), "-o", (dir / "loss.png").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_segx(
      {"visualize", "plot", (dir / "metrics.jsonl").string(), "-o", (dir / "loss.gif").string()});
  EXPECT_EQ(r.exit_code, 64);
  r = run_segx(
      {"visualize", "plot", (dir / "absent.json").string(), "-o", (dir / "a.png").string()});
  EXPECT_EQ(r.exit_code, 66);
}

}  // namespace
}  // namespace segx::test

namespace segx::test {
namespace {

// Cityscapes trainIds (contiguous indices into the 19 evaluated classes, 255 ignored) over the
// frame.
TEST(Visualize, SemanticLabelMapsWithContiguousIds) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("viz_cli_semantic");
  auto root = fixtures_root() / "real";
  auto city = root / "mmseg_tests/pseudo_cityscapes_dataset";
  fs::create_directories(dir / "labels");
  fs::create_directories(dir / "images");
  fs::copy_file(city / "gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_labelTrainIds.png",
                dir / "labels/f.png");
  fs::copy_file(city / "leftImg8bit/val/frankfurt/frankfurt_000000_000294_leftImg8bit.png",
                dir / "images/f.png");
  auto categories = (root / "cityscapes_panoptic_derived/cityscapes_panoptic_val.json").string();
  auto r = run_segx({"visualize", "overlay", "--semantic", (dir / "labels").string(),
                     "--categories", categories, "--ids", "contiguous", "--images",
                     (dir / "images").string(), "-o", (dir / "out").string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  cv::Mat m = cv::imread((dir / "out/f.png").string());
  EXPECT_EQ(m.cols, 512);
  // Raw ids (labelIds) include classes the 19 do not list (ego vehicle, static): unknown category.
  fs::copy_file(city / "gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_labelIds.png",
                dir / "labels/f.png", fs::copy_options::overwrite_existing);
  r = run_segx({"visualize", "overlay", "--semantic", (dir / "labels").string(), "--categories",
                categories, "--images", (dir / "images").string(), "-o", (dir / "raw").string(),
                "-q"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("unknown category"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "raw"));
}

}  // namespace
}  // namespace segx::test
