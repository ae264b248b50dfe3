// `segx eval pq|miou|merge` on real files: sharded + merged equals the single run byte for byte,
// RLE manifests give the PNG numbers, bad inputs get one-line errors and sysexits codes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "segx/io/panoptic_png.hpp"
#include "segx/mask/rle.hpp"
#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {
namespace fs = std::filesystem;

fs::path n200() { return fixtures_root() / "synth/n200"; }

std::vector<std::string> pq_args(const fs::path& pred_json, const fs::path& pred_dir) {
  return {"eval", "pq", "-q", "--gt-json", (n200() / "panoptic_gt.json").string(), "--gt-dir",
          (n200() / "panoptic_gt").string(), "--pred-json", pred_json.string(), "--pred-dir",
          pred_dir.string()};
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

TEST(EvalCli, ShardedAndMergedPqEqualsSingleRunByteForByte) {
  SEGX_REQUIRE_FIXTURES();
  const auto tmp = temp_dir("pq_shards");
  const auto base = pq_args(n200() / "panoptic_pred.json", n200() / "panoptic_pred");
  auto single = run_segx(with(base, {"--json", "-", "--threads", "2"}));
  ASSERT_EQ(single.exit_code, 0) << single.err;
  auto single_per_image = run_segx(with(base, {"--per-image", "-", "--json", (tmp / "x.json").string()}));
  std::vector<std::string> merge = {"eval", "merge", "-q", "--json", "-"};
  for (int i = 1; i <= 3; ++i) {
    const auto part = (tmp / ("part" + std::to_string(i) + ".json")).string();
    auto r = run_segx(with(base, {"--shard", std::to_string(i) + "/3", "--partial", part, "--threads", "1"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    merge.push_back(part);
  }
  auto merged = run_segx(merge);
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_EQ(merged.out, single.out);
  auto merged_per_image = run_segx(with(merge, {"--per-image", "-"}));
  // --json - comes first in `merge`, so stdout holds the report then the lines; compare the lines.
  EXPECT_NE(merged_per_image.out.find(single_per_image.out.substr(0, 200)), std::string::npos);
  // A shard missing or given twice is refused.
  auto missing = run_segx({"eval", "merge", merge[5], merge[6]});
  EXPECT_EQ(missing.exit_code, 66) << missing.err;
  auto twice = run_segx({"eval", "merge", merge[5], merge[5], merge[6], merge[7]});
  EXPECT_EQ(twice.exit_code, 65) << twice.err;
}

// Partial files of different runs never merge: shards of another prediction set (here the ground
// truth scored against itself) or of another split are refused by name.
TEST(EvalCli, MergeRefusesShardsOfOtherInputsOrSplits) {
  SEGX_REQUIRE_FIXTURES();
  const auto tmp = temp_dir("pq_foreign_shards");
  auto shard = [&](const fs::path& pred_json, const fs::path& pred_dir, const std::string& which,
                   const std::string& name) {
    const auto part = (tmp / name).string();
    auto r = run_segx(with(pq_args(pred_json, pred_dir), {"--shard", which, "--partial", part}));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return part;
  };
  const auto a1 = shard(n200() / "panoptic_pred.json", n200() / "panoptic_pred", "1/2", "a1.json");
  const auto b2 = shard(n200() / "panoptic_gt.json", n200() / "panoptic_gt", "2/2", "b2.json");
  const auto c2 = shard(n200() / "panoptic_pred.json", n200() / "panoptic_pred", "2/3", "c2.json");
  auto r = run_segx({"eval", "merge", a1, b2, "--json", (tmp / "out.json").string()});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("come from runs with different inputs or options"), std::string::npos)
      << r.err;
  r = run_segx({"eval", "merge", a1, c2, "--json", (tmp / "out.json").string()});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("split the set differently"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "out.json"));
}

TEST(EvalCli, ShardedAndMergedMiouEqualsSingleRun) {
  SEGX_REQUIRE_FIXTURES();
  const auto tmp = temp_dir("miou_shards");
  const std::vector<std::string> base = {
      "eval", "miou", "-q", "--gt-dir", (n200() / "semantic_gt").string(), "--pred-dir",
      (n200() / "semantic_pred").string(), "--num-classes", "256", "--ignore-index", "0"};
  auto single = run_segx(with(base, {"--json", "-"}));
  ASSERT_EQ(single.exit_code, 0) << single.err;
  std::vector<std::string> merge = {"eval", "merge", "-q", "--json", "-"};
  for (int i = 1; i <= 2; ++i) {
    const auto part = (tmp / ("part" + std::to_string(i))).string();
    ASSERT_EQ(run_segx(with(base, {"--shard", std::to_string(i) + "/2", "--partial", part})).exit_code, 0);
    merge.push_back(part);
  }
  auto merged = run_segx(merge);
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_EQ(merged.out, single.out);
  EXPECT_GT(nlohmann::json::parse(single.out)["mIoU"].get<double>(), 0.3);
}

TEST(EvalCli, FailUnderExitsOne) {
  SEGX_REQUIRE_FIXTURES();
  const auto base = pq_args(n200() / "panoptic_pred.json", n200() / "panoptic_pred");
  auto low = run_segx(with(base, {"--fail-under", "PQ=0.5"}));
  EXPECT_EQ(low.exit_code, 0) << low.err;
  auto high = run_segx(with(base, {"--fail-under", "PQ_th=60%"}));
  EXPECT_EQ(high.exit_code, 1);
  EXPECT_NE(high.err.find("PQ_th 0.54"), std::string::npos) << high.err;
  EXPECT_NE(high.out.find("All       |  64.4   83.2   76.6    30"), std::string::npos);
  EXPECT_EQ(run_segx(with(base, {"--fail-under", "XQ=1"})).exit_code, 64);
}

// Writes `json` after `edit` to tmp/pred.json.
fs::path edited_prediction(const fs::path& tmp, const std::function<void(nlohmann::json&)>& edit) {
  auto j = nlohmann::json::parse(read_file(n200() / "panoptic_pred.json"));
  edit(j);
  const auto path = tmp / "pred.json";
  write(path, j.dump());
  return path;
}

TEST(EvalCli, BadPredictionsGetOneLineErrors) {
  SEGX_REQUIRE_FIXTURES();
  const auto tmp = temp_dir("pq_bad");
  const auto dir = n200() / "panoptic_pred";
  struct Case {
    std::function<void(nlohmann::json&)> edit;
    int code;
    std::string text;
  };
  const std::vector<Case> cases = {
      {[](auto& j) { j["annotations"][0]["segments_info"].erase(0); }, 65, "are in the PNG but not in"},
      {[](auto& j) {
         auto s = j["annotations"][0]["segments_info"][0];
         s["id"] = 16777000;
         j["annotations"][0]["segments_info"].push_back(s);
       },
       65, "are in the JSON but not in"},
      {[](auto& j) { j["annotations"][0]["segments_info"][0]["category_id"] = 9999; }, 65,
       "unknown category_id 9999"},
      {[](auto& j) { j["annotations"].push_back(j["annotations"][0]); }, 65, "is listed twice"},
      {[](auto& j) { j["annotations"].erase(1); }, 66, "no prediction for the image"},
      {[](auto& j) { j["annotations"][0]["file_name"] = "nope.png"; }, 66, "nope.png"},
  };
  for (const auto& c : cases) {
    auto r = run_segx(pq_args(edited_prediction(tmp, c.edit), dir));
    EXPECT_EQ(r.exit_code, c.code) << c.text << ": " << r.err;
    EXPECT_NE(r.err.find(c.text), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
  // --allow-missing: the image without prediction counts its segments as false negatives.
  auto pred = edited_prediction(tmp, [](auto& j) { j["annotations"].erase(1); });
  auto r = run_segx(with(pq_args(pred, dir), {"--allow-missing", "--json", "-"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(nlohmann::json::parse(r.out)["All"]["rq"].get<double>(), 0.7657633324193325);
}

// A manifest whose segments carry RLE only (no PNG path): built here from the fixture's PNGs.
fs::path rle_manifest(const fs::path& tmp, const std::string& which) {
  const auto j = nlohmann::json::parse(read_file(n200() / ("panoptic_" + which + ".json")));
  const auto cats = nlohmann::json::parse(read_file(n200() / "panoptic_gt.json"))["categories"];
  const auto path = tmp / (which + ".jsonl");
  std::ofstream out(path);
  out << nlohmann::json{{"type", "header"}, {"segx_manifest", 1}, {"dataset", "n200"}, {"categories", cats}}.dump()
      << "\n";
  for (const auto& a : j["annotations"]) {
    const auto ids = io::read_panoptic_png((n200() / ("panoptic_" + which) / a["file_name"].get<std::string>()).string());
    std::map<std::uint32_t, std::string> counts;
    for (auto& [id, rle] : mask::encode_labels(ids.ids.data(), std::uint32_t(ids.height), std::uint32_t(ids.width)))
      counts[id] = mask::to_string(rle);
    nlohmann::json rec = {{"type", "image"}, {"image_id", a["image_id"]}, {"height", ids.height},
                          {"width", ids.width}, {"segments_info", a["segments_info"]}};
    for (auto& s : rec["segments_info"])
      s["segmentation"] = {{"size", {ids.height, ids.width}}, {"counts", counts[s["id"].get<std::uint32_t>()]}};
    out << rec.dump() << "\n";
  }
  return path;
}

TEST(EvalCli, RleManifestsGiveThePngNumbers) {
  SEGX_REQUIRE_FIXTURES();
  const auto tmp = temp_dir("pq_rle");
  auto png = run_segx(with(pq_args(n200() / "panoptic_pred.json", n200() / "panoptic_pred"), {"--json", "-"}));
  ASSERT_EQ(png.exit_code, 0) << png.err;
  const auto gt = rle_manifest(tmp, "gt"), pred = rle_manifest(tmp, "pred");
  auto rle = run_segx({"eval", "pq", "-q", "--json", "-", "--gt-manifest", gt.string(), "--pred-manifest", pred.string()});
  ASSERT_EQ(rle.exit_code, 0) << rle.err;
  const auto a = nlohmann::json::parse(png.out), b = nlohmann::json::parse(rle.out);
  for (const char* g : {"All", "Things", "Stuff"}) EXPECT_EQ(a[g], b[g]) << g;  // exact counts
  EXPECT_EQ(a["per_class"], b["per_class"]);
  // Mixed: PNG ground truth, RLE predictions.
  auto mixed = run_segx({"eval", "pq", "-q", "--json", "-", "--gt-json", (n200() / "panoptic_gt.json").string(),
                         "--pred-manifest", pred.string()});
  ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_EQ(nlohmann::json::parse(mixed.out)["All"], a["All"]);
}

TEST(EvalCli, MiouFromPanopticInputsEqualsLabelPngs) {
  SEGX_REQUIRE_FIXTURES();
  const auto tmp = temp_dir("miou_panoptic");
  // semantic_gt/pred were written by panopticapi's panoptic2semantic (raw category ids, 0 void).
  auto png = run_segx({"eval", "miou", "-q", "--json", "-", "--gt-dir", (n200() / "semantic_gt").string(),
                       "--pred-dir", (n200() / "semantic_pred").string(), "--num-classes", "256",
                       "--ignore-index", "0"});
  ASSERT_EQ(png.exit_code, 0) << png.err;
  const auto gt = rle_manifest(tmp, "gt"), pred = rle_manifest(tmp, "pred");
  const std::vector<std::vector<std::string>> panoptic_inputs = {
      {"--gt-json", (n200() / "panoptic_gt.json").string(), "--pred-json", (n200() / "panoptic_pred.json").string()},
      {"--gt-manifest", gt.string(), "--pred-manifest", pred.string()}};
  const auto by_png = nlohmann::json::parse(png.out);
  const auto cats = nlohmann::json::parse(read_file(n200() / "panoptic_gt.json"))["categories"];
  for (const auto& inputs : panoptic_inputs) {
    auto r = run_segx(with({"eval", "miou", "-q", "--json", "-"}, inputs));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["per_class"].size(), cats.size());
    for (std::size_t c = 0; c < cats.size(); ++c)
      EXPECT_EQ(j["per_class"][c]["IoU"], by_png["per_class"][cats[c]["id"].get<int>()]["IoU"]) << c;
    EXPECT_EQ(j["mIoU"], by_png["mIoU"]);
  }
}

}  // namespace
}  // namespace segx::test
