// segx infer end to end: the real binary on fixture images with the reference small model.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <sstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string config() { return std::string(SEGX_SOURCE_DIR) + "/tests/parity/model/data/small.json"; }
std::string weights(const char* sub = "small") {
  return (fixtures_root() / "reference-model" / sub / "weights.safetensors").string();
}
std::string image() { return (fixtures_root() / "synth/n200/images/000000000001.jpg").string(); }

std::vector<json> lines(const std::string& out) {
  std::vector<json> r;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) r.push_back(json::parse(line));
  return r;
}

TEST(InferCli, PanopticRecordsAndFiles) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("infer") / "out";
  auto r = run_segx({"infer", image(), image(), "--config", config(), "--weights", weights(),
                     "--object-mask-threshold", "0.3", "--overlap-threshold", "0",
                     "--batch-size", "2", "--out-dir", dir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto recs = lines(r.out);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].at("width"), 640);
  EXPECT_EQ(recs[0].at("height"), 480);
  EXPECT_EQ(recs[0].at("segments_info"), recs[1].at("segments_info"));
  EXPECT_TRUE(fs::exists(dir / "panoptic" / "000000000001.png"));
  auto pan = json::parse(read_file(dir / "panoptic.json"));
  EXPECT_EQ(pan.at("annotations").size(), 2u);
}

TEST(InferCli, InstancesCarryRleAndBoxes) {
  SEGX_REQUIRE_FIXTURES();
  auto r = run_segx({"infer", "-", "--task", "instance", "--config", config(), "--weights",
                     weights()},
                    image() + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto recs = lines(r.out);
  ASSERT_EQ(recs.size(), 1u);
  const auto& anns = recs[0].at("annotations");
  ASSERT_EQ(anns.size(), 20u);  // topk_per_image of the config, no thing filter for instances
  EXPECT_EQ(anns[0].at("segmentation").at("size"), json({480, 640}));
  EXPECT_TRUE(anns[0].at("segmentation").at("counts").is_string());
  EXPECT_EQ(anns[0].at("bbox").size(), 4u);
}

TEST(InferCli, BadInputsGiveDocumentedExitCodes) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("infer_bad");
  auto common = [&](std::vector<std::string> a) {
    a.insert(a.end(), {"--config", config(), "--weights", weights()});
    return run_segx(a);
  };
  EXPECT_EQ(common({"infer", (dir / "none.jpg").string()}).exit_code, 66);
  std::ofstream(dir / "text.jpg") << "not an image";
  auto r = common({"infer", (dir / "text.jpg").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("text.jpg"), std::string::npos) << r.err;
  cv::Mat deep(8, 8, CV_16UC3, cv::Scalar(1000, 2000, 3000));
  cv::imwrite((dir / "deep.png").string(), deep);
  r = common({"infer", (dir / "deep.png").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("16-bit"), std::string::npos) << r.err;
  r = run_segx({"infer", image(), "--config", config(), "--weights", weights("oneformer_small")});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.err.find("query_feat"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace segx::test
