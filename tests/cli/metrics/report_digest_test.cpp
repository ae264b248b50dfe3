// The input digests of `segx eval --json` reports are SHA-256, equal to what sha256sum prints.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

std::string sha256sum(const std::string& path) {
  std::string cmd = "sha256sum '" + path + "' 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[256] = {};
  std::string out = std::fgets(buf, sizeof buf, p) ? buf : "";
  pclose(p);
  return out.substr(0, out.find(' '));
}

// Every input file of the report carries "sha256:<sha256sum's digest>" and its size; folders
// carry no digest.
void expect_sha256_inputs(const nlohmann::json& report, std::size_t files) {
  std::size_t seen = 0;
  for (const auto& in : report.at("inputs")) {
    const std::string path = in.at("path");
    if (std::filesystem::is_directory(path)) {
      EXPECT_FALSE(in.contains("digest")) << path;
      continue;
    }
    const std::string reference = sha256sum(path);
    if (reference.empty()) GTEST_SKIP() << "sha256sum not available";
    EXPECT_EQ(in.at("digest").get<std::string>(), "sha256:" + reference) << path;
    EXPECT_EQ(in.at("bytes").get<std::uintmax_t>(), std::filesystem::file_size(path)) << path;
    ++seen;
  }
  EXPECT_EQ(seen, files);
}

TEST(ReportDigest, PqAndApInputsAreSha256) {
  SEGX_REQUIRE_FIXTURES();
  const auto n = fixtures_root() / "synth/n200";
  auto pq =
      run_segx({"eval", "pq", "-q", "--json", "-", "--gt-json", (n / "panoptic_gt.json").string(),
                "--pred-json", (n / "panoptic_pred.json").string()});
  ASSERT_EQ(pq.exit_code, 0) << pq.err;
  expect_sha256_inputs(nlohmann::json::parse(pq.out), 2);
  auto ap = run_segx({"eval", "ap", "--gt", (n / "instances_gt.json").string(), "--results",
                      (n / "results_bbox.json").string(), "--iou-type", "bbox", "--json", "-"});
  ASSERT_EQ(ap.exit_code, 0) << ap.err;
  expect_sha256_inputs(nlohmann::json::parse(ap.out), 2);
}

}  // namespace
}  // namespace segx::test
