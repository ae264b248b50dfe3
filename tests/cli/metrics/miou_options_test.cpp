// `segx eval miou`: each kind of input (label PNG folders, panoptic JSON or manifests, semantic
// manifests) takes its own options; an option that would be ignored is refused with exit 64.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace fs = std::filesystem;
namespace {

class MiouOptions : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = temp_dir("miou_opt");
    auto r = run_segx({"-q", "convert", "synth", "--images", "3", "--width", "64", "--height", "48",
                       "--predictions", "--out-dir", (dir / "d").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_segx({"-q", "convert", "panoptic2semantic", path("d/panoptic_gt.json"), "--out-dir",
                  path("sem")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_segx({"-q", "convert", "semantic-folder", "--images", path("d/images"), "--labels",
                  path("sem"), "--categories", path("d/categories.json"), "-o", path("sem.jsonl")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  void expect_refused(const std::vector<std::string>& args, const std::string& message) {
    auto r = run_segx(args);
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_TRUE(has(r.err, message)) << r.err;
    EXPECT_EQ(r.out, "");
  }
  fs::path dir;
};

TEST_F(MiouOptions, PanopticInputRefusesLabelPngOptions) {
  const std::vector<std::string> base = {"eval", "miou", "--gt-json", path("d/panoptic_gt.json"),
                                         "--pred-json", path("d/panoptic_pred.json")};
  auto r = run_segx(base);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"--num-classes", "5"}, {"--ignore-index", "0"}, {"--gt-suffix", "_x.png"},
           {"--reduce-zero-label"}, {"--cityscapes-label-ids"}, {"--manifest-labels", "panoptic"}}) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    expect_refused(args, extra[0] + " does not apply to");
  }
  expect_refused({"eval", "miou", "--gt-manifest", path("d/manifest.jsonl"), "--pred-json",
                  path("d/panoptic_pred.json"), "--gt-dir", path("d/panoptic_gt")},
                 "--gt-dir does not apply to --gt-manifest");
}

TEST_F(MiouOptions, SemanticManifestsTakeIgnoreIndexOnly) {
  const std::vector<std::string> base = {"eval", "miou", "--gt-manifest", path("sem.jsonl"),
                                         "--pred-manifest", path("sem.jsonl"), "-j", "2"};
  auto r = run_segx(base);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto args = base;
  args.insert(args.end(), {"--ignore-index", "0"});
  r = run_segx(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"--classes", path("d/categories.json")}, {"--pred-suffix", ".x"}, {"--pred-dir", path("sem")}}) {
    args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    expect_refused(args, extra[0] + " does not apply to");
  }
}

TEST_F(MiouOptions, LabelFoldersRefusePanopticPredictions) {
  const std::vector<std::string> base = {"eval", "miou", "--gt-dir", path("sem"), "--pred-dir",
                                         path("sem"), "--num-classes", "256", "--ignore-index",
                                         "-1"};
  auto r = run_segx(base);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto args = base;
  args.insert(args.end(), {"--pred-json", path("d/panoptic_pred.json")});
  expect_refused(args, "--pred-json does not apply to label PNG folders");
  args = base;
  args.insert(args.end(), {"--manifest-labels", "semantic"});
  expect_refused(args, "--manifest-labels does not apply");
}

}  // namespace
}  // namespace segx::test
