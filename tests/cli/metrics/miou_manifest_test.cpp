// `segx eval miou` over manifests' sem_seg_file_name: n200's label PNGs through semantic-folder
// manifests equal the folder run, and a generated set's numbers equal a confusion matrix counted
// here, pixel by pixel, for each header scheme.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

namespace fs = std::filesystem;

fs::path n200() {
  return fixtures_root() / "synth/n200";
}

nlohmann::json run_json(const std::vector<std::string>& args) {
  auto r = run_segx(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

TEST(MiouManifest, N200SemanticFolderManifestsEqualTheFolderRun) {
  SEGX_REQUIRE_FIXTURES();
  auto dir = temp_dir("miou_manifest_n200");
  for (const char* side : {"gt", "pred"}) {
    auto r = run_segx({"convert", "semantic-folder", "--images", (n200() / "images").string(),
                       "--labels", (n200() / (std::string("semantic_") + side)).string(),
                       "--categories", (n200() / "categories.json").string(), "-o",
                       (dir / (std::string(side) + ".jsonl")).string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto by_folder =
      run_json({"eval", "miou", "-q", "--json", "-", "--gt-dir", (n200() / "semantic_gt").string(),
                "--pred-dir", (n200() / "semantic_pred").string(), "--num-classes", "256",
                "--ignore-index", "0"});
  auto by_manifest =
      run_json({"eval", "miou", "-q", "--json", "-", "--gt-manifest", (dir / "gt.jsonl").string(),
                "--pred-manifest", (dir / "pred.jsonl").string()});
  const auto cats = nlohmann::json::parse(read_file(n200() / "categories.json"));
  const auto& list = cats.is_array() ? cats : cats["categories"];
  ASSERT_EQ(by_manifest["per_class"].size(), list.size());
  for (std::size_t c = 0; c < list.size(); ++c)
    EXPECT_EQ(by_manifest["per_class"][c]["IoU"],
              by_folder["per_class"][list[c]["id"].get<int>()]["IoU"])
        << c;
  EXPECT_EQ(by_manifest["mIoU"], by_folder["mIoU"]);
  // Forcing the panoptic reading of a semantic-only manifest is a clear error.
  auto r =
      run_segx({"eval", "miou", "-q", "--gt-manifest", (dir / "gt.jsonl").string(),
                "--pred-manifest", (dir / "pred.jsonl").string(), "--manifest-labels", "panoptic"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
}

struct Generated {
  fs::path gt, pred;
  std::vector<cv::Mat1b> gt_labels, pred_labels;
};

// Three 40x30 label images with values in `values`, a header with categories 3, 5, 9 (stuff) and
// `header_extra` fields; predictions are the GT with ~30% of the pixels redrawn.
Generated generate(const fs::path& dir, const std::vector<int>& values,
                   const std::string& header_extra) {
  fs::create_directories(dir / "gt");
  fs::create_directories(dir / "pred");
  std::mt19937 rng(11);
  Generated g{dir / "gt.jsonl", dir / "pred.jsonl", {}, {}};
  std::ofstream gm(g.gt), pm(g.pred);
  const std::string header =
      R"({"type": "header", "segx_manifest": 1, "dataset": "t", "categories": [)"
      R"({"id": 3, "name": "a", "isthing": 0}, {"id": 5, "name": "b", "isthing": 0}, )"
      R"({"id": 9, "name": "c", "isthing": 0}])" +
      header_extra + "}\n";
  gm << header;
  pm << header;
  for (int i = 0; i < 3; ++i) {
    cv::Mat1b gt(30, 40), pred(30, 40);
    for (int y = 0; y < 30; ++y)
      for (int x = 0; x < 40; ++x) {
        gt(y, x) = std::uint8_t(values[(x / 10 + y / 10 + i) % values.size()]);
        pred(y, x) = rng() % 10 < 3 ? std::uint8_t(values[rng() % values.size()]) : gt(y, x);
      }
    const std::string name = std::to_string(i) + ".png";
    cv::imwrite((dir / "gt" / name).string(), gt);
    cv::imwrite((dir / "pred" / name).string(), pred);
    g.gt_labels.push_back(gt);
    g.pred_labels.push_back(pred);
    for (auto* m : {&gm, &pm})
      *m << R"({"type": "image", "image_id": )" << i << R"(, "file_name": "x.jpg", )"
         << R"("height": 30, "width": 40, "sem_seg_file_name": ")" << (m == &gm ? "gt/" : "pred/")
         << name << "\"}\n";
  }
  return g;
}

// IoU per class from the confusion counted here; `cls` maps a label value to a class (-1 ignored).
std::vector<double> expected_iou(const Generated& g, const std::map<int, int>& cls, int k) {
  std::vector<std::vector<double>> m(k, std::vector<double>(k + 1, 0));
  for (std::size_t i = 0; i < g.gt_labels.size(); ++i)
    for (int y = 0; y < 30; ++y)
      for (int x = 0; x < 40; ++x) {
        int a = cls.at(g.gt_labels[i](y, x)), b = cls.at(g.pred_labels[i](y, x));
        if (a < 0) continue;
        m[a][b < 0 ? k : b] += 1;
      }
  std::vector<double> iou(k);
  for (int c = 0; c < k; ++c) {
    double tp = m[c][c], fn = 0, fp = 0;
    for (int j = 0; j <= k; ++j) fn += j == c ? 0 : m[c][j];
    for (int r = 0; r < k; ++r) fp += r == c ? 0 : m[r][c];
    iou[c] = tp / (tp + fp + fn);
  }
  return iou;
}

void expect_ious(const nlohmann::json& report, const std::vector<double>& iou) {
  ASSERT_EQ(report["per_class"].size(), iou.size());
  for (std::size_t c = 0; c < iou.size(); ++c)
    EXPECT_NEAR(report["per_class"][c]["IoU"].get<double>(), iou[c], 1e-12) << c;
}

TEST(MiouManifest, HeaderSchemesOnGeneratedLabels) {
  auto dir = temp_dir("miou_manifest_schemes");
  // category ids, 0 unlabeled.
  auto cat = generate(dir / "category", {0, 3, 5, 9}, R"(, "semantic_ids": "category")");
  auto j = run_json({"eval", "miou", "-q", "--json", "-", "--gt-manifest", cat.gt.string(),
                     "--pred-manifest", cat.pred.string()});
  expect_ious(j, expected_iou(cat, {{0, -1}, {3, 0}, {5, 1}, {9, 2}}, 3));
  // contiguous 0..2, 255 ignored.
  auto con = generate(dir / "contiguous", {0, 1, 2, 255}, R"(, "semantic_ids": "contiguous")");
  j = run_json({"eval", "miou", "-q", "--json", "-", "--gt-manifest", con.gt.string(),
                "--pred-manifest", con.pred.string()});
  expect_ious(j, expected_iou(con, {{0, 0}, {1, 1}, {2, 2}, {255, -1}}, 3));
  // reduce_zero_label (ADE20K): 0 ignored, v -> v - 1.
  auto red = generate(dir / "reduce", {0, 1, 2, 3},
                      R"(, "semantic_ids": "category", "reduce_zero_label": true)");
  j = run_json({"eval", "miou", "-q", "--json", "-", "--gt-manifest", red.gt.string(),
                "--pred-manifest", red.pred.string()});
  expect_ious(j, expected_iou(red, {{0, -1}, {1, 0}, {2, 1}, {3, 2}}, 3));
  // A label value that is no class: a data error.
  auto bad = generate(dir / "bad", {0, 3, 4}, R"(, "semantic_ids": "category")");
  auto r = run_segx({"eval", "miou", "-q", "--gt-manifest", bad.gt.string(), "--pred-manifest",
                     bad.pred.string()});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  // A missing prediction file: 66 naming it.
  fs::remove(dir / "contiguous/pred/1.png");
  r = run_segx({"eval", "miou", "-q", "--gt-manifest", con.gt.string(), "--pred-manifest",
                con.pred.string()});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find("1.png"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace segx::test
