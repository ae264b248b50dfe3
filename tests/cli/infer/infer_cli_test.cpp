// segx infer end to end: the real binary on fixture images with the reference small model.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

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
  ASSERT_EQ(recs.size(), 3u);
  // Without an input manifest the header names the model's classes.
  EXPECT_EQ(recs[0].at("type"), "header");
  EXPECT_EQ(recs[0].at("categories").size(), 133u);
  EXPECT_EQ(recs[1].at("type"), "image");
  EXPECT_EQ(recs[1].at("image_id"), "000000000001");
  EXPECT_EQ(recs[1].at("width"), 640);
  EXPECT_EQ(recs[1].at("height"), 480);
  // The same image twice in one batch: the same segments. Scores may differ in the last float
  // bits, since a float32 convolution need not round the same at every batch position.
  auto segments = [](json info) {
    std::vector<double> scores;
    for (auto& s : info) {
      scores.push_back(s.at("score").get<double>());
      s.erase("score");
    }
    return std::make_pair(info, scores);
  };
  const auto [first, first_scores] = segments(recs[1].at("segments_info"));
  const auto [second, second_scores] = segments(recs[2].at("segments_info"));
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, second);
  ASSERT_EQ(first_scores.size(), second_scores.size());
  for (size_t i = 0; i < first_scores.size(); ++i)
    EXPECT_NEAR(first_scores[i], second_scores[i], 1e-5) << "segment " << i;
  EXPECT_TRUE(fs::exists(dir / "panoptic" / "000000000001.png"));
  auto pan = json::parse(read_file(dir / "panoptic.json"));
  EXPECT_EQ(pan.at("annotations").size(), 2u);
  EXPECT_EQ(pan.at("images").size(), 2u);
  EXPECT_EQ(pan.at("categories"), recs[0].at("categories"));
}

// A manifest on stdin: its header and image ids carry over, so the output pairs with the
// ground truth in `segx eval pq` (through a pipe, as the README shows).
TEST(InferCli, ManifestInputPipesIntoEval) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("infer_pipe");
  const auto n200 = fixtures_root() / "synth/n200";
  auto m = run_segx({"convert", "panoptic2manifest", (n200 / "panoptic_gt.json").string(),
                     "--images-dir", (n200 / "images").string(), "-o",
                     (dir / "all.jsonl").string()});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  std::ifstream all(dir / "all.jsonl");
  std::ofstream gt(dir / "gt.jsonl");
  std::string line;
  for (int i = 0; i < 3 && std::getline(all, line); ++i) gt << line << '\n';  // header + 2
  gt.close();
  // The reference model's 133 classes are not n200's: a threshold of 1 keeps no segment, so
  // what is checked here is that images pair up, not the score.
  auto r = run_segx({"infer", "-", "--config", config(), "--weights", weights(),
                     "--object-mask-threshold", "1", "--out-dir", (dir / "pred").string(), "-o",
                     (dir / "pred.jsonl").string()},
                    read_file(dir / "gt.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto recs = lines(read_file(dir / "pred.jsonl"));
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].at("type"), "header");
  EXPECT_EQ(recs[1].at("image_id"), 1);
  EXPECT_EQ(recs[2].at("image_id"), 2);
  auto pan = json::parse(read_file(dir / "pred" / "panoptic.json"));
  EXPECT_EQ(pan.at("images").at(0).at("id"), 1);
  EXPECT_EQ(pan.at("annotations").at(1).at("image_id"), 2);
  // Piped into eval, and the same through the COCO panoptic files: one result.
  auto piped = run_segx({"eval", "pq", "--gt-manifest", (dir / "gt.jsonl").string(),
                         "--pred-manifest", "-", "--json", "-"},
                        read_file(dir / "pred.jsonl"));
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  auto files = run_segx({"eval", "pq", "--gt-manifest", (dir / "gt.jsonl").string(),
                         "--pred-json", (dir / "pred" / "panoptic.json").string(), "--json", "-"});
  ASSERT_EQ(files.exit_code, 0) << files.err;
  EXPECT_EQ(json::parse(piped.out).at("All"), json::parse(files.out).at("All"));
  EXPECT_EQ(json::parse(piped.out).at("images"), 2);
}

TEST(InferCli, InstancesCarryRleAndBoxes) {
  SEGX_REQUIRE_FIXTURES();
  auto r = run_segx({"infer", "-", "--task", "instance", "--config", config(), "--weights",
                     weights()},
                    image() + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto recs = lines(r.out);
  ASSERT_EQ(recs.size(), 2u);
  const auto& anns = recs[1].at("annotations");
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
