// PQ parity with panopticapi: n200 against the numbers pq_compute printed (expected/metrics),
// every value within one unit in the last place of 1.0 (DBL_EPSILON, 2.2e-16: the README's claim).
// Beside it, a sanity test that is not a comparison with any tool: the panopticapi sample
// evaluated against itself must score exactly 100.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <limits>

#include "support/fixtures.hpp"
#include "support/run_cli.hpp"

namespace segx::test {
namespace {

nlohmann::json run_pq(const std::vector<std::string>& args) {
  std::vector<std::string> full = {"eval", "pq", "--json", "-", "-q"};
  full.insert(full.end(), args.begin(), args.end());
  auto r = run_segx(full);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

// segx sums matched IoUs as exact integers and divides once, panopticapi adds floats pair by pair:
// the two may differ in the last bit of a value near 1, never more.
constexpr double kUlpOfOne = std::numeric_limits<double>::epsilon();

TEST(PqParity, N200MatchesPanopticapi) {
  SEGX_REQUIRE_FIXTURES();
  const auto f = fixtures_root();
  const auto n = f / "synth/n200";
  const auto got =
      run_pq({"--gt-json", (n / "panoptic_gt.json").string(), "--gt-dir",
              (n / "panoptic_gt").string(), "--pred-json", (n / "panoptic_pred.json").string(),
              "--pred-dir", (n / "panoptic_pred").string()});
  const auto expected =
      nlohmann::json::parse(read_file(f / "expected/metrics/n200/pq_panopticapi.json"))["results"];
  for (const char* group : {"All", "Things", "Stuff"}) {
    for (const char* m : {"pq", "sq", "rq"})
      EXPECT_NEAR(got[group][m].get<double>(), expected[group][m].get<double>(), kUlpOfOne)
          << group << " " << m;
    EXPECT_EQ(got[group]["n"], expected[group]["n"]) << group;
  }
  ASSERT_EQ(got["per_class"].size(), expected["per_class"].size());
  for (const auto& [cat, v] : expected["per_class"].items())
    for (const char* m : {"pq", "sq", "rq"})
      EXPECT_NEAR(got["per_class"][cat][m].get<double>(), v[m].get<double>(), kUlpOfOne)
          << "class " << cat << " " << m;
}

TEST(PqSanity, PanopticapiSampleAgainstItselfIs100) {
  SEGX_REQUIRE_FIXTURES();
  const auto s = fixtures_root() / "real/panopticapi_sample";
  const std::string json = (s / "panoptic_examples.json").string();
  const std::string dir = (s / "panoptic_examples").string();
  const auto got =
      run_pq({"--gt-json", json, "--gt-dir", dir, "--pred-json", json, "--pred-dir", dir});
  EXPECT_EQ(got["All"]["pq"].get<double>(), 1.0);
  EXPECT_EQ(got["All"]["sq"].get<double>(), 1.0);
  EXPECT_EQ(got["All"]["rq"].get<double>(), 1.0);
  EXPECT_GT(got["All"]["n"].get<int>(), 0);
}

}  // namespace
}  // namespace segx::test
