// Schema versions of what segx writes: eval reports and partial files carry "schema_version",
// manifests "segx_manifest"; readers take an absent (older) or the current one and refuse a
// newer one with a one-line error (exit 65) instead of misreading it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace fs = std::filesystem;
namespace {

void write_json(const fs::path& p, const nlohmann::json& j) { std::ofstream(p) << j.dump() << "\n"; }

class SchemaVersion : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = temp_dir("schema_version");
    auto r = run_segx({"-q", "convert", "synth", "--images", "4", "--width", "64", "--height", "48",
                       "--predictions", "--out-dir", (dir / "d").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::vector<std::string> pq() const {
    return {"-q", "eval", "pq", "--gt-json", (dir / "d/panoptic_gt.json").string(), "--pred-json",
            (dir / "d/panoptic_pred.json").string()};
  }
  fs::path dir;
};

TEST_F(SchemaVersion, ReportsAndPartialsCarryIt) {
  auto args = pq();
  args.insert(args.end(), {"--json", (dir / "r.json").string()});
  auto r = run_segx(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(read_file(dir / "r.json")).at("schema_version"), 1);
  for (int i = 1; i <= 2; ++i) {
    args = pq();
    args.insert(args.end(), {"--shard", std::to_string(i) + "/2", "--partial",
                             (dir / ("p" + std::to_string(i) + ".json")).string()});
    r = run_segx(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto part = nlohmann::json::parse(read_file(dir / "p1.json"));
  EXPECT_EQ(part.at("schema_version"), 1);
  r = run_segx({"-q", "eval", "merge", (dir / "p1.json").string(), (dir / "p2.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Written before schema_version: partial files said "version": 1. Still read.
  part.erase("schema_version");
  part["version"] = 1;
  write_json(dir / "old1.json", part);
  r = run_segx({"-q", "eval", "merge", (dir / "old1.json").string(), (dir / "p2.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // A newer one is refused, naming the file.
  part.erase("version");
  part["schema_version"] = 2;
  write_json(dir / "new1.json", part);
  r = run_segx({"eval", "merge", (dir / "new1.json").string(), (dir / "p2.json").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_TRUE(has(r.err, "new1.json': schema_version 2 is newer than this segx reads (1)")) << r.err;
  // The report reader (visualize plot) too.
  auto report = nlohmann::json::parse(read_file(dir / "r.json"));
  report["schema_version"] = 7;
  write_json(dir / "r7.json", report);
  r = run_segx({"visualize", "plot", (dir / "r7.json").string(), "-o", (dir / "r7.png").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_TRUE(has(r.err, "schema_version 7 is newer")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "r7.png"));
  report.erase("schema_version");
  write_json(dir / "r0.json", report);
  r = run_segx({"-q", "visualize", "plot", (dir / "r0.json").string(), "-o", (dir / "r0.png").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(SchemaVersion, ManifestHeadersCarryIt) {
  const std::string text = read_file(dir / "d/manifest.jsonl");
  ASSERT_TRUE(has(text.substr(0, text.find('\n')), "\"segx_manifest\":1"));
  auto rewrite = [&](const std::string& name, const std::string& from, const std::string& to) {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    std::ofstream(dir / "d" / name) << t;
    return (dir / "d" / name).string();
  };
  auto newer = rewrite("newer.jsonl", "\"segx_manifest\":1", "\"segx_manifest\":2");
  auto r = run_segx({"convert", "lint", newer});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_TRUE(has(r.err, "manifest version 2 is newer than this segx reads (1)")) << r.err;
  auto absent = rewrite("absent.jsonl", "\"segx_manifest\":1,", "");
  r = run_segx({"-q", "convert", "lint", absent});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
}

}  // namespace
}  // namespace segx::test
