// `segx eval ap` end to end: pycocotools' printout, the JSON report, --fail-under and bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx {
namespace {

namespace fs = std::filesystem;

fs::path val2014() {
  return test::fixtures_root() / "real/cocoapi_val2014_100";
}

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

// Runs of spaces collapsed: cocoapi's results/val2014_fake_eval_res.txt was printed by an older
// release with one space less of padding after "Average Precision"/"Average Recall".
std::string squeeze(const std::string& s) {
  std::string out;
  for (char c : s)
    if (!(c == ' ' && !out.empty() && out.back() == ' ')) out += c;
  return out;
}

// The block of one iou type in val2014_fake_eval_res.txt.
std::vector<std::string> reference_block(const std::string& type) {
  const std::string text = test::read_file(val2014() / "val2014_fake_eval_res.txt");
  const size_t start = text.find("type=" + type);
  const size_t end = text.find("-----", start);
  return lines_starting(text.substr(start, end - start), " Average");
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

class EvalApPrintout : public ::testing::TestWithParam<std::string> {};

TEST_P(EvalApPrintout, EqualsPycocotools) {
  SEGX_REQUIRE_FIXTURES();
  const std::string type = GetParam();
  const std::string res = type == "segm" ? "instances_val2014_fakesegm100_results.json"
                                         : "instances_val2014_fakebbox100_results.json";
  const auto r = test::run_segx({"eval", "ap", "--gt",
                                 (val2014() / "instances_val2014_100.json").string(), "--results",
                                 (val2014() / res).string(), "--iou-type", type, "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto got = lines_starting(r.out, " Average");
  // Byte for byte what today's pycocotools printed on these files...
  const auto log = test::read_file(test::fixtures_root() / "expected/metrics/val2014_100" /
                                   ("pycocotools_" + type + ".log"));
  EXPECT_EQ(got, lines_starting(log, " Average"));
  // ...and cocoapi's own reference output, up to its older padding.
  const auto ref = reference_block(type);
  ASSERT_EQ(ref.size(), 12u);
  ASSERT_EQ(got.size(), 12u);
  for (size_t i = 0; i < 12; ++i) EXPECT_EQ(squeeze(got[i]), squeeze(ref[i]));
}

INSTANTIATE_TEST_SUITE_P(Val2014, EvalApPrintout, ::testing::Values("segm", "bbox"));

TEST(EvalApCli, JsonReportOnStdoutWithDigestsAndArrays) {
  SEGX_REQUIRE_FIXTURES();
  const auto n200 = test::fixtures_root() / "synth/n200";
  const auto r = test::run_segx({"eval", "ap", "--gt", (n200 / "instances_gt.json").string(),
                                 "--results", (n200 / "results_bbox.json").string(), "--iou-type",
                                 "bbox", "--json", "-", "--per-class"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto expected = nlohmann::json::parse(test::read_file(
      test::fixtures_root() / "expected/metrics/n200/coco_pycocotools_bbox.json"))["stats"];
  for (size_t i = 0; i < 12; ++i)
    EXPECT_NEAR(j["stats_list"][i].get<double>(), expected[i].get<double>(), 1e-12);
  EXPECT_NEAR(j["stats"]["AP50"].get<double>(), expected[1].get<double>(), 1e-12);
  EXPECT_TRUE(j.contains("segx_version"));
  EXPECT_EQ(j["inputs"][0]["digest"].get<std::string>().rfind("sha256:", 0), 0u);
  EXPECT_EQ(j["precision"]["data"].size(), 10u * 101 * 20 * 4 * 3);
  EXPECT_EQ(j["per_category"].size(), 20u);
  // The human summary moved to stderr.
  EXPECT_EQ(lines_starting(r.err, " Average").size(), 12u);
}

TEST(EvalApCli, FailUnderExitsOne) {
  SEGX_REQUIRE_FIXTURES();
  const auto n200 = test::fixtures_root() / "synth/n200";
  const std::vector<std::string> base = {"eval",       "ap",
                                         "--gt",       (n200 / "instances_gt.json").string(),
                                         "--results",  (n200 / "results_bbox.json").string(),
                                         "--iou-type", "bbox"};
  auto with = [&](const std::string& t) {
    auto args = base;
    args.push_back("--fail-under");
    args.push_back(t);
    return test::run_segx(args);
  };
  EXPECT_EQ(with("AP=0.9").exit_code, 1);    // AP is 0.394
  EXPECT_EQ(with("AP50=60%").exit_code, 0);  // AP50 is 0.669
  EXPECT_EQ(with("nonsense=1").exit_code, 64);
}

class EvalApBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("eval_ap_bad");
    write(dir_ / "gt.json",
          R"({"images":[{"id":1,"height":10,"width":10}],"categories":[{"id":3,"name":"a"}],
              "annotations":[{"id":1,"image_id":1,"category_id":3,"area":4,"iscrowd":0,
                              "bbox":[1,1,2,2],"segmentation":[[1,1,3,1,3,3,1,3]]}]})");
  }
  test::CliResult eval(const std::string& results, const std::string& gt = "gt.json") {
    write(dir_ / "res.json", results);
    return test::run_segx({"eval", "ap", "--gt", (dir_ / gt).string(), "--results",
                           (dir_ / "res.json").string(), "--iou-type", "bbox"});
  }
  fs::path dir_;
};

TEST_F(EvalApBadInput, EachGetsOneLineAndItsExitCode) {
  auto r = eval(R"([{"image_id":1,"category_id":3,"bbox":[1,1,2,2],"score":0.5}])");
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = eval(R"([{"image_id":7,"category_id":3,"bbox":[1,1,2,2],"score":0.5}])");
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("image id 7 is not in the ground truth"), std::string::npos) << r.err;

  r = eval(R"([{"image_id":1,"category_id":4,"bbox":[1,1,2,2],"score":0.5}])");
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("unknown category id 4"), std::string::npos) << r.err;

  r = eval(R"([{"image_id":1,"category_id":3,"bbox":[1,1,2,2],"score":NaN}])");
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("score is not a finite number"), std::string::npos) << r.err;

  r = eval("[{\"image_id\":1,\n \"category_id\":3,,}]");
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("line 2, column"), std::string::npos) << r.err;

  write(dir_ / "dup.json", R"({"images":[{"id":1},{"id":1}],"categories":[],"annotations":[]})");
  r = eval("[]", "dup.json");
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("duplicate image id 1"), std::string::npos) << r.err;

  r = eval("[]", "missing.json");
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace segx
