// `segx convert panoptic2results`: the results equal panopticapi's panoptic2detection output on the
// n200 prediction (instances_pred_raw.json) mask for mask, evaluate to the same AP through
// `segx eval ap`, the manifest path gives the same bytes, and bad input leaves no file.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;

fs::path n200() {
  return fixtures_root() / "synth/n200";
}

TEST(Panoptic2Results, EqualsPanopticapiDetectionsAndRoundTripsThroughEvalAp) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("p2r_n200");
  auto r = run_segx({"convert", "panoptic2results", (n200() / "panoptic_pred.json").string(),
                     "--things-only", "--bbox", "-o", (dir / "res.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto got = nlohmann::json::parse(read_file(dir / "res.json"));
  const auto ref =
      nlohmann::json::parse(read_file(n200() / "instances_pred_raw.json"))["annotations"];
  ASSERT_EQ(got.size(), ref.size());
  nlohmann::json ref_results = nlohmann::json::array();
  for (std::size_t i = 0; i < ref.size(); ++i) {
    EXPECT_EQ(got[i]["image_id"], ref[i]["image_id"]) << i;
    EXPECT_EQ(got[i]["category_id"], ref[i]["category_id"]) << i;
    EXPECT_EQ(got[i]["score"], ref[i]["score"]) << i;
    EXPECT_EQ(got[i]["segmentation"], ref[i]["segmentation"]) << i;
    EXPECT_EQ(got[i]["bbox"], ref[i]["bbox"]) << i;
    ref_results.push_back({{"image_id", ref[i]["image_id"]},
                           {"category_id", ref[i]["category_id"]},
                           {"segmentation", ref[i]["segmentation"]},
                           {"score", ref[i]["score"]}});
  }
  std::ofstream((dir / "ref.json").string()) << ref_results.dump();
  // Without --bbox (the default) the file evaluates exactly like the reference detections.
  r = run_segx({"convert", "panoptic2results", (n200() / "panoptic_pred.json").string(),
                "--things-only", "-o", (dir / "plain.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(nlohmann::json::parse(read_file(dir / "plain.json"))[0].contains("bbox"));
  auto ap = [&](const fs::path& results) {
    auto e = run_segx({"eval", "ap", "--gt", (n200() / "instances_gt.json").string(), "--results",
                       results.string(), "--iou-type", "segm", "--json", "-"});
    EXPECT_EQ(e.exit_code, 0) << e.err;
    return nlohmann::json::parse(e.out)["stats_list"];
  };
  const auto a = ap(dir / "plain.json"), b = ap(dir / "ref.json");
  ASSERT_EQ(a.size(), 12u);
  EXPECT_EQ(a, b);
  EXPECT_GT(a[0].get<double>(), 0.1);
}

TEST(Panoptic2Results, ManifestGivesTheSameFile) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("p2r_manifest");
  auto r = run_segx({"convert", "panoptic2manifest", (n200() / "panoptic_pred.json").string(), "-o",
                     (dir / "pred.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_segx({"convert", "panoptic2results", (dir / "pred.jsonl").string(), "--things-only",
                "--min-score", "0.5", "-o", (dir / "m.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_segx({"convert", "panoptic2results", (n200() / "panoptic_pred.json").string(),
                "--things-only", "--min-score", "0.5", "-o", (dir / "c.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dir / "m.json"), read_file(dir / "c.json"));
  for (const auto& res : nlohmann::json::parse(read_file(dir / "c.json")))
    EXPECT_GE(res["score"].get<double>(), 0.5);
}

TEST(Panoptic2Results, MissingScoreAndUnknownCategoryLeaveNoFile) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("p2r_bad");
  auto json = nlohmann::json::parse(read_file(n200() / "panoptic_pred.json"));
  auto no_score = json;
  no_score["annotations"][3]["segments_info"][0].erase("score");
  std::ofstream((dir / "a.json").string()) << no_score.dump();
  const std::string pngs = (n200() / "panoptic_pred").string();
  auto r = run_segx({"convert", "panoptic2results", (dir / "a.json").string(), "--png-dir", pngs,
                     "-o", (dir / "a_out.json").string()});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("score"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "a_out.json"));
  // --default-score fills it in.
  r = run_segx({"convert", "panoptic2results", (dir / "a.json").string(), "--png-dir", pngs,
                "--default-score", "0.25", "-o", (dir / "a_out.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto unknown = json;
  unknown["annotations"][0]["segments_info"][0]["category_id"] = 31337;
  std::ofstream((dir / "b.json").string()) << unknown.dump();
  r = run_segx({"convert", "panoptic2results", (dir / "b.json").string(), "--png-dir", pngs, "-o",
                (dir / "b_out.json").string()});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("31337"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "b_out.json"));
}

}  // namespace
}  // namespace segx::test
